"""What the portal shows for the module's codes: grades, levels, reasons."""

from core.i18n import _, _l
from modules.safety_assessment.models import BonusStatus, YearStatus
from modules.safety_assessment.rules import (
    AccidentKind,
    AccidentLevel,
    Grade,
    PreWarningKind,
    SanctionKind,
    UnitKind,
    YellowCardRule,
)

GRADE_LABELS = {
    Grade.EXCELLENT: _l("Excellent"),
    Grade.GOOD: _l("Good"),
    Grade.PASS: _l("Pass"),
    Grade.FAIL: _l("Fail"),
}

LEVEL_LABELS = {
    AccidentLevel.GENERAL: _l("General accident"),
    AccidentLevel.SERIOUS: _l("Serious accident"),
    AccidentLevel.MAJOR: _l("Major accident"),
    AccidentLevel.ESPECIALLY_MAJOR: _l("Especially major accident"),
}

KIND_LABELS = {
    AccidentKind.PRODUCTION: _l("Production accident"),
    AccidentKind.FIRE: _l("Fire"),
    AccidentKind.FOREST_FIRE: _l("Forest fire"),
}

UNIT_KIND_LABELS = {
    UnitKind.COUNTY: _l("County/district"),
    UnitKind.CITY_DEPARTMENT: _l("City department"),
    UnitKind.RESIDENT_UNIT: _l("Resident unit"),
    UnitKind.TOWNSHIP: _l("Township"),
    UnitKind.ENTERPRISE: _l("Target enterprise"),
}

PREWARNING_LABELS = {
    PreWarningKind.PRE_WARNING: _l("Pre-warning"),
    PreWarningKind.PRE_VETO: _l("Pre-veto"),
}

SANCTION_LABELS = {
    SanctionKind.NO_AWARDS: _l("No awards or honours this year"),
    SanctionKind.NO_PROMOTION: _l("Principal and responsible leaders not promoted"),
    SanctionKind.BONUS_DEDUCTED: _l("Performance bonus of the year deducted"),
    SanctionKind.NO_SAFETY_AWARDS: _l("No work-safety or fire awards this year"),
}

YELLOW_RULE_LABELS = {
    YellowCardRule.CAP_AT_PASS: _l("A yellow card caps the grade at pass"),
    YellowCardRule.STRICT_FAIL: _l("A yellow card means fail (literal reading)"),
}

YEAR_STATUS_LABELS = {
    YearStatus.OPEN: _l("Assessment open"),
    YearStatus.APPROVED: _l("Results approved"),
    YearStatus.PUBLISHED: _l("Assessment results published"),
}

BONUS_STATUS_LABELS = {
    BonusStatus.PROPOSED: _l("Bonus proposed"),
    BonusStatus.APPROVED: _l("Bonus approved"),
}

TOPIC_LABELS = {
    "prewarning": _l("Pre-warning notice"),
    "pre_veto_report": _l("Pre-veto report"),
    "result": _l("Assessment result"),
    "reminder": _l("Self-assessment reminder"),
}

REASON_TEXTS = {
    "score_excellent": _l("Score %(score)s: 90 or more."),
    "score_good": _l("Score %(score)s: 80 or more, below 90."),
    "score_pass": _l("Score %(score)s: 60 or more, below 80."),
    "score_fail": _l("Score %(score)s: below 60."),
    "within_quota": _l("Ranked %(rank)s, within the %(quota)s excellent places."),
    "beyond_quota": _l(
        "Ranked %(rank)s, beyond the %(quota)s excellent places: graded good."
    ),
    "no_excellent_key_task": _l("A key work-safety task was not completed."),
    "no_excellent_outside_accident": _l(
        "Major supervisory responsibility for a major road or water accident "
        "outside its area, its vehicle or ship at equal or greater fault."
    ),
    "no_excellent_criticised": _l("Publicly criticised for its safety work."),
    "no_excellent_sector_rise": _l(
        "%(n)s serious accidents in its sector, above the average of %(average)s "
        "of the three previous years."
    ),
    "cap_serious_accident": _l("A serious production accident: at most pass."),
    "cap_fatal_forest_fire": _l(
        "A serious forest fire with 3 to 9 deaths: at most pass."
    ),
    "cap_listed_hazard": _l(
        "A major hazard listed for supervision was not rectified: at most pass."
    ),
    "yellow_serious_accidents": _l("Yellow card: %(n)s serious production accidents."),
    "yellow_fatal_forest_fires": _l(
        "Yellow card: %(n)s serious forest fires with deaths."
    ),
    "yellow_sector_serious": _l("Yellow card: %(n)s serious accidents in its sector."),
    "yellow_egregious_general": _l(
        "Yellow card: an egregious general liability accident."
    ),
    "yellow_general_fatal_fire": _l("Yellow card: a general fire with deaths."),
    "yellow_card_cap": _l("A yellow card caps the grade at pass."),
    "yellow_card_strict": _l("A yellow card means fail under this year's rules."),
    "veto_especially_major": _l("Veto: an especially major accident or forest fire."),
    "veto_damage_rate": _l("Veto: forest-fire damage rate %(rate)s‰, above 0.9‰."),
    "veto_major_accident": _l("Veto: a major accident or major forest fire."),
    "veto_serious_accidents": _l("Veto: %(n)s serious production accidents."),
    "veto_fatal_forest_fires": _l("Veto: %(n)s serious forest fires with deaths."),
    "veto_concealment": _l("Veto: an accident was concealed or falsely reported."),
    "veto_sector_major": _l("Veto: a major accident in its sector."),
    "veto_serious_or_worse": _l("Veto: a serious or worse accident."),
    "veto_especially_egregious": _l("Veto: an especially egregious general accident."),
    "veto_egregious_general": _l("Veto: %(n)s egregious general liability accidents."),
    "veto_fail": _l("Veto: the annual grade is fail."),
}


def reason_text(reason: dict) -> str:
    """One reason as a sentence with its article."""
    template = REASON_TEXTS.get(reason["code"])
    text = str(template) % reason.get("values", {}) if template else reason["code"]
    return _("%(text)s (%(article)s)", text=text, article=reason["article"])


def label(mapping: dict, value) -> str:
    """The translated label of an enum value, or the value itself."""
    return str(mapping.get(value, value or ""))
