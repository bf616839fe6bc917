"""Scheduled jobs of construction project approval."""

import logging

from core.extensions import db
from core.i18n import _l
from core.jobs import SKIP, Job
from core.timeutil import today_local
from modules.approval_reform import services

log = logging.getLogger(__name__)


def escalate_key_projects() -> int:
    """Escalate key projects' stages nearing or past their limit (section 4(15))."""
    created = services.escalate_key_projects(today_local())
    db.session.commit()
    log.info("supervision run escalated %s stage(s)", len(created))
    return len(created)


JOBS = [
    Job(
        id="approval_reform.escalate_key_projects",
        func=escalate_key_projects,
        trigger="workday:08:30",
        # A missed day is caught by the next run: escalation looks at today.
        misfire=SKIP,
        time_limit=300,
        title=_l("Escalate key projects nearing their time limit"),
    )
]
