"""API of construction project approval under /api/v1/approval-reform."""

from sqlalchemy import select

from core.api import api_blueprint, api_user, endpoint
from core.errors import InvalidInput
from core.extensions import db
from core.i18n import _
from core.models.departments import Department
from core.scoping import get_visible, scope
from core.timeutil import today_local
from modules.approval_reform import schemas, services
from modules.approval_reform.models import (
    CatalogueItem,
    Commitment,
    ParallelReview,
    Project,
    ProjectStatus,
    Segment,
    SideApproval,
    Stage,
)

bp = api_blueprint("approval_reform", "approval-reform")

VIEW = "approval_reform.view"
EDIT = "approval_reform.edit"
DECIDE = "approval_reform.decide"
CATALOGUE = "approval_reform.catalogue"
SUPERVISE = "approval_reform.supervise"


def _with_clocks(project: Project) -> Project:
    today = today_local()
    project.clock = services.project_clock(project, today)
    for stage in project.stages:
        stage.clock = services.stage_clock(stage, today)
    return project


def _project(project_id) -> Project:
    return get_visible(Project, project_id, api_user())


@endpoint(
    bp,
    "/project-profile",
    methods=("POST",),
    body=schemas.FactsSchema,
    response=schemas.ProfileSchema,
    permission=VIEW,
)
def project_profile(body):
    """Derive small-project status, time limit and stages from a project's facts."""
    result = services.project_profile(body)
    return {
        "small_project": result.small_project,
        "time_limit_working_days": result.time_limit_working_days,
        "stages": [kind.value for kind in result.stages],
        "supervision_required": result.supervision_required,
    }


@endpoint(
    bp,
    "/projects",
    query=schemas.ProjectListQuerySchema,
    response=schemas.ProjectSchema,
    many=True,
    permission=VIEW,
)
def list_projects(query):
    """List the projects the caller's department may see."""
    statement = select(Project).order_by(Project.id)
    if query["status"]:
        statement = statement.where(Project.status == ProjectStatus(query["status"]))
    projects = db.session.scalars(scope(statement, Project, api_user())).unique()
    return [_with_clocks(p) for p in projects]


@endpoint(
    bp,
    "/projects",
    methods=("POST",),
    body=schemas.ProjectInSchema,
    response=schemas.ProjectSchema,
    status=201,
    permission=EDIT,
)
def create_project(body):
    """Register a project through the single application form."""
    project = services.register_project(api_user(), body)
    db.session.commit()
    return _with_clocks(project)


@endpoint(
    bp, "/projects/<int:project_id>", response=schemas.ProjectSchema, permission=VIEW
)
def get_project(project_id):
    """One project with its stages, clocks, documents and commitments."""
    return _with_clocks(_project(project_id))


@endpoint(
    bp,
    "/projects/<int:project_id>/exemption",
    methods=("POST",),
    body=schemas.ExemptionInSchema,
    response=schemas.ProjectSchema,
    permission=SUPERVISE,
)
def exempt_project(project_id, body):
    """Record the exemption of a major or complex project, with its reason."""
    project = services.exempt_project(
        api_user(), _project(project_id), body["reason"], body["on"]
    )
    db.session.commit()
    return _with_clocks(project)


@endpoint(
    bp,
    "/projects/<int:project_id>/documents",
    methods=("POST",),
    body=schemas.DocumentsInSchema,
    response=schemas.DocumentSchema,
    many=True,
    status=201,
    permission=EDIT,
)
def add_documents(project_id, body):
    """File materials not yet on file; each is stored once and reused."""
    stored = services.submit_documents(
        api_user(), _project(project_id), body["documents"], body["on"]
    )
    db.session.commit()
    return stored


@endpoint(
    bp,
    "/stages/<int:stage_id>/application",
    methods=("POST",),
    body=schemas.ApplicationInSchema,
    response=schemas.StageSchema,
    permission=EDIT,
)
def apply_for_stage(stage_id, body):
    """Apply for the next stage; only materials not on file are sent."""
    stage = get_visible(Stage, stage_id, api_user())
    services.apply_for_stage(api_user(), stage, body["on"], body["documents"])
    db.session.commit()
    stage.clock = services.stage_clock(stage, today_local())
    return stage


