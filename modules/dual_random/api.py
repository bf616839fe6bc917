"""JSON API of the inspection system under /api/v1/dual-random."""

from flask import Response, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api import api_blueprint, api_user, endpoint
from core.errors import InvalidInput, NotFound
from core.extensions import db
from core.i18n import _
from core.models.departments import Department, subtree_ids
from core.scoping import get_visible, scope, sees_everything
from core.timeutil import today_local
from modules.dual_random import schemas, services, spreadsheets
from modules.dual_random.models import (
    CheckItem,
    Draw,
    Inspector,
    Plan,
    Result,
    Target,
    Task,
)

bp = api_blueprint("dual_random", "dual-random")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(statement, model, query):
    statement = scope(statement, model, api_user())
    statement = statement.where(model.id > query["after_id"]).order_by(model.id)
    return list(db.session.scalars(statement.limit(query["limit"])))


def _commit(record):
    db.session.commit()
    return record


# -- Items ---------------------------------------------------------------------


@endpoint(
    bp,
    "/items",
    query=schemas.PageQuery,
    response=schemas.CheckItemSchema,
    many=True,
    permission="dual_random.view",
)
def list_items(query):
    """List spot-check items."""
    return _page(select(CheckItem), CheckItem, query)


@endpoint(
    bp,
    "/items",
    methods=("POST",),
    body=schemas.CheckItemSchema,
    response=schemas.CheckItemSchema,
    status=201,
    permission="dual_random.edit",
)
def create_item(body):
    """Add a spot-check item."""
    return _commit(services.save_check_item(api_user(), body))


@endpoint(
    bp,
    "/departments/<int:department_id>/key-share",
    response=schemas.KeyShareSchema,
    permission="dual_random.view",
)
def key_share(department_id):
    """The share of key items against the department's limit."""
    return services.key_share_of(_visible_department(department_id).id)


def _visible_department(department_id) -> Department:
    """The department if the caller may see it; else 404 like a missing one."""
    statement = select(Department).where(Department.id == department_id)
    user = api_user()
    if not sees_everything(user):
        statement = statement.where(Department.id.in_(subtree_ids(user.department)))
    department = db.session.scalars(statement).first()
    if department is None:
        raise NotFound(_("No record %(id)s was found.", id=department_id))
    return department


# -- Registries ----------------------------------------------------------------


@endpoint(
    bp,
    "/targets",
    query=schemas.TargetQuery,
    response=schemas.TargetSchema,
    many=True,
    permission="dual_random.view",
)
def list_targets(query):
    """List targets (keyset paging by id; filters use indexed columns)."""
    statement = select(Target)
    for name in ("county_id", "department_id", "target_type", "risk_level"):
        if query.get(name) is not None:
            statement = statement.where(getattr(Target, name) == query[name])
    return _page(statement, Target, query)


@endpoint(
    bp,
    "/targets",
    methods=("POST",),
    body=schemas.TargetSchema,
    response=schemas.TargetSchema,
    status=201,
    permission="dual_random.edit",
)
def create_target(body):
    """Add a target."""
    return _commit(services.create_target(api_user(), body))


@endpoint(
    bp,
    "/targets/<int:target_id>",
    response=schemas.TargetSchema,
    permission="dual_random.view",
)
def get_target(target_id):
    """One target."""
    return get_visible(Target, target_id, api_user())


@endpoint(
    bp,
    "/targets/import",
    methods=("POST",),
    response=schemas.ImportReportSchema,
    status=201,
    permission="dual_random.edit",
)
def import_targets():
    """Import targets from an XLSX file (form fields: department_id, file)."""
    department_id, upload = _upload()
    count = spreadsheets.import_targets(api_user(), department_id, upload)
    db.session.commit()
    return {"imported": count}


@endpoint(bp, "/targets/export", permission="dual_random.view")
def export_targets():
    """The visible targets as XLSX."""
    return Response(
        spreadsheets.export_targets(api_user()),
        mimetype=XLSX,
        headers={"Content-Disposition": "attachment; filename=targets.xlsx"},
    )


