"""The gate registry: what credential checks read, kept in each server process.

A check reads one credential with its holder, and for a venue one venue. Read
from the database, that is a round trip per check, and on a database server
the portal shares it is most of the check's cost. Each process keeps those
rows instead: loaded at its first check, then kept up to date from the change
log. Every transaction that changes a credential, a firefighter or a venue
adds to the log which firefighter (or that the venues) changed, taking a lock
first so that log ids follow commit order; a process reads the log at most
every FIREFIGHTER_GATE_REFRESH_SECONDS and reloads only what changed.

A change made in this process is seen by its next check; one made in another
process within the refresh interval (two seconds by default). A process that
has not refreshed for longer than the log is kept reloads everything.
"""

import logging
import threading
import time
from collections import namedtuple
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.orm import Session

from core.extensions import db
from core.models.base import utcnow
from modules.firefighter_benefits.models import (
    Credential,
    Firefighter,
    GateChange,
    Venue,
)
from modules.firefighter_benefits.rules import mask_name

log = logging.getLogger(__name__)

# Log rows older than this are pruned by the daily job; a process whose last
# refresh is older than RELOAD_AFTER reloads everything instead of reading a
# log that may have lost rows it had not read.
LOG_DAYS = 1
RELOAD_AFTER = 3600.0

# Lock key of the change log on PostgreSQL: "ZZXF" in ASCII.
_LOG_LOCK = 0x5A5A5846
# Firefighters' credentials are reloaded this many firefighters at a time.
_CHUNK = 500

# The holder's name is kept masked, as the answer shows it: a process holds
# no full names, and the masked forms repeat.
CredentialRow = namedtuple(
    "CredentialRow",
    "firefighter_id number issued_on expires_on revoked_on"
    " holder category service_start status status_since",
)
VenueRow = namedtuple("VenueRow", "name kind treatment military_rate_note")

_CREDENTIALS = select(
    Credential.firefighter_id,
    Credential.number,
    Credential.issued_on,
    Credential.expires_on,
    Credential.revoked_on,
    Firefighter.name,
    Firefighter.category,
    Firefighter.service_start,
    Firefighter.status,
    Firefighter.status_since,
).join(Firefighter, Firefighter.id == Credential.firefighter_id)

_VENUES = select(
    Venue.code, Venue.name, Venue.kind, Venue.treatment, Venue.military_rate_note
).where(Venue.is_active.is_(True))


