"""The IT project API: scope check, calls, applications and decisions."""

from sqlalchemy import select

from core.api import api_blueprint, api_user, endpoint
from core.extensions import db
from core.scoping import get_visible, scope
from core.timeutil import today_local
from modules.it_projects import services
from modules.it_projects.models import Call, ChangeRequest, ItProject
from modules.it_projects.rules import Action, Status
from modules.it_projects.schemas import (
    ApplicationSchema,
    CallInSchema,
    CallSchema,
    ChangeDecisionSchema,
    ChangeRequestInSchema,
    ChangeRequestSchema,
    DecisionSchema,
    FundingInSchema,
    FundingSchema,
    ProjectQuerySchema,
    ProjectSchema,
    ProjectSummarySchema,
    ScopeAnswerSchema,
    ScopeCheckSchema,
    to_service,
)

bp = api_blueprint("it_projects", "it-projects")

VIEW = "it_projects.view"


@endpoint(
    bp,
    "/scope-check",
    methods=("POST",),
    body=ScopeCheckSchema,
    response=ScopeAnswerSchema,
    permission=VIEW,
)
def scope_check(body):
    """Whether the measure governs a project (art. 3), with the reasons."""
    return services.check_scope(to_service(body))


@endpoint(bp, "/calls", response=CallSchema, many=True, permission=VIEW)
def list_calls():
    """The annual calls, newest plan year first."""
    statement = scope(select(Call), Call, api_user())
    return db.session.scalars(statement.order_by(Call.plan_year.desc())).all()


@endpoint(
    bp,
    "/calls",
    methods=("POST",),
    body=CallInSchema,
    response=CallSchema,
    status=201,
    permission="it_projects.review",
)
def create_call(body):
    """Set the dates of the call for a plan year."""
    return services.create_call(
        api_user(),
        body["plan_year"],
        body["opens_on"],
        body["closes_on"],
        body["note"],
    )


@endpoint(
    bp,
    "/projects",
    query=ProjectQuerySchema,
    response=ProjectSummarySchema,
    many=True,
    permission=VIEW,
)
def list_projects(query):
    """Projects visible to the caller, in id order (keyset pages)."""
    status = Status(query["status"]) if query["status"] else None
    return services.visible_projects(
        api_user(), status, query["after_id"], query["limit"]
    )


@endpoint(
    bp,
    "/projects",
    methods=("POST",),
    body=ApplicationSchema,
    response=ProjectSchema,
    status=201,
    permission="it_projects.apply",
)
def apply(body):
    """File an application to the annual call or an urgent application."""
    return services.apply(api_user(), to_service(body), today_local())


@endpoint(bp, "/projects/<int:project_id>", response=ProjectSchema, permission=VIEW)
def get_project(project_id):
    """One project with its steps, documents, changes and funds."""
    return get_visible(ItProject, project_id, api_user())


@endpoint(
    bp,
    "/projects/<int:project_id>/decisions",
    methods=("POST",),
    body=DecisionSchema,
    response=ProjectSchema,
    status=201,
    permission=VIEW,
)
def decide(project_id, body):
    """Record the next step of the flow; the action decides who may take it."""
    data = to_service(body)
    return services.decide(api_user(), project_id, Action(data.pop("action")), data)


@endpoint(
    bp,
    "/projects/<int:project_id>/change-requests",
    methods=("POST",),
    body=ChangeRequestInSchema,
    response=ChangeRequestSchema,
    status=201,
    permission="it_projects.apply",
)
def request_change(project_id, body):
    """Ask to change an approved project's scope, standard or investment."""
    return services.request_change(api_user(), project_id, to_service(body))


@endpoint(
    bp,
    "/change-requests/<int:change_id>/decision",
    methods=("POST",),
    body=ChangeDecisionSchema,
    response=ChangeRequestSchema,
    permission="it_projects.approve",
)
def decide_change(change_id, body):
    """Approve or refuse a change request."""
    return services.decide_change(api_user(), change_id, body)


@endpoint(
    bp,
    "/change-requests/<int:change_id>",
    response=ChangeRequestSchema,
    permission=VIEW,
)
def get_change(change_id):
    """One change request."""
    return get_visible(ChangeRequest, change_id, api_user())


@endpoint(
    bp,
    "/projects/<int:project_id>/fundings",
    methods=("POST",),
    body=FundingInSchema,
    response=FundingSchema,
    status=201,
    permission="it_projects.finance",
)
def record_funding(project_id, body):
    """Record money paid to a project; refused for unapproved ones (art. 14)."""
    return services.record_funding(api_user(), project_id, to_service(body))
