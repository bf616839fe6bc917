"""Automatic audit of every ORM change, chained by hashes so tampering shows.

Listeners on the session collect inserts, updates and deletes of every mapped
class (a class opts out with ``__audit__ = False`` and a comment saying why),
and write the entries through the same connection, so they commit or roll back
with the change itself.
"""

import decimal
import enum
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import DDL, event, insert, inspect, select, update
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.base import NO_VALUE

from core.context import current_actor
from core.extensions import db
from core.models.audit import AuditEntry, AuditHead
from core.models.base import utcnow

log = logging.getLogger(__name__)

GENESIS = "0" * 64
# Core tables, not ORM entities: the log is written with plain statements.
_ENTRIES = AuditEntry.__table__
_HEAD = AuditHead.__table__
MASK = "***"
_PENDING = "audit_pending"

# Module names known to the registry, longest first, to name an entry's module.
_module_names: list[str] = []


def set_module_names(names) -> None:
    """Tell the audit log which module prefixes table names may carry."""
    _module_names[:] = sorted(names, key=len, reverse=True)


def module_of_table(table_name: str) -> str:
    """The module a table belongs to, from its name prefix."""
    for name in _module_names:
        if table_name.startswith(name + "_"):
            return name
    return "core"


def _audited(cls) -> bool:
    return getattr(cls, "__audit__", True)


