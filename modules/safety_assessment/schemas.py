"""Marshmallow schemas of the safety assessment API."""

from marshmallow import Schema, fields, validate

from core.i18n import _l
from modules.safety_assessment.rules import AccidentKind, AccidentLevel

NON_NEGATIVE = validate.Range(min=0, error=_l("Enter zero or more."))
KINDS = validate.OneOf([k.value for k in AccidentKind])


class AccidentLevelQuerySchema(Schema):
    """The figures an accident's level is derived from."""

    kind = fields.String(required=True, validate=KINDS)
    deaths = fields.Integer(load_default=0, validate=NON_NEGATIVE)
    serious_injuries = fields.Integer(load_default=0, validate=NON_NEGATIVE)
    direct_loss = fields.Decimal(
        load_default=0, validate=NON_NEGATIVE, as_string=True, allow_nan=False
    )
    burned_area_ha = fields.Decimal(
        load_default=0, validate=NON_NEGATIVE, as_string=True, allow_nan=False
    )


class AccidentLevelSchema(Schema):
    """The derived level."""

    level = fields.String(validate=validate.OneOf([v.value for v in AccidentLevel]))


class AccidentUnitSchema(Schema):
    """A unit an accident counts against."""

    unit_id = fields.Integer(required=True)
    counts = fields.Boolean(load_default=True)
    unit = fields.String(dump_only=True)


class AccidentInSchema(AccidentLevelQuerySchema):
    """A new accident for the register."""

    occurred_on = fields.Date(required=True)
    place = fields.String(required=True, validate=validate.Length(min=1, max=300))
    summary = fields.String(load_default="")
    department_id = fields.Integer(required=True)
    concealed = fields.Boolean(load_default=False)
    falsely_reported = fields.Boolean(load_default=False)
    late_reported = fields.Boolean(load_default=False)
    concealment_by_government = fields.Boolean(load_default=False)
    confirmed_on = fields.Date(load_default=None, allow_none=True)
    bad_social_effect = fields.Boolean(load_default=False)
    egregious = fields.Boolean(load_default=False)
    especially_egregious = fields.Boolean(load_default=False)
    liability = fields.Boolean(load_default=True)
    units = fields.List(fields.Nested(AccidentUnitSchema), load_default=list)


class AccidentSchema(Schema):
    """An accident of the register."""

    id = fields.Integer()
    kind = fields.String()
    occurred_on = fields.Date()
    place = fields.String()
    summary = fields.String()
    department_id = fields.Integer()
    deaths = fields.Integer()
    serious_injuries = fields.Integer()
    direct_loss = fields.Decimal(as_string=True)
    burned_area_ha = fields.Decimal(as_string=True)
    concealed = fields.Boolean()
    falsely_reported = fields.Boolean()
    late_reported = fields.Boolean()
    concealment_by_government = fields.Boolean()
    confirmed_on = fields.Date(allow_none=True)
    bad_social_effect = fields.Boolean()
    egregious = fields.Boolean()
    especially_egregious = fields.Boolean()
    liability = fields.Boolean()
    level = fields.String()
    assessment_year = fields.Integer(allow_none=True)
    units = fields.Method("dump_units")

    def dump_units(self, accident):
        """The units the accident counts against."""
        return [
            {"unit_id": link.unit_id, "unit": link.unit.name, "counts": link.counts}
            for link in accident.links
        ]


class AccidentQuerySchema(Schema):
    """Filters of the accident list."""

    year = fields.Integer(load_default=None)
    level = fields.String(
        load_default=None, validate=validate.OneOf([v.value for v in AccidentLevel])
    )


class DeductionInSchema(Schema):
    """A deduction against a unit in a year."""

    year = fields.Integer(required=True)
    unit_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    points = fields.Decimal(required=True, as_string=True, allow_nan=False)
    quarter = fields.Integer(required=True)
    deducted_on = fields.Date(required=True)
    reason = fields.String(required=True)
    evidence = fields.String(required=True)


class DeductionSchema(Schema):
    """A deduction as recorded."""

    id = fields.Integer()
    unit_id = fields.Function(lambda d: d.assessment.unit_id)
    unit = fields.Function(lambda d: d.assessment.unit.name)
    year = fields.Function(lambda d: d.assessment.year.year)
    item_id = fields.Integer()
    item = fields.Function(lambda d: d.item.code)
    points = fields.Decimal(as_string=True)
    quarter = fields.Integer()
    deducted_on = fields.Date()
    reason = fields.String()
    evidence = fields.String()
    recorded_by = fields.String()


class DeductionQuerySchema(Schema):
    """Filters of the deduction list."""

    year = fields.Integer(required=True)
    unit_id = fields.Integer(load_default=None)


class BonusInSchema(Schema):
    """Bonus points proposed for a unit (art. 9)."""

    year = fields.Integer(required=True)
    unit_id = fields.Integer(required=True)
    points = fields.Decimal(required=True, as_string=True, allow_nan=False)
    reason = fields.String(required=True)
    evidence = fields.String(load_default="")
    approved = fields.Boolean(load_default=False)
    decision = fields.String(load_default="")
    decided_on = fields.Date(load_default=None, allow_none=True)


class DecisionSchema(Schema):
    """A committee decision: its reference and date."""

    decision = fields.String(load_default="")
    decided_on = fields.Date(load_default=None, allow_none=True)


class BonusSchema(Schema):
    """Bonus points and their approval."""

    id = fields.Integer()
    unit_id = fields.Function(lambda b: b.assessment.unit_id)
    points = fields.Decimal(as_string=True)
    reason = fields.String()
    evidence = fields.String()
    status = fields.String()
    decision = fields.String()
    decided_on = fields.Date(allow_none=True)


class ReasonSchema(Schema):
    """One reason behind a grade."""

    code = fields.String()
    article = fields.String()
    values = fields.Dict()
    text = fields.String()


class ResultSchema(Schema):
    """One line of the ranked list."""

    unit_id = fields.Integer()
    unit = fields.String()
    kind = fields.String()
    score = fields.Decimal(as_string=True)
    rank = fields.Integer()
    grade = fields.String()
    yellow_card = fields.Boolean()
    veto = fields.Boolean()
    reasons = fields.List(fields.Nested(ReasonSchema))
    final = fields.Boolean()


class YearResultsSchema(Schema):
    """The ranked list of a year and its approval state."""

    year = fields.Integer()
    status = fields.String()
    yellow_card_rule = fields.String()
    approval_decision = fields.String()
    approved_on = fields.Date(allow_none=True)
    published_on = fields.Date(allow_none=True)
    results = fields.List(fields.Nested(ResultSchema))


class PublishSchema(Schema):
    """The publication date of approved results."""

    published_on = fields.Date(required=True)
