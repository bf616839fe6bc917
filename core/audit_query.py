"""Filtering the audit log quickly on millions of entries (keyset by sequence)."""

from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import select

from core.calendar import parse_date
from core.errors import InvalidInput
from core.extensions import db
from core.i18n import _
from core.models.audit import AuditEntry


@dataclass
class AuditFilter:
    """The filters of the audit view; empty strings mean "any"."""

    module: str = ""
    table_name: str = ""
    record_id: str = ""
    actor: str = ""
    date_from: str = ""
    date_to: str = ""
    before: int | None = None
    oldest: bool = False

    @classmethod
    def from_args(cls, args) -> "AuditFilter":
        """Read and check the filters from a query string."""
        before = args.get("before", "")
        if before and not before.isdigit():
            raise InvalidInput(
                {"before": [_("“%(value)s” is not an entry number.", value=before)]}
            )
        filters = cls(
            module=args.get("module", "").strip()[:40],
            table_name=args.get("table_name", "").strip()[:80],
            record_id=args.get("record_id", "").strip()[:80],
            actor=args.get("actor", "").strip()[:120],
            date_from=args.get("date_from", "").strip(),
            date_to=args.get("date_to", "").strip(),
            before=int(before) if before else None,
            oldest=bool(args.get("oldest")),
        )
        for name in ("date_from", "date_to"):
            if getattr(filters, name):
                parse_date(getattr(filters, name), name)
        return filters


def find_entries(filters: AuditFilter, limit: int = 50):
    """One page of entries, newest first, and the key of the next page."""
    statement = select(AuditEntry)
    if filters.module:
        statement = statement.where(AuditEntry.module == filters.module)
    if filters.table_name:
        statement = statement.where(AuditEntry.table_name == filters.table_name)
    if filters.record_id:
        statement = statement.where(AuditEntry.record_id == filters.record_id)
    if filters.actor:
        statement = statement.where(AuditEntry.actor_name == filters.actor)
    if filters.date_from:
        start = datetime.combine(
            parse_date(filters.date_from, "date_from"), time.min, UTC
        )
        statement = statement.where(AuditEntry.created_at >= start)
    if filters.date_to:
        end = datetime.combine(parse_date(filters.date_to, "date_to"), time.max, UTC)
        statement = statement.where(AuditEntry.created_at <= end)
    if filters.before:
        statement = statement.where(AuditEntry.seq < filters.before)
    rows = db.session.scalars(
        statement.order_by(AuditEntry.seq.desc()).limit(limit + 1)
    ).all()
    next_before = rows[limit - 1].seq if len(rows) > limit else None
    return rows[:limit], next_before


def history_of(table_name: str, record_id) -> list[AuditEntry]:
    """Every entry about one record, oldest first (the record's history panel)."""
    return db.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.table_name == table_name, AuditEntry.record_id == str(record_id)
        )
        .order_by(AuditEntry.seq)
    ).all()
