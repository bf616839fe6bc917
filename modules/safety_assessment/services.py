"""State changes of the safety assessment: load (scoped), apply rules, save.

Services flush; the caller (API view, portal view or job) commits. Bad input
raises before anything is written.
"""

import contextlib
import gc
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, func, or_, select

from core import calendar, mail
from core.context import current_actor
from core.errors import InvalidInput, NotFound, RuleViolation
from core.extensions import db
from core.i18n import _
from core.models.departments import Department, DepartmentKind
from core.models.organisations import Organisation
from core.scoping import can_own, get_visible, scope
from modules.safety_assessment import rules
from modules.safety_assessment.labels import (
    GRADE_LABELS,
    PREWARNING_LABELS,
    SANCTION_LABELS,
    UNIT_KIND_LABELS,
    label,
    reason_text,
)
from modules.safety_assessment.models import (
    Accident,
    AccidentUnit,
    AssessedUnit,
    AssessmentYear,
    BonusAward,
    BonusStatus,
    Deduction,
    Message,
    PreWarning,
    Sanction,
    ScoringItem,
    SelfAssessmentReport,
    SpotCheck,
    UnitAssessment,
    YearStatus,
)
from modules.safety_assessment.rules import (
    AccidentKind,
    PreWarningKind,
    UnitKind,
    YellowCardRule,
)

log = logging.getLogger(__name__)

DEPARTMENT_UNIT_KINDS = {
    DepartmentKind.COUNTY: UnitKind.COUNTY,
    DepartmentKind.CITY_DEPARTMENT: UnitKind.CITY_DEPARTMENT,
    DepartmentKind.RESIDENT_UNIT: UnitKind.RESIDENT_UNIT,
    DepartmentKind.TOWNSHIP: UnitKind.TOWNSHIP,
}
# Working days between a pre-warning and the interview of the unit's head.
INTERVIEW_WORKING_DAYS = 5


def _actor() -> str:
    return current_actor().name


def _decimal(value, field_name: str, errors: dict) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(field_name, []).append(_("Enter a number."))
        return None
    if not number.is_finite():
        errors.setdefault(field_name, []).append(_("Enter a number."))
        return None
    return number


# Units and years -------------------------------------------------------------


def unit_for_department(department: Department) -> AssessedUnit:
    """The assessed unit of a county, township, city department or resident unit."""
    unit = db.session.scalars(
        select(AssessedUnit).where(AssessedUnit.department_id == department.id)
    ).first()
    if unit is not None:
        return unit
    kind = DEPARTMENT_UNIT_KINDS.get(department.kind)
    if kind is None:
        raise InvalidInput(
            {"department": [_("%(name)s is not an assessed unit.", name=department)]}
        )
    county = department.county() if kind == UnitKind.TOWNSHIP else None
    unit = AssessedUnit(
        kind=kind,
        department_id=department.id,
        owner_department_id=department.id,
        county_id=county.id if county else None,
        name=department.name,
    )
    db.session.add(unit)
    db.session.flush()
    return unit


def designate_enterprise(organisation: Organisation) -> AssessedUnit:
    """Make an organisation a target enterprise (目标考核企业, art. 2)."""
    unit = db.session.scalars(
        select(AssessedUnit).where(AssessedUnit.organisation_id == organisation.id)
    ).first()
    if unit is not None:
        return unit
    unit = AssessedUnit(
        kind=UnitKind.ENTERPRISE,
        organisation_id=organisation.id,
        owner_department_id=organisation.county_id,
        county_id=organisation.county_id,
        name=organisation.name,
    )
    db.session.add(unit)
    db.session.flush()
    log.info("%s designated target enterprise %s", _actor(), organisation.name)
    return unit


def sync_units() -> int:
    """Create the assessed units of every active department that lacks one."""
    known = set(
        db.session.scalars(
            select(AssessedUnit.department_id).where(
                AssessedUnit.department_id.is_not(None)
            )
        )
    )
    created = 0
    for department in db.session.scalars(
        select(Department).where(
            Department.kind.in_(list(DEPARTMENT_UNIT_KINDS)),
            Department.is_active.is_(True),
        )
    ):
        if department.id not in known:
            unit_for_department(department)
            created += 1
    return created


def get_year(year: int) -> AssessmentYear:
    """The assessment year, or NotFound."""
    record = db.session.scalars(
        select(AssessmentYear).where(AssessmentYear.year == year)
    ).first()
    if record is None:
        raise NotFound(_("The assessment year %(year)s is not open.", year=year))
    return record


