"""Reports of construction project approval."""

from sqlalchemy import select

from core.extensions import db
from core.i18n import _l
from core.models.departments import subtree_ids
from core.reports import Column, Report, ReportParams, ReportTable
from modules.approval_reform import rules, services
from modules.approval_reform.models import (
    Category,
    Project,
    ProjectStatus,
    Stage,
    StageStatus,
)


def build_due_stages(params: ReportParams) -> ReportTable:
    """Stages led by the department that are due within 3 working days or overdue."""
    table = ReportTable(
        columns=[
            Column("project_code", _l("Project code")),
            Column("project_name", _l("Project name")),
            Column("stage", _l("Stage")),
            Column("lead_department", _l("Lead department")),
            Column("deadline", _l("Deadline")),
            Column("working_days_left", _l("Working days left")),
            Column("status", _l("Status")),
            Column("confirmed", _l("Calendar confirmed")),
        ]
    )
    ids = subtree_ids(params.department)
    statement = params.scope(
        select(Stage).where(Stage.status == StageStatus.OPEN), Stage
    ).where(
        # The stage's lead department, or the project's owner, receives it.
        (Stage.lead_department_id.in_(ids))
        | Stage.project_id.in_(select(Project.id).where(Project.department_id.in_(ids)))
    )
    for stage in db.session.scalars(statement.order_by(Stage.id)):
        clock = services.stage_clock(stage, params.period_end)
        if clock.days_left is None:
            continue
        status = rules.due_status(clock.days_left)
        if status is None:
            continue
        table.rows.append(
            {
                "project_code": stage.project.code,
                "project_name": stage.project.name,
                "stage": stage.kind.value,
                "lead_department": stage.lead_department.name,
                "deadline": clock.deadline,
                "working_days_left": clock.days_left,
                "status": status,
                "confirmed": clock.confirmed,
            }
        )
    table.rows.sort(key=lambda r: (r["working_days_left"], r["project_code"]))
    return table


def build_monthly_average(params: ReportParams) -> ReportTable:
    """Average working days per category of projects completed in the period."""
    table = ReportTable(
        columns=[
            Column("category", _l("Category")),
            Column("completed", _l("Projects completed")),
            Column("average_working_days", _l("Average working days")),
            Column("time_limit", _l("Time limit (working days)")),
            Column("over_limit", _l("Over the limit")),
        ]
    )
    projects = db.session.scalars(
        params.scope(
            select(Project).where(
                Project.status == ProjectStatus.COMPLETED,
                Project.completed_on >= params.period_start,
                Project.completed_on <= params.period_end,
            ),
            Project,
        )
    ).unique()
    used: dict[Category, list[int]] = {c: [] for c in Category}
    over: dict[Category, int] = {c: 0 for c in Category}
    for project in projects:
        elapsed = services.project_clock(project, project.completed_on).elapsed
        used[project.category].append(elapsed)
        limit = project.time_limit_working_days
        if limit is not None and elapsed > limit:
            over[project.category] += 1
    for category in Category:
        table.rows.append(
            {
                "category": category.value,
                "completed": len(used[category]),
                "average_working_days": rules.average_working_days(used[category]),
                "time_limit": rules.time_limit(category),
                "over_limit": over[category],
            }
        )
    return table


REPORTS = [
    Report(
        id="approval_reform.due_stages",
        title=_l("Stages due within 3 working days or overdue"),
        build=build_due_stages,
        module="approval_reform",
    ),
    Report(
        id="approval_reform.monthly_average",
        title=_l("Average approval working days per category"),
        build=build_monthly_average,
        module="approval_reform",
    ),
]
