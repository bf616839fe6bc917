"""The cost of auditing: the same 10,000 writes with the audit log on and off."""

import time

from sqlalchemy import event, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from core import audit
from core.directory import create_department
from core.extensions import db
from core.models import AuditEntry, DepartmentKind, Organisation
from tests.benchmarks.harness import Figure, Results, fresh_app

BATCH = 50


def _listeners():
    return [
        ("before_flush", audit._before_flush),
        ("after_flush", audit._after_flush),
        ("do_orm_execute", audit._bulk_statement),
    ]


def _writes(county_id: int, count: int, offset: int) -> float:
    """Insert `count` organisations and update each once, BATCH per transaction."""
    start = time.perf_counter()
    for first in range(0, count, BATCH):
        rows = []
        for i in range(first, min(first + BATCH, count)):
            body = f"914302{offset:03d}{i:08d}"[:17]
            rows.append(
                Organisation(
                    name=f"企业{offset}-{i}",
                    county_id=county_id,
                    uscc=body + uscc.calc_check_digit(body),
                )
            )
        db.session.add_all(rows)
        db.session.commit()
    for first in range(0, count, BATCH):
        for organisation in db.session.scalars(
            select(Organisation)
            .where(Organisation.name.like(f"企业{offset}-%"))
            .order_by(Organisation.id)
            .offset(first)
            .limit(BATCH)
        ):
            organisation.industry = "制造业"
        db.session.commit()
    return time.perf_counter() - start


def run(results: Results, smoke: bool) -> None:
    """Time inserts and updates of organisations with and without auditing."""
    count = 200 if smoke else 5_000  # each row written twice: 10,000 writes
    app = fresh_app(modules="none")
    with app.app_context():
        county = create_department("B1", "芦淞区", DepartmentKind.COUNTY)
        db.session.commit()

        for name, fn in _listeners():
            event.remove(Session, name, fn)
        try:
            plain = _writes(county.id, count, 1)
        finally:
            for name, fn in _listeners():
                event.listen(Session, name, fn)
        entries_before = db.session.scalar(select(db.func.count(AuditEntry.id)))
        audited = _writes(county.id, count, 2)
        entries = (
            db.session.scalar(select(db.func.count(AuditEntry.id))) - entries_before
        )

    writes = count * 2
    results.add(
        Figure(
            f"{writes} audited writes",
            audited,
            "s",
            plain,
            "the same writes unaudited, s",
        )
    )
    ratio = audited / plain
    results.add(
        Figure(
            "audited / unaudited time", ratio, "×", target="≤ 1.5×", met=ratio <= 1.5
        )
    )
    results.add(
        Figure(
            "audit entries written",
            entries,
            "entries",
            target=f"= {writes}",
            met=entries == writes,
        )
    )
