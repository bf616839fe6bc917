"""Marshmallow schemas of the IT project API; money travels as yuan strings."""

from decimal import Decimal, InvalidOperation

from marshmallow import Schema, ValidationError, fields, validate

from core.i18n import _
from modules.it_projects import rules
from modules.it_projects.services import format_yuan

MAX_FEN = 10**15


class Yuan(fields.Field):
    """An amount in yuan (at most two decimals, never negative), held as fen."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return format_yuan(value).replace(",", "")

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValidationError(_('Enter an amount in yuan, such as "50000.00".'))
        try:
            # str() first: a JSON number must not pick up binary-float noise.
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(
                _('Enter an amount in yuan, such as "50000.00".')
            ) from None
        if not amount.is_finite():
            raise ValidationError(_('Enter an amount in yuan, such as "50000.00".'))
        if amount < 0:
            raise ValidationError(_("The amount cannot be negative."))
        # The size check comes first: quantizing a 30-digit amount overflows the
        # decimal context instead of answering.
        if amount * 100 > MAX_FEN:
            raise ValidationError(_("The amount is too large."))
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError(_("Amounts have at most two decimals (fen)."))
        return int(amount * 100)


def _choice(values):
    return validate.OneOf([v.value if hasattr(v, "value") else v for v in values])


class DocumentSchema(Schema):
    """A document filed with an application or a decision."""

    kind = fields.String(required=True, validate=_choice(rules.DOCUMENT_KINDS))
    title = fields.String(required=True, validate=validate.Length(1, 200))
    reference = fields.String(load_default="", validate=validate.Length(max=200))


class ScopeCheckSchema(Schema):
    """The figures the art. 3 check needs."""

    funding_sources = fields.List(
        fields.String(validate=_choice(rules.FundingSource)), load_default=list
    )
    concerns = fields.List(
        fields.String(validate=_choice(rules.Concern)), load_default=list
    )
    software_development = Yuan(load_default=0, data_key="software_development")
    system_integration = Yuan(load_default=0, data_key="system_integration")
    secrecy = fields.Boolean(load_default=False)


class ScopeReasonSchema(Schema):
    """One reason of the scope check."""

    code = fields.String()
    message = fields.String()


class ScopeAnswerSchema(Schema):
    """Whether the measure governs the project, and why."""

    in_scope = fields.Boolean()
    reasons = fields.List(fields.Nested(ScopeReasonSchema))


class ApplicationSchema(ScopeCheckSchema):
    """An application to the annual call or an urgent application (art. 7, 8)."""

    title = fields.String(required=True, validate=validate.Length(1, 200))
    kind = fields.String(
        load_default=rules.Kind.ANNUAL.value, validate=_choice(rules.Kind)
    )
    department_id = fields.Integer(load_default=None, allow_none=True)
    applied_on = fields.Date(load_default=None, allow_none=True)
    investment_estimate = Yuan(required=True)
    data_needs = fields.String(load_default="", validate=validate.Length(max=5000))
    data_contribution = fields.String(
        load_default="", validate=validate.Length(max=5000)
    )
    funding_plan = fields.String(load_default="", validate=validate.Length(max=5000))
    deployment = fields.String(load_default="", validate=validate.Length(max=5000))
    facilities = fields.List(
        fields.String(validate=_choice(rules.Facility)), load_default=list
    )
    urgency_basis = fields.String(load_default="", validate=validate.Length(max=5000))
    large_or_specialised = fields.Boolean(load_default=False)
    scope_description = fields.String(
        load_default="", validate=validate.Length(max=5000)
    )
    construction_standard = fields.String(
        load_default="", validate=validate.Length(max=5000)
    )
    documents = fields.List(fields.Nested(DocumentSchema), load_default=list)


class DecisionSchema(Schema):
    """A step of the flow: action, date, outcome, opinion and what it carries."""

    action = fields.String(required=True, validate=_choice(rules.Action))
    decided_on = fields.Date(required=True)
    approved = fields.Boolean(load_default=True)
    opinion = fields.String(load_default="", validate=validate.Length(max=5000))
    amount = Yuan(load_default=None, allow_none=True)
    experts = fields.Boolean(load_default=False)
    third_party = fields.Boolean(load_default=False)
    procurement_method = fields.String(load_default="")
    supplier = fields.String(load_default="", validate=validate.Length(max=200))
    responsible_person = fields.String(
        load_default="", validate=validate.Length(max=100)
    )
    expected_version = fields.Integer(load_default=None, allow_none=True)
    documents = fields.List(fields.Nested(DocumentSchema), load_default=list)


class ChangeRequestInSchema(Schema):
    """A change of scope, standard or investment (art. 10)."""

    requested_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(1, 5000))
    new_scope = fields.String(load_default=None, allow_none=True)
    new_standard = fields.String(load_default=None, allow_none=True)
    new_investment = Yuan(load_default=None, allow_none=True)
    documents = fields.List(fields.Nested(DocumentSchema), load_default=list)


class ChangeDecisionSchema(Schema):
    """The decision on a change request."""

    decided_on = fields.Date(required=True)
    approved = fields.Boolean(required=True)
    opinion = fields.String(load_default="", validate=validate.Length(max=5000))


class FundingInSchema(Schema):
    """Money paid to a project."""

    amount = Yuan(required=True)
    paid_on = fields.Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class CallInSchema(Schema):
    """The annual call's dates (default: the August before the plan year)."""

    plan_year = fields.Integer(required=True, validate=validate.Range(2000, 2100))
    opens_on = fields.Date(load_default=None, allow_none=True)
    closes_on = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class CallSchema(Schema):
    """An annual call."""

    id = fields.Integer()
    plan_year = fields.Integer()
    opens_on = fields.Date()
    closes_on = fields.Date()
    note = fields.String()


