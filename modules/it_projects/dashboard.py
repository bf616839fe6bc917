"""Dashboard items: technical reviews and the open call waiting on a department."""

from datetime import date

from flask import url_for
from sqlalchemy import select

from core.dashboard import DueItem
from core.extensions import db
from core.i18n import _
from modules.it_projects import services
from modules.it_projects.models import ItProject


def _project_url(project: ItProject) -> str:
    return url_for("it_projects_desk.project", project_id=project.id)


def due_items(user, today: date) -> list[DueItem]:
    """Reviews waiting on the user's department, and an open call to answer."""
    items = []
    if user.can("it_projects.review"):
        for project in services.pending_technical_reviews(user):
            if project.review_due_on is None:
                continue
            items.append(
                DueItem(
                    module="it_projects",
                    title=_("Technical review: %(title)s", title=project.title),
                    deadline=project.review_due_on,
                    url=_project_url(project),
                    detail=project.department.name,
                )
            )

    call = services.open_call(today)
    if call is not None and user.can("it_projects.apply"):
        filed = db.session.scalars(
            select(ItProject.id).where(
                ItProject.call_id == call.id,
                ItProject.department_id == user.department_id,
            )
        ).first()
        if filed is None:
            items.append(
                DueItem(
                    module="it_projects",
                    title=_(
                        "Applications for the %(year)s IT project plan",
                        year=call.plan_year,
                    ),
                    deadline=call.closes_on,
                    url=url_for("it_projects_desk.apply"),
                    detail=user.department.name,
                )
            )
    return items
