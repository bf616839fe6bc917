"""Demo IT projects: two calls and projects at several stages of the flow."""

import logging
from datetime import date

from core.demo import DEMO_PASSWORD
from core.directory import create_user, department_by_code, find_or_create_role
from core.extensions import db
from core.models.users import Role
from modules.it_projects import services
from modules.it_projects.rules import Action

log = logging.getLogger(__name__)

VIEW = "it_projects.view"

# The city bureaus act on every department's projects (city-wide roles).
BUREAUS = {
    "spj": ("it_spj", "市行政审批服务局信息化审查", [VIEW, "it_projects.review"]),
    "czj": ("it_czj", "市财政局信息化资金", [VIEW, "it_projects.finance"]),
    "fgw": ("it_fgw", "市发展改革委立项", [VIEW, "it_projects.approve"]),
    "sjzyj": ("it_sjzyj", "市数据资源管理局", [VIEW, "it_projects.review"]),
}

DOCUMENTS = [
    {"kind": "application_form", "title": "株洲市信息化项目申报表"},
    {"kind": "preliminary_plan", "title": "初步建设方案（含数据需求）"},
    {"kind": "investment_estimate", "title": "项目投资概算"},
    {"kind": "funding_plan", "title": "资金筹措计划"},
]


def _users():
    users = {}
    for code, (username, title, permissions) in BUREAUS.items():
        role = find_or_create_role(username, title, permissions, city_wide=True)
        users[code] = create_user(
            username, DEMO_PASSWORD, department_by_code(code), [role], title
        )
    # County and city department staff apply for their own units.
    staff = db.session.query(Role).filter_by(name="county_staff").first()
    if staff is not None and "it_projects.apply" not in staff.permissions:
        staff.permissions = sorted({*staff.permissions, "it_projects.apply"})
    applicant = find_or_create_role(
        "it_applicant", "信息化项目申报", [VIEW, "it_projects.apply"]
    )
    for code, username in (("jyj", "it_jyj"), ("gaj", "it_gaj")):
        department = department_by_code(code)
        users[code] = create_user(
            username, DEMO_PASSWORD, department, [applicant], department.name
        )
    db.session.flush()
    return users


def _application(title, **extra):
    data = {
        "title": title,
        "kind": "annual",
        "funding_sources": ["fiscal"],
        "concerns": ["government_data"],
        "software_development_fen": 0,
        "system_integration_fen": 0,
        "data_needs": "人口、法人、电子证照基础库",
        "data_contribution": "业务办理数据向大数据平台共享",
        "funding_plan": "市本级财政预算安排",
        "deployment": "部署于株洲大数据平台政务云，不新建机房",
        "documents": [dict(d) for d in DOCUMENTS],
        "applied_on": date(2025, 8, 18),
    }
    data.update(extra)
    return data


def _step(user, project, action, day, **extra):
    data = {"decided_on": day, "approved": True, "opinion": "同意", **extra}
    return services.decide(user, project.id, action, data)