class StepSchema(Schema):
    """A recorded step."""

    id = fields.Integer()
    action = fields.String()
    from_status = fields.String()
    to_status = fields.String()
    approved = fields.Boolean()
    decided_on = fields.Date()
    actor_name = fields.String()
    actor_department = fields.Function(
        lambda s: s.actor_department.name if s.actor_department else ""
    )
    opinion = fields.String()
    amount = Yuan(attribute="amount_fen", allow_none=True)


class DocumentOutSchema(DocumentSchema):
    """A filed document."""

    id = fields.Integer()
    step_id = fields.Integer(allow_none=True)


class ChangeRequestSchema(Schema):
    """A change request with the baseline it changes."""

    id = fields.Integer()
    project_id = fields.Integer()
    status = fields.String()
    requested_on = fields.Date()
    reason = fields.String()
    before_scope = fields.String()
    before_standard = fields.String()
    before_investment = Yuan(attribute="before_investment_fen", allow_none=True)
    new_scope = fields.String(allow_none=True)
    new_standard = fields.String(allow_none=True)
    new_investment = Yuan(attribute="new_investment_fen", allow_none=True)
    requested_by = fields.String()
    decided_on = fields.Date(allow_none=True)
    decided_by = fields.String()
    opinion = fields.String()


class FundingSchema(Schema):
    """A recorded payment."""

    id = fields.Integer()
    project_id = fields.Integer()
    amount = Yuan(attribute="amount_fen")
    paid_on = fields.Date()
    note = fields.String()
    recorded_by = fields.String()


class ProjectSchema(Schema):
    """A project with its approved baseline, current values and history."""

    id = fields.Integer()
    version = fields.Integer()
    title = fields.String()
    kind = fields.String()
    status = fields.String()
    department_id = fields.Integer()
    department = fields.Function(lambda p: p.department.name)
    plan_year = fields.Integer()
    applied_on = fields.Date()
    funding_sources = fields.List(fields.String())
    concerns = fields.List(fields.String())
    scope_reasons = fields.List(fields.String())
    software_development = Yuan(attribute="software_development_fen")
    system_integration = Yuan(attribute="system_integration_fen")
    investment_estimate = Yuan(attribute="investment_estimate_fen")
    data_needs = fields.String()
    data_contribution = fields.String()
    funding_plan = fields.String()
    deployment = fields.String()
    facilities = fields.List(fields.String())
    platform_flags = fields.List(fields.String())
    urgency_basis = fields.String()
    large_or_specialised = fields.Boolean()
    baseline_scope = fields.String()
    baseline_standard = fields.String()
    baseline_investment = Yuan(attribute="baseline_investment_fen", allow_none=True)
    scope_description = fields.String()
    construction_standard = fields.String()
    approved_investment = Yuan(attribute="approved_investment_fen", allow_none=True)
    approved_on = fields.Date(allow_none=True)
    design_estimate = Yuan(attribute="design_estimate_fen", allow_none=True)
    review_experts = fields.Boolean()
    review_third_party = fields.Boolean()
    review_started_on = fields.Date(allow_none=True)
    review_due_on = fields.Date(allow_none=True)
    review_due_confirmed = fields.Boolean()
    approved_budget = Yuan(attribute="approved_budget_fen", allow_none=True)
    procurement_method = fields.String()
    supplier = fields.String()
    procurement_amount = Yuan(attribute="procurement_amount_fen", allow_none=True)
    responsible_person = fields.String()
    third_party_tested = fields.Boolean()
    accepted_on = fields.Date(allow_none=True)
    settled_amount = Yuan(attribute="settled_amount_fen", allow_none=True)
    settled_on = fields.Date(allow_none=True)
    funded = Yuan(attribute="funded_fen")
    steps = fields.List(fields.Nested(StepSchema))
    documents = fields.List(fields.Nested(DocumentOutSchema))
    changes = fields.List(fields.Nested(ChangeRequestSchema))
    fundings = fields.List(fields.Nested(FundingSchema))


class ProjectSummarySchema(Schema):
    """A project in a list."""

    id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    status = fields.String()
    department_id = fields.Integer()
    plan_year = fields.Integer()
    approved_investment = Yuan(attribute="approved_investment_fen", allow_none=True)
    review_due_on = fields.Date(allow_none=True)


class ProjectQuerySchema(Schema):
    """Filters and keyset paging of the project list."""

    status = fields.String(load_default=None, validate=_choice(rules.Status))
    after_id = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))


def to_service(data: dict) -> dict:
    """Rename the yuan fields of loaded data to the services' fen keys."""
    renamed = {}
    for key, value in data.items():
        if key in MONEY_KEYS:
            renamed[MONEY_KEYS[key]] = value
        else:
            renamed[key] = value
    return renamed


MONEY_KEYS = {
    "software_development": "software_development_fen",
    "system_integration": "system_integration_fen",
    "investment_estimate": "investment_estimate_fen",
    "amount": "amount_fen",
    "new_investment": "new_investment_fen",
}
