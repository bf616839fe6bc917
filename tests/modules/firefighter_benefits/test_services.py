"""Services: the registry, credentials, enrollment, requests and counters."""

import time
from datetime import date

import pytest
from sqlalchemy import func, select, text

from core.errors import Forbidden, InvalidInput, RuleViolation
from modules.firefighter_benefits import services, signing
from modules.firefighter_benefits.models import (
    EnrollmentEntry,
    EnrollmentList,
    Firefighter,
    PlacementRequest,
    VerificationCount,
)
from tests.conftest import is_postgres
from tests.modules.firefighter_benefits.conftest import make_resident_id


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def _data(fire, **changes):
    return {
        "resident_id": make_resident_id(date(1995, 5, 5)),
        "name": "王建国",
        "category": "full_time",
        "brigade_id": fire["brigade"].id,
        "station_id": fire["station"].id,
        "service_start": date(2020, 1, 1),
        **changes,
    }


def test_register_firefighter_wrong_check_digit_writes_nothing(db, fire):
    good = make_resident_id(date(1995, 5, 5))
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")

    with pytest.raises(InvalidInput) as error:
        services.register_firefighter(_data(fire, resident_id=bad), None)

    assert "resident_id" in error.value.errors
    assert _count(db, Firefighter) == 0


def test_register_firefighter_future_start_refused(db, fire):
    with pytest.raises(InvalidInput) as error:
        services.register_firefighter(
            _data(fire, service_start=date(2026, 6, 16)), None, today=date(2026, 6, 15)
        )

    assert "service_start" in error.value.errors
    assert _count(db, Firefighter) == 0


def test_register_firefighter_start_before_16th_birthday_refused(db, fire):
    data = _data(
        fire,
        resident_id=make_resident_id(date(2000, 5, 5)),
        service_start=date(2016, 5, 4),
    )

    with pytest.raises(InvalidInput) as error:
        services.register_firefighter(data, None, today=date(2026, 6, 15))

    assert "service_start" in error.value.errors


def test_register_firefighter_station_outside_brigade_refused(db, fire):
    with pytest.raises(InvalidInput) as error:
        services.register_firefighter(_data(fire, station_id=fire["lusong"].id), None)

    assert "station_id" in error.value.errors


def test_register_firefighter_duplicate_resident_id_refused(db, fire):
    data = _data(fire)
    services.register_firefighter(dict(data), None)

    with pytest.raises(InvalidInput) as error:
        services.register_firefighter(dict(data), None)

    assert "resident_id" in error.value.errors


def test_station_user_cannot_register_at_other_station(db, fire, create_user):
    user = create_user(fire["station2"], ["firefighter_benefits.edit"])

    with pytest.raises(InvalidInput) as error:
        services.register_firefighter(_data(fire), user)

    assert "brigade_id" in error.value.errors


def test_family_member_birth_date_from_resident_id(create_firefighter, create_child):
    child = create_child(create_firefighter(), born=date(2020, 5, 10))

    assert child.birth_date == date(2020, 5, 10)


def test_issue_credential_expiry_before_issue_refused(create_firefighter):
    with pytest.raises(InvalidInput) as error:
        services.issue_credential(
            create_firefighter(), "XF1", date(2026, 1, 1), date(2025, 1, 1)
        )

    assert "expires_on" in error.value.errors


def test_revoke_credential_needs_reason(create_firefighter, create_credential):
    credential = create_credential(create_firefighter())

    with pytest.raises(InvalidInput):
        services.revoke_credential(credential, " ", date(2026, 1, 1))

    assert credential.revoked_on is None


def test_signed_code_verifies_offline_with_public_key(
    create_firefighter, create_credential
):
    credential = create_credential(create_firefighter(), number="XF42")
    code = services.signed_code(credential)

    checked = signing.verify(code, signing.public_key_bytes())

    assert checked.valid
    assert checked.number == "XF42"
    assert checked.expires_on == credential.expires_on


def test_tampered_code_fails_signature(create_firefighter, create_credential):
    credential = create_credential(create_firefighter(), expires=date(2026, 12, 31))
    code = services.signed_code(credential).replace("20261231", "20991231")

    checked = signing.verify(code)

    assert not checked.valid
    assert checked.reason == "bad_signature"


