"""Reports build and jobs run."""

from datetime import date

from core.reports import ReportParams
from modules.firefighter_benefits import jobs, reports, services
from modules.firefighter_benefits.models import InsurancePolicy


def test_verification_statistics_by_benefit_and_venue_kind(
    fire, create_firefighter, create_credential, create_venue
):
    credential = create_credential(create_firefighter())
    create_venue("BWG", "museum")
    services.verify(
        "venue", number=credential.number, venue_code="BWG", on=date(2026, 6, 1)
    )
    services.verify("transit", number="NOPE", on=date(2026, 6, 2))

    table = reports.verification_statistics(
        ReportParams(fire["city"], date(2026, 6, 1), date(2026, 6, 30))
    )

    rows = {(r["venue_kind"], r["eligible"], r["refused"]) for r in table.rows}
    assert rows == {("museum", 1, 0), ("", 0, 1)}


def test_school_list_report_holds_confirmed_lists_only(
    fire, create_user, create_firefighter, create_child
):
    user = create_user(fire["brigade"], ["firefighter_benefits.confirm_enrollment"])
    child = create_child(create_firefighter("establishment"), born=date(2020, 5, 10))
    entry = services.add_to_enrollment(child, 2026, date(2026, 3, 2), user)
    params = ReportParams(fire["brigade"], date(2026, 1, 1), date(2026, 12, 31))

    before = reports.school_list(params)
    services.confirm_list(entry.enrollment_list, user)
    after = reports.school_list(params)

    assert before.is_empty
    assert after.rows[0]["stage"] == "primary"


def test_insurance_coverage_scoped_to_brigade(db, fire, create_firefighter):
    mine = create_firefighter("establishment")
    theirs = create_firefighter("establishment", brigade="other_brigade", station=None)
    for firefighter in (mine, theirs):
        db.session.add(
            InsurancePolicy(
                firefighter_id=firefighter.id,
                kind="accident",
                insurer="人保",
                policy_number=f"P{firefighter.id}",
                starts_on=date(2026, 1, 1),
                ends_on=date(2026, 12, 31),
                premium_fen=12345,
            )
        )
    db.session.commit()

    table = reports.insurance_coverage(
        ReportParams(fire["brigade"], date(2026, 6, 1), date(2026, 6, 30))
    )

    assert table.rows == [{"kind": "accident", "policies": 1, "premium_yuan": "123.45"}]


def test_allowances_and_compensation_builds(fire):
    table = reports.allowances_and_compensation(
        ReportParams(fire["brigade"], date(2026, 6, 1), date(2026, 6, 30))
    )

    assert table.is_empty


def test_flush_job_writes_buffered_counts(fire):
    services.verify("transit", number="NOPE", on=date(2026, 6, 2))

    assert jobs.flush_verification_counts() == 1


def test_reminder_job_drafts_lists_in_march(
    monkeypatch, fire, create_firefighter, create_child
):
    create_child(create_firefighter("establishment"), born=date(2020, 5, 10))
    monkeypatch.setattr(jobs, "today_local", lambda: date(2026, 3, 1))

    assert jobs.enrollment_reminder() == 1


def test_reminder_job_idle_in_april(monkeypatch, fire, create_firefighter):
    create_firefighter("establishment")
    monkeypatch.setattr(jobs, "today_local", lambda: date(2026, 4, 1))

    assert jobs.enrollment_reminder() == 0


def test_due_items_from_1_march(create_user, fire, create_firefighter, create_child):
    from modules.firefighter_benefits.dashboard import due_items

    create_child(create_firefighter("establishment"), born=date(2020, 5, 10))
    services.prepare_lists(date(2026, 3, 1))
    user = create_user(fire["brigade"], ["firefighter_benefits.confirm_enrollment"])

    items = due_items(user, date(2026, 3, 5))

    assert items[0].deadline == date(2026, 3, 31)
    assert due_items(user, date(2026, 2, 28)) == []
