"""Marshmallow schemas of the construction project approval API."""

from marshmallow import Schema, fields, validate

from core.timeutil import today_local


class FactsSchema(Schema):
    """A project's category and the facts that decide its path."""

    category = fields.String(required=True)
    investment_type = fields.String(required=True)
    # None reaches the service, which reports every missing fact at once.
    building_area_m2 = fields.Decimal(required=True, as_string=True, allow_none=True)
    height_m = fields.Decimal(required=True, as_string=True, allow_none=True)
    floors = fields.Integer(required=True, strict=True, allow_none=True)
    has_basement = fields.Boolean(load_default=False)
    simple_function = fields.Boolean(load_default=False)
    is_industrial = fields.Boolean(load_default=False)
    national_security = fields.Boolean(load_default=False)
    ecological_security = fields.Boolean(load_default=False)
    major_infrastructure = fields.Boolean(load_default=False)
    major_public_interest = fields.Boolean(load_default=False)


class ProfileSchema(Schema):
    """What the module derives from the facts."""

    small_project = fields.Boolean()
    time_limit_working_days = fields.Integer()
    stages = fields.List(fields.String())
    supervision_required = fields.Boolean()


class DocumentInSchema(Schema):
    material_code = fields.String(required=True, validate=validate.Length(1, 60))
    title = fields.String(required=True, validate=validate.Length(1, 200))
    reference = fields.String(load_default="", validate=validate.Length(max=300))


class ProjectInSchema(FactsSchema):
    """The single application form of a new project."""

    name = fields.String(required=True, validate=validate.Length(1, 200))
    organisation_id = fields.Integer(required=True, strict=True)
    department_id = fields.Integer(load_default=None, strict=True)
    registered_on = fields.Date(load_default=today_local)
    is_key_project = fields.Boolean(load_default=False)
    agent_name = fields.String(load_default="", validate=validate.Length(max=120))
    documents = fields.List(fields.Nested(DocumentInSchema), load_default=list)


class DocumentsInSchema(Schema):
    documents = fields.List(
        fields.Nested(DocumentInSchema), required=True, validate=validate.Length(1)
    )
    on = fields.Date(load_default=today_local)


class ApplicationInSchema(Schema):
    on = fields.Date(load_default=today_local)
    documents = fields.List(fields.Nested(DocumentInSchema), load_default=list)


class ClockSchema(Schema):
    started_on = fields.Date(allow_none=True)
    limit = fields.Integer(allow_none=True)
    elapsed = fields.Integer()
    paused = fields.Integer()
    deadline = fields.Date(allow_none=True)
    days_left = fields.Integer(allow_none=True)
    confirmed = fields.Boolean()
    is_paused = fields.Boolean()


class ReviewSchema(Schema):
    id = fields.Integer()
    department = fields.Function(lambda r: r.department.name)
    department_code = fields.Function(lambda r: r.department.code)
    opinion = fields.Function(lambda r: r.opinion.value)
    opinion_text = fields.String()
    given_on = fields.Date(allow_none=True)


class PauseSchema(Schema):
    id = fields.Integer()
    reason = fields.String()
    started_on = fields.Date()
    ended_on = fields.Date(allow_none=True)


class StageSchema(Schema):
    id = fields.Integer()
    sequence = fields.Integer()
    kind = fields.Function(lambda s: s.kind.value)
    status = fields.Function(lambda s: s.status.value)
    lead_department = fields.Function(lambda s: s.lead_department.name)
    lead_department_code = fields.Function(lambda s: s.lead_department.code)
    opened_on = fields.Date(allow_none=True)
    time_limit_working_days = fields.Integer(allow_none=True)
    decision_number = fields.String()
    decided_on = fields.Date(allow_none=True)
    working_days_used = fields.Integer(allow_none=True)
    clock = fields.Nested(ClockSchema)
    reviews = fields.List(fields.Nested(ReviewSchema))
    pauses = fields.List(fields.Nested(PauseSchema))


class DocumentSchema(Schema):
    id = fields.Integer()
    material_code = fields.String()
    title = fields.String()
    reference = fields.String()
    source = fields.Function(lambda d: d.source.value)
    received_on = fields.Date()


class CommitmentSchema(Schema):
    id = fields.Integer()
    stage_id = fields.Integer()
    catalogue_item_id = fields.Integer()
    status = fields.Function(lambda c: c.status.value)
    signed_by = fields.String()
    approved_on = fields.Date()
    inspection_due_on = fields.Date()
    inspected_on = fields.Date(allow_none=True)
    revoked_on = fields.Date(allow_none=True)
    credit_record_id = fields.Integer(allow_none=True)


class ProjectSchema(Schema):
    """A project with its stages, clocks, documents and commitments."""

    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    organisation = fields.Function(lambda p: p.organisation.name)
    department = fields.Function(lambda p: p.department.name)
    investment_type = fields.Function(lambda p: p.investment_type.value)
    category = fields.Function(lambda p: p.category.value)
    building_area_m2 = fields.Decimal(as_string=True)
    height_m = fields.Decimal(as_string=True)
    floors = fields.Integer()
    is_small_project = fields.Boolean()
    time_limit_working_days = fields.Integer(allow_none=True)
    status = fields.Function(lambda p: p.status.value)
    registered_on = fields.Date()
    completed_on = fields.Date(allow_none=True)
    is_exempt = fields.Boolean()
    exemption_reason = fields.String()
    is_key_project = fields.Boolean()
    agent_name = fields.String()
    clock = fields.Nested(ClockSchema)
    stages = fields.List(fields.Nested(StageSchema))
    documents = fields.List(fields.Nested(DocumentSchema))
    commitments = fields.List(fields.Nested(CommitmentSchema))