def _upload():
    upload = request.files.get("file")
    errors = {}
    if upload is None:
        errors["file"] = [_("Attach an XLSX file.")]
    try:
        department_id = int(request.form.get("department_id", ""))
    except ValueError:
        errors["department_id"] = [_("Choose an existing department.")]
        department_id = None
    if errors:
        raise InvalidInput(errors)
    return department_id, upload.stream


@endpoint(
    bp,
    "/inspectors",
    query=schemas.PageQuery,
    response=schemas.InspectorSchema,
    many=True,
    permission="dual_random.view",
)
def list_inspectors(query):
    """List inspectors."""
    return _page(select(Inspector), Inspector, query)


@endpoint(
    bp,
    "/inspectors",
    methods=("POST",),
    body=schemas.InspectorSchema,
    response=schemas.InspectorSchema,
    status=201,
    permission="dual_random.edit",
)
def create_inspector(body):
    """Add an inspector."""
    return _commit(services.create_inspector(api_user(), body))


@endpoint(
    bp,
    "/inspectors/import",
    methods=("POST",),
    response=schemas.ImportReportSchema,
    status=201,
    permission="dual_random.edit",
)
def import_inspectors():
    """Import inspectors from an XLSX file (form fields: department_id, file)."""
    department_id, upload = _upload()
    count = spreadsheets.import_inspectors(api_user(), department_id, upload)
    db.session.commit()
    return {"imported": count}


@endpoint(bp, "/inspectors/export", permission="dual_random.view")
def export_inspectors():
    """The visible inspectors as XLSX."""
    return Response(
        spreadsheets.export_inspectors(api_user()),
        mimetype=XLSX,
        headers={"Content-Disposition": "attachment; filename=inspectors.xlsx"},
    )


@endpoint(
    bp,
    "/conflicts",
    methods=("POST",),
    body=schemas.ConflictSchema,
    response=schemas.ConflictSchema,
    status=201,
    permission="dual_random.edit",
)
def declare_conflict(body):
    """Record an inspector's declared conflict of interest with a target."""
    return _commit(
        services.declare_conflict(
            api_user(), body["inspector_id"], body["target_id"], body["reason"]
        )
    )


# -- Plans ---------------------------------------------------------------------


@endpoint(
    bp,
    "/plans",
    query=schemas.PageQuery,
    response=schemas.PlanSchema,
    many=True,
    permission="dual_random.view",
)
def list_plans(query):
    """List plans."""
    return _page(select(Plan), Plan, query)


@endpoint(
    bp,
    "/plans",
    methods=("POST",),
    body=schemas.PlanSchema,
    response=schemas.PlanSchema,
    status=201,
    permission="dual_random.edit",
)
def create_plan(body):
    """Draft a department plan or a joint annual plan."""
    return _commit(services.create_plan(api_user(), body))


def _plan_action(action):
    def view(plan_id, body):
        on = body.get("on") or today_local()
        return _commit(action(api_user(), plan_id, on))

    return view


for _name, _action in (
    ("submit", services.submit_plan),
    ("approve", services.approve_plan),
    ("publish", services.publish_plan),
):
    _view = _plan_action(_action)
    _view.__name__ = f"{_name}_plan"
    _view.__doc__ = f"{_name.capitalize()} a plan."
    endpoint(
        bp,
        f"/plans/<int:plan_id>/{_name}",
        methods=("POST",),
        body=schemas.DayBody,
        response=schemas.PlanSchema,
        permission="dual_random.edit",
    )(_view)


# -- Tasks, draws, results -----------------------------------------------------


@endpoint(
    bp,
    "/tasks",
    query=schemas.PageQuery,
    response=schemas.TaskSchema,
    many=True,
    permission="dual_random.view",
)
def list_tasks(query):
    """List tasks."""
    # Each task answers with its item and participant ids: two loads per page.
    statement = select(Task).options(
        selectinload(Task.items), selectinload(Task.participants)
    )
    return _page(statement, Task, query)


