"""The safety assessment API under /api/v1/safety-assessment."""

from sqlalchemy import select

from core.api import api_blueprint, api_user, endpoint
from core.errors import Forbidden, NotFound
from core.extensions import db
from core.i18n import _
from core.scoping import get_visible, scope
from core.timeutil import today_local
from modules.safety_assessment import rules, services
from modules.safety_assessment.labels import reason_text
from modules.safety_assessment.models import (
    Accident,
    AssessedUnit,
    BonusAward,
    Deduction,
    UnitAssessment,
)
from modules.safety_assessment.rules import AccidentKind
from modules.safety_assessment.schemas import (
    AccidentInSchema,
    AccidentLevelQuerySchema,
    AccidentLevelSchema,
    AccidentQuerySchema,
    AccidentSchema,
    BonusInSchema,
    BonusSchema,
    DecisionSchema,
    DeductionInSchema,
    DeductionQuerySchema,
    DeductionSchema,
    PublishSchema,
    YearResultsSchema,
)

bp = api_blueprint("safety_assessment", "safety-assessment")

VIEW, EDIT, APPROVE = (
    "safety_assessment.view",
    "safety_assessment.edit",
    "safety_assessment.approve",
)


@endpoint(
    bp,
    "/accident-level",
    methods=("POST",),
    body=AccidentLevelQuerySchema,
    response=AccidentLevelSchema,
    permission=VIEW,
)
def accident_level(body):
    """Derive an accident's level from its figures."""
    level = rules.accident_level(
        AccidentKind(body["kind"]),
        body["deaths"],
        body["serious_injuries"],
        body["direct_loss"],
        body["burned_area_ha"],
    )
    return {"level": level.value}


@endpoint(
    bp,
    "/accidents",
    query=AccidentQuerySchema,
    response=AccidentSchema,
    many=True,
    permission=VIEW,
)
def list_accidents(query):
    """The accidents the caller may see, newest first."""
    statement = select(Accident).order_by(Accident.occurred_on.desc(), Accident.id)
    if query["year"] is not None:
        statement = statement.where(Accident.assessment_year == query["year"])
    if query["level"] is not None:
        statement = statement.where(Accident.level == query["level"])
    return db.session.scalars(scope(statement, Accident, api_user())).unique().all()


@endpoint(bp, "/accidents/<int:accident_id>", response=AccidentSchema, permission=VIEW)
def get_accident(accident_id):
    """One accident of the register."""
    return get_visible(Accident, accident_id, api_user())


@endpoint(
    bp,
    "/accidents",
    methods=("POST",),
    body=AccidentInSchema,
    response=AccidentSchema,
    status=201,
    permission=EDIT,
)
def create_accident(body):
    """Register an accident; its level and year are derived, notices raised."""
    try:
        accident = services.record_accident(body, api_user(), today_local())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return accident


def _assessment(year: int, unit_id: int) -> UnitAssessment:
    year_record = services.get_year(year)
    unit = get_visible(AssessedUnit, unit_id, api_user())
    record = db.session.scalars(
        select(UnitAssessment).where(
            UnitAssessment.unit_id == unit.id,
            UnitAssessment.year_id == year_record.id,
        )
    ).first()
    if record is None:
        raise NotFound(_("%(unit)s is not assessed in %(year)s.", unit=unit, year=year))
    return record


@endpoint(
    bp,
    "/deductions",
    query=DeductionQuerySchema,
    response=DeductionSchema,
    many=True,
    permission=VIEW,
)
def list_deductions(query):
    """The deductions of a year the caller may see."""
    year = services.get_year(query["year"])
    statement = (
        select(Deduction)
        .join(UnitAssessment, UnitAssessment.id == Deduction.assessment_id)
        .where(UnitAssessment.year_id == year.id)
        .order_by(Deduction.deducted_on, Deduction.id)
    )
    if query["unit_id"] is not None:
        statement = statement.where(UnitAssessment.unit_id == query["unit_id"])
    return db.session.scalars(scope(statement, Deduction, api_user())).all()


@endpoint(
    bp,
    "/deductions",
    methods=("POST",),
    body=DeductionInSchema,
    response=DeductionSchema,
    status=201,
    permission=EDIT,
)
def create_deduction(body):
    """Deduct points from a unit under an item of the year's rules."""
    assessment = _assessment(body["year"], body["unit_id"])
    try:
        deduction = services.record_deduction(
            assessment,
            body["item_id"],
            body["points"],
            body["quarter"],
            body["deducted_on"],
            body["reason"],
            body["evidence"],
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return deduction


@endpoint(
    bp,
    "/bonuses",
    methods=("POST",),
    body=BonusInSchema,
    response=BonusSchema,
    status=201,
    permission=EDIT,
)
def create_bonus(body):
    """Propose bonus points; approved at once only with the committee's decision."""
    assessment = _assessment(body["year"], body["unit_id"])
    if body["approved"] and not api_user().can(APPROVE):
        raise Forbidden(_("Only the committee may approve bonus points."))
    try:
        bonus = services.propose_bonus(
            assessment,
            body["points"],
            body["reason"],
            body["evidence"],
            body["approved"],
            body["decision"],
            body["decided_on"],
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return bonus


@endpoint(
    bp,
    "/bonuses/<int:bonus_id>/approve",
    methods=("POST",),
    body=DecisionSchema,
    response=BonusSchema,
    permission=APPROVE,
)
def approve_bonus(bonus_id, body):
    """Approve bonus points by the committee's decision (art. 9)."""
    bonus = get_visible(BonusAward, bonus_id, api_user())
    try:
        services.approve_bonus(bonus, body["decision"], body["decided_on"])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return bonus


def _year_results(year_record):
    rows = services.results(year_record, api_user())
    return {
        "year": year_record.year,
        "status": year_record.status,
        "yellow_card_rule": year_record.yellow_card_rule.value,
        "approval_decision": year_record.approval_decision,
        "approved_on": year_record.approved_on,
        "published_on": year_record.published_on,
        "results": [
            {
                **row.__dict__,
                "reasons": [{**r, "text": reason_text(r)} for r in row.reasons],
            }
            for row in rows
        ],
    }


@endpoint(bp, "/years/<int:year>/results", response=YearResultsSchema, permission=VIEW)
def year_results(year):
    """The ranked list of a year: score, grade and reasons per unit."""
    return _year_results(services.get_year(year))


@endpoint(
    bp,
    "/years/<int:year>/approve",
    methods=("POST",),
    body=DecisionSchema,
    response=YearResultsSchema,
    permission=APPROVE,
)
def approve_year(year, body):
    """The committee approves the year's results (art. 14)."""
    year_record = services.get_year(year)
    try:
        services.approve_results(year_record, body["decision"], body["decided_on"])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return _year_results(year_record)


@endpoint(
    bp,
    "/years/<int:year>/publish",
    methods=("POST",),
    body=PublishSchema,
    response=YearResultsSchema,
    permission=APPROVE,
)
def publish_year(year, body):
    """Publish approved results and send each unit its own (art. 14)."""
    year_record = services.get_year(year)
    try:
        services.publish_results(year_record, body["published_on"])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return _year_results(year_record)