def _plain(value):
    """A JSON-safe form of a column value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _masked(cls, key: str, value):
    masked = getattr(cls, "__audit_mask__", ())
    return MASK if key in masked and value not in (None, "") else _plain(value)


_COLUMN_KEYS: dict = {}


def _column_keys(mapper) -> tuple:
    keys = _COLUMN_KEYS.get(mapper)
    if keys is None:
        keys = _COLUMN_KEYS[mapper] = tuple(a.key for a in mapper.column_attrs)
    return keys


def _column_values(obj) -> dict:
    state = inspect(obj)
    cls, loaded = type(obj), state.dict
    return {
        key: _masked(cls, key, loaded.get(key)) for key in _column_keys(state.mapper)
    }


def _changed_values(state) -> dict:
    # committed_state holds the value each modified attribute had when loaded,
    # so only the attributes that changed are visited.
    cls, columns, current = state.class_, _column_keys(state.mapper), state.dict
    changes = {}
    for key, old in state.committed_state.items():
        if key not in columns:
            continue
        old = None if old is NO_VALUE else old
        new = current.get(key)
        if old != new:
            changes[key] = [_masked(cls, key, old), _masked(cls, key, new)]
    return changes


def _record_id(obj) -> str:
    state = inspect(obj)
    identity = state.identity or state.mapper.primary_key_from_instance(obj)
    return ",".join(str(part) for part in identity if part is not None)


def entry_hash(fields: dict) -> str:
    """SHA-256 over an entry's canonical content, including the previous hash."""
    canonical = json.dumps(
        [fields[key] for key in HASHED_FIELDS],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


HASHED_FIELDS = (
    "seq",
    "created_at",
    "actor_kind",
    "actor_id",
    "actor_name",
    "request_id",
    "client_addr",
    "module",
    "table_name",
    "record_id",
    "action",
    "changes",
    "prev_hash",
)


def _write(connection, items: list[tuple[str, str, str, dict]]) -> None:
    """Append (action, table, record_id, changes) items to the chain."""
    if not items:
        return

    # The head row is locked until commit, so concurrent writers take turns and
    # the chain never forks (on SQLite the write lock already serialises them).
    head = connection.execute(
        select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
    ).first()
    if head is None:
        connection.execute(insert(AuditHead).values(id=1, seq=0, hash=GENESIS))
        seq, prev = 0, GENESIS
    else:
        seq, prev = head

    actor = current_actor()
    now = utcnow()
    rows = []
    for action, table, record_id, changes in items:
        seq += 1
        fields = {
            "seq": seq,
            "created_at": now.isoformat(),
            "actor_kind": actor.kind,
            "actor_id": actor.id,
            "actor_name": actor.name,
            "request_id": actor.request_id,
            "client_addr": actor.client_addr,
            "module": module_of_table(table),
            "table_name": table,
            "record_id": record_id,
            "action": action,
            "changes": json.dumps(changes, ensure_ascii=False, sort_keys=True),
            "prev_hash": prev,
        }
        fields["hash"] = prev = entry_hash(fields)
        fields["created_at"] = now
        rows.append(fields)

    connection.execute(_ENTRIES.insert(), rows)
    connection.execute(update(_HEAD).where(_HEAD.c.id == 1).values(seq=seq, hash=prev))


def _before_flush(session: Session, flush_context, instances) -> None:
    pending = session.info.setdefault(_PENDING, [])
    for obj in session.new:
        if _audited(type(obj)):
            pending.append(("insert", obj, None))
    for obj in session.dirty:
        if _audited(type(obj)):
            changes = _changed_values(inspect(obj))
            if changes:
                pending.append(("update", obj, changes))
    for obj in session.deleted:
        if _audited(type(obj)):
            pending.append(("delete", obj, _column_values(obj)))


def _after_flush(session: Session, flush_context) -> None:
    pending = session.info.pop(_PENDING, [])
    items = []
    for action, obj, changes in pending:
        if action == "insert":
            changes = {k: v for k, v in _column_values(obj).items() if v is not None}
        items.append((action, type(obj).__table__.name, _record_id(obj), changes))
    _write(session.connection(), items)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _bulk_statement(orm_execute_state):
    """Audit ORM-enabled bulk UPDATE and DELETE statements row by row."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return None
    mapper = orm_execute_state.bind_arguments.get("mapper")
    if mapper is None or not _audited(mapper.class_):
        return None

    statement = orm_execute_state.statement
    table = mapper.local_table
    pk_cols = list(table.primary_key.columns)
    session = orm_execute_state.session
    connection = session.connection()
    where = statement.whereclause

    before_sql = select(table)
    if where is not None:
        before_sql = before_sql.where(where)
    before = {
        tuple(row._mapping[c.name] for c in pk_cols): dict(row._mapping)
        for row in connection.execute(before_sql)
    }

    result = orm_execute_state.invoke_statement()

    cls = mapper.class_
    items = []
    if orm_execute_state.is_delete:
        for pk, row in before.items():
            values = {k: _masked(cls, k, v) for k, v in row.items()}
            items.append(("delete", table.name, ",".join(map(str, pk)), values))
    elif before:
        pk_col = pk_cols[0]
        after_rows = connection.execute(
            select(table).where(pk_col.in_([pk[0] for pk in before]))
        )
        for row in after_rows:
            new = dict(row._mapping)
            pk = tuple(new[c.name] for c in pk_cols)
            old = before[pk]
            changes = {
                k: [_masked(cls, k, old[k]), _masked(cls, k, new[k])]
                for k in new
                if old.get(k) != new[k]
            }
            if changes:
                items.append(("update", table.name, ",".join(map(str, pk)), changes))
    _write(connection, items)
    return result


def record_read(obj, what: str = "") -> None:
    """Log that the current actor read confidential material of `obj`."""
    changes = {"read": what} if what else {}
    _write(
        db.session.connection(),
        [("read", type(obj).__table__.name, _record_id(obj), changes)],
    )


def _keep_old_values(mapper, class_) -> None:
    # An expired attribute has no old value unless it is loaded before being
    # overwritten; active history makes the ORM load it, so updates show both.
    if not _audited(class_):
        return
    for prop in mapper.column_attrs:
        prop.class_attribute.impl.active_history = True


def install() -> None:
    """Attach the audit listeners to every ORM session (idempotent)."""
    if event.contains(Session, "before_flush", _before_flush):
        return
    event.listen(Mapper, "mapper_configured", _keep_old_values)
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_soft_rollback", lambda s, t: _after_rollback(s))
    event.listen(Session, "do_orm_execute", _bulk_statement)


# On PostgreSQL the database itself refuses to change or remove an entry.
APPEND_ONLY_FUNCTION = DDL("""
CREATE OR REPLACE FUNCTION core_audit_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'core_audit_entries is append-only';
END;
$$ LANGUAGE plpgsql
""")
APPEND_ONLY_TRIGGER = DDL("""
CREATE TRIGGER core_audit_entries_append_only
BEFORE UPDATE OR DELETE ON core_audit_entries
FOR EACH ROW EXECUTE FUNCTION core_audit_refuse_change()
""")
for _ddl in (APPEND_ONLY_FUNCTION, APPEND_ONLY_TRIGGER):
    event.listen(
        AuditEntry.__table__, "after_create", _ddl.execute_if(dialect="postgresql")
    )


@dataclass
class VerifyResult:
    """The outcome of walking the chain."""

    checked: int
    intact: bool
    bad_seq: int | None = None
    reason: str = ""


def verify_chain(batch: int = 5000) -> VerifyResult:
    """Walk the chain in order and report the first entry that does not match."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    query = (
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    )
    for entry in db.session.scalars(query):
        if entry.seq != expected_seq:
            return VerifyResult(
                checked,
                False,
                entry.seq,
                f"expected entry #{expected_seq}, found #{entry.seq}: "
                "entries are missing or reordered",
            )
        fields = {k: getattr(entry, k) for k in HASHED_FIELDS}
        fields["created_at"] = entry.created_at.isoformat()
        if entry.prev_hash != expected_prev:
            return VerifyResult(
                checked,
                False,
                entry.seq,
                "its previous-hash does not match the entry before it",
            )
        if entry_hash(fields) != entry.hash:
            return VerifyResult(
                checked, False, entry.seq, "its content does not match its hash"
            )
        expected_prev = entry.hash
        expected_seq += 1
        last_seq = entry.seq
        checked += 1

    head = db.session.get(AuditHead, 1)
    if head is not None and head.seq != last_seq:
        return VerifyResult(
            checked,
            False,
            last_seq + 1,
            f"the chain head says #{head.seq} but the last entry "
            f"is #{last_seq}: entries were removed from the end",
        )
    return VerifyResult(checked, True)


def _insert_genesis(target, connection, **kw):
    connection.execute(insert(AuditHead).values(id=1, seq=0, hash=GENESIS))


# Tables made by create_all (tests, scratch databases) start with the genesis head.
event.listen(AuditHead.__table__, "after_create", _insert_genesis)
