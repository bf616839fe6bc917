"""The scheduler: triggers, claims, runs, retries, time limits and catch-up."""

import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core import scheduler
from core.errors import Conflict, InvalidInput, NotFound
from core.jobs import CATCH_UP, SKIP, Job
from core.models import AuditEntry, Department, DepartmentKind
from core.models.scheduling import JobLock, JobRun, SchedulerNode

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    """An aware Asia/Shanghai datetime."""
    return datetime(*args, tzinfo=SHANGHAI)


def fire_times(trigger, start: datetime, count: int) -> list[datetime]:
    """The first `count` occurrences of a trigger from `start`."""
    times, moment = [], trigger.get_next_fire_time(None, start)
    while moment is not None and len(times) < count:
        times.append(moment)
        moment = trigger.get_next_fire_time(moment, moment)
    return times


def noop():
    """A job that does nothing."""


def make_job(func=noop, **overrides) -> Job:
    """A test job; keyword arguments override the defaults."""
    values = {"id": "test.job", "func": func, "trigger": "interval:60"}
    values.update(overrides)
    return Job(**values)


@pytest.fixture
def job_registry(app, monkeypatch):
    """Replace the registry's jobs with the given ones for one test."""

    def install(*jobs):
        monkeypatch.setattr(app.extensions["registry"], "jobs", lambda: list(jobs))

    return install


def test_working_day_trigger_skips_national_day_and_runs_on_make_up_saturday(db):
    trigger = scheduler.parse_trigger("workday:09:00", SHANGHAI)

    times = fire_times(trigger, local(2026, 9, 30, 9, 30), 4)

    assert [t.date().isoformat() for t in times] == [
        "2026-10-08",
        "2026-10-09",
        "2026-10-10",
        "2026-10-12",
    ]
    assert all((t.hour, t.minute) == (9, 0) for t in times)


def test_working_day_trigger_fires_today_when_the_time_is_still_ahead(db):
    trigger = scheduler.parse_trigger("workday:09:00", SHANGHAI)

    first = trigger.get_next_fire_time(None, local(2026, 9, 30, 8, 59))

    assert first == local(2026, 9, 30, 9, 0)


def test_working_day_trigger_outside_an_app_context_uses_its_app(app, db):
    trigger = scheduler.WorkingDayTrigger(9, 0, SHANGHAI, app)
    found = []

    worker = threading.Thread(
        target=lambda: found.append(
            trigger.get_next_fire_time(None, local(2026, 10, 1, 0, 0))
        )
    )
    worker.start()
    worker.join()

    assert found == [local(2026, 10, 8, 9, 0)]


def test_cron_day_of_week_numbers_follow_crontab(db):
    trigger = scheduler.parse_trigger("cron:0 9 * * 1", SHANGHAI)

    first = trigger.get_next_fire_time(None, local(2026, 6, 14, 0, 0))

    assert first == local(2026, 6, 15, 9, 0)
    assert first.weekday() == 0  # Monday


def test_cron_sunday_range_follows_crontab(db):
    trigger = scheduler.parse_trigger("cron:0 9 * * 0,6", SHANGHAI)

    times = fire_times(trigger, local(2026, 6, 15, 0, 0), 2)

    assert [t.strftime("%a") for t in times] == ["Sat", "Sun"]


@pytest.mark.parametrize(
    "spec",
    ["cron:61 * * * *", "cron:* * *", "interval:0", "interval:soon", "workday:25:00"],
)
def test_bad_trigger_is_refused_naming_the_field(db, spec):
    with pytest.raises(InvalidInput) as raised:
        scheduler.parse_trigger(spec, SHANGHAI)

    assert list(raised.value.errors) == ["trigger"]


def test_interval_occurrences_are_the_same_in_every_process(db):
    first = scheduler.parse_trigger("interval:7", SHANGHAI)
    second = scheduler.parse_trigger("interval:7", SHANGHAI)
    now = datetime.now(UTC)

    assert first.get_next_fire_time(None, now) == second.get_next_fire_time(None, now)


def test_latest_due_returns_only_the_newest_missed_occurrence(db):
    trigger = scheduler.parse_trigger("cron:0 8 * * *", SHANGHAI)

    due = scheduler.latest_due(
        trigger, local(2026, 6, 10, 8, 0), local(2026, 6, 13, 12, 0)
    )

    assert due == local(2026, 6, 13, 8, 0)


def test_occurrence_is_claimed_only_once(db):
    job = make_job()
    at = datetime(2026, 6, 15, 1, 0, tzinfo=UTC)

    first = scheduler.claim(job, at)
    second = scheduler.claim(job, at)

    assert first is not None
    assert second is None
    assert db.session.scalar(select(func.count(JobRun.id))) == 1