def test_signing_key_file_is_private(app, create_firefighter, create_credential):
    import os
    from pathlib import Path

    services.signed_code(create_credential(create_firefighter()))
    path = Path(app.instance_path) / signing.KEY_FILE

    assert path.exists()
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_verify_valid_transit(create_firefighter, create_credential):
    credential = create_credential(create_firefighter(name="李振华"))

    answer = services.verify("transit", number=credential.number, on=date(2026, 6, 15))

    assert answer["eligible"] is True
    assert answer["holder"] == "李**"
    assert "resident_id" not in answer


def test_verify_expired_credential(create_firefighter, create_credential):
    credential = create_credential(create_firefighter(), expires=date(2026, 6, 14))

    answer = services.verify("transit", number=credential.number, on=date(2026, 6, 15))

    assert answer["eligible"] is False
    assert answer["reason_code"] == "expired"


def test_verify_credential_on_expiry_day(create_firefighter, create_credential):
    credential = create_credential(create_firefighter(), expires=date(2026, 6, 15))

    answer = services.verify("transit", number=credential.number, on=date(2026, 6, 15))

    assert answer["eligible"] is True


def test_verify_revoked_credential(create_firefighter, create_credential):
    credential = create_credential(create_firefighter())
    services.revoke_credential(credential, "遗失", date(2026, 6, 1))

    answer = services.verify("transit", number=credential.number, on=date(2026, 6, 15))

    assert answer["reason_code"] == "revoked"


def test_verify_superseded_code(create_firefighter, create_credential, db):
    credential = create_credential(create_firefighter(), expires=date(2027, 1, 1))
    code = services.signed_code(credential)
    credential.expires_on = date(2026, 12, 1)
    db.session.commit()

    answer = services.verify("transit", code=code, on=date(2026, 6, 15))

    assert answer["reason_code"] == "code_superseded"


def test_verify_left_firefighter_refused(create_firefighter, create_credential):
    firefighter = create_firefighter()
    credential = create_credential(firefighter)
    services.change_status(firefighter, "left", date(2026, 6, 1))

    answer = services.verify("transit", number=credential.number, on=date(2026, 6, 15))

    assert answer["reason_code"] == "not_serving"


def test_verify_venue_names_fee_treatment(
    create_firefighter, create_credential, create_venue
):
    credential = create_credential(create_firefighter())
    create_venue("YDL", "scenic_spot", "military_rate", "门票五折")

    answer = services.verify(
        "venue", number=credential.number, venue_code="YDL", on=date(2026, 6, 15)
    )

    assert answer["eligible"] is True
    assert answer["fee_treatment"] == "military_rate"
    assert answer["fee_note"] == "门票五折"


def test_verify_counts_every_check_after_flush(
    db, create_firefighter, create_credential
):
    services.flush_counts()
    credential = create_credential(create_firefighter())
    services.verify("transit", number=credential.number, on=date(2026, 6, 15))
    services.verify("transit", number=credential.number, on=date(2026, 6, 15))
    services.verify("parking", number=credential.number, on=date(2026, 6, 15))

    written = services.flush_counts()

    totals = dict(
        db.session.execute(
            select(
                VerificationCount.benefit, func.sum(VerificationCount.count)
            ).group_by(VerificationCount.benefit)
        ).all()
    )
    assert written == 3
    assert totals == {"transit": 2, "unknown": 1}


def test_counts_add_up_across_flushes(db, create_firefighter, create_credential):
    services.flush_counts()
    credential = create_credential(create_firefighter())
    for _ in range(2):
        services.verify("transit", number=credential.number, on=date(2026, 6, 15))
        services.flush_counts()

    total = db.session.scalar(select(func.sum(VerificationCount.count)))

    assert total == 2


def test_a_due_flush_is_written_in_the_background(
    db, create_firefighter, create_credential, monkeypatch
):
    services.flush_counts()
    credential = create_credential(create_firefighter())
    monkeypatch.setattr(services.counter, "FLUSH_SECONDS", 0)

    services.verify("transit", number=credential.number, on=date(2026, 6, 15))

    deadline = time.monotonic() + 30
    total = None
    while total != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
        db.session.rollback()
        total = db.session.scalar(select(func.sum(VerificationCount.count)))
    assert total == 1


