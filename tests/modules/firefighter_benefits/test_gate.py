"""The gate registry: checks read kept rows, and follow every committed change."""

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select

from core.models.base import utcnow
from modules.firefighter_benefits import gate, services
from modules.firefighter_benefits.models import GateChange, InsurancePolicy

ON = date(2026, 6, 15)


def _check(number, benefit="transit", venue=None):
    return services.verify(benefit, number=number, venue_code=venue, on=ON)


def _registry(db):
    return gate.registry_for(db.engine)


def _as_if_changed_elsewhere(db):
    """Forget that this process made the last change, as another process would."""
    registry = _registry(db)
    registry.stale = False
    registry.refreshed_at = time.monotonic()


def _refresh_due(db):
    """Make the interval since the last refresh pass."""
    _registry(db).refreshed_at = time.monotonic() - 10


@pytest.fixture
def logged(db):
    """The change log's rows, in order."""
    return lambda: db.session.execute(
        select(GateChange.firefighter_id, GateChange.venues).order_by(GateChange.id)
    ).all()


def test_a_revocation_in_this_process_is_seen_by_the_next_check(
    create_firefighter, create_credential
):
    credential = create_credential(create_firefighter())
    assert _check(credential.number)["eligible"] is True

    services.revoke_credential(credential, "lost", ON - timedelta(days=1))

    assert _check(credential.number)["reason_code"] == "revoked"


def test_a_change_elsewhere_is_seen_once_the_interval_passes(
    app, db, create_firefighter, create_credential
):
    credential = create_credential(create_firefighter())
    assert _check(credential.number)["eligible"] is True

    services.revoke_credential(credential, "lost", ON - timedelta(days=1))
    _as_if_changed_elsewhere(db)
    within_interval = _check(credential.number)
    _registry(db).refreshed_at -= app.config["FIREFIGHTER_GATE_REFRESH_SECONDS"]
    after_interval = _check(credential.number)

    assert within_interval["eligible"] is True
    assert after_interval["reason_code"] == "revoked"


def test_a_status_change_and_a_new_credential_are_followed(
    db, create_firefighter, create_credential
):
    firefighter = create_firefighter()
    first = create_credential(firefighter)
    assert _check(first.number)["eligible"] is True
    second = create_credential(firefighter)
    _as_if_changed_elsewhere(db)
    _refresh_due(db)

    assert _check(second.number)["eligible"] is True

    services.change_status(firefighter, "left", ON - timedelta(days=3))
    _as_if_changed_elsewhere(db)
    _refresh_due(db)

    assert _check(first.number)["eligible"] is False
    assert _check(second.number)["eligible"] is False


def test_a_number_edited_away_no_longer_answers(
    db, create_firefighter, create_credential
):
    credential = create_credential(create_firefighter())
    old = credential.number
    assert _check(old)["eligible"] is True

    credential.number = "XF-NEW-1"
    db.session.commit()

    assert _check(old)["reason_code"] == "unknown_credential"
    assert _check("XF-NEW-1")["eligible"] is True


def test_a_deactivated_venue_is_unknown_at_the_next_check(
    db, create_firefighter, create_credential, create_venue
):
    number = create_credential(create_firefighter()).number
    venue = create_venue(code="PARK")
    assert _check(number, "venue", "PARK")["eligible"] is True

    venue.is_active = False
    db.session.commit()

    assert _check(number, "venue", "PARK")["reason_code"] == "unknown_venue"


def test_changes_are_logged_per_firefighter_and_for_venues(
    db, logged, create_firefighter, create_credential, create_venue
):
    firefighter = create_firefighter()
    create_credential(firefighter)
    create_venue()

    assert logged() == [
        (firefighter.id, False),
        (firefighter.id, False),
        (None, True),
    ]


def test_other_records_log_nothing(db, logged, fire, create_firefighter):
    firefighter = create_firefighter()
    before = logged()
    db.session.add(
        InsurancePolicy(
            firefighter_id=firefighter.id,
            kind="accident",
            insurer="人保",
            policy_number="P-1",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            premium_fen=100_00,
        )
    )
    db.session.commit()

    assert logged() == before


def test_a_rolled_back_change_logs_nothing(db, logged, create_firefighter):
    firefighter = create_firefighter()
    before = logged()

    firefighter.name = "改名"
    db.session.flush()
    db.session.rollback()

    assert logged() == before


def test_a_log_that_went_back_reloads_everything(
    db, create_firefighter, create_credential
):
    credential = create_credential(create_firefighter())
    assert _check(credential.number)["eligible"] is True

    # A restored database: the rows change and the log starts again.
    credential.revoked_on = ON - timedelta(days=1)
    credential.revoke_reason = "restored"
    db.session.commit()
    db.session.execute(delete(GateChange))
    db.session.commit()
    _registry(db).seen = 10**9
    _as_if_changed_elsewhere(db)
    _refresh_due(db)

    assert _check(credential.number)["reason_code"] == "revoked"


def test_an_idle_process_reloads_everything(db, create_firefighter, create_credential):
    credential = create_credential(create_firefighter())
    assert _check(credential.number)["eligible"] is True
    db.session.execute(delete(GateChange))
    credential.revoked_on = ON - timedelta(days=1)
    credential.revoke_reason = "lost"
    db.session.commit()
    # The log of the change was pruned before this process read it.
    db.session.execute(delete(GateChange))
    db.session.commit()
    _as_if_changed_elsewhere(db)
    _registry(db).seen = 0
    _registry(db).refreshed_at = time.monotonic() - gate.RELOAD_AFTER

    assert _check(credential.number)["reason_code"] == "revoked"


def test_pruning_keeps_the_last_day(db, create_firefighter):
    create_firefighter()
    db.session.add(
        GateChange(
            firefighter_id=1,
            recorded_at=utcnow() - timedelta(days=gate.LOG_DAYS, seconds=1),
        )
    )
    db.session.commit()

    assert gate.prune_log() == 1
    assert db.session.scalar(select(func.count(GateChange.id))) == 1


def test_log_ids_are_not_taken_again_once_pruned(db, create_firefighter):
    create_firefighter()
    last = db.session.scalar(select(func.max(GateChange.id)))
    db.session.execute(delete(GateChange))
    db.session.commit()

    create_firefighter(born=date(1996, 6, 6))

    assert db.session.scalar(select(func.min(GateChange.id))) > last
