"""The printable notice of a task's published inspection results (task 9)."""

from sqlalchemy import select

from core.documents import Document, chinese_date, yuan
from core.errors import RuleViolation
from core.extensions import db
from core.i18n import _
from modules.dual_random.models import (
    OUTCOME_LABELS,
    Result,
    Target,
    Task,
    TaskStatus,
)

# A notice longer than this is published online in full; paper holds the first.
MAX_ROWS = 5_000


def results_notice(task: Task) -> Document:
    """The published results of one task, as the inspecting departments sign them."""
    if task.status != TaskStatus.PUBLISHED:
        raise RuleViolation(
            _("Only published results can be printed."), article="task 9"
        )
    record = task.current_draw
    document = Document(_("Notice of random inspection results"))
    document.paragraph(
        _(
            "Task: %(task)s. Inspecting departments: %(departments)s.",
            task=task.title,
            departments="、".join(d.name for d in task.departments),
        )
    )
    document.paragraph(
        _("Items checked: %(items)s.", items="；".join(str(i) for i in task.items))
    )
    if record is not None:
        document.paragraph(
            _(
                "%(drawn)s targets were drawn at random from %(population)s "
                "candidates; seed %(seed)s.",
                drawn=record.sample_size,
                population=record.population_size,
                seed=record.seed,
            )
        )
    document.paragraph(
        _(
            "Inspection completed on %(completed)s; results published on "
            "%(published)s.",
            completed=chinese_date(task.completed_on),
            published=chinese_date(task.published_on),
        )
    )
    if task.withheld_reason:
        # task 9: results the law keeps from the public are not listed.
        document.paragraph(
            _(
                "The results are not made public on this legal ground: %(reason)s",
                reason=task.withheld_reason,
            )
        )
    else:
        document.heading(_("Results"))
        document.table(_headers(), _rows(task))
    document.signature("、".join(d.name for d in task.departments), task.published_on)
    return document


def _headers() -> list[str]:
    return [
        _("No."),
        _("Target"),
        _("Unified social credit code"),
        _("Item"),
        _("Inspected on"),
        _("Outcome"),
        _("Penalty"),
        _("Fine (yuan)"),
    ]


def _rows(task: Task) -> list[list]:
    rows = db.session.execute(
        select(Result, Target.name, Target.uscc)
        .join(Target, Target.id == Result.target_id)
        .where(Result.task_id == task.id)
        .order_by(Result.target_id, Result.item_id)
        .limit(MAX_ROWS)
    ).all()
    return [
        [
            n,
            name,
            uscc or "",
            str(result.item),
            chinese_date(result.inspected_on),
            str(OUTCOME_LABELS[result.outcome]),
            result.penalty,
            yuan(result.fine_yuan) if result.fine_yuan is not None else "",
        ]
        for n, (result, name, uscc) in enumerate(rows, start=1)
    ]
