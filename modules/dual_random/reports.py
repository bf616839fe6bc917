"""Reports: each department's monthly tasks and the joint plan's progress."""

from sqlalchemy import func, select

from core.extensions import db
from core.i18n import _, _l
from core.reports import Column, Report, ReportParams, ReportTable
from modules.dual_random.models import (
    TASK_STATUS_LABELS,
    Outcome,
    Plan,
    PlanKind,
    Result,
    Task,
    TaskStatus,
)


def _result_counts(task_ids: list[int]) -> dict[int, tuple[int, int]]:
    counts: dict[int, list[int]] = {}
    if not task_ids:
        return {}
    rows = db.session.execute(
        select(Result.task_id, Result.outcome, func.count(Result.id))
        .where(Result.task_id.in_(task_ids))
        .group_by(Result.task_id, Result.outcome)
    )
    for task_id, outcome, n in rows:
        entry = counts.setdefault(task_id, [0, 0])
        entry[0] += n
        if outcome == Outcome.VIOLATION:
            entry[1] += n
    return {k: (v[0], v[1]) for k, v in counts.items()}


def monthly_tasks(params: ReportParams) -> ReportTable:
    """Tasks active in the period: results and publication deadlines (task 9)."""
    statement = params.scope(select(Task), Task).where(Task.created_at.is_not(None))
    tasks = [
        t
        for t in db.session.scalars(statement.order_by(Task.id))
        if (t.starts_on or t.created_at.date()) <= params.period_end
        and (t.published_on is None or t.published_on >= params.period_start)
    ]
    counts = _result_counts([t.id for t in tasks])
    rows = []
    for task in tasks:
        record = task.current_draw
        results, violations = counts.get(task.id, (0, 0))
        rows.append(
            {
                "department": task.department.name,
                "task": task.title,
                "status": str(TASK_STATUS_LABELS[task.status]),
                "targets": record.sample_size if record else 0,
                "results": results,
                "violations": violations,
                "completed_on": task.completed_on,
                "publish_due_on": task.publish_due_on,
                "published_on": task.published_on,
                "overdue": _("yes")
                if task.status == TaskStatus.COMPLETED
                and task.publish_due_on < params.period_end
                else "",
            }
        )
    return ReportTable(
        columns=[
            Column("department", _l("Department")),
            Column("task", _l("Task")),
            Column("status", _l("Status")),
            Column("targets", _l("Targets")),
            Column("results", _l("Results")),
            Column("violations", _l("Violations")),
            Column("completed_on", _l("Completed on")),
            Column("publish_due_on", _l("Publish by")),
            Column("published_on", _l("Published on")),
            Column("overdue", _l("Overdue")),
        ],
        rows=rows,
    )


def joint_plan_progress(params: ReportParams) -> ReportTable:
    """The lead department's joint plans: their tasks and how far each got."""
    plans = db.session.scalars(
        params.scope(select(Plan), Plan)
        .where(
            Plan.kind == PlanKind.JOINT,
            Plan.year.between(params.period_start.year, params.period_end.year),
        )
        .order_by(Plan.year, Plan.id)
    )
    rows = []
    for plan in plans:
        tasks = list(db.session.scalars(select(Task).where(Task.plan_id == plan.id)))
        done = sum(
            1 for t in tasks if t.status in (TaskStatus.COMPLETED, TaskStatus.PUBLISHED)
        )
        published = sum(1 for t in tasks if t.status == TaskStatus.PUBLISHED)
        rows.append(
            {
                "plan": plan.title,
                "year": plan.year,
                "status": plan.status.value,
                "tasks": len(tasks),
                "completed": done,
                "published": published,
                "progress": f"{(done * 100 // len(tasks)) if tasks else 0}%",
            }
        )
    return ReportTable(
        columns=[
            Column("plan", _l("Plan")),
            Column("year", _l("Year")),
            Column("status", _l("Status")),
            Column("tasks", _l("Tasks")),
            Column("completed", _l("Completed")),
            Column("published", _l("Published")),
            Column("progress", _l("Progress")),
        ],
        rows=rows,
    )


REPORTS = [
    Report(
        id="dual_random.monthly_tasks",
        title=_l("Random inspections: tasks, results and publication deadlines"),
        build=monthly_tasks,
        module="dual_random",
    ),
    Report(
        id="dual_random.joint_plan_progress",
        title=_l("Random inspections: joint plan progress"),
        build=joint_plan_progress,
        module="dual_random",
    ),
]
