"""Scheduled jobs of the inspection system."""

from core.extensions import db
from core.i18n import _l
from core.jobs import CATCH_UP, Job
from core.timeutil import today_local
from modules.dual_random import services


def send_reminders() -> int:
    """Issue reminders of plan and publication deadlines (tasks 6, 7, 9)."""
    made = services.issue_reminders(today_local())
    db.session.commit()
    return made


JOBS = [
    Job(
        id="dual_random.reminders",
        func=send_reminders,
        trigger="workday:08:30",
        misfire=CATCH_UP,
        time_limit=300,
        title=_l("Inspection deadline reminders"),
    )
]
