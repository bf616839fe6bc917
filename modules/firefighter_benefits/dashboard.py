"""Dashboard items: school enrollment lists waiting on the political department."""

from sqlalchemy import select

from core.dashboard import DueItem
from core.extensions import db
from core.i18n import _
from core.scoping import scope
from modules.firefighter_benefits import rules
from modules.firefighter_benefits.models import EnrollmentList, ListStatus


def due_items(user, today) -> list[DueItem]:
    """Unconfirmed lists of this year from 1 March, for those who confirm them."""
    if not user.can("firefighter_benefits.confirm_enrollment"):
        return []
    if today < rules.reminder_start(today.year):
        return []
    statement = scope(
        select(EnrollmentList).where(
            EnrollmentList.year == today.year,
            EnrollmentList.status == ListStatus.DRAFT,
        ),
        EnrollmentList,
        user,
    )
    return [
        DueItem(
            module="firefighter_benefits",
            title=_(
                "Confirm the %(year)s school enrollment list of %(brigade)s",
                year=lst.year,
                brigade=lst.brigade.name,
            ),
            deadline=rules.list_due_date(lst.year),
            url=f"/admin/firefighter_benefits/enrollment/{lst.id}",
            detail=_("%(count)s children", count=len(lst.entries)),
        )
        for lst in db.session.scalars(statement)
    ]