def open_year(
    year: int,
    yellow_card_rule: YellowCardRule = YellowCardRule.CAP_AT_PASS,
    county_excellent_quota: int = rules.COUNTY_EXCELLENT_QUOTA,
    township_excellent_quota: int | None = None,
    bonus_cap: Decimal | None = None,
) -> AssessmentYear:
    """Open an assessment year with its rule settings and enrol every unit."""
    errors = {}
    if db.session.scalars(
        select(AssessmentYear.id).where(AssessmentYear.year == year)
    ).first():
        errors["year"] = [_("The year %(year)s is already open.", year=year)]
    if county_excellent_quota < 0:
        errors["county_excellent_quota"] = [_("Enter zero or more.")]
    if township_excellent_quota is not None and township_excellent_quota < 0:
        errors["township_excellent_quota"] = [_("Enter zero or more.")]
    if errors:
        raise InvalidInput(errors)

    record = AssessmentYear(
        year=year,
        yellow_card_rule=YellowCardRule(yellow_card_rule),
        county_excellent_quota=county_excellent_quota,
        township_excellent_quota=township_excellent_quota,
        bonus_cap=bonus_cap,
    )
    db.session.add(record)
    db.session.flush()
    sync_units()
    enrol_units(record)
    log.info("%s opened assessment year %s", _actor(), year)
    return record


def enrol_units(year: AssessmentYear) -> int:
    """Give every active unit its assessment record of the year."""
    enrolled = set(
        db.session.scalars(
            select(UnitAssessment.unit_id).where(UnitAssessment.year_id == year.id)
        )
    )
    rows = db.session.execute(
        select(AssessedUnit.id, AssessedUnit.owner_department_id).where(
            AssessedUnit.is_active.is_(True)
        )
    ).all()
    added = 0
    for unit_id, owner_id in rows:
        if unit_id not in enrolled:
            db.session.add(
                UnitAssessment(
                    unit_id=unit_id, year_id=year.id, owner_department_id=owner_id
                )
            )
            added += 1
    db.session.flush()
    return added


def assessment_of(unit: AssessedUnit, year: AssessmentYear) -> UnitAssessment:
    """The unit's assessment record of the year, created when missing."""
    record = db.session.scalars(
        select(UnitAssessment).where(
            UnitAssessment.unit_id == unit.id, UnitAssessment.year_id == year.id
        )
    ).first()
    if record is None:
        record = UnitAssessment(
            unit_id=unit.id,
            year_id=year.id,
            owner_department_id=unit.owner_department_id,
        )
        db.session.add(record)
        db.session.flush()
    return record


def set_yellow_card_rule(year: AssessmentYear, rule: YellowCardRule) -> None:
    """Switch the year's reading of the yellow card (art. 11(1))."""
    _require_open(year)
    year.yellow_card_rule = YellowCardRule(rule)
    db.session.flush()
    log.info("%s set the yellow-card rule of %s to %s", _actor(), year.year, rule)


def _require_open(year: AssessmentYear) -> None:
    if year.status != YearStatus.OPEN:
        raise RuleViolation(
            _(
                "The results of %(year)s are approved; scores can no longer change.",
                year=year.year,
            ),
            article="art. 14",
        )


def add_item(
    year: AssessmentYear,
    code: str,
    title: str,
    points,
    unit_kind: UnitKind | None = None,
) -> ScoringItem:
    """Add an item to a year's scoring rules (art. 6)."""
    errors: dict = {}
    number = _decimal(points, "points", errors)
    if number is not None and number <= 0:
        errors["points"] = [_("Points must be more than zero.")]
    if not (code or "").strip():
        errors["code"] = [_("Enter a code.")]
    if not (title or "").strip():
        errors["title"] = [_("Enter a title.")]
    if errors:
        raise InvalidInput(errors)
    _require_open(year)
    item = ScoringItem(
        year_id=year.id,
        code=code.strip(),
        title=title.strip(),
        points=number,
        unit_kind=unit_kind,
    )
    db.session.add(item)
    db.session.flush()
    log.info("%s added scoring item %s to %s", _actor(), item.code, year.year)
    return item


# Accidents -------------------------------------------------------------------


def validate_accident(values: dict, today: date) -> dict:
    """Check an accident's figures; returns field errors (empty when valid)."""
    errors: dict = {}
    for name in ("deaths", "serious_injuries"):
        value = values.get(name, 0)
        if value is None or int(value) < 0:
            errors[name] = [_("Enter zero or more.")]
    for name in ("direct_loss", "burned_area_ha"):
        number = _decimal(values.get(name) or 0, name, errors)
        if number is not None and number < 0:
            errors[name] = [_("Enter zero or more.")]
    occurred_on = values.get("occurred_on")
    if occurred_on is None:
        errors["occurred_on"] = [_("Enter the date of the accident.")]
    elif occurred_on > today:
        errors["occurred_on"] = [_("The accident cannot be dated in the future.")]
    confirmed_on = values.get("confirmed_on")
    if confirmed_on is not None:
        if confirmed_on > today:
            errors["confirmed_on"] = [_("The date cannot be in the future.")]
        elif occurred_on is not None and confirmed_on < occurred_on:
            errors["confirmed_on"] = [
                _("The confirmation cannot precede the accident.")
            ]
    if values.get("kind") != AccidentKind.FOREST_FIRE and Decimal(
        str(values.get("burned_area_ha") or 0)
    ):
        errors["burned_area_ha"] = [_("Only a forest fire has a burned area.")]
    return errors


