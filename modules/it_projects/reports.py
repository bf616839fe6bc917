"""Reports: the annual plan by department, and spending against approved budgets."""

from collections import defaultdict

from sqlalchemy import func, select

from core.extensions import db
from core.i18n import _l
from core.models.departments import Department
from core.reports import Column, Report, ReportParams, ReportTable
from modules.it_projects.models import ItProject, ProjectFunding
from modules.it_projects.rules import Status
from modules.it_projects.services import STATUS_LABELS, format_yuan

# Statuses grouped the way the approval bureau follows the annual plan.
IN_REVIEW = {
    Status.SUBMITTED,
    Status.INITIALLY_REVIEWED,
    Status.IN_DRAFT_PLAN,
    Status.FUNDS_CONFIRMED,
    Status.AT_COMMITTEE,
}


def annual_plan_status(params: ReportParams) -> ReportTable:
    """Projects of the plan years in the period, by department and stage."""
    years = range(params.period_start.year, params.period_end.year + 1)
    statement = params.scope(
        select(ItProject).where(ItProject.plan_year.in_(list(years))), ItProject
    )
    rows: dict = defaultdict(
        lambda: {
            "applied": 0,
            "in_review": 0,
            "approved": 0,
            "rejected": 0,
            "settled": 0,
            "investment": 0,
        }
    )
    names = {}
    for project in db.session.scalars(statement.order_by(ItProject.id)):
        key = (project.plan_year, project.department_id)
        names[key] = project.department.name
        row = rows[key]
        row["applied"] += 1
        if project.status in IN_REVIEW:
            row["in_review"] += 1
        elif project.status == Status.REJECTED:
            row["rejected"] += 1
        else:
            row["approved"] += 1
            row["investment"] += project.approved_investment_fen or 0
        if project.status == Status.SETTLED:
            row["settled"] += 1

    table = ReportTable(
        columns=[
            Column("plan_year", _l("Plan year")),
            Column("department", _l("Department")),
            Column("applied", _l("Applications")),
            Column("in_review", _l("Before approval")),
            Column("approved", _l("Approved projects")),
            Column("rejected", _l("Rejected in review")),
            Column("settled", _l("Settled")),
            Column("investment", _l("Approved investment (yuan)")),
        ]
    )
    for key in sorted(rows, key=lambda k: (k[0], names[k])):
        row = rows[key]
        table.rows.append(
            {
                "plan_year": key[0],
                "department": names[key],
                **row,
                "investment": format_yuan(row["investment"]),
            }
        )
    return table


def spending(params: ReportParams) -> ReportTable:
    """Funds paid in the period against each approved project's budget."""
    paid = (
        select(
            ProjectFunding.project_id, func.sum(ProjectFunding.amount_fen).label("paid")
        )
        .where(ProjectFunding.paid_on.between(params.period_start, params.period_end))
        .group_by(ProjectFunding.project_id)
        .subquery()
    )
    total = (
        select(
            ProjectFunding.project_id,
            func.sum(ProjectFunding.amount_fen).label("total"),
        )
        .where(ProjectFunding.paid_on <= params.period_end)
        .group_by(ProjectFunding.project_id)
        .subquery()
    )
    statement = params.scope(
        select(ItProject, Department.name, paid.c.paid, total.c.total)
        .join(Department, Department.id == ItProject.department_id)
        .outerjoin(paid, paid.c.project_id == ItProject.id)
        .outerjoin(total, total.c.project_id == ItProject.id)
        .where(ItProject.approved_on.is_not(None)),
        ItProject,
    )
    table = ReportTable(
        columns=[
            Column("department", _l("Department")),
            Column("project", _l("Project")),
            Column("status", _l("Status")),
            Column("approved_investment", _l("Approved investment (yuan)")),
            Column("approved_budget", _l("Approved budget (yuan)")),
            Column("paid", _l("Paid in the period (yuan)")),
            Column("paid_total", _l("Paid to date (yuan)")),
            Column("remaining", _l("Remaining budget (yuan)")),
        ]
    )
    for project, department, period_paid, to_date in db.session.execute(
        statement.order_by(Department.name, ItProject.id)
    ):
        ceiling = project.approved_budget_fen or project.approved_investment_fen or 0
        table.rows.append(
            {
                "department": department,
                "project": project.title,
                "status": str(STATUS_LABELS[project.status]),
                "approved_investment": format_yuan(project.approved_investment_fen),
                "approved_budget": format_yuan(project.approved_budget_fen),
                "paid": format_yuan(period_paid or 0),
                "paid_total": format_yuan(to_date or 0),
                "remaining": format_yuan(ceiling - (to_date or 0)),
            }
        )
    return table


REPORTS = [
    Report(
        id="it_projects.annual_plan_status",
        title=_l("IT projects: annual plan by department"),
        build=annual_plan_status,
        module="it_projects",
    ),
    Report(
        id="it_projects.spending",
        title=_l("IT projects: spending against approved budgets"),
        build=spending,
        module="it_projects",
    ),
]
