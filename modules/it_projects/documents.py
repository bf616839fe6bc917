"""The printable annual plan of IT projects (art. 7(3)-(4))."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.documents import Document, chinese_date, yuan
from core.errors import NotFound
from core.extensions import db
from core.i18n import _
from core.models.departments import Department
from core.scoping import scope
from modules.it_projects import rules
from modules.it_projects.models import Call, ItProject
from modules.it_projects.rules import Kind
from modules.it_projects.services import SOURCE_LABELS, STATUS_LABELS


def _yuan(fen: int | None) -> str:
    return yuan(Decimal(int(fen or 0)) / rules.FEN_PER_YUAN)


def plan_projects(user, plan_year: int) -> list[ItProject]:
    """The projects of a year's annual plan that the user may see."""
    statement = scope(
        select(ItProject)
        .join(Department, Department.id == ItProject.department_id)
        .where(
            ItProject.plan_year == plan_year,
            ItProject.kind == Kind.ANNUAL,
            ItProject.status.in_(rules.PLAN_STATUSES),
        )
        .order_by(Department.name, ItProject.id),
        ItProject,
        user,
    )
    return list(db.session.scalars(statement))


def annual_plan(user, plan_year: int, today: date) -> Document:
    """The annual plan of a plan year as a printable document."""
    call = db.session.scalars(select(Call).where(Call.plan_year == plan_year)).first()
    if call is None:
        raise NotFound(_("There is no annual call for %(year)s.", year=plan_year))
    projects = plan_projects(user, plan_year)

    document = Document(
        _("Zhuzhou %(year)s annual IT construction plan", year=plan_year)
    )
    document.paragraph(
        _(
            "Applications received from %(opens)s to %(closes)s were reviewed by "
            "the municipal administrative approval bureau, which drafted this plan "
            "and agreed its funding with the municipal finance bureau; projects "
            "approved by the municipal investment decision committee enter the "
            "government investment plan (art. 7(3) and (4)).",
            opens=chinese_date(call.opens_on),
            closes=chinese_date(call.closes_on),
        )
    )
    document.heading(_("Projects in the plan"))
    if projects:
        document.table(
            [
                _("No."),
                _("Project"),
                _("Requesting unit"),
                _("Status"),
                _("Funding sources"),
                _("Investment estimate (yuan)"),
                _("Approved investment (yuan)"),
            ],
            [
                [
                    number,
                    project.title,
                    project.department.name,
                    str(STATUS_LABELS[project.status]),
                    "、".join(
                        str(SOURCE_LABELS.get(source, source))
                        for source in project.funding_sources
                    ),
                    _yuan(project.investment_estimate_fen),
                    _yuan(project.approved_investment_fen)
                    if project.approved_investment_fen is not None
                    else "",
                ]
                for number, project in enumerate(projects, start=1)
            ],
        )
    else:
        document.paragraph(_("No project is in the plan yet."))
    document.paragraph(
        _(
            "%(count)s projects; investment estimate %(estimate)s yuan; approved "
            "investment %(approved)s yuan.",
            count=len(projects),
            estimate=_yuan(sum(p.investment_estimate_fen for p in projects)),
            approved=_yuan(sum(p.approved_investment_fen or 0 for p in projects)),
        )
    )
    document.signature(_("Zhuzhou Administrative Approval Service Bureau"), today)
    return document
