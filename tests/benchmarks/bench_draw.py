"""A random draw of 5% of 1,000,000 targets plus matching 2,000 inspectors."""

from decimal import Decimal

from sqlalchemy import insert

from core.demo import COUNTIES
from tests.benchmarks.harness import Figure, Timer, fresh_app

TARGETS, INSPECTORS, SMOKE_TARGETS, SMOKE_INSPECTORS = 1_000_000, 2_000, 2_000, 40
BATCH = 50_000


def _insert_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Write many rows of plain values through the driver (COPY on PostgreSQL)."""
    from core.extensions import db

    connection = db.session.connection()
    table = model.__tablename__
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.cursor()
        try:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        return
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['?'] * len(columns))})"
    )
    connection.exec_driver_sql(sql, rows)


class _Root:
    is_authenticated = True
    is_superuser = True
    roles = ()

    def can(self, permission):
        return True


def insert_targets(department_id: int, county_ids: list[int], count: int) -> None:
    """Add `count` food-business targets spread over the counties and risk levels."""
    from core.models.base import utcnow
    from modules.dual_random.models import RiskLevel, Target

    # Rows go to the driver as plain tuples (COPY on PostgreSQL): no per-row
    # type processing by SQLAlchemy.
    now = utcnow().replace(tzinfo=None)
    levels = [level.name for level in RiskLevel]
    columns = (
        "department_id",
        "county_id",
        "name",
        "target_type",
        "industry",
        "address",
        "credit_rating",
        "risk_level",
        "is_active",
        "version",
        "created_at",
        "updated_at",
    )
    spread = len(county_ids)
    for start in range(0, count, BATCH):
        rows = [
            (department_id, county_ids[n % spread], f"对象{n}", "食品经营者", "", "")
            + ("", levels[n % 3], True, 1, now, now)
            for n in range(start, min(start + BATCH, count))
        ]
        _insert_rows(Target, columns, rows)


def _load(targets: int, inspectors: int):
    from core.directory import create_department
    from core.extensions import db
    from core.models import DepartmentKind
    from modules.dual_random import services
    from modules.dual_random.models import Inspector, Method

    city = create_department("B0", "株洲市", DepartmentKind.CITY)
    counties = [
        create_department(f"B{code}", name, DepartmentKind.COUNTY, city)
        for code, (name, _townships) in COUNTIES.items()
    ]
    market = create_department(
        "B99", "市场监管局", DepartmentKind.CITY_DEPARTMENT, city
    )
    db.session.commit()

    insert_targets(market.id, [county.id for county in counties], targets)
    connection = db.session.connection()
    connection.execute(
        insert(Inspector.__table__),
        [
            {
                "department_id": market.id,
                "name": f"检查员{n}",
                "certificate_no": f"ZF{n:07d}",
                "qualifications": "food",
                "is_active": True,
                "version": 1,
            }
            for n in range(inspectors)
        ],
    )
    item = services.save_check_item(
        _Root(),
        {
            "department_id": market.id,
            "item": "食品经营检查",
            "sampling_ratio": Decimal("0.05"),
            "method": Method.ON_SITE,
            "qualification": "food",
        },
    )
    task = services.create_task(
        _Root(),
        {
            "department_id": market.id,
            "title": "基准任务",
            "item_ids": [item.id],
            "sample_ratio": Decimal("0.05"),
        },
    )
    db.session.commit()
    return task.id


def run(results, smoke: bool) -> None:
    """Load the registries, then time one draw and its matching."""
    from core.extensions import db
    from modules.dual_random import services

    targets = SMOKE_TARGETS if smoke else TARGETS
    inspectors = SMOKE_INSPECTORS if smoke else INSPECTORS
    app = fresh_app(modules="dual_random")
    with app.app_context():
        with Timer() as load:
            task_id = _load(targets, inspectors)
        results.add(Figure(f"load {targets:,} targets", load.seconds, "s"))

        with Timer() as timer:
            record = services.draw_targets(_Root(), task_id)
            services.match_inspectors(_Root(), task_id)
            db.session.commit()
        results.add(
            Figure(
                f"draw 5% of {targets:,} targets and match {inspectors:,} inspectors",
                timer.seconds,
                "s",
                target="< 2 s",
                met=timer.seconds < 2.0,
            )
        )
        assert record.sample_size == -(-targets * 5 // 100)