@endpoint(
    bp,
    "/stages/<int:stage_id>/decision",
    methods=("POST",),
    body=schemas.DecisionInSchema,
    response=schemas.DecisionRecordSchema,
    permission=DECIDE,
)
def decide_stage(stage_id, body):
    """The lead department's decision, which closes the stage."""
    stage = get_visible(Stage, stage_id, api_user())
    services.decide_stage(api_user(), stage, body["approve"], body["text"], body["on"])
    db.session.commit()
    return services.decision_record(stage, today_local())


@endpoint(
    bp,
    "/stages/<int:stage_id>/decision",
    response=schemas.DecisionRecordSchema,
    permission=VIEW,
)
def get_decision(stage_id):
    """The printable record of a stage decision."""
    stage = get_visible(Stage, stage_id, api_user())
    return services.decision_record(stage, today_local())


@endpoint(
    bp,
    "/stages/<int:stage_id>/pause",
    methods=("POST",),
    body=schemas.PauseInSchema,
    response=schemas.PauseSchema,
    status=201,
    permission=DECIDE,
)
def pause_stage(stage_id, body):
    """Stop a stage's clock while the applicant corrects its materials."""
    stage = get_visible(Stage, stage_id, api_user())
    pause = services.pause_clock(
        api_user(), stage, body["waiting_on"], body["reason"], body["on"]
    )
    db.session.commit()
    return pause


@endpoint(
    bp,
    "/stages/<int:stage_id>/resume",
    methods=("POST",),
    body=schemas.DateInSchema,
    response=schemas.PauseSchema,
    permission=DECIDE,
)
def resume_stage(stage_id, body):
    """Restart a stage's clock."""
    stage = get_visible(Stage, stage_id, api_user())
    pause = services.resume_clock(api_user(), stage, body["on"])
    db.session.commit()
    return pause


@endpoint(
    bp,
    "/stages/<int:stage_id>/reviews",
    methods=("POST",),
    body=schemas.ReviewRequestInSchema,
    response=schemas.ReviewSchema,
    status=201,
    permission=DECIDE,
)
def request_review(stage_id, body):
    """The lead department asks another department for its opinion."""
    stage = get_visible(Stage, stage_id, api_user())
    department = db.session.get(Department, body["department_id"])
    if department is None:
        raise InvalidInput({"department_id": [_("No such department.")]})
    review = services.add_review(api_user(), stage, department)
    db.session.commit()
    return review


@endpoint(
    bp,
    "/reviews/<int:review_id>/opinion",
    methods=("POST",),
    body=schemas.OpinionInSchema,
    response=schemas.ReviewSchema,
    permission=DECIDE,
)
def give_opinion(review_id, body):
    """A reviewing department gives its own opinion."""
    review = get_visible(ParallelReview, review_id, api_user())
    services.give_opinion(api_user(), review, body["opinion"], body["text"], body["on"])
    db.session.commit()
    return review


@endpoint(
    bp,
    "/stages/<int:stage_id>/commitments",
    methods=("POST",),
    body=schemas.CommitmentInSchema,
    response=schemas.CommitmentSchema,
    status=201,
    permission=DECIDE,
)
def approve_by_commitment(stage_id, body):
    """Approve a notify-and-commit item at once on the signed commitment."""
    stage = get_visible(Stage, stage_id, api_user())
    item = db.session.get(CatalogueItem, body["catalogue_item_id"])
    if item is None:
        raise InvalidInput({"catalogue_item_id": [_("No such catalogue item.")]})
    commitment = services.approve_by_commitment(
        api_user(),
        stage,
        item,
        body["commitment_text"],
        body["signed_by"],
        body["signed_on"],
        body["on"],
    )
    db.session.commit()
    return commitment


