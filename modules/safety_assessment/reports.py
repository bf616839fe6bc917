"""Reports of the safety assessment: the annual ranked results."""

from sqlalchemy import select

from core.extensions import db
from core.i18n import _l
from core.reports import Column, Report, ReportParams, ReportTable
from modules.safety_assessment.labels import (
    GRADE_LABELS,
    UNIT_KIND_LABELS,
    label,
    reason_text,
)
from modules.safety_assessment.models import (
    AssessedUnit,
    AssessmentYear,
    UnitAssessment,
    YearStatus,
)
from modules.safety_assessment.rules import UnitKind

COLUMNS = [
    Column("kind", _l("Kind of unit"), 14),
    Column("rank", _l("Rank"), 6),
    Column("unit", _l("Unit"), 30),
    Column("score", _l("Score"), 8),
    Column("grade", _l("Grade"), 8),
    Column("yellow_card", _l("Yellow card"), 8),
    Column("veto", _l("Veto"), 8),
    Column("reasons", _l("Reasons"), 80),
]


def build_annual_results(params: ReportParams) -> ReportTable:
    """The approved results of the years ending in the period, ranked (art. 14)."""
    statement = (
        select(UnitAssessment)
        .join(AssessmentYear, AssessmentYear.id == UnitAssessment.year_id)
        .join(AssessedUnit, AssessedUnit.id == UnitAssessment.unit_id)
        .where(
            AssessmentYear.status.in_([YearStatus.APPROVED, YearStatus.PUBLISHED]),
            AssessmentYear.year.between(
                params.period_start.year, params.period_end.year
            ),
        )
    )
    records = db.session.scalars(params.scope(statement, UnitAssessment)).all()
    order = list(UnitKind)
    records.sort(
        key=lambda r: (
            r.year.year,
            order.index(UnitKind(r.unit.kind)),
            r.rank or 0,
            r.unit.name,
        )
    )
    rows = [
        {
            "kind": label(UNIT_KIND_LABELS, r.unit.kind),
            "rank": r.rank,
            "unit": r.unit.name,
            "score": r.score,
            "grade": label(GRADE_LABELS, r.grade),
            "yellow_card": "✓" if r.yellow_card else "",
            "veto": "✓" if r.veto else "",
            "reasons": "; ".join(reason_text(x) for x in r.reasons),
        }
        for r in records
    ]
    return ReportTable(columns=COLUMNS, rows=rows)


REPORTS = [
    Report(
        id="safety_assessment.annual_results",
        title=_l("Annual work-safety and fire assessment results"),
        build=build_annual_results,
        module="safety_assessment",
    )
]
