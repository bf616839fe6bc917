"""Demo records: a catalogue and projects of 芦淞区 at different stages."""

import logging
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.demo import DEMO_PASSWORD
from core.directory import create_user, department_by_code, find_or_create_role
from core.extensions import db
from core.models.organisations import Organisation
from core.models.users import User
from modules.approval_reform import services
from modules.approval_reform.models import CatalogueItem, StageKind

log = logging.getLogger(__name__)

PERMISSIONS = [
    "approval_reform.view",
    "approval_reform.edit",
    "approval_reform.decide",
]

CATALOGUE = [
    {
        "code": "LX-01",
        "name": "企业投资项目备案",
        "stage": StageKind.PROJECT_LAND_USE_PERMIT,
        "time_limit_working_days": 3,
        "legal_basis": "《企业投资项目核准和备案管理条例》第十三条",
        "required_materials": ["project_application"],
        "department": "fgw",
    },
    {
        "code": "LX-02",
        "name": "建设用地规划许可证核发",
        "stage": StageKind.PROJECT_LAND_USE_PERMIT,
        "time_limit_working_days": 10,
        "legal_basis": "《中华人民共和国城乡规划法》第三十八条",
        "required_materials": ["land_contract"],
        "department": "zrzyj",
    },
    {
        "code": "GC-01",
        "name": "建设工程规划许可证核发",
        "stage": StageKind.ENGINEERING_PERMIT,
        "time_limit_working_days": 10,
        "legal_basis": "《中华人民共和国城乡规划法》第四十条",
        "required_materials": ["site_plan"],
        "department": "zrzyj",
    },
    {
        "code": "GC-02",
        "name": "水土保持方案审批",
        "stage": StageKind.ENGINEERING_PERMIT,
        "time_limit_working_days": 8,
        "legal_basis": "《中华人民共和国水土保持法》第二十五条",
        "notify_and_commit": True,
        "inspection_working_days": 20,
        "department": "zrzyj",
    },
    {
        "code": "SG-01",
        "name": "建筑工程施工许可证核发",
        "stage": StageKind.CONSTRUCTION_PERMIT,
        "time_limit_working_days": 5,
        "legal_basis": "《中华人民共和国建筑法》第八条",
        "required_materials": ["site_plan", "engineering_planning_permit", "drawings"],
        "department": "zjj",
    },
    {
        "code": "SG-02",
        "name": "开工安全生产条件审查（告知承诺）",
        "stage": StageKind.CONSTRUCTION_PERMIT,
        "time_limit_working_days": 1,
        "legal_basis": "株政办发〔2019〕8号 二(四)1(11)",
        "notify_and_commit": True,
        "inspection_working_days": 20,
        "department": "zjj",
    },
    {
        "code": "YS-01",
        "name": "消防验收",
        "stage": StageKind.COMPLETION_ACCEPTANCE,
        "time_limit_working_days": 10,
        "legal_basis": "《中华人民共和国消防法》第十三条",
        "department": "xfzd",
    },
    {
        "code": "YS-02",
        "name": "竣工验收备案",
        "stage": StageKind.COMPLETION_ACCEPTANCE,
        "time_limit_working_days": 5,
        "legal_basis": "《建设工程质量管理条例》第四十九条",
        "department": "zjj",
    },
]


def _staff(code: str, role) -> User:
    department = department_by_code(code)
    name = f"ar_{code}"
    user = db.session.scalars(select(User).where(User.username == name)).first()
    return user or create_user(name, DEMO_PASSWORD, department, [role], department.name)


def load_demo() -> None:
    """A catalogue, lead-department users and three projects of 芦淞区."""
    role = find_or_create_role("approval_reform_staff", "工程建设审批人员", PERMISSIONS)
    users = {
        code: _staff(code, role) for code in ("fgw", "zrzyj", "zjj", "spj", "xfzd")
    }
    county = department_by_code("430203")
    registrar = _staff("430203", role)

    for entry in CATALOGUE:
        data = {k: v for k, v in entry.items() if k != "department"}
        data["stage"] = entry["stage"].value
        data["department_id"] = department_by_code(entry["department"]).id
        services.create_catalogue_item(users["spj"], data)

    applicant = (
        db.session.scalars(
            select(Organisation).where(Organisation.county_id == county.id)
        ).first()
        or db.session.scalars(select(Organisation)).first()
    )

    def register(name, category, area, height, floors, registered_on, **extra):
        return services.register_project(
            registrar,
            {
                "name": name,
                "organisation_id": applicant.id,
                "category": category,
                "investment_type": extra.pop("investment_type", "social"),
                "building_area_m2": Decimal(area),
                "height_m": Decimal(height),
                "floors": floors,
                "registered_on": registered_on,
                "documents": extra.pop("documents", []),
                **extra,
            },
        )

    site_plan = {"material_code": "site_plan", "title": "总平面图"}
    small = register(
        "芦淞区服装辅料仓储用房",
        "industrial_small_medium",
        "8600",
        "15",
        3,
        date(2026, 9, 21),
        is_industrial=True,
        documents=[site_plan],
    )
    services.pause_clock(
        users["zrzyj"],
        small.stages[0],
        "applicant",
        "补正总平面图尺寸标注",
        date(2026, 9, 24),
    )
    services.resume_clock(users["zrzyj"], small.stages[0], date(2026, 10, 9))

    housing = register(
        "芦淞区建宁街道安置住宅",
        "land_sold_with_plan",
        "42000",
        "54",
        18,
        date(2026, 10, 12),
        has_basement=True,
        documents=[
            {"material_code": "project_application", "title": "项目备案申请表"},
            {"material_code": "land_contract", "title": "国有建设用地使用权出让合同"},
            site_plan,
        ],
    )
    services.make_key_project(users["spj"], housing, "芦淞区审批服务局 刘代办")

    done = register(
        "芦淞区社区卫生服务站",
        "social_sold_land",
        "2800",
        "16",
        4,
        date(2026, 3, 2),
        simple_function=True,
        documents=[site_plan, {"material_code": "drawings", "title": "施工图"}],
    )
    first, second, third = done.stages
    services.decide_stage(
        users["zrzyj"], first, True, "准予核发建设工程规划许可证", date(2026, 3, 10)
    )
    services.apply_for_stage(registrar, second, date(2026, 3, 16))
    commitment = services.approve_by_commitment(
        users["zjj"],
        second,
        db.session.scalars(
            select(CatalogueItem).where(CatalogueItem.code == "SG-02")
        ).one(),
        "本单位承诺开工前落实安全生产条件",
        "王建国",
        date(2026, 3, 16),
        date(2026, 3, 16),
    )
    services.decide_stage(
        users["zjj"], second, True, "核发建筑工程施工许可证", date(2026, 3, 18)
    )
    services.record_inspection(
        users["zjj"],
        commitment,
        False,
        "现场未设置安全防护设施，承诺未履行",
        date(2026, 4, 8),
    )
    services.apply_for_stage(registrar, third, date(2026, 8, 3))
    services.give_opinion(
        users["xfzd"], third.reviews[0], "agree", "消防验收合格", date(2026, 8, 6)
    )
    services.decide_stage(users["zjj"], third, True, "竣工验收备案", date(2026, 8, 7))
    log.info("approval_reform demo data loaded")
