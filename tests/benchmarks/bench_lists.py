"""Portal list pages over a million rows against the same pages over a thousand.

The audit log and the inspection target registry, each 50 rows a page in the
default order with one filter, first and last page.
"""

import statistics
import time

from sqlalchemy import event, text

from core.demo import COUNTIES
from core.directory import create_department, create_user, find_or_create_role
from core.extensions import db
from core.models import DepartmentKind
from tests.benchmarks.harness import Figure, Results, fresh_app

PASSWORD = "benchmark-password"


def _fill_audit(rows: int) -> None:
    """Add `rows` audit entries straight in SQL (the list does not check hashes)."""
    dialect = db.engine.dialect.name
    source = (
        f"SELECT generate_series(1, {rows}) AS x"
        if dialect == "postgresql"
        else f"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
        f"WHERE x < {rows}) SELECT x FROM n"
    )
    base = db.session.execute(
        text("SELECT COALESCE(MAX(seq), 0) FROM core_audit_entries")
    ).scalar()
    db.session.execute(
        text(
            "INSERT INTO core_audit_entries (seq, created_at, actor_kind, actor_id, "
            "actor_name, request_id, client_addr, module, table_name, record_id, "
            "action, changes, prev_hash, hash) "
            f"SELECT x + {base}, CURRENT_TIMESTAMP, 'user', '1', 'bench', '', '', "
            "CASE WHEN x % 3 = 0 THEN 'core' ELSE 'dual_random' END, "
            "'core_organisations', "
            "CAST(x AS VARCHAR(20)), 'update', '{}', '', '' "
            f"FROM ({source}) AS numbers"
        )
    )
    db.session.execute(
        text(
            "UPDATE core_audit_head SET seq = "
            "(SELECT MAX(seq) FROM core_audit_entries) WHERE id = 1"
        )
    )
    db.session.commit()


def _client(app):
    with app.app_context():
        city = create_department("430200", "株洲市", DepartmentKind.CITY)
        role = find_or_create_role("bench", "bench", [], superuser=True)
        create_user("bench", PASSWORD, city, [role])
        db.session.commit()
    client = app.test_client()
    client.post("/admin/login/", data={"username": "bench", "password": PASSWORD})
    return client


def _time(client, url: str, repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def _statements(app, client, url: str) -> int:
    counted = []

    def count(*_args, **_kwargs):
        counted.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(counted)


PAGES = {
    "audit log, first page": "/admin/audit/?module=core",
    "audit log, last page": "/admin/audit/?module=core&oldest=1",
}

TARGETS = "/admin/dual_random_targets/"


def _fill_targets(rows: int) -> None:
    """Add `rows` inspection targets of the nine counties, a third of them high risk."""
    from tests.benchmarks.bench_draw import insert_targets

    city = create_department("T0", "株洲市", DepartmentKind.CITY)
    counties = [
        create_department(f"T{code}", name, DepartmentKind.COUNTY, city)
        for code, (name, _townships) in COUNTIES.items()
    ]
    market = create_department(
        "T99", "市场监管局", DepartmentKind.CITY_DEPARTMENT, city
    )
    db.session.commit()
    insert_targets(market.id, [county.id for county in counties], rows)
    db.session.commit()


def _target_pages(app) -> dict[str, str]:
    """The target list filtered to high risk (one filter), first and last page."""
    from flask import url_for
    from flask_admin.contrib.sqla.filters import FilterEqual

    with app.test_request_context():
        view = next(
            v
            for v in app.extensions["admin"][0]._views
            if v.endpoint == "dual_random_targets"
        )
        index = next(
            i
            for i, flt in enumerate(view._filters)
            if getattr(flt, "column", None) is not None
            and flt.column.key == "risk_level"
            and isinstance(flt, FilterEqual)
        )
        url = url_for("dual_random_targets.index_view", **{f"flt0_{index}": "HIGH"})
    return {
        "inspection targets, first page": url,
        "inspection targets, last page": f"{url}&last=1",
    }


def run(results: Results, smoke: bool) -> None:
    """Time first and last pages on big and small tables; count SQL per page."""
    big_rows, small_rows, repeat = (3_000, 300, 3) if smoke else (1_000_000, 1_000, 60)
    timings = {}
    pages = dict(PAGES)
    for label, rows in (("big", big_rows), ("small", small_rows)):
        app = fresh_app(modules="none")
        with app.app_context():
            _fill_audit(rows)
        client = _client(app)
        for name, url in PAGES.items():
            _time(client, url, 1)  # warm caches
            timings[(label, name)] = _time(client, url, repeat)
        if label == "big":
            small_page = _statements(app, client, "/admin/organisations/?page_size=10")
            large_page = _statements(app, client, "/admin/organisations/?page_size=100")
            audit_page = _statements(app, client, PAGES["audit log, first page"])

        app = fresh_app(modules="dual_random")
        with app.app_context():
            _fill_targets(rows)
        client = _client(app)
        target_pages = _target_pages(app)
        pages.update(target_pages)
        for name, url in target_pages.items():
            first = client.get(url)
            # The filter must have applied and rows come back, or the timing lies.
            assert first.status_code == 200 and "对象" in first.text, url
            timings[(label, name)] = _time(client, url, repeat)
        if label == "big":
            target_page = _statements(
                app, client, target_pages["inspection targets, last page"]
            )

    for name in pages:
        big, small = _p95(timings[("big", name)]), _p95(timings[("small", name)])
        results.add(
            Figure(
                f"{name}, p95 over {big_rows:,} rows",
                big,
                "ms",
                small,
                f"p95 over {small_rows:,} rows, ms",
                target="≤ 150 ms",
                met=big <= 150,
            )
        )
        results.add(
            Figure(
                f"{name}, big / small",
                big / small,
                "×",
                target="≤ 1.5×",
                met=big / small <= 1.5,
            )
        )
    results.add(
        Figure(
            "SQL statements per list page (10 rows / 100 rows)",
            large_page,
            "statements",
            small_page,
            "10-row page",
            target="constant",
            met=large_page == small_page,
        )
    )
    results.add(Figure("SQL statements per audit page", audit_page, "statements"))
    results.add(
        Figure("SQL statements per target page, last", target_page, "statements")
    )