def derive_accident(accident: Accident) -> None:
    """Set the level and assessment year from the figures (never typed in)."""
    accident.level = rules.accident_level(
        AccidentKind(accident.kind),
        accident.deaths,
        accident.serious_injuries,
        Decimal(accident.direct_loss or 0),
        Decimal(accident.burned_area_ha or 0),
    )
    accident.assessment_year = rules.assessment_year(
        accident.occurred_on,
        accident.level,
        accident.bad_social_effect,
        accident.misreported,
        accident.confirmed_on,
    )


ACCIDENT_FIELDS = (
    "kind",
    "occurred_on",
    "place",
    "summary",
    "deaths",
    "serious_injuries",
    "direct_loss",
    "burned_area_ha",
    "concealed",
    "falsely_reported",
    "late_reported",
    "concealment_by_government",
    "confirmed_on",
    "bad_social_effect",
    "egregious",
    "especially_egregious",
    "liability",
)


def record_accident(values: dict, user, today: date) -> Accident:
    """Register an accident, assign it to units and raise art. 12 notices.

    `values` holds the ACCIDENT_FIELDS, `department_id` (where it happened) and
    `units`: a list of {"unit_id", "counts"}.
    """
    errors = validate_accident(values, today)
    department = db.session.get(Department, values.get("department_id") or 0)
    if department is None or not can_own(user, department):
        errors["department_id"] = [_("Choose a department you may file for.")]
    links = []
    seen = set()
    for link in values.get("units") or []:
        try:
            unit = get_visible(AssessedUnit, link["unit_id"], user)
        except NotFound:
            errors.setdefault("units", []).append(
                _("Unit %(id)s was not found.", id=link["unit_id"])
            )
            continue
        if unit.id in seen:
            errors.setdefault("units", []).append(
                _("%(name)s is listed twice.", name=unit.name)
            )
            continue
        seen.add(unit.id)
        links.append((unit, link.get("counts", True)))
    if errors:
        raise InvalidInput(errors)

    accident = Accident(
        **{name: values.get(name) for name in ACCIDENT_FIELDS if name in values},
        department_id=department.id,
    )
    accident.deaths = int(values.get("deaths", 0))
    accident.serious_injuries = int(values.get("serious_injuries", 0))
    accident.direct_loss = Decimal(str(values.get("direct_loss") or 0))
    accident.burned_area_ha = Decimal(str(values.get("burned_area_ha") or 0))
    for flag in (
        "concealed",
        "falsely_reported",
        "late_reported",
        "concealment_by_government",
        "bad_social_effect",
        "egregious",
        "especially_egregious",
    ):
        setattr(accident, flag, bool(values.get(flag, False)))
    accident.liability = bool(values.get("liability", True))
    accident.summary = values.get("summary") or ""
    derive_accident(accident)
    accident.links = [AccidentUnit(unit=u, counts=bool(c)) for u, c in links]
    db.session.add(accident)
    db.session.flush()
    log.info(
        "%s recorded accident #%s (%s, %s) in year %s",
        _actor(),
        accident.id,
        accident.kind,
        accident.level,
        accident.assessment_year,
    )
    raise_prewarnings(accident, today)
    return accident


def _counted(accident: Accident) -> rules.CountedAccident:
    return rules.CountedAccident(
        kind=AccidentKind(accident.kind),
        level=rules.AccidentLevel(accident.level),
        deaths=accident.deaths,
        burned_area_ha=Decimal(accident.burned_area_ha or 0),
        concealed=accident.concealed,
        falsely_reported=accident.falsely_reported,
        concealment_by_government=accident.concealment_by_government,
        egregious=accident.egregious,
        especially_egregious=accident.especially_egregious,
        liability=accident.liability,
    )


def counted_accidents(unit_id: int, year: int) -> list[rules.CountedAccident]:
    """The accidents that count against a unit in an assessment year."""
    accidents = db.session.scalars(
        select(Accident)
        .join(AccidentUnit, AccidentUnit.accident_id == Accident.id)
        .where(
            AccidentUnit.unit_id == unit_id,
            AccidentUnit.counts.is_(True),
            Accident.assessment_year == year,
        )
    ).all()
    return [_counted(a) for a in accidents]


def _city() -> Department | None:
    return db.session.scalars(
        select(Department).where(Department.kind == DepartmentKind.CITY)
    ).first()


def notify(department: Department, topic: str, subject: str, body: str) -> Message:
    """Record a message to a department and queue it in the core's mail outbox.

    The record stays readable in the portal even for a department without
    contact addresses, which the outbox cannot mail.
    """
    message = Message(
        department_id=department.id,
        recipients=", ".join(department.emails),
        topic=topic,
        subject=subject,
        body=body,
    )
    db.session.add(message)
    if department.emails:
        mail.enqueue(
            department.emails,
            subject,
            body,
            department=department,
            origin=f"safety_assessment.{topic}",
        )
    db.session.flush()
    return message


