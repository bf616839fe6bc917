"""Public pages, without sign-in: the four notices and draw verification.

Item lists, joint annual plans, tasks with their drawn targets, and results
(task 9, "one public"); anyone can re-run a draw from its published seed.
"""

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy import select

from core.extensions import db
from core.i18n import _
from modules.dual_random import services
from modules.dual_random.models import (
    METHOD_LABELS,
    OUTCOME_LABELS,
    CheckItem,
    Draw,
    Plan,
    PlanKind,
    PlanStatus,
    Result,
    Target,
    Task,
    TaskKind,
    TaskStatus,
)

public_bp = Blueprint(
    "dual_random_public",
    __name__,
    url_prefix="/public/dual-random",
    template_folder="templates",
)

SHOWN = (
    TaskStatus.DRAWN,
    TaskStatus.MATCHED,
    TaskStatus.COMPLETED,
    TaskStatus.PUBLISHED,
)


def _task(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or task.status not in SHOWN:
        abort(404)
    return task


@public_bp.get("/")
def index():
    """The four kinds of notice."""
    return render_template("dual_random/public_index.html")


@public_bp.get("/items")
def items():
    """Every department's spot-check item list."""
    rows = db.session.scalars(
        select(CheckItem)
        .where(CheckItem.is_active.is_(True))
        .order_by(CheckItem.department_id, CheckItem.id)
    )
    return render_template(
        "dual_random/public_items.html", items=list(rows), methods=METHOD_LABELS
    )


@public_bp.get("/plans")
def plans():
    """Published joint annual plans."""
    rows = db.session.scalars(
        select(Plan)
        .where(Plan.kind == PlanKind.JOINT, Plan.status == PlanStatus.PUBLISHED)
        .order_by(Plan.year.desc(), Plan.id)
    )
    return render_template("dual_random/public_plans.html", plans=list(rows))


@public_bp.get("/tasks")
def tasks():
    """Tasks whose targets are drawn."""
    rows = db.session.scalars(
        select(Task).where(Task.status.in_(SHOWN)).order_by(Task.id.desc()).limit(500)
    )
    return render_template("dual_random/public_tasks.html", tasks=list(rows))


@public_bp.get("/tasks/<int:task_id>")
def task(task_id):
    """A task with every draw, its seed, fingerprint and drawn targets."""
    record = _task(task_id)
    draws = []
    for draw in record.draws:
        ids = services.drawn_ids(draw)[:2000]
        names = dict(
            db.session.execute(
                select(Target.id, Target.name).where(Target.id.in_(ids))
            ).all()
        )
        draws.append((draw, [(i, names.get(i, "")) for i in ids]))
    return render_template(
        "dual_random/public_task.html",
        task=record,
        draws=draws,
        random_kind=TaskKind.RANDOM,
    )


@public_bp.get("/draws/<int:draw_id>/verify")
def verify(draw_id):
    """Re-run a draw from its frozen candidate list and a seed."""
    draw = db.session.get(Draw, draw_id)
    if draw is None or draw.task.status not in SHOWN:
        abort(404)
    seed = request.args.get("seed", draw.seed).strip()
    if not seed.isdigit():
        outcome, error = None, _("A seed is a whole number.")
    else:
        outcome, error = services.verify_draw(draw, seed), ""
    return render_template(
        "dual_random/public_verify.html",
        draw=draw,
        seed=seed,
        outcome=outcome,
        error=error,
        recorded=services.drawn_ids(draw)[:2000],
    )


@public_bp.get("/draws/<int:draw_id>/candidates.txt")
def candidates(draw_id):
    """The frozen candidate list: "id<TAB>stratum" per line, by stratum."""
    draw = db.session.get(Draw, draw_id)
    if draw is None or draw.task.status not in SHOWN:
        abort(404)

    def lines():
        for key, ids in services.decode_snapshot(draw.snapshot):
            yield "".join(f"{i}\t{key}\n" for i in ids)

    return Response(lines(), mimetype="text/plain")


@public_bp.get("/results")
def results():
    """Published results, except those the law keeps from the public (task 9)."""
    rows = db.session.scalars(
        select(Result)
        .join(Task, Task.id == Result.task_id)
        .where(Task.status == TaskStatus.PUBLISHED, Task.withheld_reason == "")
        .order_by(Result.task_id.desc(), Result.id)
        .limit(2000)
    )
    return render_template(
        "dual_random/public_results.html", results=list(rows), outcomes=OUTCOME_LABELS
    )
