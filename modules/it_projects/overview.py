"""The overview page's charts: projects by stage and investment by plan year."""

from decimal import Decimal

from sqlalchemy import func, select

from core.charts import Chart
from core.extensions import db
from core.i18n import _
from core.scoping import scope
from modules.it_projects.models import ItProject
from modules.it_projects.rules import Status
from modules.it_projects.services import STATUS_LABELS

FEN_PER_TEN_THOUSAND_YUAN = 1_000_000


def _ten_thousand_yuan(fen) -> float:
    # Charts take plain numbers; sums of BIGINT come back as Decimal on PostgreSQL.
    amount = Decimal(int(fen or 0)) / FEN_PER_TEN_THOUSAND_YUAN
    return float(amount.quantize(Decimal("0.01")))


def projects_by_status(user) -> Chart:
    """How many of the user's visible projects stand at each stage."""
    statement = scope(
        select(ItProject.status, func.count(ItProject.id)).group_by(ItProject.status),
        ItProject,
        user,
    )
    counts = {Status(status): count for status, count in db.session.execute(statement)}
    stages = [status for status in Status if counts.get(status)]
    return Chart(
        title=_("IT projects by stage"),
        labels=[str(STATUS_LABELS[status]) for status in stages],
        series={_("Number of projects"): [counts[status] for status in stages]},
    )


def investment_by_year(user) -> Chart:
    """Investment applied for and approved, by plan year, in 10,000 yuan."""
    statement = scope(
        select(
            ItProject.plan_year,
            func.sum(ItProject.investment_estimate_fen),
            func.sum(ItProject.approved_investment_fen),
        )
        .group_by(ItProject.plan_year)
        .order_by(ItProject.plan_year),
        ItProject,
        user,
    )
    rows = db.session.execute(statement).all()
    return Chart(
        title=_("Investment by plan year (10,000 yuan)"),
        labels=[_("Plan year %(year)s", year=year) for year, _e, _a in rows],
        series={
            _("Investment applied for"): [_ten_thousand_yuan(e) for _y, e, _a in rows],
            _("Approved investment"): [_ten_thousand_yuan(a) for _y, _e, a in rows],
        },
    )
