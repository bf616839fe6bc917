"""Scheduled jobs: call reminders and technical review reminders."""

from core.i18n import _l
from core.jobs import CATCH_UP, Job
from core.timeutil import today_local
from modules.it_projects import services


def remind_call() -> int:
    """Remind every department when the call opens and a week before it closes."""
    return services.send_call_reminders(today_local())


def remind_reviews() -> int:
    """Remind reviewers of technical reviews nearing their limit."""
    return services.send_review_reminders(today_local())


JOBS = [
    # Daily, weekends included: a call may open on any date the bureau sets,
    # and reminders are idempotent, so a caught-up run sends nothing twice.
    Job(
        id="it_projects.call_reminders",
        func=remind_call,
        trigger="cron:0 9 * * *",
        misfire=CATCH_UP,
        time_limit=300,
        title=_l("IT project call reminders"),
    ),
    Job(
        id="it_projects.review_reminders",
        func=remind_reviews,
        trigger="workday:09:00",
        misfire=CATCH_UP,
        time_limit=300,
        title=_l("Technical review reminders"),
    ),
]