class ProjectListQuerySchema(Schema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(["in_progress", "completed", "refused"]),
    )


class ExemptionInSchema(Schema):
    reason = fields.String(required=True)
    on = fields.Date(load_default=today_local)


class DecisionInSchema(Schema):
    approve = fields.Boolean(required=True)
    text = fields.String(load_default="")
    on = fields.Date(load_default=today_local)


class DecisionRecordSchema(Schema):
    """Everything a printed stage decision shows."""

    decision_number = fields.String()
    stage = fields.String()
    outcome = fields.String()
    decided_on = fields.Date()
    decided_by = fields.String()
    decision_text = fields.String()
    lead_department = fields.String()
    project_code = fields.String()
    project_name = fields.String()
    applicant = fields.String()
    applicant_uscc = fields.String()
    category = fields.String()
    opened_on = fields.Date()
    time_limit_working_days = fields.Integer(allow_none=True)
    working_days_used = fields.Integer(allow_none=True)
    paused_working_days = fields.Integer()
    confirmed = fields.Boolean()
    legal_basis = fields.List(fields.Dict())
    opinions = fields.List(fields.Dict())
    documents = fields.List(fields.Dict())
    commitments = fields.List(fields.Dict())


class PauseInSchema(Schema):
    waiting_on = fields.String(required=True)
    reason = fields.String(required=True)
    on = fields.Date(load_default=today_local)


class DateInSchema(Schema):
    on = fields.Date(load_default=today_local)


class OpinionInSchema(Schema):
    opinion = fields.String(required=True)
    text = fields.String(load_default="")
    on = fields.Date(load_default=today_local)


class ReviewRequestInSchema(Schema):
    department_id = fields.Integer(required=True, strict=True)


class CommitmentInSchema(Schema):
    catalogue_item_id = fields.Integer(required=True, strict=True)
    commitment_text = fields.String(required=True)
    signed_by = fields.String(required=True)
    signed_on = fields.Date(required=True)
    on = fields.Date(load_default=today_local)


class InspectionInSchema(Schema):
    fulfilled = fields.Boolean(required=True)
    findings = fields.String(required=True)
    on = fields.Date(load_default=today_local)


class SegmentInSchema(Schema):
    name = fields.String(required=True)
    within_red_line = fields.Boolean(load_default=True)


class SegmentPermitSchema(Schema):
    kind = fields.Function(lambda p: p.kind.value)
    number = fields.String()
    issued_on = fields.Date()
    department = fields.Function(lambda p: p.department.name)


class SegmentSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    within_red_line = fields.Boolean()
    land_acquisition_completed_on = fields.Date(allow_none=True)
    permits = fields.List(fields.Nested(SegmentPermitSchema))


class PermitInSchema(Schema):
    kind = fields.String(required=True)
    number = fields.String(required=True)
    on = fields.Date(load_default=today_local)


class SideApprovalInSchema(Schema):
    kind = fields.String(required=True)
    on = fields.Date(load_default=today_local)


class SideCompletionInSchema(Schema):
    text = fields.String(load_default="")
    on = fields.Date(load_default=today_local)


class SideApprovalSchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda s: s.kind.value)
    lead_department = fields.Function(lambda s: s.lead_department.name)
    applied_on = fields.Date()
    time_limit_working_days = fields.Integer()
    completed_on = fields.Date(allow_none=True)
    clock = fields.Nested(ClockSchema)


class CatalogueInSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(1, 40))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    stage = fields.String(required=True)
    categories = fields.List(fields.String(), load_default=list)
    required_materials = fields.List(fields.String(), load_default=list)
    time_limit_working_days = fields.Integer(required=True, strict=True)
    legal_basis = fields.String(load_default="")
    department_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    notify_and_commit = fields.Boolean(load_default=False)
    inspection_working_days = fields.Integer(
        load_default=None, allow_none=True, strict=True
    )


class CatalogueUpdateSchema(Schema):
    expected_version = fields.Integer(required=True, strict=True)
    name = fields.String(validate=validate.Length(1, 200))
    stage = fields.String()
    categories = fields.List(fields.String())
    required_materials = fields.List(fields.String())
    time_limit_working_days = fields.Integer(strict=True)
    legal_basis = fields.String()
    department_id = fields.Integer(allow_none=True, strict=True)
    notify_and_commit = fields.Boolean()
    inspection_working_days = fields.Integer(allow_none=True, strict=True)
    is_active = fields.Boolean()


class CatalogueItemSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    stage = fields.Function(lambda i: i.stage.value)
    categories = fields.List(fields.String())
    required_materials = fields.List(fields.String())
    time_limit_working_days = fields.Integer()
    legal_basis = fields.String()
    department_id = fields.Integer(allow_none=True)
    notify_and_commit = fields.Boolean()
    inspection_working_days = fields.Integer(allow_none=True)
    revision = fields.Integer()
    version = fields.Integer()
    is_active = fields.Boolean()
