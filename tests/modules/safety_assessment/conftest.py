"""Factories of the safety assessment tests."""

from datetime import date
from decimal import Decimal

import pytest

from core.context import Actor, acting_as
from modules.safety_assessment import services

EDIT_PERMISSIONS = (
    "safety_assessment.view",
    "safety_assessment.edit",
    "safety_assessment.approve",
)
TODAY = date(2026, 6, 15)


@pytest.fixture
def actor(db):
    """Run the test as a named actor."""
    with acting_as(Actor(kind="user", name="tester")) as who:
        yield who


@pytest.fixture
def create_year(db, city, actor):
    """Factory: create_year(year=2026, **settings) -> AssessmentYear with two items."""

    def factory(year=2026, **settings):
        record = services.open_year(year, **settings)
        services.add_item(record, "A1", "责任体系", Decimal(10))
        services.add_item(record, "A2", "依法治理", Decimal(5))
        db.session.commit()
        return record

    return factory


@pytest.fixture
def unit_of(db):
    """Factory: unit_of(department) -> its AssessedUnit."""

    def factory(department):
        unit = services.unit_for_department(department)
        db.session.commit()
        return unit

    return factory


@pytest.fixture
def assessment(db):
    """Factory: assessment(unit, year) -> UnitAssessment."""

    def factory(unit, year):
        record = services.assessment_of(unit, year)
        db.session.commit()
        return record

    return factory


@pytest.fixture
def city_user(create_user, city):
    """A city-level user of the safety committee office."""
    return create_user(city["city"], EDIT_PERMISSIONS)


@pytest.fixture
def create_accident(db, city_user, actor):
    """Factory: create_accident(department, units=(), **figures) -> Accident."""

    def factory(department, units=(), today=TODAY, **figures):
        values = {
            "kind": "production",
            "occurred_on": date(2026, 5, 1),
            "place": "某工地",
            "deaths": 0,
            "serious_injuries": 0,
            "direct_loss": Decimal(0),
            "burned_area_ha": Decimal(0),
            "department_id": department.id,
            "units": [{"unit_id": u.id, "counts": True} for u in units],
            **figures,
        }
        accident = services.record_accident(values, city_user, today)
        db.session.commit()
        return accident

    return factory
