"""The audit log: automatic entries, same transaction, masking, the hash chain."""

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, delete, select, text, update
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from core import audit
from core.context import Actor, acting_as
from core.models import AuditEntry, Organisation
from tests.conftest import is_postgres


def entries(db, table=None):
    statement = select(AuditEntry).order_by(AuditEntry.seq)
    if table:
        statement = statement.where(AuditEntry.table_name == table)
    return db.session.scalars(statement).all()


def test_insert_is_recorded_with_actor(db, city, create_organisation):
    with acting_as(Actor(kind="user", id="7", name="wang", client_addr="10.0.0.9")):
        organisation = create_organisation(city["lusong"], name="新企业")

    entry = entries(db, "core_organisations")[-1]

    assert entry.action == "insert"
    assert entry.record_id == str(organisation.id)
    assert entry.actor_name == "wang"
    assert entry.client_addr == "10.0.0.9"
    assert json.loads(entry.changes)["name"] == "新企业"


def test_update_records_old_and_new_values(db, city, create_organisation):
    organisation = create_organisation(city["lusong"], name="旧名称")

    organisation.name = "新名称"
    db.session.commit()

    entry = entries(db, "core_organisations")[-1]
    assert entry.action == "update"
    assert json.loads(entry.changes)["name"] == ["旧名称", "新名称"]


def test_delete_is_recorded(db, city, create_organisation):
    organisation = create_organisation(city["lusong"])
    record_id = str(organisation.id)

    db.session.delete(organisation)
    db.session.commit()

    entry = entries(db, "core_organisations")[-1]
    assert (entry.action, entry.record_id) == ("delete", record_id)


def test_rolled_back_change_leaves_no_entry(db, city, create_organisation):
    organisation = create_organisation(city["lusong"])
    before = len(entries(db))

    organisation.name = "不会保存"
    db.session.flush()
    db.session.rollback()

    assert len(entries(db)) == before


def test_bulk_update_is_recorded_per_row(db, city, create_organisation):
    first = create_organisation(city["lusong"], industry="陶瓷")
    second = create_organisation(city["hetang"], industry="陶瓷")

    db.session.execute(
        update(Organisation)
        .where(Organisation.industry == "陶瓷")
        .values(industry="先进陶瓷")
    )
    db.session.commit()

    updates = [e for e in entries(db, "core_organisations") if e.action == "update"]
    assert {e.record_id for e in updates} == {str(first.id), str(second.id)}
    assert json.loads(updates[0].changes)["industry"] == ["陶瓷", "先进陶瓷"]


def test_bulk_delete_is_recorded_per_row(db, city, create_organisation):
    organisation = create_organisation(city["lusong"])

    db.session.execute(delete(Organisation).where(Organisation.id == organisation.id))
    db.session.commit()

    entry = entries(db, "core_organisations")[-1]
    assert (entry.action, entry.record_id) == ("delete", str(organisation.id))


def test_password_hash_is_masked(db, city, create_user):
    user = create_user(city["city"])

    user.set_password("another-long-password")
    db.session.commit()

    entry = entries(db, "core_users")[-1]
    assert json.loads(entry.changes)["password_hash"] == [audit.MASK, audit.MASK]


def test_confidential_read_is_logged(db, city, create_organisation):
    organisation = create_organisation(city["lusong"])

    with acting_as(Actor(kind="user", name="reviewer")):
        audit.record_read(organisation, "trade secret file")
    db.session.commit()

    entry = entries(db)[-1]
    assert (entry.action, entry.actor_name) == ("read", "reviewer")


def _organisation(county, n, **extra):
    body = f"9143029{n:010d}"[:17]
    return Organisation(
        name=f"批量企业{n}",
        uscc=body + uscc.calc_check_digit(body),
        county_id=county.id,
        **extra,
    )


