"""Fixtures of the firefighter benefits tests: a brigade, stations, factories."""

import itertools
from datetime import date

import pytest
from stdnum.cn import ric

from core.models import DepartmentKind

_serials = itertools.count(1)

ALL_PERMISSIONS = [
    "firefighter_benefits.view",
    "firefighter_benefits.edit",
    "firefighter_benefits.verify",
    "firefighter_benefits.confirm_enrollment",
    "firefighter_benefits.admin",
]


def make_resident_id(born: date, area: str = "430202") -> str:
    """A valid resident ID number for a birth date."""
    body = f"{area}{born:%Y%m%d}{next(_serials) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def fire(city, create_department, db):
    """The brigade below the city with two stations, and the rules seeded."""
    from modules.firefighter_benefits import services

    services.seed_rules()
    brigade = create_department(
        "株洲市消防救援支队", DepartmentKind.RESIDENT_UNIT, city["city"]
    )
    other = create_department(
        "外市消防救援支队", DepartmentKind.RESIDENT_UNIT, city["city"]
    )
    return {
        **city,
        "brigade": brigade,
        "other_brigade": other,
        "station": create_department(
            "荷塘消防救援站", DepartmentKind.RESIDENT_UNIT, brigade
        ),
        "station2": create_department(
            "芦淞消防救援站", DepartmentKind.RESIDENT_UNIT, brigade
        ),
    }


@pytest.fixture
def create_firefighter(db, fire):
    """Factory: create_firefighter(category, service_start, ...) -> Firefighter."""
    from modules.firefighter_benefits import services

    def factory(
        category="full_time",
        service_start=date(2020, 3, 10),
        born=date(1995, 5, 5),
        station="station",
        brigade="brigade",
        name="王建国",
    ):
        return services.register_firefighter(
            {
                "resident_id": make_resident_id(born),
                "name": name,
                "category": category,
                "brigade_id": fire[brigade].id,
                "station_id": fire[station].id if station else None,
                "service_start": service_start,
                "phone": "13973310001",
                "address": "株洲市荷塘区",
            },
            None,
            today=date(2026, 6, 15),
        )

    return factory


@pytest.fixture
def create_child(db):
    """Factory: create_child(firefighter, born) -> FamilyMember."""
    from modules.firefighter_benefits import services

    def factory(firefighter, born=date(2020, 5, 10), relation="child", name="王小明"):
        return services.add_family_member(
            firefighter,
            {
                "relation": relation,
                "name": name,
                "resident_id": make_resident_id(born, "430203"),
            },
            today=date(2026, 6, 15),
        )

    return factory


@pytest.fixture
def create_credential(db):
    """Factory: create_credential(firefighter, number, issued, expires)."""
    from modules.firefighter_benefits import services

    numbers = itertools.count(1)

    def factory(firefighter, number=None, issued=date(2025, 1, 1), expires=None):
        return services.issue_credential(
            firefighter,
            number or f"XF{next(numbers):06d}",
            issued,
            expires or date(2099, 12, 31),
        )

    return factory


@pytest.fixture
def create_venue(db, fire):
    """Factory: create_venue(code, kind, treatment) -> Venue."""
    from modules.firefighter_benefits.models import Venue

    def factory(code="MUSEUM", kind="museum", treatment="free", note=""):
        venue = Venue(
            code=code,
            name=f"场馆{code}",
            kind=kind,
            treatment=treatment,
            military_rate_note=note,
            department_id=fire["lusong"].id,
        )
        db.session.add(venue)
        db.session.commit()
        return venue

    return factory


@pytest.fixture(autouse=True)
def fresh_gate_registry():
    """Each test's gate checks load the registry from its own tables.

    The tables are emptied between tests beneath the ORM, so no change is logged.
    """
    from modules.firefighter_benefits import gate

    gate._registries.clear()
    yield
    gate._registries.clear()


@pytest.fixture(autouse=True)
def empty_counter():
    """Each test starts with no verification counts buffered from another."""
    from modules.firefighter_benefits import services

    services.counter.take()
    yield
    services.counter.take()
