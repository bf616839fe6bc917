"""Scheduled jobs of the quality award."""

import logging
from datetime import date

from sqlalchemy import select

from core import calendar, mail
from core.extensions import db
from core.i18n import _, _l
from core.jobs import SKIP, Job
from core.models.departments import Department
from core.models.users import Role, User, user_roles
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


KIND_LABELS = {
    "objection_intake": _l("Decide whether to accept the objection"),
    "notice_end": _l("Public notice ends; report to the mayor"),
}


def office_departments() -> list[Department]:
    """Active departments of the people who act as the committee office."""
    permission = "quality_award.office"
    roles = [
        role.id
        for role in db.session.scalars(select(Role).where(Role.is_superuser.is_(False)))
        if permission in (role.permissions or [])
    ]
    if not roles:
        return []
    statement = (
        select(Department)
        .join(User, User.department_id == Department.id)
        .join(user_roles, user_roles.c.user_id == User.id)
        .where(
            user_roles.c.role_id.in_(roles),
            User.is_active.is_(True),
            Department.is_active.is_(True),
        )
        .distinct()
        .order_by(Department.id)
    )
    return list(db.session.scalars(statement))


def _reminder_text(items: list[dict]) -> str:
    lines = [_("The committee office of the Mayor's Quality Award has to act on:")]
    for item in items:
        line = _(
            "%(task)s: %(applicant)s, due %(due)s",
            task=KIND_LABELS[item["kind"]],
            applicant=item["applicant"],
            due=item["due"].isoformat(),
        )
        if item["overdue"]:
            line += " " + _("(overdue)")
        lines.append("- " + line)
    return "\n".join(lines)


def send_reminders() -> list[dict]:
    """Job: mail the committee office its intake deadlines and notice ends."""
    items = due_reminders(today_local())
    for item in items:
        log.info(
            "reminder to the committee office: %s #%s (%s) due %s%s",
            item["kind"],
            item["record"],
            item["applicant"],
            item["due"],
            " (overdue)" if item["overdue"] else "",
        )
    if items:
        subject = _(
            "Mayor's Quality Award: %(count)s deadlines for the committee office",
            count=len(items),
        )
        text = _reminder_text(items)
        departments = [d for d in office_departments() if d.emails]
        # Without an address the dashboard still shows the items; say so loudly
        # so that the operators add the office's contact emails.
        if not departments:
            log.warning("no committee office department has contact emails")
        for department in departments:
            mail.enqueue(
                department.emails,
                subject,
                text,
                department=department,
                origin="quality_award.reminders",
            )
            log.info(
                "queued the reminder mail to %s (%s items)", department.name, len(items)
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