def test_one_flush_writes_a_linked_run_of_entries(db, city, create_organisation):
    kept = create_organisation(city["lusong"], name="保留")
    gone = create_organisation(city["lusong"], name="删除")
    head = entries(db)[-1]

    db.session.add_all([_organisation(city["lusong"], n) for n in range(3)])
    kept.name = "保留改名"
    db.session.delete(gone)
    db.session.commit()

    run = [e for e in entries(db) if e.seq > head.seq]
    assert [e.action for e in run] == ["insert"] * 3 + ["update", "delete"]
    assert [e.seq for e in run] == list(range(head.seq + 1, head.seq + 6))
    assert [e.prev_hash for e in run] == [head.hash] + [e.hash for e in run[:-1]]
    assert json.loads(run[3].changes)["name"] == ["保留", "保留改名"]
    assert json.loads(run[4].changes)["name"] == "删除"
    assert audit.verify_chain().intact


def test_several_flushes_in_one_transaction_chain_on(db, city, create_organisation):
    organisation = create_organisation(city["lusong"])
    before = len(entries(db))

    organisation.industry = "第一次"
    db.session.flush()
    organisation.industry = "第二次"
    db.session.flush()
    db.session.add(_organisation(city["hetang"], 1))
    db.session.commit()

    assert len(entries(db)) == before + 3
    assert audit.verify_chain().intact


def test_rolled_back_bulk_update_leaves_no_entry(db, city, create_organisation):
    create_organisation(city["lusong"], industry="陶瓷")
    before = len(entries(db))

    db.session.execute(
        update(Organisation).where(Organisation.industry == "陶瓷").values(industry="x")
    )
    db.session.rollback()

    assert len(entries(db)) == before


def test_awkward_text_hashes_as_verify_expects(db, city):
    actor = Actor(
        kind="user",
        id="42",
        name='王"五\\ \n\t\x01 ☃',
        request_id="r-1",
        client_addr="::1",
    )
    with acting_as(actor):
        db.session.add(
            _organisation(city["lusong"], 7, address='"引号" \\ 反斜杠\n换行\x7f')
        )
        db.session.commit()

    entry = entries(db, "core_organisations")[-1]
    fields = {k: getattr(entry, k) for k in audit.HASHED_FIELDS}
    fields["created_at"] = entry.created_at.isoformat()
    assert entry.actor_name == actor.name
    assert json.loads(entry.changes)["address"] == '"引号" \\ 反斜杠\n换行\x7f'
    assert audit.entry_hash(fields) == entry.hash
    assert audit.verify_chain().intact


def test_deleted_row_is_logged_whole_and_masked(db, city, create_user):
    user = create_user(city["city"])
    db.session.delete(user)
    db.session.commit()

    logged = {
        e.action: json.loads(e.changes)
        for e in entries(db, "core_users")
        if e.action in ("insert", "delete")
    }
    assert logged["insert"]["password_hash"] == audit.MASK
    assert logged["delete"]["password_hash"] == audit.MASK
    assert logged["delete"]["id"] == logged["insert"]["id"]


def test_entry_time_is_stored_as_the_orm_stores_it(db, city, monkeypatch):
    # A whole second is where a driver's own datetime format would differ.
    moment = datetime(2026, 6, 15, 8, 30, tzinfo=UTC)
    monkeypatch.setattr(audit, "utcnow", lambda: moment)

    db.session.add(_organisation(city["lusong"], 8))
    db.session.commit()

    entry = entries(db, "core_organisations")[-1]
    stored = db.session.scalar(
        select(text("created_at"))
        .select_from(AuditEntry)
        .where(AuditEntry.seq == entry.seq)
    )
    assert entry.created_at == moment
    assert str(stored).startswith("2026-06-15 08:30:00")
    if not is_postgres():
        assert stored == "2026-06-15 08:30:00.000000"
    assert audit.verify_chain().intact


def test_chain_is_intact_after_changes(db, city, create_organisation):
    create_organisation(city["lusong"])

    result = audit.verify_chain()

    assert result.intact
    assert result.checked == len(entries(db))


