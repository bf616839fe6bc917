"""Marshmallow schemas of the inspection API."""

from marshmallow import Schema, fields, validate

from modules.dual_random.models import (
    Method,
    Outcome,
    PlanKind,
    RiskLevel,
    Stratum,
    TaskKind,
)

RATIO = {"as_string": True, "places": 4}


class PageQuery(Schema):
    """Paging of list endpoints (keyset: rows after `after_id`)."""

    after_id = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class TargetQuery(PageQuery):
    """Filters of the target list."""

    county_id = fields.Integer()
    department_id = fields.Integer()
    target_type = fields.String()
    risk_level = fields.Enum(RiskLevel, by_value=True)


class CheckItemSchema(Schema):
    """A line of a spot-check item list."""

    id = fields.Integer(dump_only=True)
    department_id = fields.Integer(required=True)
    item = fields.String(required=True, validate=validate.Length(min=1, max=200))
    sub_item = fields.String(load_default="", validate=validate.Length(max=200))
    legal_basis = fields.String(load_default="")
    inspecting_body = fields.String(load_default="", validate=validate.Length(max=200))
    target_type = fields.String(load_default="", validate=validate.Length(max=60))
    sampling_ratio = fields.Decimal(required=True, **RATIO)
    frequency_per_year = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=365)
    )
    method = fields.Enum(Method, by_value=True, required=True)
    qualification = fields.String(load_default="", validate=validate.Length(max=60))
    is_key = fields.Boolean(load_default=False)
    is_active = fields.Boolean(load_default=True)


class KeyShareSchema(Schema):
    """The share of key items against the department's limit."""

    key_items = fields.Integer()
    total_items = fields.Integer()
    share = fields.Decimal(**RATIO)
    limit = fields.Decimal(**RATIO)
    within_limit = fields.Boolean()


class TargetSchema(Schema):
    """An entry of the target registry."""

    id = fields.Integer(dump_only=True)
    department_id = fields.Integer(required=True)
    organisation_id = fields.Integer(allow_none=True, load_default=None)
    name = fields.String(validate=validate.Length(min=1, max=200))
    uscc = fields.String(allow_none=True, load_default=None)
    target_type = fields.String(load_default="", validate=validate.Length(max=60))
    industry = fields.String(load_default="", validate=validate.Length(max=120))
    county_id = fields.Integer()
    address = fields.String(load_default="", validate=validate.Length(max=300))
    risk_level = fields.Enum(RiskLevel, by_value=True, load_default=RiskLevel.MEDIUM)
    credit_rating = fields.String(load_default="", validate=validate.Length(max=10))
    is_active = fields.Boolean(load_default=True)


class InspectorSchema(Schema):
    """An entry of the inspector registry."""

    id = fields.Integer(dump_only=True)
    department_id = fields.Integer(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    certificate_no = fields.String(
        required=True, validate=validate.Length(min=1, max=40)
    )
    qualifications = fields.String(load_default="")
    is_active = fields.Boolean(load_default=True)


class ConflictSchema(Schema):
    """A declared conflict of interest."""

    id = fields.Integer(dump_only=True)
    inspector_id = fields.Integer(required=True)
    target_id = fields.Integer(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=300))


class PlanSchema(Schema):
    """A department plan or a joint annual plan."""

    id = fields.Integer(dump_only=True)
    department_id = fields.Integer(required=True)
    kind = fields.Enum(PlanKind, by_value=True, required=True)
    year = fields.Integer(required=True, validate=validate.Range(min=2019, max=2100))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content = fields.String(load_default="")
    lead_department_id = fields.Integer(allow_none=True, load_default=None)
    filed_with_id = fields.Integer(allow_none=True, load_default=None)
    status = fields.String(dump_only=True, attribute="status.value")
    due_on = fields.Date(dump_only=True)
    submitted_on = fields.Date(dump_only=True, allow_none=True)
    approved_on = fields.Date(dump_only=True, allow_none=True)
    published_on = fields.Date(dump_only=True, allow_none=True)


class DayBody(Schema):
    """A business date of an action (today when left out)."""

    on = fields.Date(load_default=None)


class TaskSchema(Schema):
    """An inspection task."""

    id = fields.Integer(dump_only=True)
    department_id = fields.Integer(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.Enum(TaskKind, by_value=True, load_default=TaskKind.RANDOM)
    plan_id = fields.Integer(allow_none=True, load_default=None)
    item_ids = fields.List(fields.Integer(), required=True)
    participant_ids = fields.List(fields.Integer(), load_default=list)
    filter_county_id = fields.Integer(allow_none=True, load_default=None)
    filter_target_type = fields.String(load_default="")
    filter_industry = fields.String(load_default="")
    filter_risk_level = fields.Enum(RiskLevel, by_value=True, allow_none=True)
    sample_count = fields.Integer(allow_none=True, load_default=None)
    sample_ratio = fields.Decimal(allow_none=True, load_default=None, **RATIO)
    stratify_by = fields.Enum(Stratum, by_value=True, load_default=Stratum.NONE)
    inspectors_per_target = fields.Integer(load_default=2)
    reason = fields.String(load_default="")
    starts_on = fields.Date(allow_none=True, load_default=None)
    status = fields.String(dump_only=True, attribute="status.value")
    completed_on = fields.Date(dump_only=True, allow_none=True)
    publish_due_on = fields.Date(dump_only=True, allow_none=True)
    published_on = fields.Date(dump_only=True, allow_none=True)


class DrawBody(Schema):
    """A draw request; a second draw needs a reason."""

    reason = fields.String(load_default="")


class AssignBody(Schema):
    """The targets of a complaint-driven or special-field task."""

    target_ids = fields.List(fields.Integer(), required=True)


class DrawSchema(Schema):
    """A recorded draw, as published."""

    id = fields.Integer()
    task_id = fields.Integer()
    sequence = fields.Integer()
    algorithm = fields.String()
    seed = fields.String()
    fingerprint = fields.String()
    population_size = fields.Integer()
    sample_size = fields.Integer()
    parameters = fields.Dict()
    reason = fields.String()
    drawn_at = fields.DateTime()
    target_ids = fields.List(fields.Integer())
    assignments = fields.Dict(
        keys=fields.String(), values=fields.List(fields.List(fields.Integer()))
    )


class VerificationSchema(Schema):
    """The outcome of re-running a draw."""

    fingerprint_matches = fields.Boolean()
    targets_match = fields.Boolean()
    inspectors_match = fields.Boolean(allow_none=True)
    ok = fields.Boolean()


class ResultSchema(Schema):
    """The result of one item checked on one target."""

    id = fields.Integer(dump_only=True)
    task_id = fields.Integer(required=True)
    target_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    inspected_on = fields.Date(required=True)
    outcome = fields.Enum(Outcome, by_value=True, required=True)
    findings = fields.String(load_default="")
    penalty = fields.String(load_default="")
    fine_yuan = fields.Decimal(as_string=True, places=2, allow_none=True)
    referred_to_judiciary = fields.Boolean(load_default=False)
    referral_note = fields.String(load_default="")
    credit_record_id = fields.Integer(dump_only=True, allow_none=True)


class PublishBody(Schema):
    """Publication of a task's results."""

    on = fields.Date(load_default=None)
    withheld_reason = fields.String(load_default="")


class ImportReportSchema(Schema):
    """The outcome of an XLSX import."""

    imported = fields.Integer()
