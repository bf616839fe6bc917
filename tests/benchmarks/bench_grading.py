"""Year-end safety grading: every unit of a year graded in memory in one pass.

Full volumes: 10 counties, 80 city departments, 150 townships, 2,000 target
enterprises and 5,000 accidents; the grading must take at most one second.
"""

import os
import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from tests.benchmarks.harness import Figure, Results, Timer, fresh_app

TARGET_SECONDS = 1.0
FULL = {
    "counties": 10,
    "departments": 80,
    "townships": 150,
    "enterprises": 2000,
    "accidents": 5000,
}
SMOKE = {
    "counties": 2,
    "departments": 3,
    "townships": 4,
    "enterprises": 10,
    "accidents": 20,
}


def _modules() -> str:
    wanted = os.environ.get("ENABLED_MODULES", "all")
    if wanted in ("all", "") or "safety_assessment" in wanted.split(","):
        return wanted or "all"
    return f"{wanted},safety_assessment"


def _load(volumes: dict) -> int:
    """Fill a fresh database; returns the id of the assessment year."""
    from stdnum.cn import uscc

    from core.directory import create_department
    from core.extensions import db
    from core.models import DepartmentKind, Organisation
    from modules.safety_assessment import rules, services
    from modules.safety_assessment.models import (
        Accident,
        AccidentUnit,
        AssessedUnit,
        Deduction,
        UnitAssessment,
    )

    rng = random.Random(2026)
    city = create_department("B000", "株洲市", DepartmentKind.CITY)
    counties = [
        create_department(f"B1{i:03d}", f"县{i}", DepartmentKind.COUNTY, city)
        for i in range(volumes["counties"])
    ]
    for i in range(volumes["townships"]):
        create_department(
            f"B2{i:04d}",
            f"乡镇{i}",
            DepartmentKind.TOWNSHIP,
            counties[i % len(counties)],
        )
    for i in range(volumes["departments"]):
        create_department(
            f"B3{i:03d}", f"市直{i}", DepartmentKind.CITY_DEPARTMENT, city
        )
    organisations = []
    for i in range(volumes["enterprises"]):
        body = f"91430200B{i:08d}"[:17]
        organisations.append(
            {
                "name": f"企业{i}",
                "uscc": body + uscc.calc_check_digit(body),
                "county_id": counties[i % len(counties)].id,
                "version": 1,
            }
        )
    db.session.execute(insert(Organisation), organisations)

    year = services.open_year(2026)
    items = [
        services.add_item(year, f"I{n}", f"细则{n}", Decimal(points))
        for n, points in enumerate((20, 15, 15, 20, 15, 15))
    ]
    units = [
        {
            "kind": "enterprise",
            "organisation_id": oid,
            "owner_department_id": cid,
            "county_id": cid,
            "name": name,
            "is_active": True,
        }
        for oid, cid, name in db.session.execute(
            select(Organisation.id, Organisation.county_id, Organisation.name)
        )
    ]
    db.session.execute(insert(AssessedUnit), units)
    services.enrol_units(year)

    assessments = db.session.execute(
        select(
            UnitAssessment.id,
            UnitAssessment.unit_id,
            UnitAssessment.owner_department_id,
            AssessedUnit.kind,
            AssessedUnit.county_id,
        ).join(AssessedUnit, AssessedUnit.id == UnitAssessment.unit_id)
    ).all()
    deductions = []
    for assessment_id, _unit, owner, _kind, _county in assessments:
        for _ in range(rng.randint(0, 4)):
            deductions.append(
                {
                    "assessment_id": assessment_id,
                    "item_id": rng.choice(items).id,
                    "owner_department_id": owner,
                    "points": Decimal(rng.choice(("0.5", "1", "2", "5"))),
                    "quarter": rng.randint(1, 4),
                    "deducted_on": date(2026, 6, 1),
                    "reason": "扣分",
                    "evidence": "记录",
                    "recorded_by": "bench",
                    "version": 1,
                }
            )
    if deductions:
        db.session.execute(insert(Deduction), deductions)

    by_kind: dict = {}
    for row in assessments:
        by_kind.setdefault(row[3], []).append(row)
    county_unit = {row[2]: row[1] for row in by_kind.get("county", [])}
    others = by_kind.get("township", []) + by_kind.get("enterprise", [])
    departments = by_kind.get("city_department", [])
    accidents, start = [], date(2025, 12, 1)
    for i in range(volumes["accidents"]):
        kind = rng.choice(list(rules.AccidentKind))
        deaths = rng.choices((0, 1, 3, 10), weights=(80, 15, 4, 1))[0]
        area = Decimal(rng.choice(("0", "0.5", "2"))) if kind == "forest_fire" else 0
        level = rules.accident_level(kind, deaths, 0, Decimal(0), Decimal(area))
        occurred = start + timedelta(days=rng.randint(0, 364))
        accidents.append(
            {
                "id": i + 1,
                "kind": kind.value,
                "occurred_on": occurred,
                "place": "某地",
                "summary": "",
                "department_id": counties[0].id,
                "deaths": deaths,
                "serious_injuries": 0,
                "direct_loss": Decimal(0),
                "burned_area_ha": area,
                "level": level.value,
                "assessment_year": rules.assessment_year(occurred, level),
                "egregious": rng.random() < 0.02,
                "version": 1,
            }
        )
    db.session.execute(insert(Accident), accidents)
    links = []
    for accident in accidents:
        unit = rng.choice(others)
        links.append(
            {"accident_id": accident["id"], "unit_id": unit[1], "counts": True}
        )
        if unit[4] in county_unit:
            links.append(
                {
                    "accident_id": accident["id"],
                    "unit_id": county_unit[unit[4]],
                    "counts": True,
                }
            )
        if departments and rng.random() < 0.3:
            links.append(
                {
                    "accident_id": accident["id"],
                    "unit_id": rng.choice(departments)[1],
                    "counts": True,
                }
            )
    db.session.execute(insert(AccidentUnit), links)
    db.session.commit()
    return year.id


def run(results: Results, smoke: bool) -> None:
    """Load the volumes, then time the year-end grading of every unit."""
    from core.context import Actor, acting_as
    from core.extensions import db
    from modules.safety_assessment import services
    from modules.safety_assessment.models import AccidentUnit, AssessmentYear

    volumes = SMOKE if smoke else FULL
    app = fresh_app(modules=_modules())
    with app.app_context(), acting_as(Actor(kind="cli", name="bench")):
        year_id = _load(volumes)
        # Grading runs in a request of its own: a fresh session, nothing cached.
        db.session.remove()
        year = db.session.get(AssessmentYear, year_id)

        with Timer() as reference:
            db.session.scalar(select(func.count()).select_from(AccidentUnit))
        with Timer() as timer:
            grading = services.grade_year(year)

        units = len(grading.results)
        results.add(
            Figure(
                name=f"grade {units:,} units with {volumes['accidents']:,} accidents",
                value=timer.seconds,
                unit="s",
                reference=reference.seconds,
                reference_name="count the accident links",
                target=f"≤ {TARGET_SECONDS:g} s",
                met=timer.seconds <= TARGET_SECONDS,
            )
        )