def _tamper(db, sql):
    if is_postgres():
        # Behind the application's back, with the append-only trigger off.
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "ALTER TABLE core_audit_entries "
                    "DISABLE TRIGGER core_audit_entries_append_only"
                )
            )
            connection.execute(text(sql))
            connection.execute(
                text(
                    "ALTER TABLE core_audit_entries "
                    "ENABLE TRIGGER core_audit_entries_append_only"
                )
            )
    else:
        with db.engine.begin() as connection:
            connection.execute(text(sql))


def test_edited_entry_is_named_by_verify(db, city, create_organisation):
    organisation = create_organisation(city["lusong"])
    organisation.name = "改名"
    db.session.commit()
    target = entries(db)[3].seq

    _tamper(db, f"UPDATE core_audit_entries SET changes = '{{}}' WHERE seq = {target}")
    result = audit.verify_chain()

    assert not result.intact
    assert result.bad_seq == target


def test_deleted_entry_is_detected(db, city, create_organisation):
    create_organisation(city["lusong"])
    target = entries(db)[2].seq

    _tamper(db, f"DELETE FROM core_audit_entries WHERE seq = {target}")
    result = audit.verify_chain()

    assert not result.intact
    assert result.bad_seq == target + 1


def test_removed_tail_is_detected(db, city, create_organisation):
    create_organisation(city["lusong"])
    last = entries(db)[-1].seq

    _tamper(db, f"DELETE FROM core_audit_entries WHERE seq = {last}")
    result = audit.verify_chain()

    assert not result.intact
    assert result.bad_seq == last


def test_reordered_entries_are_detected(db, city, create_organisation):
    create_organisation(city["lusong"])
    rows = entries(db)
    a, b = rows[1].seq, rows[2].seq

    _tamper(db, f"UPDATE core_audit_entries SET seq = -1 WHERE seq = {a}")
    _tamper(db, f"UPDATE core_audit_entries SET seq = {a} WHERE seq = {b}")
    _tamper(db, f"UPDATE core_audit_entries SET seq = {b} WHERE seq = -1")
    db.session.expire_all()
    result = audit.verify_chain()

    assert not result.intact
    assert result.bad_seq == a


@pytest.mark.skipif(not is_postgres(), reason="the trigger exists on PostgreSQL")
def test_database_refuses_to_change_entries(db, city, create_organisation):
    create_organisation(city["lusong"])

    with pytest.raises(Exception, match="append-only"):
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE core_audit_entries SET actor_name = 'x'"))


@pytest.mark.skipif(not is_postgres(), reason="concurrent writers need PostgreSQL")
def test_concurrent_writers_keep_the_chain_intact(app, db, city):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    county_id = city["lusong"].id
    errors = []

    def writer(offset):
        engine = create_engine(url)
        try:
            with app.app_context():
                for i in range(20):
                    with Session(engine) as session:
                        body = f"91430299{offset:02d}{i:07d}"[:17]
                        session.add(
                            Organisation(
                                name=f"并发{offset}-{i}",
                                uscc=body + uscc.calc_check_digit(body),
                                county_id=county_id,
                            )
                        )
                        session.commit()
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    result = audit.verify_chain()
    assert result.intact
    assert result.checked == len(entries(db))


def test_verify_command_on_empty_log(tmp_path):
    env = {"INSTANCE_PATH": str(tmp_path), "ENABLED_MODULES": "none", "PATH": ""}
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    env["DATABASE_URL"] = url
    create = subprocess.run(
        [
            sys.executable,
            "-c",
            "from core.app import create_app\n"
            "from core.extensions import db\napp = create_app()\n"
            "with app.app_context(): db.create_all()",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert create.returncode == 0, create.stderr

    result = subprocess.run(
        [sys.executable, "run.py", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0
    assert "empty" in result.stdout
