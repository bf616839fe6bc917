"""Scheduled jobs of the firefighter benefits module."""

from core.i18n import _l
from core.jobs import CATCH_UP, SKIP, Job
from core.timeutil import today_local
from modules.firefighter_benefits import gate, services


def enrollment_reminder() -> int:
    """From 1 March, draft and fill each brigade's school list and remind."""
    return len(services.prepare_lists(today_local()))


def flush_verification_counts() -> int:
    """Write the verification counts buffered in this process."""
    return services.flush_counts()


def prune_gate_log() -> int:
    """Delete the gate registry's change log older than a day."""
    return gate.prune_log()


JOBS = [
    Job(
        id="firefighter_benefits.enrollment_reminder",
        func=enrollment_reminder,
        trigger="cron:0 9 * 3 *",
        misfire=CATCH_UP,
        time_limit=600,
        title=_l("School enrollment list reminder"),
    ),
    Job(
        id="firefighter_benefits.flush_verification_counts",
        func=flush_verification_counts,
        trigger="interval:60",
        misfire=SKIP,
        time_limit=60,
        title=_l("Write verification statistics"),
    ),
    Job(
        id="firefighter_benefits.prune_gate_log",
        func=prune_gate_log,
        trigger="cron:30 3 * * *",
        misfire=CATCH_UP,
        time_limit=600,
        title=_l("Prune the gate registry's change log"),
    ),
]
