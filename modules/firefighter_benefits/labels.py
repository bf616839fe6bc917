"""Translated labels of the module's codes, and list-view formatters using them.

Lists, exports, charts and printed documents show these labels; the API keeps
the codes, which are what other systems match on.
"""

from decimal import Decimal

from core.documents import yuan
from core.i18n import _l
from modules.firefighter_benefits.models import (
    AllowanceKind,
    CaseStatus,
    CompensationKind,
    FeeTreatment,
    InsuranceKind,
    ListStatus,
    Outcome,
    Relation,
    RequestKind,
    SchoolStage,
    Status,
    VenueKind,
)
from modules.firefighter_benefits.services import CATEGORY_LABELS

STATUS = {
    Status.SERVING: _l("Serving"),
    Status.LEFT: _l("Left the service"),
    Status.DECEASED: _l("Deceased"),
    Status.MARTYR: _l("Martyr"),
}

RELATION = {
    Relation.SPOUSE: _l("Spouse"),
    Relation.CHILD: _l("Child"),
}

VENUE_KIND = {
    VenueKind.PARK: _l("Park"),
    VenueKind.MUSEUM: _l("Museum"),
    VenueKind.EXHIBITION_HALL: _l("Exhibition hall"),
    VenueKind.SCENIC_SPOT: _l("Scenic spot"),
}

FEE_TREATMENT = {
    FeeTreatment.FREE: _l("Free admission"),
    FeeTreatment.MILITARY_RATE: _l("Same rate as serving soldiers"),
}

LIST_STATUS = {
    ListStatus.DRAFT: _l("Draft"),
    ListStatus.CONFIRMED: _l("Confirmed"),
    ListStatus.DELIVERED: _l("Handed to the education department"),
}

SCHOOL_STAGE = {
    SchoolStage.PRIMARY: _l("Primary school"),
    SchoolStage.JUNIOR_MIDDLE: _l("Junior middle school"),
}

REQUEST_KIND = {
    RequestKind.HUKOU: _l("Hukou settlement"),
    RequestKind.FAMILY_EMPLOYMENT: _l("Family employment placement"),
}

OUTCOME = {
    Outcome.PENDING: _l("Pending"),
    Outcome.GRANTED: _l("Granted"),
    Outcome.REFUSED: _l("Not granted"),
}

INSURANCE_KIND = {
    InsuranceKind.ACCIDENT: _l("Accident insurance"),
    InsuranceKind.CRITICAL_ILLNESS: _l("Critical-illness insurance"),
    InsuranceKind.MEDICAL: _l("Medical insurance"),
    InsuranceKind.WORK_INJURY: _l("Work-injury insurance"),
}

ALLOWANCE_KIND = {
    AllowanceKind.HIGH_RISK_POST: _l("High-risk post allowance"),
    AllowanceKind.DUTY_TRAINING: _l("Duty and training allowance"),
    AllowanceKind.FULL_DUTY: _l("Full-duty allowance"),
}

COMPENSATION_KIND = {
    CompensationKind.DEATH_ON_DUTY: _l("Death on duty"),
    CompensationKind.MARTYR: _l("Martyr"),
    CompensationKind.INJURY: _l("Injury"),
}

CASE_STATUS = {
    CaseStatus.OPEN: _l("Open case"),
    CaseStatus.PAID: _l("Paid"),
}


def label(table: dict, code) -> str:
    """The translated label of a code; an unknown code shows as itself."""
    if code is None:
        return ""
    text = table.get(code)
    if text is None:
        text = table.get(str(code), code)
    return str(text)


def fen_to_yuan(fen: int | None) -> str:
    """An amount in fen written in yuan with thousands separators."""
    if fen is None:
        return ""
    return yuan(Decimal(int(fen)) / 100)


def code_formatter(table: dict):
    """A Flask-Admin column formatter showing a code's translated label."""

    def format_code(view, context, model, name):
        return label(table, getattr(model, name))

    return format_code


def yuan_formatter(view, context, model, name):
    """A Flask-Admin column formatter showing a fen amount in yuan."""
    return fen_to_yuan(getattr(model, name))


def categories_formatter(view, context, model, name):
    """The translated labels of a list of categories."""
    return ", ".join(label(CATEGORY_LABELS, c) for c in getattr(model, name) or [])
