"""Scheduled jobs of the quality award."""

import logging
from datetime import date

from sqlalchemy import select

from core import calendar
from core.extensions import db
from core.i18n import _l
from core.jobs import SKIP, Job
from core.timeutil import today_local
from modules.quality_award.models import Application, Objection
from modules.quality_award.rules import State

log = logging.getLogger(__name__)

# Remind the office this many working days before a deadline, and every day after.
REMIND_WORKING_DAYS = 2


def due_reminders(today: date) -> list[dict]:
    """Objection intakes and public notice ends the committee office must act on."""
    horizon = calendar.add_working_days(today, REMIND_WORKING_DAYS).value
    items = []
    for objection in db.session.scalars(
        select(Objection)
        .where(Objection.intake_decision == "", Objection.intake_due_on <= horizon)
        .order_by(Objection.intake_due_on)
    ):
        items.append(
            {
                "kind": "objection_intake",
                "record": objection.id,
                "applicant": objection.application.applicant_name,
                "due": objection.intake_due_on,
                "overdue": objection.intake_due_on < today,
            }
        )
    for application in db.session.scalars(
        select(Application)
        .where(
            Application.state == State.IN_NOTICE,
            Application.notice_ends_on <= horizon,
        )
        .order_by(Application.notice_ends_on)
    ):
        items.append(
            {
                "kind": "notice_end",
                "record": application.id,
                "applicant": application.applicant_name,
                "due": application.notice_ends_on,
                "overdue": application.notice_ends_on < today,
            }
        )
    return items


def send_reminders() -> list[dict]:
    """Job: remind the committee office of intake deadlines and notice ends."""
    items = due_reminders(today_local())
    # The core offers no outbox call yet, so the reminders go to the log,
    # which the operators watch; the dashboard shows the same items.
    for item in items:
        log.info(
            "reminder to the committee office: %s #%s (%s) due %s%s",
            item["kind"],
            item["record"],
            item["applicant"],
            item["due"],
            " (overdue)" if item["overdue"] else "",
        )
    db.session.commit()
    return items


JOBS = [
    Job(
        id="quality_award.reminders",
        func=send_reminders,
        trigger="workday:09:00",
        misfire=SKIP,
        time_limit=300,
        title=_l("Quality award: daily reminders to the committee office"),
    )
]
