"""Marshmallow schemas of the firefighter benefits API."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.i18n import _
from modules.firefighter_benefits import rules
from modules.firefighter_benefits.models import (
    Category,
    Outcome,
    Relation,
    RequestKind,
    Status,
)


def _choice(enum_cls):
    return validate.OneOf([e.value for e in enum_cls])


class VerificationInSchema(Schema):
    """A gate's or desk's question: a credential number or signed code, a benefit."""

    credential_number = fields.String(validate=validate.Length(max=30))
    code = fields.String(validate=validate.Length(max=200))
    benefit = fields.String(required=True, validate=validate.Length(max=40))
    venue = fields.String(validate=validate.Length(max=30))

    @validates_schema
    def one_credential(self, data, **kwargs):
        if not data.get("credential_number") and not data.get("code"):
            raise ValidationError(
                _("Send a credential number or a signed code."), "credential_number"
            )
        if data.get("benefit") == "venue" and not data.get("venue"):
            raise ValidationError(_("Name the venue's code."), "venue")


class VerificationOutSchema(Schema):
    """The answer: eligible or not, why, and what the desk needs to see."""

    eligible = fields.Boolean()
    reason_code = fields.String()
    reason = fields.String()
    benefit = fields.String()
    section = fields.String()
    credential_number = fields.String()
    holder = fields.String()
    category = fields.String()
    category_label = fields.String()
    valid_until = fields.Date()
    venue = fields.String()
    venue_kind = fields.String()
    fee_treatment = fields.String()
    fee_note = fields.String()


class PublicKeySchema(Schema):
    algorithm = fields.String()
    public_key = fields.String()
    pem = fields.String()
    code_format = fields.String()


class FirefighterInSchema(Schema):
    resident_id = fields.String(required=True, validate=validate.Length(max=18))
    name = fields.String(required=True, validate=validate.Length(1, 60))
    category = fields.String(required=True, validate=_choice(Category))
    brigade_id = fields.Integer(required=True)
    station_id = fields.Integer(load_default=None, allow_none=True)
    service_start = fields.Date(required=True)
    phone = fields.String(load_default="", validate=validate.Length(max=20))
    address = fields.String(load_default="", validate=validate.Length(max=200))


class FamilyMemberInSchema(Schema):
    relation = fields.String(required=True, validate=_choice(Relation))
    name = fields.String(required=True, validate=validate.Length(1, 60))
    resident_id = fields.String(required=True, validate=validate.Length(max=18))
    phone = fields.String(load_default="", validate=validate.Length(max=20))
    address = fields.String(load_default="", validate=validate.Length(max=200))


class FamilyMemberOutSchema(Schema):
    id = fields.Integer()
    relation = fields.String()
    name = fields.String()
    birth_date = fields.Date()
    resident_id = fields.String()
    phone = fields.String()
    address = fields.String()


class CredentialOutSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    issued_on = fields.Date()
    expires_on = fields.Date()
    revoked_on = fields.Date(allow_none=True)
    revoke_reason = fields.String()
    code = fields.String()


class FirefighterOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    category = fields.String()
    brigade_id = fields.Integer()
    station_id = fields.Integer(allow_none=True)
    service_start = fields.Date()
    status = fields.String()
    status_since = fields.Date(allow_none=True)
    resident_id = fields.String()
    phone = fields.String()
    address = fields.String()
    family = fields.List(fields.Nested(FamilyMemberOutSchema))
    credentials = fields.List(fields.Nested(CredentialOutSchema))


class StatusInSchema(Schema):
    status = fields.String(required=True, validate=_choice(Status))
    since = fields.Date(required=True)


class CredentialInSchema(Schema):
    number = fields.String(required=True, validate=validate.Length(1, 30))
    issued_on = fields.Date(required=True)
    expires_on = fields.Date(required=True)


class RevokeInSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 300))
    on = fields.Date(load_default=None)


class EligibilityQuerySchema(Schema):
    on = fields.Date(load_default=None)


class BenefitAnswerSchema(Schema):
    benefit = fields.String()
    label = fields.String()
    eligible = fields.Boolean()
    reason_code = fields.String()
    reason = fields.String()
    section = fields.String()
    eligible_from = fields.Date(allow_none=True)


class EligibilityOutSchema(Schema):
    member_id = fields.Integer()
    on = fields.Date()
    benefits = fields.List(fields.Nested(BenefitAnswerSchema))


class EnrollmentInSchema(Schema):
    child_id = fields.Integer(required=True)
    year = fields.Integer(required=True, validate=validate.Range(2019, 2100))
    exception_reason = fields.String(load_default="", validate=validate.Length(max=300))


class EnrollmentEntryOutSchema(Schema):
    id = fields.Integer()
    list_id = fields.Integer()
    year = fields.Function(lambda e: e.enrollment_list.year)
    child_id = fields.Integer()
    stage = fields.String()
    added_on = fields.Date()
    exception_reason = fields.String()


class EnrollmentListOutSchema(Schema):
    id = fields.Integer()
    brigade_id = fields.Integer()
    year = fields.Integer()
    status = fields.String()
    due_on = fields.Function(lambda lst: rules.list_due_date(lst.year).isoformat())
    entries = fields.List(fields.Nested(EnrollmentEntryOutSchema))


class PlacementInSchema(Schema):
    member_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=_choice(RequestKind))
    family_member_id = fields.Integer(load_default=None, allow_none=True)
    filed_on = fields.Date(load_default=None)


class OutcomeInSchema(Schema):
    outcome = fields.String(
        required=True, validate=validate.OneOf([Outcome.GRANTED, Outcome.REFUSED])
    )
    on = fields.Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=300))


class PlacementOutSchema(Schema):
    id = fields.Integer()
    firefighter_id = fields.Integer()
    family_member_id = fields.Integer(allow_none=True)
    kind = fields.String()
    filed_on = fields.Date()
    eligibility_reason = fields.String()
    outcome = fields.String()
    outcome_on = fields.Date(allow_none=True)
    outcome_note = fields.String()


class RuleOutSchema(Schema):
    id = fields.Integer()
    benefit = fields.String()
    categories = fields.List(fields.String())
    min_service_years = fields.Integer()
    needs_credential = fields.Boolean()
    section = fields.String()
    is_active = fields.Boolean()