@endpoint(
    bp,
    "/tasks",
    methods=("POST",),
    body=schemas.TaskSchema,
    response=schemas.TaskSchema,
    status=201,
    permission="dual_random.edit",
)
def create_task(body):
    """Create a task."""
    return _commit(services.create_task(api_user(), body))


@endpoint(
    bp,
    "/tasks/<int:task_id>",
    response=schemas.TaskSchema,
    permission="dual_random.view",
)
def get_task(task_id):
    """One task."""
    return get_visible(Task, task_id, api_user())


def draw_payload(record: Draw) -> dict:
    """A draw with its targets and matched inspectors."""
    assignments = services.assignments_of(record)
    return {
        "id": record.id,
        "task_id": record.task_id,
        "sequence": record.sequence,
        "algorithm": record.algorithm,
        "seed": record.seed,
        "fingerprint": record.fingerprint,
        "population_size": record.population_size,
        "sample_size": record.sample_size,
        "parameters": record.parameters,
        "reason": record.reason,
        "drawn_at": record.drawn_at,
        "target_ids": services.drawn_ids(record),
        "assignments": {
            str(t): [list(p) for p in pairs] for t, pairs in assignments.items()
        },
    }


@endpoint(
    bp,
    "/tasks/<int:task_id>/draws",
    methods=("POST",),
    body=schemas.DrawBody,
    response=schemas.DrawSchema,
    status=201,
    permission="dual_random.draw",
)
def draw(task_id, body):
    """Draw the task's targets (again, with a reason)."""
    record = services.draw_targets(api_user(), task_id, body["reason"])
    db.session.commit()
    return draw_payload(record)


@endpoint(
    bp,
    "/tasks/<int:task_id>/targets",
    methods=("POST",),
    body=schemas.AssignBody,
    response=schemas.DrawSchema,
    status=201,
    permission="dual_random.draw",
)
def assign_targets(task_id, body):
    """Name the targets of a complaint-driven or special-field task."""
    record = services.assign_targets(api_user(), task_id, body["target_ids"])
    db.session.commit()
    return draw_payload(record)


@endpoint(
    bp,
    "/tasks/<int:task_id>/match",
    methods=("POST",),
    response=schemas.DrawSchema,
    permission="dual_random.draw",
)
def match(task_id):
    """Match inspectors to the drawn targets."""
    record = services.match_inspectors(api_user(), task_id)
    db.session.commit()
    return draw_payload(record)


@endpoint(
    bp,
    "/draws/<int:draw_id>",
    response=schemas.DrawSchema,
    permission="dual_random.view",
)
def get_draw(draw_id):
    """One draw with its targets and inspectors."""
    return draw_payload(get_visible(Draw, draw_id, api_user()))


@endpoint(
    bp,
    "/tasks/<int:task_id>/complete",
    methods=("POST",),
    body=schemas.DayBody,
    response=schemas.TaskSchema,
    permission="dual_random.results",
)
def complete(task_id, body):
    """Mark the task completed."""
    on = body.get("on") or today_local()
    return _commit(services.complete_task(api_user(), task_id, on))


@endpoint(
    bp,
    "/tasks/<int:task_id>/publish",
    methods=("POST",),
    body=schemas.PublishBody,
    response=schemas.TaskSchema,
    permission="dual_random.results",
)
def publish(task_id, body):
    """Publish the task's results."""
    on = body.get("on") or today_local()
    return _commit(
        services.publish_results(api_user(), task_id, on, body["withheld_reason"])
    )


@endpoint(
    bp,
    "/results",
    methods=("POST",),
    body=schemas.ResultSchema,
    response=schemas.ResultSchema,
    status=201,
    permission="dual_random.results",
)
def record_result(body):
    """Record the result of one item on one target."""
    return _commit(services.record_result(api_user(), body))


@endpoint(
    bp,
    "/results",
    query=schemas.PageQuery,
    response=schemas.ResultSchema,
    many=True,
    permission="dual_random.view",
)
def list_results(query):
    """List results."""
    return _page(select(Result), Result, query)
