"""Factories of the inspection module's tests."""

import itertools
from decimal import Decimal

import pytest
from stdnum.cn import uscc

from core.models import DepartmentKind
from modules.dual_random import services
from modules.dual_random.models import Method, RiskLevel

ALL = [
    "dual_random.view",
    "dual_random.edit",
    "dual_random.draw",
    "dual_random.results",
]
_numbers = itertools.count(1)


class Superuser:
    """A caller that may do anything, for setting up records."""

    is_authenticated = True
    is_superuser = True
    roles = ()

    def can(self, permission):
        return True


ROOT = Superuser()


def make_uscc(n: int) -> str:
    """A valid unified social credit code numbered `n`."""
    body = f"9143020{n:010d}"[:17]
    return body + uscc.calc_check_digit(body)


@pytest.fixture
def depts(city, create_department):
    """The test city plus a second city department (emergency management)."""
    safety = create_department(
        "市应急管理局", DepartmentKind.CITY_DEPARTMENT, city["city"]
    )
    return {**city, "safety": safety}


@pytest.fixture
def create_item(db):
    """Factory: create_item(department, qualification="food", **fields)."""

    def factory(department, qualification="food", **fields):
        data = {
            "department_id": department.id,
            "item": fields.pop("item", f"检查事项{next(_numbers)}"),
            "sampling_ratio": Decimal("0.05"),
            "method": Method.ON_SITE,
            "qualification": qualification,
            **fields,
        }
        item = services.save_check_item(ROOT, data)
        db.session.commit()
        return item

    return factory


@pytest.fixture
def create_target(db):
    """Factory: create_target(department, county, **fields)."""

    def factory(department, county, **fields):
        n = next(_numbers)
        data = {
            "department_id": department.id,
            "county_id": county.id,
            "name": f"对象{n}",
            "risk_level": RiskLevel.MEDIUM,
            **fields,
        }
        target = services.create_target(ROOT, data)
        db.session.commit()
        return target

    return factory


@pytest.fixture
def create_targets(db):
    """Factory: create_targets(department, county, n) -> ids, written in bulk."""
    from sqlalchemy import insert

    from modules.dual_random.models import Target

    def factory(department, county, n, **fields):
        start = next(_numbers) * 100_000
        rows = [
            {
                "department_id": department.id,
                "county_id": county.id,
                "name": f"对象{start + i}",
                "risk_level": RiskLevel.MEDIUM,
                "version": 1,
                **fields,
            }
            for i in range(n)
        ]
        db.session.execute(insert(Target), rows)
        db.session.commit()
        from sqlalchemy import select

        return list(
            db.session.scalars(
                select(Target.id)
                .where(Target.department_id == department.id)
                .order_by(Target.id)
            )
        )

    return factory


@pytest.fixture
def create_inspector(db):
    """Factory: create_inspector(department, qualifications="food", **fields)."""

    def factory(department, qualifications="food", **fields):
        n = next(_numbers)
        data = {
            "department_id": department.id,
            "name": f"检查员{n}",
            "certificate_no": f"ZF{n:06d}",
            "qualifications": qualifications,
            **fields,
        }
        inspector = services.create_inspector(ROOT, data)
        db.session.commit()
        return inspector

    return factory


@pytest.fixture
def create_task(db):
    """Factory: create_task(department, items, **fields)."""

    def factory(department, items, **fields):
        data = {
            "department_id": department.id,
            "title": fields.pop("title", f"任务{next(_numbers)}"),
            "item_ids": [i.id for i in items],
            **fields,
        }
        if "sample_ratio" not in data and "kind" not in data:
            data.setdefault("sample_count", 3)
        task = services.create_task(ROOT, data)
        db.session.commit()
        return task

    return factory


@pytest.fixture
def simple_task(depts, create_item, create_targets, create_inspector, create_task):
    """A market task over 20 targets with four qualified inspectors."""
    market = depts["market"]
    item = create_item(market)
    ids = create_targets(market, depts["lusong"], 20)
    inspectors = [create_inspector(market) for _ in range(4)]
    task = create_task(market, [item], sample_count=5)
    return {"task": task, "item": item, "target_ids": ids, "inspectors": inspectors}
