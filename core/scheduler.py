"""The scheduler: runs the jobs of the core and the enabled modules.

Every scheduler process (the one inside `run.py serve`, and any number of
`run.py scheduler` processes on any number of machines) computes the same
occurrences from the same triggers. Before running an occurrence a process
inserts a claim row, unique on (job, scheduled time), into `core_job_runs`;
the database lets exactly one insert through and the others skip. The winner
then takes the job's lock row (`core_job_locks`, with an expiry at the run's
time limit), so a "run now" from the portal and a scheduled run never overlap.

A run that is still "running" after its time limit (its process was killed,
or it hangs) is marked failed by whichever scheduler looks next, and its lock
expires with it, so the next occurrence runs. A job whose `misfire` is
CATCH_UP runs a missed occurrence once when a scheduler comes back (compared
with its last recorded run); SKIP drops it.
"""

import contextvars
import logging
import os
import re
import signal
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app, has_app_context
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.context import Actor, acting_as
from core.errors import Conflict, InvalidInput, NotFound
from core.extensions import db
from core.i18n import _
from core.jobs import CATCH_UP, Job
from core.models.base import utcnow
from core.models.scheduling import JobLock, JobRun, SchedulerNode

log = logging.getLogger(__name__)

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
SKIPPED = "skipped"

# Interval triggers count from a fixed origin so that every process computes
# the same occurrences (APScheduler would otherwise start at its own "now").
INTERVAL_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)
# How late a SKIP job may still start when its scheduler was busy or paused.
SKIP_GRACE_SECONDS = 30
# A catch-up scan gives up after this many occurrences (an interval job after
# a long downtime) and runs the newest one it found.
MAX_SCAN = 200_000
HOST = socket.gethostname()

_current_run: contextvars.ContextVar["RunInfo | None"] = contextvars.ContextVar(
    "current_run", default=None
)


@dataclass(frozen=True)
class RunInfo:
    """The run a job function is executing, for jobs that need its time."""

    run_id: int
    job_id: str
    scheduled_at: datetime
    attempt: int


def current_run() -> RunInfo | None:
    """The run being executed in this thread, if any."""
    return _current_run.get()


def setting(app, name: str, default, cast=int):
    """A scheduler or mail setting: app config first, then the environment."""
    value = app.config.get(name)
    if value is None:
        value = os.environ.get(name)
    return default if value in (None, "") else cast(value)


# Triggers


class WorkingDayTrigger(BaseTrigger):
    """Fires at a time of day on every working day of the core calendar.

    Make-up working days (a Saturday worked in exchange for a holiday) fire;
    statutory holidays and ordinary weekends do not.
    """

    def __init__(self, hour: int, minute: int, timezone, app=None):
        self.hour = hour
        self.minute = minute
        self.timezone = timezone
        self.app = app

    def _next_working_day(self, day: date) -> date | None:
        from core import calendar

        def answer():
            try:
                return calendar.next_working_day(day).value
            except InvalidInput:
                return None  # beyond the calendar's span: no further occurrence

        if has_app_context() or self.app is None:
            return answer()
        with self.app.app_context():
            return answer()

    def get_next_fire_time(self, previous_fire_time, now):
        """The first working-day occurrence after the previous one (or from now)."""
        if previous_fire_time is not None:
            start = previous_fire_time + timedelta(microseconds=1)
        else:
            start = now
        local = start.astimezone(self.timezone)
        day = local.date()
        at = clock(self.hour, self.minute)
        if datetime.combine(day, at, tzinfo=self.timezone) < start:
            day += timedelta(days=1)
        day = self._next_working_day(day)
        if day is None:
            return None
        return datetime.combine(day, at, tzinfo=self.timezone)

    def __str__(self) -> str:
        return f"workday[{self.hour:02d}:{self.minute:02d}]"

    def __repr__(self) -> str:
        return f"<WorkingDayTrigger {self.hour:02d}:{self.minute:02d}>"


def timezone_of(app=None) -> ZoneInfo:
    """The zone business times are given in (the TIMEZONE setting)."""
    app = app or current_app
    return ZoneInfo(app.config.get("TIMEZONE", "Asia/Shanghai"))