def load_demo() -> None:
    """Add calls, reminders and projects at several stages."""
    users = _users()
    reviewer, finance, planner = users["spj"], users["czj"], users["fgw"]
    services.create_call(reviewer, 2026, note="2026年度市本级信息化项目申报")
    services.create_call(reviewer, 2027, note="2027年度市本级信息化项目申报")
    services.send_call_reminders(date(2025, 8, 25))

    education = services.apply(
        users["jyj"],
        _application(
            "株洲市智慧教育云平台",
            software_development_fen=1_800_000_00,
            system_integration_fen=600_000_00,
            investment_estimate_fen=2_600_000_00,
            scope_description="全市中小学教育资源与管理系统",
            construction_standard="教育信息化2.0标准",
            large_or_specialised=True,
        ),
        date(2025, 8, 18),
    )
    _step(reviewer, education, Action.INITIAL_REVIEW, date(2025, 9, 3))
    _step(reviewer, education, Action.DRAFT_PLAN, date(2025, 9, 26))
    _step(finance, education, Action.CONFIRM_FUNDS, date(2025, 10, 15))
    _step(planner, education, Action.SUBMIT_TO_COMMITTEE, date(2025, 10, 28))
    _step(
        planner,
        education,
        Action.APPROVE_PROJECT,
        date(2025, 12, 10),
        documents=[
            {
                "kind": "approval_document",
                "title": "立项批复",
                "reference": "株发改投〔2025〕112号",
            }
        ],
    )
    change = services.request_change(
        users["jyj"],
        education.id,
        {
            "requested_on": date(2026, 1, 8),
            "reason": "增加职业院校接入",
            "new_scope": "全市中小学及职业院校教育资源与管理系统",
            "new_investment_fen": 2_800_000_00,
        },
    )
    services.decide_change(
        planner,
        change.id,
        {"decided_on": date(2026, 1, 16), "approved": True, "opinion": "同意调整"},
    )
    _step(
        users["jyj"],
        education,
        Action.SUBMIT_CONSTRUCTION_PLAN,
        date(2026, 2, 2),
        amount_fen=2_780_000_00,
        documents=[
            {"kind": "construction_plan", "title": "建设方案"},
            {"kind": "design_estimate", "title": "投资概算"},
        ],
    )
    _step(
        reviewer,
        education,
        Action.START_TECHNICAL_REVIEW,
        date(2026, 2, 14),
        experts=True,
    )
    _step(reviewer, education, Action.TECHNICAL_REVIEW, date(2026, 3, 12))
    _step(
        finance,
        education,
        Action.BUDGET_REVIEW,
        date(2026, 3, 30),
        amount_fen=2_700_000_00,
    )
    _step(
        users["jyj"],
        education,
        Action.PROCUREMENT,
        date(2026, 5, 6),
        amount_fen=2_650_000_00,
        procurement_method="tender",
        supplier="湖南湘江智慧科技有限公司",
        responsible_person="刘建华",
        documents=[{"kind": "contract", "title": "项目合同"}],
    )
    services.record_funding(
        finance,
        education.id,
        {"amount_fen": 1_325_000_00, "paid_on": date(2026, 5, 20), "note": "首付款"},
    )

    lusong = department_by_code("430203")
    data_platform = services.apply(
        _county_user(lusong),
        _application(
            "芦淞区基层治理数据平台",
            software_development_fen=450_000_00,
            investment_estimate_fen=520_000_00,
            scope_description="街道社区网格事件处置",
            construction_standard="省基层治理平台规范",
            applied_on=date(2025, 8, 22),
        ),
        date(2025, 8, 22),
    )
    _step(reviewer, data_platform, Action.INITIAL_REVIEW, date(2025, 9, 5))

    hetang = department_by_code("430202")
    services.apply(
        _county_user(hetang),
        _application(
            "荷塘区视频会商系统",
            system_integration_fen=380_000_00,
            investment_estimate_fen=380_000_00,
            facilities=["server", "storage", "large_screen_control"],
            applied_on=date(2025, 8, 27),
        ),
        date(2025, 8, 27),
    )

    urgent = services.apply(
        users["gaj"],
        _application(
            "株洲市公安数据共享接口改造",
            kind="urgent",
            software_development_fen=260_000_00,
            investment_estimate_fen=260_000_00,
            urgency_basis="按省公安厅通知须于年内完成接口改造",
            applied_on=date(2026, 3, 9),
            documents=[*DOCUMENTS, {"kind": "urgency_basis", "title": "省公安厅通知"}],
        ),
        date(2026, 3, 9),
    )
    _step(reviewer, urgent, Action.INITIAL_REVIEW, date(2026, 3, 12))
    _step(finance, urgent, Action.CONFIRM_FUNDS, date(2026, 3, 20))
    log.info("it_projects demo data loaded")


def _county_user(department):
    from sqlalchemy import select

    from core.models.users import User

    return db.session.scalars(
        select(User).where(User.department_id == department.id)
    ).first()