def test_execute_records_a_successful_run(app, db):
    at = datetime(2026, 6, 15, 1, 0, tzinfo=UTC)

    outcome = scheduler.execute(app, make_job(), at)

    run = db.session.scalars(select(JobRun)).one()
    assert outcome == scheduler.SUCCEEDED
    assert (run.state, run.scheduled_at, run.attempts) == ("succeeded", at, 1)
    assert run.started_at <= run.finished_at
    assert run.host and run.pid
    assert db.session.get(JobLock, "test.job") is None


def test_second_execute_of_the_same_occurrence_does_not_run(app, db):
    calls = []
    job = make_job(func=lambda: calls.append(1))
    at = datetime(2026, 6, 15, 1, 0, tzinfo=UTC)

    scheduler.execute(app, job, at)
    again = scheduler.execute(app, job, at)

    assert again is None
    assert calls == [1]


def test_job_runs_as_its_job_actor_and_commits(app, db):
    def work():
        from core.extensions import db as database

        database.session.add(
            Department(code="J1", name="作业部门", kind=DepartmentKind.COUNTY)
        )

    scheduler.execute(app, make_job(func=work), datetime.now(UTC))

    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "core_departments")
    ).one()
    assert (entry.actor_kind, entry.actor_name) == ("job", "test.job")


def test_failing_job_writes_nothing_and_records_the_error(app, db):
    def work():
        from core.extensions import db as database

        database.session.add(
            Department(code="J2", name="半截写入", kind=DepartmentKind.COUNTY)
        )
        database.session.flush()
        raise RuntimeError("the source system is down")

    outcome = scheduler.execute(app, make_job(func=work), datetime.now(UTC))

    run = db.session.scalars(select(JobRun)).one()
    assert outcome == scheduler.FAILED
    assert run.state == "failed"
    assert "the source system is down" in run.error
    assert (
        db.session.scalars(select(Department).where(Department.code == "J2")).all()
        == []
    )


def test_failing_job_is_retried_by_its_policy(app, db):
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("not yet")

    job = make_job(func=flaky, retries=2, retry_delay=0)

    outcome = scheduler.execute(app, job, datetime.now(UTC))

    run = db.session.scalars(select(JobRun)).one()
    assert outcome == scheduler.SUCCEEDED
    assert run.attempts == 3


def test_job_out_of_retries_is_failed(app, db):
    def broken():
        raise RuntimeError("always")

    job = make_job(func=broken, retries=1, retry_delay=0)

    outcome = scheduler.execute(app, job, datetime.now(UTC))

    run = db.session.scalars(select(JobRun)).one()
    assert (outcome, run.attempts) == (scheduler.FAILED, 2)


def test_failing_job_does_not_stop_another(app, db):
    def broken():
        raise RuntimeError("always")

    at = datetime.now(UTC)
    scheduler.execute(app, make_job(id="test.broken", func=broken), at)
    outcome = scheduler.execute(app, make_job(id="test.fine"), at)

    assert outcome == scheduler.SUCCEEDED


def test_run_while_another_run_holds_the_lock_is_skipped(app, db):
    job = make_job()
    held = scheduler.claim(job, datetime(2026, 6, 15, 1, 0, tzinfo=UTC))
    assert scheduler._acquire_lock(job, held, datetime.now(UTC))

    outcome = scheduler.execute(app, job, datetime(2026, 6, 15, 1, 1, tzinfo=UTC))

    assert outcome == scheduler.SKIPPED
    skipped = db.session.scalars(select(JobRun).where(JobRun.id != held)).one()
    assert skipped.state == "skipped"


def test_run_now_is_queued_and_refused_while_the_job_runs(app, db, job_registry):
    job = make_job()
    job_registry(job)

    queued = scheduler.request_run("test.job", "admin")
    db.session.commit()

    assert queued.state == "queued" and queued.manual
    with pytest.raises(Conflict):
        scheduler.request_run("test.job", "admin")


def test_run_now_is_refused_while_a_scheduled_run_holds_the_lock(app, db, job_registry):
    job = make_job()
    job_registry(job)
    held = scheduler.claim(job, datetime(2026, 6, 15, 1, 0, tzinfo=UTC))
    scheduler._acquire_lock(job, held, datetime.now(UTC))
    scheduler._finish(held, scheduler.SUCCEEDED)

    with pytest.raises(Conflict):
        scheduler.request_run("test.job", "admin")


def test_run_now_of_an_unknown_job_is_not_found(app, db):
    with pytest.raises(NotFound):
        scheduler.request_run("no.such.job", "admin")


def test_queued_run_is_taken_by_one_scheduler_only(app, db, job_registry):
    job = make_job()
    job_registry(job)
    run = scheduler.request_run("test.job", "admin")
    db.session.commit()

    assert scheduler.claim_queued(job, run.id) is True
    assert scheduler.claim_queued(job, run.id) is False


