"""How modules declare scheduled jobs; core/scheduler.py runs them."""

from collections.abc import Callable
from dataclasses import dataclass

CATCH_UP = "catch_up"  # a missed run is run once when the scheduler is back
SKIP = "skip"  # a missed run is dropped


@dataclass(frozen=True)
class Job:
    """A scheduled job declared by the core or a module.

    `trigger` is one of "cron:<five cron fields>", "interval:<seconds>" or
    "workday:HH:MM" (every working day of the core calendar at that time,
    make-up working days included, statutory holidays skipped), in the zone of
    the TIMEZONE setting. `misfire` says what happens to an occurrence missed
    while no scheduler ran; `time_limit` (seconds) is how long a run may take
    before any scheduler marks it failed; a failing run is tried again up to
    `retries` times, `retry_delay` seconds apart (doubling each time).
    """

    id: str
    func: Callable[[], object]
    trigger: str
    misfire: str = CATCH_UP
    time_limit: int = 600
    retries: int = 0
    title: object = ""
    retry_delay: int = 30


def core_jobs() -> list[Job]:
    """The core's own jobs: the mail drain and the report subscriptions."""
    from core import mail, reports

    return [*mail.jobs(), *reports.jobs()]
