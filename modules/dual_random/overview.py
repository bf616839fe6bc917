"""The overview page's charts: tasks by stage and targets by county.

Each chart is a handful of grouped, department-scoped queries (the drawn
targets one per task's current draw); nothing is loaded row by row, so the page
stays fast on a registry of a million targets.
"""

from collections import Counter

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import undefer

from core.charts import Chart
from core.extensions import db
from core.i18n import _
from core.models.departments import Department
from core.scoping import scope
from modules.dual_random import services
from modules.dual_random.models import (
    TASK_STATUS_LABELS,
    Draw,
    Outcome,
    Result,
    Target,
    Task,
    TaskStatus,
)


def tasks_by_stage(user) -> Chart:
    """How many of the user's tasks stand at each stage, draft to published."""
    counts = dict(
        db.session.execute(
            scope(
                select(Task.status, func.count(Task.id)).group_by(Task.status),
                Task,
                user,
            )
        ).all()
    )
    return Chart(
        title=_("Inspection tasks by stage"),
        labels=[str(TASK_STATUS_LABELS[s]) for s in TaskStatus],
        series={_("Tasks"): [counts.get(s, 0) for s in TaskStatus]},
    )


def targets_by_county(user) -> Chart:
    """Per county: active targets, targets in the tasks' current draws, violations."""
    registry = _by_county(
        scope(
            select(Target.county_id, func.count(Target.id))
            .where(Target.is_active.is_(True))
            .group_by(Target.county_id),
            Target,
            user,
        )
    )
    # Only the draw in force counts: a task drawn again replaces its sample.
    current = scope(select(func.max(Draw.id)).group_by(Draw.task_id), Draw, user)
    drawn: Counter[int] = Counter()
    for record in db.session.scalars(
        select(Draw)
        .where(Draw.id.in_(current.scalar_subquery()))
        .options(undefer(Draw.drawn))
    ):
        # A draw keeps its drawn list as one value: one grouped query each.
        drawn.update(
            _by_county(
                select(Target.county_id, func.count(Target.id))
                .where(services.id_in(Target.id, services.drawn_ids(record)))
                .group_by(Target.county_id)
            )
        )
    violations = _by_county(
        scope(
            select(Target.county_id, func.count(distinct(Result.target_id)))
            .join(Target, Target.id == Result.target_id)
            .where(Result.outcome == Outcome.VIOLATION)
            .group_by(Target.county_id),
            Result,
            user,
        )
    )
    county_ids = set(registry) | set(drawn) | set(violations)
    counties = db.session.execute(
        select(Department.id, Department.name)
        .where(Department.id.in_(county_ids))
        .order_by(Department.id)
    ).all()
    return Chart(
        title=_("Targets by county"),
        labels=[name for _id, name in counties],
        series={
            _("In the registry"): [registry.get(i, 0) for i, _n in counties],
            _("Drawn"): [drawn.get(i, 0) for i, _n in counties],
            _("With violations"): [violations.get(i, 0) for i, _n in counties],
        },
    )


def _by_county(statement) -> dict[int, int]:
    return dict(db.session.execute(statement).all())