class GateRegistry:
    """Credentials by number and active venues by code, for one database."""

    def __init__(self):
        self.lock = threading.Lock()
        self.credentials: dict[str, CredentialRow] = {}
        self.venues: dict[str, VenueRow] = {}
        self.seen = 0
        self.loaded = False
        self.refreshed_at = 0.0
        self.stale = True

    def ready(self) -> "GateRegistry":
        """The registry, refreshed first when its interval has passed.

        The first load waits; a later refresh is made by one checking thread
        while the others answer from the rows they have. A refresh borrows a
        pooled connection for its reads; a check between refreshes reads
        nothing from the database.
        """
        now = time.monotonic()
        interval = current_app.config["FIREFIGHTER_GATE_REFRESH_SECONDS"]
        if self.stale or now - self.refreshed_at >= interval:
            if self.lock.acquire(blocking=not self.loaded):
                try:
                    with db.engine.connect() as connection:
                        self._refresh(connection, now)
                finally:
                    self.lock.release()
        return self

    def credential(self, number: str) -> CredentialRow | None:
        """The credential with this number and its holder, or None."""
        return self.credentials.get(number)

    def venue(self, code: str) -> VenueRow | None:
        """The active venue with this code, or None."""
        return self.venues.get(code)

    def _refresh(self, connection, now: float) -> None:
        # Marked fresh before reading: a change committed while the rows are
        # read sets `stale` again and is read at the next check.
        self.stale = False
        if not self.loaded or now - self.refreshed_at >= RELOAD_AFTER:
            self._load(connection)
        else:
            self._apply_changes(connection)
        self.refreshed_at = now

    def _load(self, connection) -> None:
        # The log's end is read before the rows, so nothing committed between
        # the two is missed: it is reloaded once more at the next refresh.
        seen = connection.scalar(select(func.coalesce(func.max(GateChange.id), 0)))
        shared: dict = {}
        credentials = {}
        for row in connection.execute(_CREDENTIALS):
            entry = _entry(row, shared)
            credentials[entry.number] = entry
        venues = {row.code: VenueRow(*row[1:]) for row in connection.execute(_VENUES)}
        self.credentials, self.venues = credentials, venues
        self.seen, self.loaded = seen, True
        log.info("gate registry loaded: %d credentials", len(credentials))

    def _apply_changes(self, connection) -> None:
        last = connection.scalar(select(func.coalesce(func.max(GateChange.id), 0)))
        if last < self.seen:
            # The log went back (a restored database): nothing read is sure.
            self._load(connection)
            return
        if last == self.seen:
            return
        changes = connection.execute(
            select(GateChange.id, GateChange.firefighter_id, GateChange.venues)
            .where(GateChange.id > self.seen)
            .order_by(GateChange.id)
        ).all()
        if not changes:
            return
        firefighters = sorted({c.firefighter_id for c in changes if c.firefighter_id})
        for first in range(0, len(firefighters), _CHUNK):
            self._reload_firefighters(connection, firefighters[first : first + _CHUNK])
        if any(c.venues for c in changes):
            self.venues = {
                row.code: VenueRow(*row[1:]) for row in connection.execute(_VENUES)
            }
        self.seen = changes[-1].id

    def _reload_firefighters(self, connection, ids: list[int]) -> None:
        shared: dict = {}
        rows = connection.execute(
            _CREDENTIALS.where(Credential.firefighter_id.in_(ids))
        )
        fresh = {entry.number: entry for entry in (_entry(r, shared) for r in rows)}
        # A number edited away no longer answers for its holder. The scan is
        # of memory only, and only when something changed.
        changed = set(ids)
        gone = [
            number
            for number, entry in self.credentials.items()
            if entry.firefighter_id in changed and number not in fresh
        ]
        for number in gone:
            self.credentials.pop(number, None)
        self.credentials.update(fresh)


def _entry(row, shared: dict) -> CredentialRow:
    """A kept row; equal dates and masked names are one object between rows."""
    holder = mask_name(row.name)
    return CredentialRow(
        row.firefighter_id,
        row.number,
        shared.setdefault(row.issued_on, row.issued_on),
        shared.setdefault(row.expires_on, row.expires_on),
        row.revoked_on,
        shared.setdefault(holder, holder),
        row.category,
        shared.setdefault(row.service_start, row.service_start),
        row.status,
        row.status_since,
    )


_registries: dict = {}
_registries_lock = threading.Lock()


def registry_for(engine) -> GateRegistry:
    """This process's registry of the database behind `engine`."""
    found = _registries.get(engine)
    if found is None:
        with _registries_lock:
            found = _registries.setdefault(engine, GateRegistry())
    return found


def mark_stale() -> None:
    """Make every registry of this process read the log at its next check."""
    for registry in list(_registries.values()):
        registry.stale = True


# Recording changes in the log.


@event.listens_for(Session, "after_flush")
def _record_changes(session, flush_context):
    firefighters, venues = set(), False
    for record in (*session.new, *session.dirty, *session.deleted):
        if isinstance(record, Credential):
            firefighters.add(record.firefighter_id)
        elif isinstance(record, Firefighter):
            firefighters.add(record.id)
        elif isinstance(record, Venue):
            venues = True
    firefighters.discard(None)
    if not firefighters and not venues:
        return

    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Held to the commit: the next writer takes its log ids after this
        # transaction is visible, so ids follow commit order. (SQLite lets one
        # writer at a time anyway.)
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOG_LOCK}
        )
    rows = [{"firefighter_id": f, "venues": False} for f in sorted(firefighters)]
    if venues:
        rows.append({"firefighter_id": None, "venues": True})
    now = utcnow()
    connection.execute(insert(GateChange), [{**r, "recorded_at": now} for r in rows])
    session.info["gate_changed"] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    if session.info.pop("gate_changed", False):
        mark_stale()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction):
    session.info.pop("gate_changed", None)


def prune_log() -> int:
    """Delete log rows older than LOG_DAYS; returns how many went."""
    before = utcnow() - timedelta(days=LOG_DAYS)
    with db.engine.begin() as connection:
        result = connection.execute(
            delete(GateChange).where(GateChange.recorded_at < before)
        )
    return result.rowcount