def raise_prewarnings(accident: Accident, today: date) -> list[PreWarning]:
    """Pre-warn or pre-veto each unit the accident puts over a line (art. 12)."""
    if accident.assessment_year is None:
        return []
    raised = []
    for link in accident.links:
        if not link.counts:
            continue
        unit = link.unit
        year = accident.assessment_year
        forest = None
        year_record = db.session.scalars(
            select(AssessmentYear).where(AssessmentYear.year == year)
        ).first()
        if year_record is not None:
            forest = db.session.scalars(
                select(UnitAssessment.forest_area_ha).where(
                    UnitAssessment.unit_id == unit.id,
                    UnitAssessment.year_id == year_record.id,
                )
            ).first()
        kind, reasons = rules.prewarning_kind(
            UnitKind(unit.kind), counted_accidents(unit.id, year), forest
        )
        if kind is None:
            continue
        existing = set(
            db.session.scalars(
                select(PreWarning.kind).where(
                    PreWarning.unit_id == unit.id, PreWarning.year == year
                )
            )
        )
        if PreWarningKind.PRE_VETO in existing or kind in existing:
            continue
        raised.append(_raise(unit, accident, year, kind, reasons, today))
    return raised


def _raise(unit, accident, year, kind, reasons, today) -> PreWarning:
    notice = PreWarning(
        unit_id=unit.id,
        owner_department_id=unit.owner_department_id,
        accident_id=accident.id,
        year=year,
        kind=kind,
        reasons=[r.as_dict() for r in reasons],
        raised_on=today,
        interview_on=calendar.add_working_days(today, INTERVIEW_WORKING_DAYS).value,
        rectification_due=rules.rectification_due(today),
    )
    if kind == PreWarningKind.PRE_VETO:
        # art. 12: the office reports a pre-veto to the discipline commission
        # and the organisation department.
        notice.reported_to_discipline_on = today
        notice.reported_to_organisation_on = today
    db.session.add(notice)
    db.session.flush()

    recipient = unit.department or unit.owner
    what = label(PREWARNING_LABELS, kind)
    body = "\n".join(
        [
            _(
                "%(unit)s receives a %(what)s for year %(year)s.",
                unit=unit.name,
                what=what,
                year=year,
            ),
            *[reason_text(r) for r in notice.reasons],
            _(
                "The head of the unit is interviewed on %(day)s.",
                day=notice.interview_on,
            ),
            _(
                "A written rectification report is due by %(day)s.",
                day=notice.rectification_due,
            ),
        ]
    )
    notify(
        recipient,
        "prewarning",
        _("%(what)s: %(unit)s", what=what, unit=unit.name),
        body,
    )
    if kind == PreWarningKind.PRE_VETO:
        city = _city()
        if city is not None:
            notify(
                city,
                "pre_veto_report",
                _(
                    "Pre-veto of %(unit)s, for the discipline commission and "
                    "the organisation department",
                    unit=unit.name,
                ),
                body,
            )
    log.info(
        "%s raised %s #%s for unit %s (accident #%s)",
        _actor(),
        kind,
        notice.id,
        unit.name,
        accident.id,
    )
    return notice


def file_rectification(notice: PreWarning, filed_on: date, summary: str) -> None:
    """Record the written rectification report of a pre-warning (art. 12)."""
    if not (summary or "").strip():
        raise InvalidInput({"summary": [_("Describe the rectification measures.")]})
    if notice.rectification_filed_on is not None:
        raise RuleViolation(_("The rectification report is already filed."))
    notice.rectification_filed_on = filed_on
    notice.rectification_summary = summary.strip()
    db.session.flush()
    log.info("%s filed the rectification of notice #%s", _actor(), notice.id)


def record_interview(notice: PreWarning, held_on: date) -> None:
    """Record that the warning interview took place (art. 12)."""
    notice.interviewed_on = held_on
    db.session.flush()
    log.info("%s recorded the interview of notice #%s", _actor(), notice.id)


# Deductions and bonus points (art. 8, 9) -------------------------------------


def record_deduction(
    assessment: UnitAssessment,
    item_id: int,
    points,
    quarter: int,
    deducted_on: date,
    reason: str,
    evidence: str,
) -> Deduction:
    """Deduct points under an item of the same year's rules, kept as recorded."""
    errors: dict = {}
    item = db.session.get(ScoringItem, item_id or 0)
    if item is None:
        errors["item_id"] = [_("No scoring item %(id)s exists.", id=item_id)]
    elif item.year_id != assessment.year_id:
        errors["item_id"] = [
            _(
                "Item %(code)s belongs to the rules of %(other)s, not %(year)s.",
                code=item.code,
                other=item.year.year,
                year=assessment.year.year,
            )
        ]
    elif item.unit_kind is not None and item.unit_kind != assessment.unit.kind:
        errors["item_id"] = [
            _("Item %(code)s does not apply to this kind of unit.", code=item.code)
        ]
    number = _decimal(points, "points", errors)
    if number is not None and number <= 0:
        errors["points"] = [_("Points must be more than zero.")]
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = [_("Choose a quarter from 1 to 4.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason for the deduction.")]
    if not (evidence or "").strip():
        errors["evidence"] = [_("Name the evidence of the deduction.")]
    if errors:
        raise InvalidInput(errors)
    _require_open(assessment.year)

    deduction = Deduction(
        assessment_id=assessment.id,
        item_id=item.id,
        owner_department_id=assessment.owner_department_id,
        points=number,
        quarter=quarter,
        deducted_on=deducted_on,
        reason=reason.strip(),
        evidence=evidence.strip(),
        recorded_by=_actor(),
    )
    db.session.add(deduction)
    db.session.flush()
    log.info(
        "%s deducted %s points from %s under %s",
        _actor(),
        number,
        assessment.unit.name,
        item.code,
    )
    return deduction


