"""Portal pages of the scheduler, report subscriptions and the outbox."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from core import mail, scheduler
from core.jobs import Job
from core.models.scheduling import JobRun, OutboxMessage, ReportSubscription

MANAGE = ("core.scheduler.manage",)


@pytest.fixture
def manager(city, create_user, login):
    """A city-wide user who manages the scheduler, signed in."""
    user = create_user(city["city"], MANAGE, city_wide=True)
    login(user)
    return user


@pytest.fixture
def county_manager(city, create_user, login):
    """A 芦淞区 user who manages the scheduler, signed in."""
    user = create_user(city["lusong"], MANAGE)
    login(user)
    return user


def broken():
    """A job that always fails."""
    raise RuntimeError("the upstream service answered 503")


def test_jobs_page_lists_jobs_with_their_next_run(client, manager):
    page = client.get("/admin/scheduler_jobs/")

    assert page.status_code == 200
    assert "core.mail.drain" in page.text
    assert "core.reports.deliver" in page.text


def test_jobs_page_needs_the_permission(client, city, create_user, login):
    login(create_user(city["city"]))

    page = client.get("/admin/scheduler_jobs/")

    assert page.status_code == 302


def test_run_now_queues_a_run(client, manager, db):
    page = client.post("/admin/scheduler_jobs/run", data={"job_id": "core.mail.drain"})

    run = db.session.scalars(select(JobRun)).one()
    assert page.status_code == 302
    assert (run.job_id, run.state, run.requested_by) == (
        "core.mail.drain",
        "queued",
        manager.username,
    )


def test_run_now_twice_is_refused_and_saves_nothing(client, manager, db):
    client.post("/admin/scheduler_jobs/run", data={"job_id": "core.mail.drain"})

    client.post("/admin/scheduler_jobs/run", data={"job_id": "core.mail.drain"})

    assert db.session.scalar(select(func.count(JobRun.id))) == 1


def test_run_history_highlights_failures(app, client, manager):
    job = Job(id="core.mail.drain", func=broken, trigger="interval:30")
    scheduler.execute(app, job, datetime(2026, 6, 15, 1, 0, tzinfo=UTC))

    page = client.get("/admin/scheduler_runs/?state=failed")

    assert page.status_code == 200
    assert "table-danger" in page.text
    assert "the upstream service answered 503" in page.text


def test_subscription_is_created_in_the_portal(client, manager, city, db):
    city["lusong"].contact_emails = "office@lusong.gov.cn"
    db.session.commit()

    page = client.post(
        "/admin/report_subscriptions/new/",
        data={
            "department": str(city["lusong"].id),
            "report_id": "core.credit_records",
            "schedule": "workday",
            "send_time": "08:30",
            "cron": "",
            "format": "xlsx",
            "include_department_contacts": "y",
            "extra_recipients": "stats@zz.gov.cn",
        },
    )

    subscription = db.session.scalars(select(ReportSubscription)).one()
    assert page.status_code == 302
    assert (subscription.schedule, subscription.extra_recipients) == (
        "workday",
        "stats@zz.gov.cn",
    )
    assert subscription.next_due_at is not None


def test_bad_subscription_in_the_portal_saves_nothing(client, manager, city, db):
    page = client.post(
        "/admin/report_subscriptions/new/",
        data={
            "department": str(city["lusong"].id),
            "report_id": "core.credit_records",
            "schedule": "cron",
            "send_time": "08:00",
            "cron": "every monday",
            "format": "xlsx",
            "extra_recipients": "stats@zz.gov.cn",
        },
        follow_redirects=True,
    )

    assert "不是有效的 Cron 表达式" in page.text
    assert db.session.scalar(select(func.count(ReportSubscription.id))) == 0


def test_subscription_list_is_scoped_to_the_county(client, county_manager, city, db):
    from core import reports

    for county in ("lusong", "hetang"):
        reports.create_subscription(
            department=city[county],
            report_id="core.credit_records",
            schedule="monthly",
            extra_recipients=f"office@{county}.gov.cn",
        )
    db.session.commit()

    page = client.get("/admin/report_subscriptions/")

    assert page.status_code == 200
    assert "office@lusong.gov.cn" in page.text
    assert "office@hetang.gov.cn" not in page.text


def test_outbox_shows_failed_messages(client, manager, db):
    message = mail.enqueue("office@lusong.gov.cn", "月报", "见附件。")
    message.state = "failed"
    message.last_error = "SMTPDataError: (554, b'Rejected')"
    db.session.commit()

    page = client.get("/admin/mail_outbox/")

    assert page.status_code == 200
    assert "badge-danger" in page.text
    assert "Rejected" in page.text


def test_outbox_send_again_requeues_a_failed_message(client, manager, db):
    message = mail.enqueue("office@lusong.gov.cn", "月报", "见附件。")
    message.state = "failed"
    db.session.commit()

    client.post(
        "/admin/mail_outbox/action/",
        data={"action": "requeue", "rowid": [str(message.id)]},
    )

    assert db.session.get(OutboxMessage, message.id).state == "queued"


def test_deliveries_page_renders(client, manager):
    assert client.get("/admin/report_deliveries/").status_code == 200
