"""Marshmallow schemas of the quality award API."""

from marshmallow import Schema, fields, validate

from modules.quality_award.rules import ApplicantKind, BonusUse, TrackingEvent

KINDS = [k.value for k in ApplicantKind]


class EligibilityFactsSchema(Schema):
    """An applicant's facts to check against art. 9-11."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    on = fields.Date(load_default=None)
    registered_in_zhuzhou = fields.Boolean(load_default=True)
    operating_since = fields.Date(load_default=None)
    quality_work_since = fields.Date(load_default=None)
    last_major_accident_on = fields.Date(load_default=None)
    last_violation_on = fields.Date(load_default=None)
    organisation_id = fields.Integer(load_default=None)
    adverse_credit = fields.List(fields.String(), load_default=list)
    previous_wins = fields.List(fields.Date(), load_default=list)


class ReasonSchema(Schema):
    code = fields.String()
    article = fields.String()
    message = fields.String()


class EligibilityAnswerSchema(Schema):
    eligible = fields.Boolean()
    reasons = fields.List(fields.Nested(ReasonSchema))


class ApplicationInSchema(Schema):
    """A new application: the declaration form (art. 14). No fee exists."""

    cycle_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    organisation_id = fields.Integer(load_default=None)
    person_name = fields.String(load_default="", validate=validate.Length(max=60))
    resident_id = fields.String(load_default="", validate=validate.Length(max=30))
    department_id = fields.Integer(load_default=None)
    employer = fields.String(load_default="", validate=validate.Length(max=200))
    phone = fields.String(load_default="", validate=validate.Length(max=30))
    address = fields.String(load_default="", validate=validate.Length(max=300))
    contact_name = fields.String(required=True, validate=validate.Length(1, 60))
    recommended_by = fields.String(load_default="", validate=validate.Length(max=200))
    achievements = fields.String(required=True, validate=validate.Length(min=1))
    quality_management = fields.String(load_default="")
    shares_experience = fields.Boolean(load_default=False)
    registered_in_zhuzhou = fields.Boolean(load_default=True)
    operating_since = fields.Date(load_default=None)
    quality_work_since = fields.Date(load_default=None)
    last_major_accident_on = fields.Date(load_default=None)
    last_violation_on = fields.Date(load_default=None)


class ApplicationOutSchema(Schema):
    """An application; personal data masked unless the caller may see it."""

    id = fields.Integer()
    cycle_id = fields.Integer()
    kind = fields.String()
    state = fields.String()
    applicant_name = fields.String()
    organisation_id = fields.Integer(allow_none=True)
    department_id = fields.Integer()
    resident_id = fields.String()
    phone = fields.String()
    address = fields.String()
    contact_name = fields.String()
    submitted_on = fields.Date(allow_none=True)
    material_score = fields.Decimal(as_string=True, allow_none=True)
    evaluation_score = fields.Decimal(as_string=True, allow_none=True)
    notice_ends_on = fields.Date(allow_none=True)
    awarded_on = fields.Date(allow_none=True)
    bonus_yuan = fields.Decimal(as_string=True)
    eligibility = fields.List(fields.String())
    actions = fields.List(fields.String())


class ApplicationQuerySchema(Schema):
    cycle_id = fields.Integer(load_default=None)
    state = fields.String(load_default=None)


class StepInSchema(Schema):
    """One step of the procedure."""

    action = fields.String(required=True, validate=validate.Length(1, 40))
    opinion = fields.String(load_default="")
    on = fields.Date(load_default=None)
    notice_ends_on = fields.Date(load_default=None)
    satisfaction_score = fields.Decimal(load_default=None)
    evaluation_score = fields.Decimal(load_default=None)


class TransitionOutSchema(Schema):
    id = fields.Integer()
    action = fields.String()
    from_state = fields.String()
    to_state = fields.String()
    actor_name = fields.String()
    acted_on = fields.Date()
    opinion = fields.String()


class ScoreInSchema(Schema):
    stage = fields.String(
        required=True, validate=validate.OneOf(["material", "onsite"])
    )
    score = fields.Decimal(required=True, validate=validate.Range(0, 100))
    comment = fields.String(load_default="")
    on = fields.Date(load_default=None)


class ScoreOutSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    stage = fields.String()
    score = fields.Decimal(as_string=True)
    scored_on = fields.Date()


class VoteInSchema(Schema):
    in_favour = fields.Boolean(required=True)
    on = fields.Date(load_default=None)


class VoteOutSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    in_favour = fields.Boolean()
    cast_on = fields.Date()


class ObjectionInSchema(Schema):
    """A real-name written objection with evidence and contact (art. 35)."""

    objector_name = fields.String(load_default="")
    objector_contact = fields.String(load_default="")
    reason = fields.String(load_default="")
    evidence = fields.String(load_default="")
    received_on = fields.Date(load_default=None)


class ObjectionOutSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    objector_name = fields.String()
    received_on = fields.Date()
    intake_due_on = fields.Date()
    intake_due_confirmed = fields.Boolean()
    intake_decision = fields.String()
    outcome = fields.String()


class IntakeInSchema(Schema):
    accepted = fields.Boolean(required=True)
    note = fields.String(load_default="")
    on = fields.Date(load_default=None)


class ConclusionInSchema(Schema):
    outcome = fields.String(
        required=True, validate=validate.OneOf(["upheld", "dismissed"])
    )
    findings = fields.String(required=True)
    non_cooperation = fields.Boolean(load_default=False)
    on = fields.Date(load_default=None)


class DocumentOutSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    title = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    secret = fields.String()


class PaymentInSchema(Schema):
    amount_fen = fields.Integer(required=True, strict=True)
    on = fields.Date(load_default=None)
    reference = fields.String(load_default="")


class LedgerOutSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    entry_kind = fields.String()
    amount_fen = fields.Integer()
    entry_on = fields.Date()


class TrackingInSchema(Schema):
    event = fields.String(
        required=True, validate=validate.OneOf([e.value for e in TrackingEvent])
    )
    occurred_on = fields.Date(required=True)
    description = fields.String(required=True)
    direct_responsibility = fields.Boolean(load_default=True)
    on = fields.Date(load_default=None)


class BonusUseInSchema(Schema):
    use = fields.String(
        required=True, validate=validate.OneOf([u.value for u in BonusUse])
    )
    amount_fen = fields.Integer(required=True, strict=True)
    description = fields.String(required=True)
    on = fields.Date(load_default=None)


class CycleOutSchema(Schema):
    id = fields.Integer()
    year = fields.Integer()
    title = fields.String()
    opens_on = fields.Date()
    closes_on = fields.Date()
