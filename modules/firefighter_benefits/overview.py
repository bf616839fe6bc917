"""Charts of the module's overview page, each from one grouped query."""

from datetime import date, timedelta

from sqlalchemy import func, select

from core.charts import Chart
from core.extensions import db
from core.i18n import _
from core.models.departments import Department
from core.scoping import scope
from modules.firefighter_benefits import labels, rules, services
from modules.firefighter_benefits.models import (
    Firefighter,
    Status,
    VerificationCount,
)

# The checks chart looks back one year from today.
CHECKS_WINDOW_DAYS = 365


class CountChart(Chart):
    """A bar chart of head counts: whole-number ticks, long labels wrapped."""

    def option(self) -> dict:
        """The ECharts option, with the axes suited to counts and Chinese names."""
        option = super().option()
        option["yAxis"]["minInterval"] = 1
        option["xAxis"]["axisLabel"] = {
            "interval": 0,
            "rotate": 0,
            "width": 120,
            "overflow": "break",
        }
        return option


def serving_chart(user) -> Chart:
    """Serving firefighters per station (or brigade), stacked by category."""
    unit = func.coalesce(Firefighter.station_id, Firefighter.brigade_id)
    statement = scope(
        select(unit, Firefighter.category, func.count(Firefighter.id))
        .where(Firefighter.status == Status.SERVING)
        .group_by(unit, Firefighter.category),
        Firefighter,
        user,
    )
    counts = {(u, str(c)): n for u, c, n in db.session.execute(statement)}
    unit_ids = sorted({u for u, _c in counts})
    names = dict(
        db.session.execute(
            select(Department.id, Department.name).where(Department.id.in_(unit_ids))
        ).all()
    )
    unit_ids.sort(key=lambda u: names.get(u, ""))
    return CountChart(
        _("Serving firefighters by unit and category"),
        [names.get(u, str(u)) for u in unit_ids],
        {
            labels.label(services.CATEGORY_LABELS, category): [
                counts.get((u, category), 0) for u in unit_ids
            ]
            for category in rules.CATEGORIES
        },
    )


def checks_chart(today: date) -> Chart:
    """Credential checks at gates and desks in the past year, by benefit."""
    # The counts hold no personal data and no department: like the statistics
    # report, they are city-wide figures for the transport and culture bureaus.
    services.flush_counts()
    since = today - timedelta(days=CHECKS_WINDOW_DAYS)
    rows = db.session.execute(
        select(
            VerificationCount.benefit,
            VerificationCount.eligible,
            func.sum(VerificationCount.count),
        )
        .where(VerificationCount.day > since, VerificationCount.day <= today)
        .group_by(VerificationCount.benefit, VerificationCount.eligible)
    ).all()
    counts = {(benefit, eligible): int(n) for benefit, eligible, n in rows}
    benefits = list(rules.CHECKED_BENEFITS) + sorted(
        {b for b, _e in counts} - set(rules.CHECKED_BENEFITS)
    )
    return CountChart(
        _("Credential checks in the past year by benefit"),
        [services.benefit_label(b) for b in benefits],
        {
            _("Eligible"): [counts.get((b, True), 0) for b in benefits],
            _("Not eligible"): [counts.get((b, False), 0) for b in benefits],
        },
    )