def propose_bonus(
    assessment: UnitAssessment,
    points,
    reason: str,
    evidence: str = "",
    approved: bool = False,
    decision: str = "",
    decided_on: date | None = None,
) -> BonusAward:
    """Propose bonus points (art. 9); approved at once only with a decision."""
    errors: dict = {}
    number = _decimal(points, "points", errors)
    if number is not None and number <= 0:
        errors["points"] = [_("Points must be more than zero.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Give the achievement the bonus is for.")]
    if approved:
        errors.update(_decision_errors(decision, decided_on))
    if errors:
        raise InvalidInput(errors)
    _require_open(assessment.year)

    bonus = BonusAward(
        assessment_id=assessment.id,
        owner_department_id=assessment.owner_department_id,
        points=number,
        reason=reason.strip(),
        evidence=(evidence or "").strip(),
    )
    if approved:
        bonus.status = BonusStatus.APPROVED
        bonus.decision = decision.strip()
        bonus.decided_on = decided_on
    db.session.add(bonus)
    db.session.flush()
    log.info(
        "%s proposed %s bonus points for %s (%s)",
        _actor(),
        number,
        assessment.unit.name,
        bonus.status,
    )
    return bonus


def _decision_errors(decision, decided_on) -> dict:
    errors = {}
    if not (decision or "").strip():
        errors["decision"] = [
            _("Bonus points count only with the committee's approving decision.")
        ]
    if decided_on is None:
        errors["decided_on"] = [_("Enter the date of the committee's decision.")]
    return errors


def approve_bonus(bonus: BonusAward, decision: str, decided_on: date | None) -> None:
    """Approve bonus points by the committee's decision (art. 9)."""
    errors = _decision_errors(decision, decided_on)
    if errors:
        raise InvalidInput(errors)
    _require_open(bonus.assessment.year)
    if bonus.status == BonusStatus.APPROVED:
        raise RuleViolation(_("The bonus points are already approved."), "art. 9")
    bonus.status = BonusStatus.APPROVED
    bonus.decision = decision.strip()
    bonus.decided_on = decided_on
    db.session.flush()
    log.info("%s approved bonus #%s by %s", _actor(), bonus.id, bonus.decision)


# Grading (art. 8–11), in memory from a few set-based queries -----------------


@dataclass
class Grading:
    """A year's grading: facts and results keyed by assessment id."""

    year: AssessmentYear
    units: dict = field(default_factory=dict)  # assessment id -> row of unit data
    results: dict = field(default_factory=dict)  # assessment id -> GradeResult
    scores_by_item: dict = field(default_factory=dict)
    pre_veto_on: dict = field(default_factory=dict)  # unit id -> date


def _prior_serious(year: int) -> dict:
    """Serious accidents per unit in each of the three previous years."""
    rows = db.session.execute(
        select(
            AccidentUnit.unit_id,
            Accident.assessment_year,
            func.count(Accident.id),
        )
        .join(Accident, Accident.id == AccidentUnit.accident_id)
        .where(
            AccidentUnit.counts.is_(True),
            Accident.level == rules.AccidentLevel.SERIOUS,
            Accident.assessment_year.between(year - 3, year - 1),
        )
        .group_by(AccidentUnit.unit_id, Accident.assessment_year)
    ).all()
    totals: dict = defaultdict(int)
    for unit_id, _year, count in rows:
        totals[unit_id] += count
    return totals


def _register_started(year: int) -> bool:
    """Whether the register holds accidents of all three previous years."""
    first = db.session.scalar(select(func.min(Accident.assessment_year)))
    return first is not None and first <= year - 3


@contextlib.contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector for a burst of short-lived objects.

    Grading builds some ten thousand small acyclic objects; each allocation
    burst would otherwise start full collections that walk every long-lived
    object of the app, which costs more than the grading itself.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def grade_year(year: AssessmentYear, quarter: int | None = None) -> Grading:
    """Grade every unit of the year (or score one quarter's deductions only)."""
    with _collector_paused():
        return _grade_year(year, quarter)


