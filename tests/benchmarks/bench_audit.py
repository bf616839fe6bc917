"""The cost of auditing: the same 10,000 writes with the audit log on and off.

Both sides insert organisations BATCH to a transaction and then update each one
once, BATCH to a transaction, finding a batch by its primary keys so that a
lookup costs the same however many rows the other side left in the table. The
sides run in short alternating rounds (ABBA order) after a warm-up of each, so
drift in the machine's load and the table's growth fall on both alike; the ratio
is the median of the rounds' paired ratios, so a burst of load from elsewhere
that hits one round does not decide it.
"""

import contextlib
import statistics
import time

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from core import audit
from core.directory import create_department
from core.extensions import db
from core.models import AuditEntry, DepartmentKind, Organisation
from tests.benchmarks.harness import Figure, Results, fresh_app

BATCH = 50
ROUNDS = 20


def _listeners():
    return [
        ("before_flush", audit._before_flush),
        ("after_flush", audit._after_flush),
        ("do_orm_execute", audit._bulk_statement),
    ]


@contextlib.contextmanager
def _unaudited():
    """Detach the audit listeners for the block."""
    for name, fn in _listeners():
        event.remove(Session, name, fn)
    try:
        yield
    finally:
        for name, fn in _listeners():
            event.listen(Session, name, fn)


def _writes(county_id: int, count: int, tag: int) -> float:
    """Insert `count` organisations and update each once, BATCH per transaction."""
    start = time.perf_counter()
    batches = []
    for first in range(0, count, BATCH):
        rows = []
        for i in range(first, min(first + BATCH, count)):
            body = f"914302{tag:03d}{i:08d}"[:17]
            rows.append(
                Organisation(
                    name=f"企业{tag}-{i}",
                    county_id=county_id,
                    uscc=body + uscc.calc_check_digit(body),
                )
            )
        db.session.add_all(rows)
        db.session.commit()
        # The identity survives the commit's expiry, so reading it costs no query.
        batches.append([inspect(row).identity[0] for row in rows])
    for ids in batches:
        for organisation in db.session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(ids))
            .order_by(Organisation.id)
        ):
            organisation.industry = "制造业"
        db.session.commit()
    return time.perf_counter() - start


def _unaudited_writes(county_id: int, count: int, tag: int) -> float:
    """The same writes with the audit listeners detached."""
    with _unaudited():
        return _writes(county_id, count, tag)


def run(results: Results, smoke: bool) -> None:
    """Time inserts and updates of organisations with and without auditing."""
    count = 200 if smoke else 5_000  # each row written twice: 10,000 writes
    rounds = 2 if smoke else ROUNDS
    per_round = count // rounds
    app = fresh_app(modules="none")
    with app.app_context():
        county = create_department("B1", "芦淞区", DepartmentKind.COUNTY)
        db.session.commit()
        county_id = county.id

        # Warm-up: compiled statement caches, the head row, the first pages.
        _unaudited_writes(county_id, BATCH * 2, 998)
        _writes(county_id, BATCH * 2, 999)

        entries_before = db.session.scalar(select(db.func.count(AuditEntry.id)))
        pairs = []
        for n in range(rounds):
            if n % 2 == 0:
                plain = _unaudited_writes(county_id, per_round, 2 * n)
                audited = _writes(county_id, per_round, 2 * n + 1)
            else:
                audited = _writes(county_id, per_round, 2 * n + 1)
                plain = _unaudited_writes(county_id, per_round, 2 * n)
            pairs.append((plain, audited))
        entries = (
            db.session.scalar(select(db.func.count(AuditEntry.id))) - entries_before
        )
        intact = audit.verify_chain().intact

    writes = per_round * rounds * 2
    plain = sum(p for p, _ in pairs)
    audited = sum(a for _, a in pairs)
    results.add(
        Figure(
            f"{writes} audited writes",
            audited,
            "s",
            plain,
            "the same writes unaudited, s",
        )
    )
    results.add(Figure("audited / unaudited total time", audited / plain, "×"))
    ratio = statistics.median(a / p for p, a in pairs)
    results.add(
        Figure(
            f"audited / unaudited time, median of {rounds} paired rounds",
            ratio,
            "×",
            target="≤ 1.5×",
            met=ratio <= 1.5,
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
    results.add(
        Figure(
            "audit chain intact", float(intact), "(1 = yes)", target="= 1", met=intact
        )
    )