def test_checks_see_a_revocation_at_once(db, create_firefighter, create_credential):
    credential = create_credential(create_firefighter())
    assert services.verify("transit", number=credential.number)["eligible"]

    services.revoke_credential(credential, "lost", date(2026, 1, 1))

    answer = services.verify("transit", number=credential.number)
    assert answer["reason_code"] == "revoked"


@pytest.mark.skipif(not is_postgres(), reason="ends PostgreSQL backends")
def test_a_check_survives_the_database_closing_its_connections(
    db, create_firefighter, create_credential
):
    number = create_credential(create_firefighter()).number
    assert services.verify("transit", number=number)["eligible"]
    # The session hands its connection back to the pool, which the database empties.
    db.session.close()
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )

    assert services.verify("transit", number=number)["eligible"]


def _school_user(create_user, fire, admin=False):
    permissions = [
        "firefighter_benefits.edit",
        "firefighter_benefits.confirm_enrollment",
    ]
    if admin:
        permissions.append("firefighter_benefits.admin")
    return create_user(fire["brigade"], permissions)


def test_add_to_enrollment_before_deadline(
    fire, create_user, create_firefighter, create_child
):
    child = create_child(create_firefighter("establishment"), born=date(2020, 5, 10))

    entry = services.add_to_enrollment(
        child, 2026, date(2026, 3, 31), _school_user(create_user, fire)
    )

    assert entry.enrollment_list.year == 2026
    assert entry.stage == "primary"


def test_add_to_enrollment_after_deadline_goes_to_next_year(
    fire, create_user, create_firefighter, create_child
):
    child = create_child(create_firefighter("establishment"), born=date(2020, 5, 10))
    entry = None

    with pytest.raises(RuleViolation):
        # Next year the child is seven: not of entry age, so nothing is written.
        entry = services.add_to_enrollment(
            child, 2026, date(2026, 4, 1), _school_user(create_user, fire)
        )

    assert entry is None


def test_late_addition_of_younger_child_lands_on_next_year_list(
    db, fire, create_user, create_firefighter, create_child
):
    child = create_child(create_firefighter("establishment"), born=date(2021, 5, 10))

    entry = services.add_to_enrollment(
        child, 2026, date(2026, 4, 1), _school_user(create_user, fire)
    )

    assert entry.enrollment_list.year == 2027


def test_exception_after_deadline_needs_admin(
    db, fire, create_user, create_firefighter, create_child
):
    child = create_child(create_firefighter("establishment"), born=date(2020, 5, 10))

    with pytest.raises(Forbidden):
        services.add_to_enrollment(
            child, 2026, date(2026, 4, 2), _school_user(create_user, fire), "迟报"
        )

    assert _count(db, EnrollmentEntry) == 0


def test_exception_by_admin_keeps_late_name_with_reason(
    fire, create_user, create_firefighter, create_child
):
    child = create_child(create_firefighter("establishment"), born=date(2020, 5, 10))
    admin = _school_user(create_user, fire, admin=True)

    entry = services.add_to_enrollment(child, 2026, date(2026, 4, 2), admin, "调入迟报")

    assert entry.enrollment_list.year == 2026
    assert entry.exception_reason == "调入迟报"
    assert entry.exception_by_id == admin.id


def test_full_time_child_refused_before_two_years_at_list_due_date(
    db, fire, create_user, create_firefighter, create_child
):
    parent = create_firefighter("full_time", service_start=date(2024, 4, 1))
    child = create_child(parent, born=date(2020, 5, 10))

    with pytest.raises(RuleViolation) as error:
        services.add_to_enrollment(
            child, 2026, date(2026, 3, 1), _school_user(create_user, fire)
        )

    assert error.value.article == "section 2(3)3"
    assert _count(db, EnrollmentList) == 0


def test_civilian_staff_child_refused_for_school(
    fire, create_user, create_firefighter, create_child
):
    child = create_child(create_firefighter("civilian_staff", date(2015, 1, 1)))

    with pytest.raises(RuleViolation):
        services.add_to_enrollment(
            child, 2026, date(2026, 3, 1), _school_user(create_user, fire)
        )


