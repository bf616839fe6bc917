"""The figures of the overview page: county scores and accidents by month."""

from sqlalchemy import extract, func, select

from core.charts import Chart
from core.extensions import db
from core.i18n import _
from core.scoping import scope
from modules.safety_assessment import services
from modules.safety_assessment.labels import KIND_LABELS, label
from modules.safety_assessment.models import Accident, AssessmentYear
from modules.safety_assessment.rules import AccidentKind, UnitKind

MONTHS = range(1, 13)


def county_scores(year: AssessmentYear, user) -> list[tuple[str, float]]:
    """Each visible county's score: approved, else provisional (art. 8, 14)."""
    rows = [r for r in services.results(year, user) if r.kind == UnitKind.COUNTY]
    rows.sort(key=lambda r: (r.rank, r.unit))
    return [(r.unit, float(r.score)) for r in rows]


def accidents_by_month(year: int, user) -> dict[AccidentKind, list[int]]:
    """Visible accidents counted in the year, per kind and month of occurrence."""
    month = extract("month", Accident.occurred_on)
    statement = (
        select(Accident.kind, month, func.count(Accident.id))
        .where(Accident.assessment_year == year)
        .group_by(Accident.kind, month)
    )
    counts = {kind: [0] * len(MONTHS) for kind in AccidentKind}
    for kind, number, count in db.session.execute(scope(statement, Accident, user)):
        counts[AccidentKind(kind)][int(number) - 1] = count
    return counts


def charts(year: AssessmentYear, user) -> list[Chart]:
    """The overview's charts of one year, holding only what the user may see."""
    scores = county_scores(year, user)
    score_chart = Chart(
        _("Scores of counties and districts, %(year)s", year=year.year),
        [unit for unit, _score in scores],
        {_("Score"): [score for _unit, score in scores]},
        kind="bar",
    )
    accidents = accidents_by_month(year.year, user)
    accident_chart = Chart(
        _("Accidents by month, %(year)s", year=year.year),
        [_("Month %(month)s", month=m) for m in MONTHS],
        {label(KIND_LABELS, kind): counts for kind, counts in accidents.items()},
        kind="bar",
    )
    return [score_chart, accident_chart]
