"""Portal pages, reports, jobs and the dashboard."""

from datetime import date

from core.reports import ReportParams
from modules.quality_award import jobs, reports, services
from tests.modules.quality_award.flow import to_winner


def test_application_list_renders_and_is_scoped(client, login, qa, create_application):
    create_application(county="lusong", achievements="芦淞", contact_name="甲")
    other = create_application(county="hetang")
    login(qa["lusong"])

    response = client.get("/admin/quality_award/applications/")

    assert response.status_code == 200
    assert other.organisation.name not in response.get_data(as_text=True)


def test_detail_page_renders_for_office(client, login, qa, create_application):
    application = create_application(kind="individual")
    login(qa["office"])

    response = client.get(f"/admin/quality_award_detail/{application.id}")

    assert response.status_code == 200
    assert application.resident_id in response.get_data(as_text=True)


def test_detail_page_masks_resident_id_for_county(
    client, login, qa, create_application
):
    application = create_application(kind="individual")
    login(qa["lusong"])

    response = client.get(f"/admin/quality_award_detail/{application.id}")

    assert application.resident_id not in response.get_data(as_text=True)


def test_detail_step_form_takes_the_step(client, login, qa, create_application):
    application = create_application()
    login(qa["lusong"])

    client.post(
        f"/admin/quality_award_detail/{application.id}/step",
        data={"action": "submit", "on": "2026-06-15"},
    )

    assert application.state == "submitted"


def test_office_pages_render(client, login, qa):
    login(qa["office"])

    for url in (
        "transitions",
        "objections",
        "cycles",
        "reviewers",
        "assessments",
        "committee",
        "recusals",
    ):
        assert client.get(f"/admin/quality_award/{url}/").status_code == 200


def test_ledger_page_renders_for_finance(client, login, qa):
    login(qa["finance"])

    assert client.get("/admin/quality_award/ledger/").status_code == 200


def test_progress_report_is_scoped_to_the_county(qa, create_application):
    create_application(county="lusong")
    create_application(county="hetang")

    table = reports.build_progress(
        ReportParams(qa["city"]["lusong"], date(2026, 1, 1), date(2026, 12, 31))
    )

    assert [row["county"] for row in table.rows] == ["芦淞区"]
    assert table.rows[0]["drafts"] == 1


def test_bonus_ledger_report_shows_payments(qa, create_application):
    winner = to_winner(qa, create_application())
    services.record_payment(qa["finance"], winner.id, 10_000_000, date(2026, 8, 1))

    table = reports.build_ledger(
        ReportParams(qa["city"]["city"], date(2026, 1, 1), date(2026, 12, 31))
    )

    assert table.rows[0]["paid"] == 100000
    assert table.rows[0]["outstanding"] == 400000


def test_reminder_job_lists_objection_intake_due(qa, create_application, monkeypatch):
    application = create_application()
    services.receive_objection(
        qa["office"],
        application.id,
        {
            "objector_name": "周某",
            "objector_contact": "139",
            "reason": "r",
            "evidence": "e",
        },
        date(2026, 9, 30),
    )
    monkeypatch.setattr(jobs, "today_local", lambda: date(2026, 10, 12))

    items = jobs.send_reminders()

    assert [(i["kind"], i["due"]) for i in items] == [
        ("objection_intake", date(2026, 10, 13))
    ]


def test_dashboard_due_items_for_office_only(qa, create_application):
    application = create_application()
    services.receive_objection(
        qa["office"],
        application.id,
        {
            "objector_name": "周某",
            "objector_contact": "139",
            "reason": "r",
            "evidence": "e",
        },
        date(2026, 9, 30),
    )

    assert len(services.due_items(qa["office"], date(2026, 10, 1))) == 1
    assert services.due_items(qa["lusong"], date(2026, 10, 1)) == []


def _objection_due(qa, create_application, monkeypatch):
    application = create_application()
    services.receive_objection(
        qa["office"],
        application.id,
        {
            "objector_name": "周某",
            "objector_contact": "139",
            "reason": "r",
            "evidence": "e",
        },
        date(2026, 9, 30),
    )
    monkeypatch.setattr(jobs, "today_local", lambda: date(2026, 10, 12))
    return application


def test_reminder_job_mails_the_office_department(
    db, qa, create_application, monkeypatch
):
    from core.models.scheduling import OutboxMessage

    application = _objection_due(qa, create_application, monkeypatch)
    qa["city"]["market"].contact_emails = "zlj@zz.gov.cn; office@zz.gov.cn"
    db.session.commit()

    jobs.send_reminders()

    messages = db.session.query(OutboxMessage).all()
    assert len(messages) == 1
    assert messages[0].recipients == "zlj@zz.gov.cn,office@zz.gov.cn"
    assert messages[0].department_id == qa["city"]["market"].id
    assert application.organisation.name in messages[0].body_text
    assert "2026-10-13" in messages[0].body_text


def test_reminder_job_queues_nothing_without_office_emails(
    db, qa, create_application, monkeypatch
):
    from core.models.scheduling import OutboxMessage

    _objection_due(qa, create_application, monkeypatch)

    jobs.send_reminders()

    assert db.session.query(OutboxMessage).count() == 0
