"""Demo data: the 2026 assessment with scoring rules, accidents and deductions."""

import logging
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.directory import department_by_code
from core.extensions import db
from core.models.organisations import Organisation
from modules.safety_assessment import services
from modules.safety_assessment.models import UnitAssessment

log = logging.getLogger(__name__)

ITEMS = [
    ("1", "健全责任体系", Decimal(20)),
    ("2", "推进依法治理", Decimal(15)),
    ("3", "完善体制机制", Decimal(15)),
    ("4", "加强安全预防", Decimal(20)),
    ("5", "强化基础建设", Decimal(15)),
    ("6", "防范遏制事故", Decimal(15)),
]

DEDUCTIONS = [
    (
        "430281",
        1,
        Decimal("6.5"),
        1,
        date(2026, 3, 28),
        "安全生产执法检查计划执行不到位",
        "市安委办督查通报〔2026〕2号",
    ),
    (
        "430224",
        3,
        Decimal(12),
        2,
        date(2026, 6, 10),
        "森林防火责任制落实不到位",
        "市安委办督查通报〔2026〕5号",
    ),
    (
        "430223",
        4,
        Decimal(4),
        2,
        date(2026, 6, 12),
        "安全生产标准化建设进度滞后",
        "市安委办督查通报〔2026〕5号",
    ),
    (
        "430204",
        2,
        Decimal(9),
        1,
        date(2026, 3, 30),
        "消防安全委员会工作机制未健全",
        "市消安委办通报〔2026〕1号",
    ),
]


def load_demo() -> None:
    """Open 2026, enter its scoring rules, a few accidents and deductions."""
    from core.models.users import User

    year = services.open_year(2026)
    items = [services.add_item(year, *item) for item in ITEMS]
    for organisation in db.session.scalars(select(Organisation)):
        services.designate_enterprise(organisation)
    services.enrol_units(year)

    admin = db.session.scalars(select(User).where(User.username == "admin")).one()
    lusong = department_by_code("430203")
    jianshe = department_by_code("430203001")
    hetang = department_by_code("430202")
    market = department_by_code("scjgj")
    emergency = department_by_code("yjglj")
    yanling = department_by_code("430225")

    def unit(department):
        return services.unit_for_department(department)

    today = date(2026, 6, 15)
    services.record_accident(
        {
            "kind": "production",
            "occurred_on": date(2026, 3, 12),
            "place": "芦淞区某服装仓库",
            "summary": "货物坍塌，3人死亡",
            "deaths": 3,
            "serious_injuries": 2,
            "direct_loss": Decimal("4200000"),
            "department_id": lusong.id,
            "liability": True,
            "units": [{"unit_id": unit(lusong).id}, {"unit_id": unit(market).id}],
        },
        admin,
        today,
    )
    services.record_accident(
        {
            "kind": "production",
            "occurred_on": date(2026, 5, 20),
            "place": "建设街道某门面",
            "summary": "违规动火引发事故，1人死亡",
            "deaths": 1,
            "direct_loss": Decimal("350000"),
            "egregious": True,
            "department_id": jianshe.id,
            "units": [{"unit_id": unit(jianshe).id}, {"unit_id": unit(lusong).id}],
        },
        admin,
        today,
    )
    services.record_accident(
        {
            "kind": "forest_fire",
            "occurred_on": date(2026, 2, 8),
            "place": "炎陵县霞阳镇山林",
            "summary": "祭祀用火引发森林火灾",
            "burned_area_ha": Decimal("12.5"),
            "department_id": yanling.id,
            "units": [{"unit_id": unit(yanling).id}, {"unit_id": unit(emergency).id}],
        },
        admin,
        today,
    )

    hetang_year = services.assessment_of(unit(hetang), year)
    services.record_deduction(
        hetang_year,
        items[3].id,
        Decimal(3),
        1,
        date(2026, 3, 30),
        "重大事故隐患未按期整改",
        "市安委办督查通报〔2026〕2号",
    )
    # A spread of quarterly deductions, so the ranking and the overview differ.
    for code, item, points, quarter, day, reason, evidence in DEDUCTIONS:
        services.record_deduction(
            services.assessment_of(unit(department_by_code(code)), year),
            items[item].id,
            points,
            quarter,
            day,
            reason,
            evidence,
        )
    services.propose_bonus(
        hetang_year,
        Decimal(2),
        "组织洪灾抢险救援成效显著",
        "市安委办认定意见",
        approved=True,
        decision="市安委会〔2026〕4号",
        decided_on=date(2026, 6, 1),
    )
    for record in db.session.scalars(
        select(UnitAssessment).where(UnitAssessment.unit_id == unit(yanling).id)
    ):
        record.forest_area_ha = Decimal(150000)
    services.file_self_report(
        services.assessment_of(unit(lusong), year),
        date(2026, 11, 10),
        "芦淞区2026年度安全生产和消防工作自评报告",
        Decimal(88),
    )
    db.session.flush()
    log.info("safety assessment demo data loaded")
