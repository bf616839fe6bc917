"""Dashboard items: self-assessment reports and rectification reports due."""

from sqlalchemy import or_, select

from core.dashboard import DueItem
from core.extensions import db
from core.i18n import _
from modules.safety_assessment import rules
from modules.safety_assessment.labels import PREWARNING_LABELS, label
from modules.safety_assessment.models import (
    AssessedUnit,
    AssessmentYear,
    PreWarning,
    SelfAssessmentReport,
    UnitAssessment,
    YearStatus,
)


def _own_units(user):
    """Units whose reports fall to the user's department to file.

    A unit files its own; a county also files for its townships (art. 3) and
    its target enterprises.
    """
    department_id = user.department_id
    return select(AssessedUnit.id).where(
        or_(
            AssessedUnit.department_id == department_id,
            AssessedUnit.county_id == department_id,
        )
    )


def due_items(user, today) -> list[DueItem]:
    """Self-assessment reports not filed and rectification reports not filed."""
    if not user.can("safety_assessment.view"):
        return []
    items = []
    own = _own_units(user)
    for assessment in db.session.scalars(
        select(UnitAssessment)
        .join(AssessmentYear, AssessmentYear.id == UnitAssessment.year_id)
        .outerjoin(
            SelfAssessmentReport,
            SelfAssessmentReport.assessment_id == UnitAssessment.id,
        )
        .where(
            AssessmentYear.year == today.year,
            AssessmentYear.status == YearStatus.OPEN,
            SelfAssessmentReport.id.is_(None),
            UnitAssessment.unit_id.in_(own),
        )
    ):
        items.append(
            DueItem(
                module="safety_assessment",
                title=_(
                    "Self-assessment report of %(unit)s", unit=assessment.unit.name
                ),
                deadline=rules.self_assessment_due(today.year),
                url="/admin/safety_assessment_self_reports/",
                detail=_("Due by 15 November (art. 13)."),
            )
        )
    for notice in db.session.scalars(
        select(PreWarning).where(
            PreWarning.rectification_filed_on.is_(None),
            PreWarning.unit_id.in_(own),
        )
    ):
        items.append(
            DueItem(
                module="safety_assessment",
                title=_(
                    "Rectification report after the %(what)s of %(unit)s",
                    what=label(PREWARNING_LABELS, notice.kind),
                    unit=notice.unit.name,
                ),
                deadline=notice.rectification_due,
                url=f"/admin/safety_assessment_prewarnings/details/?id={notice.id}",
                detail=_("Due one month after the notice (art. 12)."),
            )
        )
    return items