def _grade_year(year: AssessmentYear, quarter: int | None) -> Grading:
    grading = Grading(year=year)

    unit_rows = db.session.execute(
        select(
            UnitAssessment.id,
            UnitAssessment.unit_id,
            AssessedUnit.kind,
            AssessedUnit.name,
            AssessedUnit.county_id,
            AssessedUnit.owner_department_id,
            UnitAssessment.key_task_incomplete,
            UnitAssessment.outside_accident_fault,
            UnitAssessment.publicly_criticised,
            UnitAssessment.listed_hazard_unrectified,
            UnitAssessment.forest_area_ha,
            UnitAssessment.prior_serious_average,
        )
        .join(AssessedUnit, AssessedUnit.id == UnitAssessment.unit_id)
        .where(UnitAssessment.year_id == year.id)
    ).all()
    items = dict(
        db.session.execute(
            select(ScoringItem.id, ScoringItem.points).where(
                ScoringItem.year_id == year.id
            )
        ).all()
    )

    deduction_query = (
        select(Deduction.assessment_id, Deduction.item_id, func.sum(Deduction.points))
        .join(UnitAssessment, UnitAssessment.id == Deduction.assessment_id)
        .where(UnitAssessment.year_id == year.id)
        .group_by(Deduction.assessment_id, Deduction.item_id)
    )
    if quarter is not None:
        deduction_query = deduction_query.where(Deduction.quarter == quarter)
    deductions: dict = defaultdict(dict)
    for assessment_id, item_id, total in db.session.execute(deduction_query):
        deductions[assessment_id][item_id] = Decimal(total)

    bonuses: dict = {}
    if quarter is None:
        bonuses = {
            assessment_id: Decimal(total)
            for assessment_id, total in db.session.execute(
                select(BonusAward.assessment_id, func.sum(BonusAward.points))
                .join(UnitAssessment, UnitAssessment.id == BonusAward.assessment_id)
                .where(
                    UnitAssessment.year_id == year.id,
                    BonusAward.status == BonusStatus.APPROVED,
                )
                .group_by(BonusAward.assessment_id)
            )
        }

    # Accidents alike in every field that grading reads are folded into one
    # row with a count, so a county's hundreds of accidents are a few rows.
    alike = (
        AccidentUnit.unit_id,
        Accident.kind,
        Accident.level,
        Accident.deaths,
        Accident.concealed,
        Accident.falsely_reported,
        Accident.concealment_by_government,
        Accident.egregious,
        Accident.especially_egregious,
        Accident.liability,
    )
    accidents_by_unit: dict = defaultdict(list)
    accident_rows = db.session.execute(
        select(*alike, func.count(), func.sum(Accident.burned_area_ha))
        .join(Accident, Accident.id == AccidentUnit.accident_id)
        .where(
            AccidentUnit.counts.is_(True),
            Accident.assessment_year == year.year,
            # The same test as rules.general_accident_matters, done in SQL.
            or_(
                Accident.level != rules.AccidentLevel.GENERAL,
                Accident.egregious.is_(True),
                Accident.especially_egregious.is_(True),
                Accident.concealed.is_(True),
                Accident.falsely_reported.is_(True),
                Accident.kind == AccidentKind.FOREST_FIRE,
                and_(Accident.kind == AccidentKind.FIRE, Accident.deaths > 0),
            ),
        )
        .group_by(*alike)
    ).all()
    for row in accident_rows:
        accidents_by_unit[row[0]].append(
            rules.CountedAccident(
                kind=AccidentKind(row[1]),
                level=rules.AccidentLevel(row[2]),
                deaths=row[3],
                concealed=row[4],
                falsely_reported=row[5],
                concealment_by_government=row[6],
                egregious=row[7],
                especially_egregious=row[8],
                liability=row[9],
                count=row[10],
                burned_area_ha=Decimal(row[11]) if row[11] else Decimal(0),
            )
        )

    prior = _prior_serious(year.year)
    register_started = _register_started(year.year)
    grading.pre_veto_on = dict(
        db.session.execute(
            select(PreWarning.unit_id, func.min(PreWarning.raised_on))
            .where(
                PreWarning.year == year.year,
                PreWarning.kind == PreWarningKind.PRE_VETO,
            )
            .group_by(PreWarning.unit_id)
        ).all()
    )

    facts = []
    for row in unit_rows:
        kind = UnitKind(row.kind)
        average = row.prior_serious_average
        if average is None and kind in rules.DEPARTMENT_KINDS and register_started:
            average = Decimal(prior.get(row.unit_id, 0)) / 3
        points = rules.score(
            items,
            deductions.get(row.id, {}),
            bonuses.get(row.id, Decimal(0)),
            year.bonus_cap,
        )
        grading.units[row.id] = row
        grading.scores_by_item[row.id] = deductions.get(row.id, {})
        facts.append(
            rules.UnitFacts(
                key=row.id,
                kind=kind,
                score=points,
                accidents=accidents_by_unit.get(row.unit_id, []),
                group=row.county_id,
                key_task_incomplete=row.key_task_incomplete,
                outside_accident_fault=row.outside_accident_fault,
                publicly_criticised=row.publicly_criticised,
                listed_hazard_unrectified=row.listed_hazard_unrectified,
                forest_area_ha=row.forest_area_ha,
                prior_serious_average=average,
            )
        )
    settings = rules.RuleSettings(
        yellow_card_rule=YellowCardRule(year.yellow_card_rule),
        county_excellent_quota=year.county_excellent_quota,
        township_excellent_quota=year.township_excellent_quota,
    )
    grading.results = rules.grade_all(facts, settings)
    return grading