def test_confirm_list_and_deliver(fire, create_user, create_firefighter, create_child):
    user = _school_user(create_user, fire)
    child = create_child(create_firefighter("establishment"), born=date(2020, 5, 10))
    entry = services.add_to_enrollment(child, 2026, date(2026, 3, 2), user)

    services.confirm_list(entry.enrollment_list, user)
    services.mark_delivered(entry.enrollment_list)

    assert entry.enrollment_list.status == "delivered"
    assert entry.enrollment_list.confirmed_by_id == user.id


def test_confirm_needs_political_department(
    fire, create_user, create_firefighter, create_child
):
    child = create_child(create_firefighter("establishment"), born=date(2020, 5, 10))
    entry = services.add_to_enrollment(
        child, 2026, date(2026, 3, 2), _school_user(create_user, fire)
    )
    clerk = create_user(fire["brigade"], ["firefighter_benefits.edit"])

    with pytest.raises(Forbidden):
        services.confirm_list(entry.enrollment_list, clerk)

    assert entry.enrollment_list.status == "draft"


def test_prepare_lists_fills_from_1_march(db, create_firefighter, create_child):
    create_child(create_firefighter("establishment"), born=date(2020, 5, 10))
    create_child(
        create_firefighter("civilian_staff", date(2015, 1, 1)), born=date(2020, 1, 1)
    )

    assert services.prepare_lists(date(2026, 2, 28)) == []
    lists = services.prepare_lists(date(2026, 3, 1))

    assert len(lists) == 1
    assert len(lists[0].entries) == 1
    assert lists[0].reminded_on == date(2026, 3, 1)


def test_hukou_request_full_time_on_second_anniversary(create_firefighter):
    firefighter = create_firefighter("full_time", service_start=date(2024, 3, 10))

    request = services.file_request(firefighter, "hukou", date(2026, 3, 10))

    assert request.outcome == "pending"
    assert "2(3)1" in request.eligibility_reason


def test_hukou_request_day_before_second_anniversary_writes_nothing(
    db, create_firefighter
):
    firefighter = create_firefighter("full_time", service_start=date(2024, 3, 10))

    with pytest.raises(RuleViolation) as error:
        services.file_request(firefighter, "hukou", date(2026, 3, 9))

    assert "2026-03-10" in error.value.detail
    assert _count(db, PlacementRequest) == 0


def test_hukou_civilian_staff_after_two_years(create_firefighter):
    firefighter = create_firefighter("civilian_staff", service_start=date(2024, 3, 10))

    assert services.file_request(firefighter, "hukou", date(2026, 3, 10)).id


def test_family_employment_needs_spouse(create_firefighter, create_child):
    firefighter = create_firefighter("establishment")
    child = create_child(firefighter)

    with pytest.raises(InvalidInput):
        services.file_request(firefighter, "family_employment", date(2026, 1, 1), child)


def test_record_outcome_once(create_firefighter, create_child):
    firefighter = create_firefighter("establishment")
    spouse = create_child(firefighter, born=date(1994, 1, 1), relation="spouse")
    request = services.file_request(
        firefighter, "family_employment", date(2026, 1, 5), spouse
    )

    services.record_outcome(request, "granted", date(2026, 2, 1), "市人社局安置")

    with pytest.raises(RuleViolation):
        services.record_outcome(request, "refused", date(2026, 2, 2))
    assert request.outcome == "granted"


def test_work_injury_policy_refused_for_full_time(db, create_firefighter):
    from modules.firefighter_benefits.models import InsurancePolicy

    policy = InsurancePolicy(
        firefighter_id=create_firefighter("full_time").id,
        kind="work_injury",
        insurer="人保",
        policy_number="P1",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        premium_fen=10000,
    )

    with pytest.raises(RuleViolation):
        services.check_insurance(policy)


def test_edited_rule_changes_the_answer(db, create_firefighter):
    from modules.firefighter_benefits.models import BenefitRule

    firefighter = create_firefighter("civilian_staff", service_start=date(2020, 1, 1))
    db.session.add(
        BenefitRule(
            benefit="school_enrollment",
            categories=["civilian_staff"],
            min_service_years=2,
            section="新通知",
        )
    )
    db.session.commit()
    services.invalidate_rules()

    answers = {
        a.benefit: a for a in services.eligibility(firefighter, date(2026, 1, 1))
    }

    assert answers["school_enrollment"].eligible
    assert answers["school_enrollment"].section == "新通知"
