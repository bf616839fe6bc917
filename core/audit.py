"""Automatic audit of every ORM change, chained by hashes so tampering shows.

Listeners on the session collect inserts, updates and deletes of every mapped
class (a class opts out with ``__audit__ = False`` and a comment saying why),
and write the entries through the same connection, so they commit or roll back
with the change itself.

Each flush appends its entries in one go: the chain head is locked and read
once, every entry's hash is computed in one pass, the entries go in with one
COPY on PostgreSQL (one executemany elsewhere) and the head moves once.
"""

import decimal
import enum
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import DDL, bindparam, event, inspect, select, update
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.orm.exc import ObjectDeletedError

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

# The head row is locked until commit, so concurrent writers take turns and the
# chain never forks (on SQLite the write lock already serialises them).
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"))
)
# The columns an entry is written with, in the order of each row tuple.
_COLUMNS = (
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
    "hash",
)
_COLUMN_LIST = ", ".join(_COLUMNS)
_COPY_ENTRIES = f"COPY {_ENTRIES.name} ({_COLUMN_LIST}) FROM STDIN"
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}

# Built once: json.dumps with options builds a new encoder on every call.
_CHANGES_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

# Module names known to the registry, longest first, to name an entry's module.
_module_names: list[str] = []


def set_module_names(names) -> None:
    """Tell the audit log which module prefixes table names may carry."""
    _module_names[:] = sorted(names, key=len, reverse=True)
    # A shape names its table's module, so the shapes follow the names.
    _SHAPES.clear()


def module_of_table(table_name: str) -> str:
    """The module a table belongs to, from its name prefix."""
    for name in _module_names:
        if table_name.startswith(name + "_"):
            return name
    return "core"