def approve_results(year: AssessmentYear, decision: str, decided_on: date) -> Grading:
    """The committee approves the year's results: snapshot them, record sanctions."""
    if not (decision or "").strip():
        raise InvalidInput({"decision": [_("Enter the committee's decision.")]})
    if decided_on is None:
        raise InvalidInput({"decided_on": [_("Enter the date of the decision.")]})
    _require_open(year)

    grading = grade_year(year)
    assessments = {
        a.id: a
        for a in db.session.scalars(
            select(UnitAssessment).where(UnitAssessment.year_id == year.id)
        )
    }
    for assessment_id, result in grading.results.items():
        record = assessments[assessment_id]
        record.score = result.score
        record.rank = result.rank
        record.grade = result.grade
        record.yellow_card = result.yellow_card
        record.veto = result.veto
        record.reasons = [r.as_dict() for r in result.reasons]
        unit_row = grading.units[assessment_id]
        for spec in rules.sanctions(
            year.year,
            result.veto,
            result.yellow_card,
            grading.pre_veto_on.get(unit_row.unit_id),
            decided_on,
        ):
            db.session.add(
                Sanction(
                    unit_id=unit_row.unit_id,
                    owner_department_id=unit_row.owner_department_id,
                    year=year.year,
                    kind=spec.kind,
                    starts_on=spec.starts_on,
                    ends_on=spec.ends_on,
                    basis=decision.strip(),
                )
            )
    year.status = YearStatus.APPROVED
    year.approval_decision = decision.strip()
    year.approved_on = decided_on
    db.session.flush()
    log.info("%s approved the results of %s by %s", _actor(), year.year, decision)
    return grading


def publish_results(year: AssessmentYear, published_on: date) -> int:
    """Publish approved results (art. 14) and send each unit its own result."""
    if year.status != YearStatus.APPROVED:
        raise RuleViolation(
            _("Only approved results can be published."), article="art. 14"
        )
    year.status = YearStatus.PUBLISHED
    year.published_on = published_on
    sent = 0
    for assessment in db.session.scalars(
        select(UnitAssessment).where(UnitAssessment.year_id == year.id)
    ):
        notice = result_notice(assessment)
        recipient = assessment.unit.department or assessment.unit.owner
        notify(recipient, "result", notice.title, notice.as_text())
        sent += 1
    db.session.flush()
    log.info("%s published the results of %s to %s units", _actor(), year.year, sent)
    return sent


@dataclass
class ResultRow:
    """One line of the ranked list."""

    assessment_id: int
    unit_id: int
    unit: str
    kind: str
    score: Decimal
    rank: int
    grade: str
    yellow_card: bool
    veto: bool
    reasons: list
    final: bool


def results(year: AssessmentYear, user) -> list[ResultRow]:
    """The ranked list the user may see: approved results, else provisional."""
    visible = set(
        db.session.scalars(
            scope(
                select(UnitAssessment.id).where(UnitAssessment.year_id == year.id),
                UnitAssessment,
                user,
            )
        )
    )
    rows = []
    if year.status == YearStatus.OPEN:
        grading = grade_year(year)
        for assessment_id, result in grading.results.items():
            if assessment_id not in visible:
                continue
            unit = grading.units[assessment_id]
            rows.append(
                ResultRow(
                    assessment_id,
                    unit.unit_id,
                    unit.name,
                    UnitKind(unit.kind).value,
                    result.score,
                    result.rank,
                    result.grade.value,
                    result.yellow_card,
                    result.veto,
                    [r.as_dict() for r in result.reasons],
                    False,
                )
            )
    else:
        for record in db.session.scalars(
            select(UnitAssessment).where(UnitAssessment.id.in_(visible))
        ):
            rows.append(
                ResultRow(
                    record.id,
                    record.unit_id,
                    record.unit.name,
                    UnitKind(record.unit.kind).value,
                    record.score,
                    record.rank,
                    record.grade.value,
                    record.yellow_card,
                    record.veto,
                    record.reasons,
                    True,
                )
            )
    order = [k.value for k in UnitKind]
    rows.sort(key=lambda r: (order.index(r.kind), r.rank, r.unit))
    return rows


@dataclass
class ResultNotice:
    """Everything a printed result notice (考核结果通知) carries."""

    year: int
    unit: str
    unit_kind: str
    score: Decimal | None
    rank: int | None
    grade: str
    yellow_card: bool
    veto: bool
    reasons: list[str]
    sanctions: list[str]
    decision: str
    approved_on: date | None
    published_on: date | None
    issuer: str

    @property
    def title(self) -> str:
        """The notice's heading."""
        return _(
            "Work-safety and fire assessment %(year)s: result of %(unit)s",
            year=self.year,
            unit=self.unit,
        )

    def as_text(self) -> str:
        """The notice as plain text, for mail."""
        lines = [
            self.title,
            _("Score: %(score)s", score=self.score),
            _("Rank: %(rank)s", rank=self.rank),
            _("Grade: %(grade)s", grade=self.grade),
        ]
        lines += self.reasons
        lines += self.sanctions
        lines.append(
            _(
                "Approved by %(decision)s on %(day)s.",
                decision=self.decision,
                day=self.approved_on,
            )
        )
        lines.append(self.issuer)
        return "\n".join(lines)


