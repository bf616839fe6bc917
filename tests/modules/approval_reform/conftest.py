"""Factories of the approval reform tests."""

from datetime import date
from decimal import Decimal

import pytest

from core.models import DepartmentKind
from modules.approval_reform import services
from modules.approval_reform.models import Category, InvestmentType, StageKind

PERMS = [
    "approval_reform.view",
    "approval_reform.edit",
    "approval_reform.decide",
    "approval_reform.catalogue",
    "approval_reform.supervise",
]


def facts(**overrides):
    """A small civil social-investment project, changed by `overrides`."""
    values = {
        "category": Category.SOCIAL_SOLD_LAND.value,
        "investment_type": InvestmentType.SOCIAL.value,
        "building_area_m2": Decimal("4000"),
        "height_m": Decimal("18"),
        "floors": 5,
        "has_basement": False,
        "simple_function": True,
        "is_industrial": False,
    }
    values.update(overrides)
    return values


@pytest.fixture
def depts(city, create_department):
    """The city tree plus the lead departments and the approval bureau."""
    root = city["city"]
    for code, name in {
        "fgw": "市发展和改革委员会",
        "zrzyj": "市自然资源和规划局",
        "zjj": "市住房和城乡建设局",
        "spj": "市行政审批服务局",
        "cgj": "市城市管理综合执法局",
        "xfzd": "株洲市消防救援支队",
    }.items():
        city[code] = create_department(
            name, DepartmentKind.CITY_DEPARTMENT, root, code=code
        )
    return city


@pytest.fixture
def staff(depts, create_user):
    """Users with every module permission, one per department."""
    return {
        key: create_user(depts[key], PERMS, username=f"ar-{key}")
        for key in ("lusong", "hetang", "fgw", "zrzyj", "zjj", "spj", "cgj", "xfzd")
    }


@pytest.fixture
def applicant(depts, create_organisation):
    """An applicant organisation in 芦淞区."""
    return create_organisation(depts["lusong"], "株洲示范置业有限公司")


@pytest.fixture
def create_item(db, depts, staff):
    """Factory: create_item(code, stage, **fields) -> CatalogueItem."""
    from core.context import Actor, acting_as

    def factory(code, stage=StageKind.ENGINEERING_PERMIT, **fields):
        data = {
            "code": code,
            "name": fields.pop("name", f"事项{code}"),
            "stage": stage.value,
            "time_limit_working_days": fields.pop("time_limit_working_days", 10),
            **fields,
        }
        with acting_as(Actor(kind="user", name="test")):
            item = services.create_catalogue_item(staff["spj"], data)
        db.session.commit()
        return item

    return factory


@pytest.fixture
def create_project(db, staff, applicant):
    """Factory: create_project(**facts) -> Project registered by 芦淞区."""

    def factory(user=None, registered_on=date(2026, 3, 2), documents=(), **overrides):
        data = facts(**overrides)
        data.update(
            name=overrides.get("name", "芦淞区示范项目"),
            organisation_id=applicant.id,
            registered_on=registered_on,
            documents=list(documents),
        )
        project = services.register_project(user or staff["lusong"], data)
        db.session.commit()
        return project

    return factory