def test_overdue_run_is_marked_failed_and_its_lock_freed(app, db):
    job = make_job(time_limit=5)
    run_id = scheduler.claim(job, datetime(2026, 6, 15, 1, 0, tzinfo=UTC))
    scheduler._acquire_lock(job, run_id, datetime.now(UTC))

    reaped = scheduler.reap(datetime.now(UTC) + timedelta(seconds=6))

    run = db.session.get(JobRun, run_id)
    assert reaped == 1
    assert run.state == "failed" and run.error
    assert db.session.get(JobLock, "test.job") is None


def test_run_within_its_time_limit_is_left_alone(app, db):
    job = make_job(time_limit=60)
    scheduler.claim(job, datetime(2026, 6, 15, 1, 0, tzinfo=UTC))

    assert scheduler.reap(datetime.now(UTC) + timedelta(seconds=30)) == 0


def test_catch_up_job_finds_the_occurrence_missed_after_downtime(app, db):
    job = make_job(trigger="cron:0 8 * * *", misfire=CATCH_UP)
    trigger = scheduler.parse_trigger(job.trigger, SHANGHAI)
    scheduler.execute(app, job, local(2026, 6, 10, 8, 0))

    missed = scheduler.missed_occurrence(job, trigger, local(2026, 6, 13, 9, 0))

    assert missed == local(2026, 6, 13, 8, 0)


def test_skip_job_drops_the_missed_occurrence(app, db):
    job = make_job(trigger="cron:0 8 * * *", misfire=SKIP)
    trigger = scheduler.parse_trigger(job.trigger, SHANGHAI)
    scheduler.execute(app, job, local(2026, 6, 10, 8, 0))

    assert scheduler.missed_occurrence(job, trigger, local(2026, 6, 13, 9, 0)) is None


def test_job_that_never_ran_has_nothing_to_catch_up(app, db):
    job = make_job(trigger="cron:0 8 * * *", misfire=CATCH_UP)
    trigger = scheduler.parse_trigger(job.trigger, SHANGHAI)

    assert scheduler.missed_occurrence(job, trigger, local(2026, 6, 13, 9, 0)) is None


def wait_for(condition, seconds=8.0):
    """Poll until `condition()` is true or the time is up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def run_states(app) -> list[tuple[str, bool]]:
    """(state, manual) of every recorded run, read on a fresh connection."""
    from core.extensions import db as database

    with app.app_context(), database.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(JobRun.state, JobRun.manual).order_by(JobRun.id)
            )
        ]


def test_background_scheduler_runs_a_queued_run_now(app, db, monkeypatch, job_registry):
    job = make_job(trigger="cron:0 3 1 1 *")
    job_registry(job)
    monkeypatch.setitem(app.config, "SCHEDULER_POLL_SECONDS", 0.1)
    scheduler.request_run("test.job", "admin")
    db.session.commit()

    running = scheduler.PortalScheduler(app, [job]).start()
    try:
        finished = wait_for(lambda: run_states(app) == [("succeeded", True)])
    finally:
        running.shutdown()

    assert finished


def test_background_scheduler_catches_up_a_missed_run(app, db, monkeypatch):
    job = make_job(trigger="cron:0 8 * * *", misfire=CATCH_UP)
    monkeypatch.setitem(app.config, "SCHEDULER_POLL_SECONDS", 0.1)
    scheduler.execute(app, job, datetime.now(UTC) - timedelta(days=3))

    running = scheduler.PortalScheduler(app, [job]).start()
    try:
        caught_up = wait_for(lambda: len(run_states(app)) == 2)
    finally:
        running.shutdown()

    assert caught_up
    assert run_states(app) == [("succeeded", False), ("succeeded", False)]


def test_state_is_running_while_a_scheduler_runs(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULER_POLL_SECONDS", 0.1)
    monkeypatch.setitem(app.extensions, "portal_scheduler", None)

    started = scheduler.start(app, [make_job()])
    try:
        assert scheduler.state(app) == "running"
        assert wait_for(lambda: _node_count(app) == 1)
    finally:
        started.shutdown()

    assert scheduler.state(app) == "stopped"
    assert _node_count(app) == 0


def _node_count(app) -> int:
    from core.extensions import db as database

    with app.app_context(), database.engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(SchedulerNode)
        ).scalar()


def test_healthz_reports_the_scheduler(client):
    body = client.get("/healthz").get_json()

    assert body["scheduler"] in {"running", "remote", "stopped", "not running"}


def test_core_jobs_are_declared(app):
    ids = {job.id for job in app.extensions["registry"].jobs()}

    assert {"core.mail.drain", "core.reports.deliver"} <= ids