def result_notice(assessment: UnitAssessment) -> ResultNotice:
    """The printable result notice of an approved assessment (art. 14)."""
    if assessment.grade is None:
        raise RuleViolation(
            _("The results of %(year)s are not approved yet.", year=assessment.year),
            article="art. 14",
        )
    sanctions = db.session.scalars(
        select(Sanction).where(
            Sanction.unit_id == assessment.unit_id,
            Sanction.year == assessment.year.year,
        )
    ).all()
    return ResultNotice(
        year=assessment.year.year,
        unit=assessment.unit.name,
        unit_kind=label(UNIT_KIND_LABELS, assessment.unit.kind),
        score=assessment.score,
        rank=assessment.rank,
        grade=label(GRADE_LABELS, assessment.grade),
        yellow_card=assessment.yellow_card,
        veto=assessment.veto,
        reasons=[reason_text(r) for r in assessment.reasons],
        sanctions=[
            _(
                "%(what)s: %(start)s to %(end)s",
                what=label(SANCTION_LABELS, s.kind),
                start=s.starts_on,
                end=s.ends_on,
            )
            for s in sanctions
        ],
        decision=assessment.year.approval_decision,
        approved_on=assessment.year.approved_on,
        published_on=assessment.year.published_on,
        issuer=_("Zhuzhou Work Safety Committee"),
    )


# Self-assessment reports and spot checks (art. 13) ---------------------------


def file_self_report(
    assessment: UnitAssessment, filed_on: date, summary: str, self_score=None
) -> SelfAssessmentReport:
    """File a unit's self-assessment report of the year."""
    errors: dict = {}
    if not (summary or "").strip():
        errors["summary"] = [_("Write the self-assessment.")]
    number = None
    if self_score is not None:
        number = _decimal(self_score, "self_score", errors)
        if number is not None and number < 0:
            errors["self_score"] = [_("Enter zero or more.")]
    if assessment.self_report is not None:
        errors["assessment_id"] = [_("The report of this year is already filed.")]
    if errors:
        raise InvalidInput(errors)
    report = SelfAssessmentReport(
        assessment_id=assessment.id,
        owner_department_id=assessment.owner_department_id,
        filed_on=filed_on,
        summary=summary.strip(),
        self_score=number,
    )
    db.session.add(report)
    db.session.flush()
    log.info("%s filed the self-assessment of %s", _actor(), assessment)
    return report


def record_spot_check(
    report: SelfAssessmentReport,
    checked_on: date,
    inspectors: str,
    findings: str,
    consistent: bool,
) -> SpotCheck:
    """Record an on-site spot check against a self-assessment report."""
    errors = {}
    if not (inspectors or "").strip():
        errors["inspectors"] = [_("Name the inspectors.")]
    if not (findings or "").strip():
        errors["findings"] = [_("Write the findings.")]
    if checked_on < report.filed_on:
        errors["checked_on"] = [_("A spot check follows the report it checks.")]
    if errors:
        raise InvalidInput(errors)
    check = SpotCheck(
        report_id=report.id,
        owner_department_id=report.owner_department_id,
        checked_on=checked_on,
        inspectors=inspectors.strip(),
        findings=findings.strip(),
        consistent=consistent,
    )
    db.session.add(check)
    db.session.flush()
    log.info("%s recorded a spot check of report #%s", _actor(), report.id)
    return check


def send_reminders(today: date) -> int:
    """Remind units that have not filed their self-assessment (from 1 November)."""
    year = db.session.scalars(
        select(AssessmentYear).where(
            AssessmentYear.year == today.year, AssessmentYear.status == YearStatus.OPEN
        )
    ).first()
    if year is None:
        return 0
    filed = set(
        db.session.scalars(
            select(SelfAssessmentReport.assessment_id)
            .join(UnitAssessment)
            .where(UnitAssessment.year_id == year.id)
        )
    )
    due = rules.self_assessment_due(year.year)
    sent = 0
    for assessment in db.session.scalars(
        select(UnitAssessment).where(UnitAssessment.year_id == year.id)
    ):
        if not rules.reminder_due(
            today, year.year, assessment.id in filed, assessment.last_reminded_on
        ):
            continue
        recipient = assessment.unit.department or assessment.unit.owner
        notify(
            recipient,
            "reminder",
            _("Self-assessment report of %(unit)s due", unit=assessment.unit.name),
            _(
                "The self-assessment report of %(year)s of %(unit)s is due by "
                "%(day)s and has not been filed.",
                year=year.year,
                unit=assessment.unit.name,
                day=due,
            ),
        )
        assessment.last_reminded_on = today
        sent += 1
    db.session.flush()
    log.info("%s sent %s self-assessment reminders", _actor(), sent)
    return sent
