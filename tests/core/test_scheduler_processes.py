"""Scheduler processes sharing one database: exactly once, and SIGKILL recovery."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from core import scheduler
from core.jobs import SKIP, Job
from core.models.scheduling import JobRun, SchedulerNode
from tests.conftest import is_postgres

ROOT = Path(__file__).resolve().parents[2]

# A scheduler process with one test job, configured by the environment.
WORKER = textwrap.dedent(
    """
    import os, time
    from sqlalchemy import text
    from core import scheduler
    from core.app import create_app
    from core.extensions import db
    from core.jobs import SKIP, Job

    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["WORKER_DATABASE"],
                      "SCHEDULER_POLL_SECONDS": 0.5})
    record = text("INSERT INTO scheduler_test_ticks (scheduled, pid, phase) "
                  "VALUES (:scheduled, :pid, :phase)")

    def tick():
        run = scheduler.current_run()
        db.session.execute(record, {"scheduled": run.scheduled_at.isoformat(),
                                    "pid": os.getpid(), "phase": "done"})

    def hang():
        run = scheduler.current_run()
        db.session.execute(record, {"scheduled": run.scheduled_at.isoformat(),
                                    "pid": os.getpid(), "phase": "partial"})
        db.session.flush()
        open(os.environ["WORKER_READY"], "w").close()
        time.sleep(120)

    work = tick if os.environ["WORKER_MODE"] == "tick" else hang
    job = Job(id="test.tick", func=work, trigger="interval:1", misfire=SKIP,
              time_limit=int(os.environ.get("WORKER_TIME_LIMIT", "30")))
    scheduler.run_forever(app, jobs=[job])
    """
)


@pytest.fixture
def ticks(app, db):
    """A scratch table the worker's job writes to; dropped afterwards."""
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS scheduler_test_ticks"))
        connection.execute(
            text(
                "CREATE TABLE scheduler_test_ticks "
                "(scheduled VARCHAR(40), pid INTEGER, phase VARCHAR(10))"
            )
        )
    yield
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS scheduler_test_ticks"))


def start_worker(app, tmp_path, mode: str, **extra) -> subprocess.Popen:
    """Start a scheduler process running the test job."""
    env = {
        **os.environ,
        "ENABLED_MODULES": "none",
        "INSTANCE_PATH": str(tmp_path),
        "WORKER_DATABASE": app.config["SQLALCHEMY_DATABASE_URI"],
        "WORKER_MODE": mode,
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    return subprocess.Popen(
        [sys.executable, "-c", WORKER],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, seconds: float) -> bool:
    """Poll until `condition()` is true or the time is up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def rows(db, statement, **params):
    """Rows of a query on a fresh connection (other processes write meanwhile)."""
    with db.engine.connect() as connection:
        return connection.execute(statement, params).all()


@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_two_schedulers_run_every_occurrence_exactly_once(app, db, ticks, tmp_path):
    workers = [start_worker(app, tmp_path, "tick") for _ in range(2)]
    try:
        both_up = wait_for(
            lambda: len(rows(db, select(SchedulerNode.name))) == 2, seconds=20
        )
        assert both_up, "the scheduler processes did not start"
        time.sleep(10)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        exits = [worker.wait(timeout=20) for worker in workers]

    assert exits == [0, 0]
    done = rows(
        db, text("SELECT scheduled, pid FROM scheduler_test_ticks WHERE phase = 'done'")
    )
    per_occurrence = Counter(scheduled for scheduled, _pid in done)
    assert len(per_occurrence) >= 10
    assert set(per_occurrence.values()) == {1}
    seconds = sorted(datetime.fromisoformat(s) for s in per_occurrence)
    assert all(
        later - earlier == timedelta(seconds=1)
        for earlier, later in zip(seconds, seconds[1:], strict=False)
    )
    runs = rows(db, select(JobRun.scheduled_at, JobRun.state))
    assert len(runs) == len(per_occurrence)
    assert {state for _at, state in runs} == {"succeeded"}


def test_killed_scheduler_leaves_no_partial_writes_and_next_run_goes(
    app, db, ticks, tmp_path
):
    ready = tmp_path / "ready"
    worker = start_worker(
        app, tmp_path, "hang", WORKER_READY=str(ready), WORKER_TIME_LIMIT="3"
    )
    try:
        assert wait_for(ready.exists, seconds=20), "the job did not start"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    hung = rows(db, select(JobRun.id, JobRun.state).order_by(JobRun.id))[0]
    assert hung.state == "running"

    # Any scheduler's housekeeping does this once the time limit has passed.
    scheduler.reap(datetime.now(UTC) + timedelta(seconds=4))

    assert rows(db, select(JobRun.state).where(JobRun.id == hung.id))[0].state == (
        "failed"
    )
    assert rows(db, text("SELECT * FROM scheduler_test_ticks")) == []
    following = scheduler.execute(
        app,
        Job(id="test.tick", func=lambda: None, trigger="interval:1", misfire=SKIP),
        datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=30),
    )
    assert following == scheduler.SUCCEEDED
