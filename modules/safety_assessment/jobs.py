"""Scheduled jobs of the safety assessment."""

from core.extensions import db
from core.i18n import _l
from core.jobs import SKIP, Job
from core.timeutil import today_local
from modules.safety_assessment import services


def remind_self_assessments() -> int:
    """Remind units that have not filed their self-assessment report (art. 13)."""
    sent = services.send_reminders(today_local())
    db.session.commit()
    return sent


JOBS = [
    Job(
        id="safety_assessment.self_assessment_reminders",
        func=remind_self_assessments,
        trigger="cron:0 9 * * *",
        misfire=SKIP,
        time_limit=300,
        title=_l("Self-assessment report reminders"),
    )
]