def _bad_trigger(field: str, message: str) -> InvalidInput:
    return InvalidInput({field: [message]})


def parse_clock(value: str, field: str = "send_time") -> tuple[int, int]:
    """Parse "HH:MM" from user input, naming the field when it is malformed."""
    try:
        hour, minute = (int(part) for part in str(value).split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise _bad_trigger(
            field,
            _("“%(value)s” is not a time of day; write it as HH:MM.", value=value),
        ) from None
    return hour, minute


def _weekday_numbers(element: str) -> set[int]:
    """The standard cron weekdays (0 or 7 Sunday) one list element names."""
    span, _sep, step = element.partition("/")
    step = int(step) if step else 1
    if span == "*":
        first, last = 0, 6
    elif "-" in span:
        first, last = (int(part) for part in span.split("-", 1))
    else:
        first = int(span)
        last = 6 if _sep else first
    if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last and step > 0):
        raise ValueError(f"bad day of week {element!r}")
    return set(range(first, last + 1, step))


def standard_weekdays(field: str) -> str:
    """Translate a crontab day-of-week field into APScheduler 3's numbering.

    Crontab counts 0 (and 7) as Sunday and 1 as Monday; APScheduler 3 counts
    0 as Monday. Names (mon-fri) mean the same in both and pass through.
    """
    if field == "*" or re.search(r"[A-Za-z]", field):
        return field
    days = set()
    for element in field.split(","):
        days |= _weekday_numbers(element)
    return ",".join(str((day - 1) % 7) for day in sorted(days))


def cron_trigger(expression: str, timezone, field: str = "cron") -> CronTrigger:
    """A trigger from five crontab fields, or InvalidInput naming `field`."""
    try:
        fields = str(expression).split()
        if len(fields) == 5:
            fields[4] = standard_weekdays(fields[4])
        return CronTrigger.from_crontab(" ".join(fields), timezone=timezone)
    except (ValueError, TypeError, AttributeError) as error:
        raise _bad_trigger(
            field,
            _(
                "“%(value)s” is not a valid cron expression (five fields: minute, "
                "hour, day of month, month, day of week): %(error)s",
                value=expression,
                error=error,
            ),
        ) from None


def parse_trigger(spec: str, timezone, app=None, field: str = "trigger"):
    """A trigger from a job's "cron:...", "interval:<seconds>" or "workday:HH:MM"."""
    kind, _sep, value = str(spec).partition(":")
    if kind == "cron":
        return cron_trigger(value, timezone, field)
    if kind == "interval":
        try:
            seconds = int(value)
            if seconds < 1:
                raise ValueError
        except ValueError:
            raise _bad_trigger(
                field,
                _("“%(value)s” is not a whole number of seconds.", value=value),
            ) from None
        return IntervalTrigger(
            seconds=seconds, start_date=INTERVAL_ORIGIN, timezone=timezone
        )
    if kind == "workday":
        hour, minute = parse_clock(value, field)
        return WorkingDayTrigger(hour, minute, timezone, app)
    raise _bad_trigger(
        field,
        _(
            "“%(value)s” is not a schedule; use cron:<five fields>, "
            "interval:<seconds> or workday:HH:MM.",
            value=spec,
        ),
    )


def next_after(trigger, moment: datetime) -> datetime | None:
    """The trigger's first occurrence strictly after `moment`."""
    return trigger.get_next_fire_time(moment, moment)