@endpoint(
    bp,
    "/commitments/<int:commitment_id>/inspection",
    methods=("POST",),
    body=schemas.InspectionInSchema,
    response=schemas.CommitmentSchema,
    permission=DECIDE,
)
def inspect_commitment(commitment_id, body):
    """Record the follow-up inspection of a commitment."""
    commitment = get_visible(Commitment, commitment_id, api_user())
    services.record_inspection(
        api_user(), commitment, body["fulfilled"], body["findings"], body["on"]
    )
    db.session.commit()
    return commitment


@endpoint(
    bp,
    "/projects/<int:project_id>/segments",
    methods=("POST",),
    body=schemas.SegmentInSchema,
    response=schemas.SegmentSchema,
    status=201,
    permission=EDIT,
)
def add_segment(project_id, body):
    """Add a segment of linear works."""
    segment = services.add_segment(
        api_user(), _project(project_id), body["name"], body["within_red_line"]
    )
    db.session.commit()
    return segment


@endpoint(
    bp,
    "/segments/<int:segment_id>/land-acquisition",
    methods=("POST",),
    body=schemas.DateInSchema,
    response=schemas.SegmentSchema,
    permission=EDIT,
)
def complete_land_acquisition(segment_id, body):
    """Record that a segment's land acquisition is complete."""
    segment = get_visible(Segment, segment_id, api_user())
    services.complete_land_acquisition(api_user(), segment, body["on"])
    db.session.commit()
    return segment


@endpoint(
    bp,
    "/segments/<int:segment_id>/permits",
    methods=("POST",),
    body=schemas.PermitInSchema,
    response=schemas.SegmentSchema,
    status=201,
    permission=DECIDE,
)
def issue_segment_permit(segment_id, body):
    """Issue a segment's next permit."""
    segment = get_visible(Segment, segment_id, api_user())
    services.issue_segment_permit(
        api_user(), segment, body["kind"], body["number"], body["on"]
    )
    db.session.commit()
    return segment


@endpoint(
    bp,
    "/projects/<int:project_id>/side-approvals",
    methods=("POST",),
    body=schemas.SideApprovalInSchema,
    response=schemas.SideApprovalSchema,
    status=201,
    permission=EDIT,
)
def apply_side_approval(project_id, body):
    """Apply for a municipal facility approval or a first registration."""
    side = services.apply_side_approval(
        api_user(), _project(project_id), body["kind"], body["on"]
    )
    db.session.commit()
    side.clock = services.side_clock(side, today_local())
    return side


@endpoint(
    bp,
    "/side-approvals/<int:side_id>/completion",
    methods=("POST",),
    body=schemas.SideCompletionInSchema,
    response=schemas.SideApprovalSchema,
    permission=DECIDE,
)
def complete_side_approval(side_id, body):
    """The lead department completes the approval."""
    side = get_visible(SideApproval, side_id, api_user())
    services.complete_side_approval(api_user(), side, body["text"], body["on"])
    db.session.commit()
    side.clock = services.side_clock(side, today_local())
    return side


@endpoint(
    bp, "/catalogue", response=schemas.CatalogueItemSchema, many=True, permission=VIEW
)
def list_catalogue():
    """The approval item catalogue."""
    return db.session.scalars(
        select(CatalogueItem).order_by(CatalogueItem.stage, CatalogueItem.code)
    ).all()


@endpoint(
    bp,
    "/catalogue",
    methods=("POST",),
    body=schemas.CatalogueInSchema,
    response=schemas.CatalogueItemSchema,
    status=201,
    permission=CATALOGUE,
)
def create_catalogue_item(body):
    """Add an item to the approval item catalogue."""
    item = services.create_catalogue_item(api_user(), body)
    db.session.commit()
    return item


@endpoint(
    bp,
    "/catalogue/<int:item_id>",
    methods=("PATCH",),
    body=schemas.CatalogueUpdateSchema,
    response=schemas.CatalogueItemSchema,
    permission=CATALOGUE,
)
def update_catalogue_item(item_id, body):
    """Change a catalogue item; earlier revisions are kept."""
    item = get_visible(CatalogueItem, item_id, api_user())
    expected = body.pop("expected_version")
    services.update_catalogue_item(api_user(), item, body, expected)
    db.session.commit()
    return item