def _audited(cls) -> bool:
    return getattr(cls, "__audit__", True)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the log needs to know about a mapped class, worked out once."""

    audited: bool
    table: str
    module: str
    keys: tuple[str, ...]
    key_set: frozenset[str]
    pk_keys: tuple[str, ...]
    masked: frozenset[str]
    # Module and table as they appear, side by side, in the canonical form.
    canonical: str


_SHAPES: dict[Mapper, _Shape] = {}


def _shape(mapper: Mapper) -> _Shape:
    shape = _SHAPES.get(mapper)
    if shape is None:
        cls = mapper.class_
        # A plain str: the table's own name type costs the drivers a lookup.
        table = str(cls.__table__.name)
        module = module_of_table(table)
        keys = tuple(a.key for a in mapper.column_attrs)
        shape = _SHAPES[mapper] = _Shape(
            audited=_audited(cls),
            table=table,
            module=module,
            keys=keys,
            key_set=frozenset(keys),
            pk_keys=tuple(
                mapper.get_property_by_column(c).key for c in mapper.primary_key
            ),
            masked=frozenset(getattr(cls, "__audit_mask__", ())),
            canonical=_CANONICAL_JSON.encode((module, table))[1:-1],
        )
    return shape


_SIMPLE = frozenset({str, int, float, bool, type(None)})


def _plain(value):
    """A JSON-safe form of a column value."""
    if type(value) in _SIMPLE:
        return value
    if isinstance(value, bool | int | float | str):
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


def _masked(masked: frozenset, key: str, value):
    if key in masked and value is not None and value != "":
        return MASK
    return _plain(value)


def _column_values(state, shape: _Shape) -> dict:
    current, masked = state.dict, shape.masked
    return {key: _masked(masked, key, current.get(key)) for key in shape.keys}


def _inserted_values(state, shape: _Shape) -> dict:
    # An insert names only the columns that hold something. Most values are
    # plain already, so the conversion is called only for the others.
    values = {}
    current, masked = state.dict, shape.masked
    for key in shape.keys:
        value = current.get(key)
        if value is None:
            continue
        if key in masked:
            value = _masked(masked, key, value)
        elif type(value) not in _SIMPLE:
            value = _plain(value)
            if value is None:
                continue
        values[key] = value
    return values


def _changed_values(state, shape: _Shape) -> dict:
    # committed_state holds the value each modified attribute had when loaded,
    # so only the attributes that changed are visited.
    columns, current, masked = shape.key_set, state.dict, shape.masked
    changes = {}
    for key, old in state.committed_state.items():
        if key not in columns:
            continue
        old = None if old is NO_VALUE else old
        new = current.get(key)
        if old != new:
            changes[key] = [_masked(masked, key, old), _masked(masked, key, new)]
    return changes


def _record_id(state, shape: _Shape) -> str:
    if state.key is not None:
        identity = state.key[1]
    else:
        # Just inserted: the flush has put the primary key in the state's dict.
        identity = [state.dict.get(key) for key in shape.pk_keys]
        if None in identity:
            identity = state.mapper.primary_key_from_instance(state.obj())
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


def _write(connection, items: list[tuple[str, _Shape, str, dict]]) -> None:
    """Append (action, shape, record_id, changes) items to the chain."""
    if not items:
        return

    head = connection.execute(_LOCK_HEAD).first()
    if head is None:
        connection.execute(_HEAD.insert().values(id=1, seq=0, hash=GENESIS))
        seq, prev = 0, GENESIS
    else:
        seq, prev = head

    actor = current_actor()
    now = utcnow()
    # Entries skip SQLAlchemy's per-row parameter processing, which costs more
    # than the insert itself, so the one typed column is converted here.
    dialect = connection.dialect
    to_db = _ENTRIES.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    stamp = now if to_db is None else to_db(now)
    # The canonical form is the JSON list of HASHED_FIELDS (see entry_hash); the
    # fields every entry of this write shares are encoded once, and each entry
    # adds its own strings: the same text, byte for byte, as entry_hash builds.
    quote = _CANONICAL_JSON.encode
    shared = _CANONICAL_JSON.encode(
        (
            now.isoformat(),
            actor.kind,
            actor.id,
            actor.name,
            actor.request_id,
            actor.client_addr,
        )
    )[1:-1]
    rows = []
    for action, shape, record_id, changes in items:
        seq += 1
        text = _CHANGES_JSON.encode(changes)
        canonical = (
            f"[{seq},{shared},{shape.canonical},{quote(record_id)},"
            f"{quote(action)},{quote(text)},{quote(prev)}]"
        )
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        rows.append(
            (
                seq,
                stamp,
                actor.kind,
                actor.id,
                actor.name,
                actor.request_id,
                actor.client_addr,
                shape.module,
                shape.table,
                record_id,
                action,
                text,
                prev,
                digest,
            )
        )
        prev = digest

    _insert_entries(connection, rows, now)
    connection.execute(_MOVE_HEAD, {"head_seq": seq, "head_hash": prev})


def _insert_entries(connection, rows: list[tuple], now: datetime) -> None:
    """Insert rows of _COLUMNS, already in database form, in one go."""
    dialect = connection.dialect
    if dialect.driver == "psycopg":
        # COPY takes the whole batch in one command, within the transaction.
        with connection.connection.cursor() as cursor:
            with cursor.copy(_COPY_ENTRIES) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    placeholder = _PLACEHOLDER.get(dialect.paramstyle)
    if placeholder is None:
        # Any other driver: the ordinary statement, with the time as Python has it.
        connection.execute(
            _ENTRIES.insert(),
            [dict(zip(_COLUMNS, r, strict=True), created_at=now) for r in rows],
        )
        return
    values = ", ".join([placeholder] * len(_COLUMNS))
    connection.exec_driver_sql(
        f"INSERT INTO {_ENTRIES.name} ({_COLUMN_LIST}) VALUES ({values})", rows
    )


def _load_columns(obj, state, shape: _Shape) -> None:
    # An object deleted after a commit has expired: load its row first, or the
    # entry would not show what was deleted. Reading one expired attribute
    # loads them all in one query.
    for key in shape.key_set & state.unloaded:
        try:
            getattr(obj, key)
        except ObjectDeletedError:
            log.warning("%s %s was already gone when deleted", shape.table, state.key)
            return


def _before_flush(session: Session, flush_context, instances) -> None:
    pending = session.info.setdefault(_PENDING, [])
    for obj in session.new:
        state = inspect(obj)
        shape = _shape(state.mapper)
        if shape.audited:
            pending.append(("insert", state, shape, None))
    for obj in session.dirty:
        state = inspect(obj)
        shape = _shape(state.mapper)
        if shape.audited:
            changes = _changed_values(state, shape)
            if changes:
                pending.append(("update", state, shape, changes))
    for obj in session.deleted:
        state = inspect(obj)
        shape = _shape(state.mapper)
        if shape.audited:
            _load_columns(obj, state, shape)
            pending.append(("delete", state, shape, _column_values(state, shape)))


def _after_flush(session: Session, flush_context) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    items = []
    for action, state, shape, changes in pending:
        if action == "insert":
            # Read after the flush, so generated keys and defaults are in.
            changes = _inserted_values(state, shape)
        items.append((action, shape, _record_id(state, shape), changes))
    _write(session.connection(), items)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _bulk_statement(orm_execute_state):
    """Audit ORM-enabled bulk UPDATE and DELETE statements row by row."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return None
    mapper = orm_execute_state.bind_arguments.get("mapper")
    if mapper is None:
        return None
    shape = _shape(mapper)
    if not shape.audited:
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

    masked = shape.masked
    items = []
    if orm_execute_state.is_delete:
        for pk, row in before.items():
            values = {k: _masked(masked, k, v) for k, v in row.items()}
            items.append(("delete", shape, ",".join(map(str, pk)), values))
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
                k: [_masked(masked, k, old[k]), _masked(masked, k, new[k])]
                for k in new
                if old.get(k) != new[k]
            }
            if changes:
                items.append(("update", shape, ",".join(map(str, pk)), changes))
    _write(connection, items)
    return result


def record_read(obj, what: str = "") -> None:
    """Log that the current actor read confidential material of `obj`."""
    state = inspect(obj)
    shape = _shape(state.mapper)
    changes = {"read": what} if what else {}
    _write(
        db.session.connection(),
        [("read", shape, _record_id(state, shape), changes)],
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
    connection.execute(_HEAD.insert().values(id=1, seq=0, hash=GENESIS))


# Tables made by create_all (tests, scratch databases) start with the genesis head.
event.listen(AuditHead.__table__, "after_create", _insert_genesis)
