"""Factories of the IT project tests: bureaus, users, calls and applications."""

from datetime import date

import pytest

from core.models import DepartmentKind
from modules.it_projects import services
from modules.it_projects.rules import Action

CALL_DAY = date(2025, 8, 15)

APPLICATION_DOCUMENTS = [
    {"kind": "application_form", "title": "株洲市信息化项目申报表"},
    {"kind": "preliminary_plan", "title": "初步建设方案"},
    {"kind": "investment_estimate", "title": "项目投资概算"},
    {"kind": "funding_plan", "title": "资金筹措计划"},
]


@pytest.fixture
def bureaus(city, create_department):
    """The city departments that act in the flow."""
    root = city["city"]
    kind = DepartmentKind.CITY_DEPARTMENT
    return {
        "spj": create_department("市行政审批服务局", kind, root, code="spj"),
        "czj": create_department("市财政局", kind, root, code="czj"),
        "fgw": create_department("市发展和改革委员会", kind, root, code="fgw"),
    }


@pytest.fixture
def people(city, bureaus, create_user):
    """A user for each role: applicants in two counties and the three bureaus."""
    view = "it_projects.view"
    return {
        "applicant": create_user(city["lusong"], [view, "it_projects.apply"]),
        "other_applicant": create_user(city["hetang"], [view, "it_projects.apply"]),
        "reviewer": create_user(
            bureaus["spj"], [view, "it_projects.review"], city_wide=True
        ),
        "finance": create_user(
            bureaus["czj"], [view, "it_projects.finance"], city_wide=True
        ),
        "planner": create_user(
            bureaus["fgw"], [view, "it_projects.approve"], city_wide=True
        ),
        "viewer": create_user(city["lusong"], [view]),
    }


@pytest.fixture
def create_call(db, people):
    """Factory: create_call(plan_year=2026, opens_on=None, closes_on=None)."""

    def factory(plan_year=2026, opens_on=None, closes_on=None):
        return services.create_call(people["reviewer"], plan_year, opens_on, closes_on)

    return factory


def application(**overrides) -> dict:
    """A complete, in-scope application as the services take it (fen)."""
    data = {
        "title": "芦淞区政务服务数据共享平台",
        "kind": "annual",
        "funding_sources": ["fiscal"],
        "concerns": ["government_data"],
        "software_development_fen": 80_000_00,
        "system_integration_fen": 0,
        "investment_estimate_fen": 120_000_00,
        "data_needs": "人口、法人基础库",
        "data_contribution": "共享办件数据",
        "funding_plan": "区级财政预算安排",
        "deployment": "部署于株洲大数据平台政务云",
        "scope_description": "政务服务数据共享",
        "construction_standard": "国家政务信息化标准",
        "documents": [dict(d) for d in APPLICATION_DOCUMENTS],
        "applied_on": CALL_DAY,
    }
    data.update(overrides)
    return data


@pytest.fixture
def create_project(db, people, create_call):
    """Factory: create_project(**overrides) -> a submitted annual project."""

    def factory(user=None, **overrides):
        if services.open_call(overrides.get("applied_on", CALL_DAY)) is None:
            create_call()
        return services.apply(
            user or people["applicant"], application(**overrides), CALL_DAY
        )

    return factory


STEPS_TO_APPROVAL = [
    ("reviewer", Action.INITIAL_REVIEW, {}),
    ("reviewer", Action.DRAFT_PLAN, {}),
    ("finance", Action.CONFIRM_FUNDS, {}),
    ("planner", Action.SUBMIT_TO_COMMITTEE, {}),
    (
        "planner",
        Action.APPROVE_PROJECT,
        {"documents": [{"kind": "approval_document", "title": "立项批复"}]},
    ),
]


@pytest.fixture
def advance(people):
    """Factory: advance(project, steps, on=None) records the steps in order."""

    def run(project, steps, on=None):
        for who, action, extra in steps:
            # By default a step falls on the day of the last one (or 1 September).
            last = project.steps[-1].decided_on if project.steps else None
            day = on or max(filter(None, (last, date(2025, 9, 1))))
            data = {"decided_on": day, "approved": True, "opinion": "同意", **extra}
            project = services.decide(people[who], project.id, action, data)
        return project

    return run


@pytest.fixture
def approved_project(create_project, advance):
    """A project past project approval (立项)."""
    return advance(create_project(), STEPS_TO_APPROVAL)