def latest_due(trigger, after: datetime, now: datetime) -> datetime | None:
    """The newest occurrence in (after, now], or None when there is none."""
    if isinstance(trigger, IntervalTrigger):
        step = trigger.interval.total_seconds()
        origin = trigger.start_date
        count = int((now - origin).total_seconds() // step)
        newest = origin + timedelta(seconds=count * step)
        return newest if after < newest <= now else None

    found = None
    moment = next_after(trigger, after)
    for _i in range(MAX_SCAN):
        if moment is None or moment > now:
            break
        found = moment
        moment = next_after(trigger, moment)
    return found


# Claims, locks and the run record


def _insert_ignoring_conflict(model, conflict_columns: list[str], values: dict):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING, on PostgreSQL and SQLite."""
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - the project supports these two databases
        return insert(model).values(**values)
    statement = dialect_insert(model).values(**values)
    primary = list(model.__table__.primary_key.columns)[0]
    return statement.on_conflict_do_nothing(index_elements=conflict_columns).returning(
        primary
    )


def _holder() -> str:
    return f"{HOST}:{os.getpid()}"


def claim(job: Job, scheduled_at: datetime, now: datetime | None = None) -> int | None:
    """Claim an occurrence for this process; None when another process has it."""
    now = now or utcnow()
    values = {
        "job_id": job.id,
        "scheduled_at": scheduled_at,
        "manual": False,
        "requested_by": "",
        "state": RUNNING,
        "attempts": 0,
        "started_at": now,
        "deadline_at": now + timedelta(seconds=job.time_limit),
        "error": "",
        "host": HOST,
        "pid": os.getpid(),
    }
    statement = _insert_ignoring_conflict(JobRun, ["job_id", "scheduled_at"], values)
    try:
        with db.engine.begin() as connection:
            row = connection.execute(statement).first()
    except IntegrityError:
        return None
    return row[0] if row else None


def _acquire_lock(job: Job, run_id: int, now: datetime) -> bool:
    expires_at = now + timedelta(seconds=job.time_limit)
    values = {
        "job_id": job.id,
        "run_id": run_id,
        "holder": _holder(),
        "expires_at": expires_at,
    }
    with db.engine.begin() as connection:
        inserted = connection.execute(
            _insert_ignoring_conflict(JobLock, ["job_id"], values)
        ).first()
        if inserted:
            return True
        # Another run holds it; take it over only when that run's time is up.
        taken = connection.execute(
            update(JobLock)
            .where(JobLock.job_id == job.id, JobLock.expires_at < now)
            .values(run_id=run_id, holder=_holder(), expires_at=expires_at)
        )
        return taken.rowcount == 1


def _release_lock(job_id: str, run_id: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            delete(JobLock).where(JobLock.job_id == job_id, JobLock.run_id == run_id)
        )


def _finish(run_id: int, state: str, error: str = "") -> None:
    # Only a run still marked running is finished here: a run the reaper has
    # already failed for passing its time limit keeps that verdict.
    with db.engine.begin() as connection:
        connection.execute(
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.state == RUNNING)
            .values(state=state, finished_at=utcnow(), error=error[-8000:])
        )


def _set_attempt(run_id: int, attempt: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            update(JobRun).where(JobRun.id == run_id).values(attempts=attempt)
        )


def run_claimed(job: Job, run_id: int, scheduled_at: datetime) -> str:
    """Run a claimed occurrence inside the current app context; returns its state.

    Each attempt runs the job's work in its own transaction: committed when
    the function returns, rolled back when it raises. A failing attempt is
    retried by the job's policy; the outcome and the error text are recorded.
    """
    now = utcnow()
    if not _acquire_lock(job, run_id, now):
        _finish(
            run_id,
            SKIPPED,
            _("Another run of this job was still going; this occurrence was skipped."),
        )
        log.warning("job %s run %s skipped: another run holds the lock", job.id, run_id)
        return SKIPPED

    deadline = now + timedelta(seconds=job.time_limit)
    error = ""
    try:
        for attempt in range(1, job.retries + 2):
            _set_attempt(run_id, attempt)
            try:
                _attempt(job, RunInfo(run_id, job.id, scheduled_at, attempt))
            except Exception:
                error = traceback.format_exc(limit=30)
                log.exception(
                    "job %s run %s attempt %s failed", job.id, run_id, attempt
                )
                delay = job.retry_delay * 2 ** (attempt - 1)
                if attempt > job.retries or utcnow() + timedelta(seconds=delay) >= (
                    deadline
                ):
                    break
                time.sleep(delay)
            else:
                _finish(run_id, SUCCEEDED)
                log.info("job %s run %s succeeded", job.id, run_id)
                return SUCCEEDED
    finally:
        _release_lock(job.id, run_id)
    _finish(run_id, FAILED, error)
    return FAILED


def _attempt(job: Job, info: RunInfo) -> None:
    token = _current_run.set(info)
    try:
        with acting_as(Actor(kind="job", id=str(info.run_id), name=job.id)):
            try:
                job.func()
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
    finally:
        _current_run.reset(token)
        db.session.remove()


def execute(app, job: Job, scheduled_at: datetime) -> str | None:
    """Claim and run one occurrence; None when another process claimed it."""
    with app.app_context():
        run_id = claim(job, scheduled_at)
        if run_id is None:
            log.debug("job %s at %s claimed elsewhere", job.id, scheduled_at)
            return None
        return run_claimed(job, run_id, scheduled_at)


def reap(now: datetime | None = None) -> int:
    """Mark runs still "running" past their time limit as failed; free their locks."""
    now = now or utcnow()
    message = _(
        "The run passed its time limit without finishing; the process running it "
        "stopped or hung. Its unfinished work was rolled back."
    )
    reaped = 0
    with db.engine.begin() as connection:
        overdue = connection.execute(
            select(JobRun.id, JobRun.job_id).where(
                JobRun.state == RUNNING, JobRun.deadline_at < now
            )
        ).all()
        for run_id, job_id in overdue:
            result = connection.execute(
                update(JobRun)
                .where(JobRun.id == run_id, JobRun.state == RUNNING)
                .values(state=FAILED, finished_at=now, error=message)
            )
            connection.execute(
                delete(JobLock).where(
                    JobLock.job_id == job_id, JobLock.run_id == run_id
                )
            )
            reaped += result.rowcount
            log.warning("job %s run %s passed its time limit: failed", job_id, run_id)
    return reaped


# Run now


def jobs_by_id(app=None) -> dict[str, Job]:
    """Every job of the core and the enabled modules, by id."""
    app = app or current_app
    return {job.id: job for job in app.extensions["registry"].jobs()}


def request_run(job_id: str, requested_by: str) -> JobRun:
    """Queue a "run now" of a job for the next scheduler to pick up.

    The run goes through the same lock as scheduled runs, so it never overlaps
    one; it is refused while the job is running or already queued. The caller
    commits.
    """
    if job_id not in jobs_by_id():
        raise NotFound(_("There is no job “%(job)s”.", job=job_id))
    now = utcnow()
    busy = db.session.scalars(
        select(JobRun.id).where(
            JobRun.job_id == job_id, JobRun.state.in_((QUEUED, RUNNING))
        )
    ).first()
    lock = db.session.get(JobLock, job_id)
    if busy is not None or (lock is not None and lock.expires_at > now):
        raise Conflict(
            _("The job is running or already queued; wait until it has finished.")
        )
    run = JobRun(
        job_id=job_id,
        scheduled_at=now,
        manual=True,
        requested_by=requested_by,
        state=QUEUED,
    )
    db.session.add(run)
    db.session.flush()
    log.info("%s queued a run of job %s (run %s)", requested_by, job_id, run.id)
    return run


def claim_queued(job: Job, run_id: int) -> bool:
    """Take a queued "run now" for this process."""
    now = utcnow()
    with db.engine.begin() as connection:
        result = connection.execute(
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.state == QUEUED)
            .values(
                state=RUNNING,
                started_at=now,
                deadline_at=now + timedelta(seconds=job.time_limit),
                host=HOST,
                pid=os.getpid(),
            )
        )
    return result.rowcount == 1


def queued_runs() -> list[tuple[int, str, datetime]]:
    """Queued "run now" requests, oldest first."""
    with db.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(JobRun.id, JobRun.job_id, JobRun.scheduled_at)
                .where(JobRun.state == QUEUED)
                .order_by(JobRun.id)
            )
        ]


def last_scheduled_run(job_id: str) -> datetime | None:
    """The scheduled time of the job's newest recorded (not manual) run."""
    with db.engine.connect() as connection:
        return connection.execute(
            select(func.max(JobRun.scheduled_at)).where(
                JobRun.job_id == job_id, JobRun.manual.is_(False)
            )
        ).scalar()


def missed_occurrence(job: Job, trigger, now: datetime) -> datetime | None:
    """The occurrence a CATCH_UP job missed while no scheduler ran, if any.

    Compared with the job's last recorded run; a job that has never run has
    nothing to catch up (a new installation does not run every daily job).
    """
    if job.misfire != CATCH_UP:
        return None
    last = last_scheduled_run(job.id)
    if last is None:
        return None
    return latest_due(trigger, last, now)


# The process-level scheduler


def _dispatched_by_executor():  # pragma: no cover - never called
    """Placeholder APScheduler callable: ClaimingExecutor runs the portal job."""
    raise RuntimeError("portal jobs are run by the claiming executor")


class ClaimingExecutor(ThreadPoolExecutor):
    """An APScheduler executor that hands each scheduled time to the claim.

    APScheduler does not pass the scheduled time to the job function, so the
    executor takes it from `run_times` and runs the occurrence through
    `execute`, which claims it in the database first.
    """

    def __init__(self, runner, max_workers: int):
        super().__init__(max_workers)
        self._runner = runner

    def _do_submit_job(self, job, run_times):
        def callback(future):
            error = future.exception()
            if error is not None:
                self._run_job_error(job.id, error, error.__traceback__)
            else:
                self._run_job_success(job.id, future.result())

        future = self._pool.submit(self._run_all, job.id, list(run_times))
        future.add_done_callback(callback)

    def _run_all(self, job_id: str, run_times: list[datetime]) -> list:
        for run_time in run_times:
            self._runner(job_id, run_time.astimezone(UTC))
        return []

    def submit_direct(self, func, *args):
        """Run something on the executor's pool (catch-ups, run now)."""
        return self._pool.submit(func, *args)


class PortalScheduler:
    """One process's scheduler: APScheduler triggers feeding the database claim."""

    def __init__(self, app, jobs: list[Job] | None = None):
        self.app = app
        declared = list(app.extensions["registry"].jobs() if jobs is None else jobs)
        self.jobs = {job.id: job for job in declared}
        if len(self.jobs) != len(declared):
            raise ValueError("two jobs share an id")
        self.timezone = timezone_of(app)
        self.triggers = {
            job.id: parse_trigger(job.trigger, self.timezone, app) for job in declared
        }
        self.poll_seconds = setting(app, "SCHEDULER_POLL_SECONDS", 5.0, float)
        self.name = f"{_holder()}:{id(self):x}"
        self.executor = ClaimingExecutor(
            self._run_occurrence, setting(app, "SCHEDULER_WORKERS", 4)
        )
        self._aps = BackgroundScheduler(
            timezone=self.timezone,
            executors={"portal": self.executor, "default": ThreadPoolExecutor(1)},
        )
        self.started = False
        if not log.isEnabledFor(logging.DEBUG):
            # APScheduler logs every execution at INFO; the run history has them.
            logging.getLogger("apscheduler").setLevel(logging.WARNING)

    @property
    def running(self) -> bool:
        """Whether the scheduler is started and not shut down."""
        return self.started and self._aps.running

    def _run_occurrence(self, job_id: str, scheduled_at: datetime) -> None:
        try:
            execute(self.app, self.jobs[job_id], scheduled_at)
        except Exception:
            # The claim or the record failed (the database went away): the next
            # tick tries again; one job's trouble never stops the others.
            log.exception("job %s at %s could not be run", job_id, scheduled_at)

    def _run_queued(self, job: Job, run_id: int, scheduled_at: datetime) -> None:
        with self.app.app_context():
            try:
                run_claimed(job, run_id, scheduled_at)
            except Exception:
                log.exception("run now of job %s (run %s) failed", job.id, run_id)

    def housekeeping(self) -> None:
        """Show this process is alive, fail overdue runs, start queued runs."""
        with self.app.app_context():
            try:
                self._heartbeat()
                reap()
                for run_id, job_id, scheduled_at in queued_runs():
                    job = self.jobs.get(job_id)
                    if job is not None and claim_queued(job, run_id):
                        self.executor.submit_direct(
                            self._run_queued, job, run_id, scheduled_at
                        )
            except Exception:
                log.exception("scheduler housekeeping failed; trying again shortly")
            finally:
                db.session.remove()

    def _heartbeat(self) -> None:
        now = utcnow()
        with db.engine.begin() as connection:
            seen = connection.execute(
                update(SchedulerNode)
                .where(SchedulerNode.name == self.name)
                .values(seen_at=now)
            )
            if seen.rowcount == 0:
                connection.execute(
                    insert(SchedulerNode).values(
                        name=self.name, started_at=now, seen_at=now
                    )
                )

    def start(self) -> "PortalScheduler":
        """Add every job and start the background threads."""
        for job_id, trigger in self.triggers.items():
            job = self.jobs[job_id]
            self._aps.add_job(
                _dispatched_by_executor,
                trigger=trigger,
                id=job_id,
                name=job_id,
                executor="portal",
                coalesce=True,
                max_instances=3,
                misfire_grace_time=(
                    None if job.misfire == CATCH_UP else SKIP_GRACE_SECONDS
                ),
            )
        self._aps.add_job(
            self.housekeeping,
            "interval",
            seconds=self.poll_seconds,
            id="core.scheduler.housekeeping",
            executor="default",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )
        self._aps.start()
        self.started = True
        self._catch_up()
        log.info("scheduler %s started with %s jobs", self.name, len(self.jobs))
        return self

    def _catch_up(self) -> None:
        now = utcnow()
        with self.app.app_context():
            for job_id, trigger in self.triggers.items():
                job = self.jobs[job_id]
                try:
                    missed = missed_occurrence(job, trigger, now)
                except Exception:
                    log.exception("could not check job %s for a missed run", job_id)
                    continue
                if missed is not None:
                    log.info("job %s missed %s: catching up once", job_id, missed)
                    self.executor.submit_direct(self._run_occurrence, job_id, missed)

    def next_run_times(self) -> dict[str, datetime | None]:
        """The next scheduled time of each job in this process."""
        return {job.id: job.next_run_time for job in self._aps.get_jobs()}

    def shutdown(self, wait: bool = True) -> None:
        """Stop scheduling; with `wait`, let running jobs finish first."""
        if not self.started:
            return
        self.started = False
        if self._aps.running:
            self._aps.shutdown(wait=wait)
        try:
            with self.app.app_context(), db.engine.begin() as connection:
                connection.execute(
                    delete(SchedulerNode).where(SchedulerNode.name == self.name)
                )
        except Exception:
            log.exception("could not sign scheduler %s off", self.name)
        log.info("scheduler %s stopped", self.name)


def start(app, jobs: list[Job] | None = None) -> PortalScheduler:
    """Start a background scheduler in this process (the embedded default)."""
    existing = app.extensions.get("portal_scheduler")
    if existing is not None and existing.running:
        return existing
    scheduler = PortalScheduler(app, jobs).start()
    app.extensions["portal_scheduler"] = scheduler
    return scheduler


def run_forever(app, jobs: list[Job] | None = None) -> None:
    """Run a scheduler until SIGTERM or SIGINT, then let running jobs finish."""
    stop = threading.Event()

    def request_stop(signum, frame):
        log.info("scheduler received signal %s; stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    scheduler = start(app, jobs)
    try:
        while not stop.wait(1):
            pass
    finally:
        scheduler.shutdown(wait=True)


def state(app) -> str:
    """A one-word state of the scheduler for /healthz.

    "running" when this process runs one, "remote" when another process
    showed it was alive recently, otherwise "stopped" or "not running".
    """
    scheduler = app.extensions.get("portal_scheduler")
    if scheduler is not None and scheduler.running:
        return "running"
    try:
        with app.app_context(), db.engine.connect() as connection:
            seen = connection.execute(select(func.max(SchedulerNode.seen_at))).scalar()
    except Exception:  # noqa: BLE001 - the database check reports the cause
        return "unknown"
    poll = setting(app, "SCHEDULER_POLL_SECONDS", 5.0, float)
    if seen is not None:
        seen = seen if seen.tzinfo else seen.replace(tzinfo=UTC)
        if utcnow() - seen < timedelta(seconds=max(30.0, 3 * poll)):
            return "remote"
    return "stopped" if scheduler is not None else "not running"
