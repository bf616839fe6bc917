"""Reports of the quality award: cycle progress by county and the bonus ledger."""

from decimal import Decimal

from sqlalchemy import func, select

from core.extensions import db
from core.i18n import _l
from core.models.departments import Department
from core.reports import Column, Report, ReportParams, ReportTable
from modules.quality_award import rules
from modules.quality_award.models import (
    Application,
    BonusUseReport,
    Cycle,
    LedgerEntry,
)
from modules.quality_award.rules import State

# Progress groups of the report, each a set of states.
PROGRESS = {
    "in_review": rules.RUNNING_STATES - {State.DRAFT, State.APPROVED},
    "closed": {
        State.NOT_ACCEPTED,
        State.MATERIAL_CLOSED,
        State.NOT_SHORTLISTED,
        State.NOT_RECOMMENDED,
        State.DISQUALIFIED,
    },
    "winners": {State.APPROVED, State.AWARDED, State.REVOCATION_PENDING},
    "revoked": {State.REVOKED},
}


def build_progress(params: ReportParams) -> ReportTable:
    """Applications of the cycles opened in the period, by county and progress."""
    statement = params.scope(
        select(Application.department_id, Application.state, func.count())
        .join(Cycle, Application.cycle_id == Cycle.id)
        .where(
            Cycle.opens_on <= params.period_end,
            Cycle.closes_on >= params.period_start,
        )
        .group_by(Application.department_id, Application.state),
        Application,
    )
    counts: dict[int, dict] = {}
    for department_id, state, count in db.session.execute(statement):
        row = counts.setdefault(
            department_id, {key: 0 for key in ("drafts", "total", *PROGRESS)}
        )
        row["total"] += count
        if state == State.DRAFT:
            row["drafts"] += count
        for key, states in PROGRESS.items():
            if state in states:
                row[key] += count
    names = dict(
        db.session.execute(
            select(Department.id, Department.name).where(Department.id.in_(counts))
        ).all()
    )
    rows = [
        {"county": names[department_id], **row}
        for department_id, row in sorted(counts.items(), key=lambda i: names[i[0]])
    ]
    return ReportTable(
        columns=[
            Column("county", _l("County")),
            Column("total", _l("Applications")),
            Column("drafts", _l("Drafts")),
            Column("in_review", _l("In review")),
            Column("closed", _l("Closed without award")),
            Column("winners", _l("Winners")),
            Column("revoked", _l("Revoked")),
        ],
        rows=rows,
    )


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def build_ledger(params: ReportParams) -> ReportTable:
    """Each winner's bonus, payments, clawbacks and reported uses up to period end."""
    winners = db.session.scalars(
        params.scope(
            select(Application)
            .where(Application.awarded_on.is_not(None))
            .where(Application.awarded_on <= params.period_end)
            .order_by(Application.awarded_on, Application.id),
            Application,
        )
    ).all()
    rows = []
    for application in winners:

        def total(model, *where, application=application):
            return db.session.scalar(
                select(func.coalesce(func.sum(model.amount_fen), 0)).where(
                    model.application_id == application.id, *where
                )
            )

        paid = total(
            LedgerEntry,
            LedgerEntry.entry_kind == "payment",
            LedgerEntry.entry_on <= params.period_end,
        )
        recovered = total(
            LedgerEntry,
            LedgerEntry.entry_kind == "clawback",
            LedgerEntry.entry_on <= params.period_end,
        )
        used = total(BonusUseReport, BonusUseReport.reported_on <= params.period_end)
        diverted = total(
            BonusUseReport,
            BonusUseReport.permitted.is_(False),
            BonusUseReport.reported_on <= params.period_end,
        )
        rows.append(
            {
                "winner": application.applicant_name,
                "county": application.department.name,
                "awarded_on": application.awarded_on,
                "state": application.state.value,
                "bonus": _yuan(application.bonus_fen),
                "paid": _yuan(paid),
                "outstanding": _yuan(
                    application.bonus_fen - paid
                    if application.state != State.REVOKED
                    else 0
                ),
                "recovered": _yuan(recovered),
                "reported_use": _yuan(used),
                "not_permitted": _yuan(diverted),
            }
        )
    return ReportTable(
        columns=[
            Column("winner", _l("Winner")),
            Column("county", _l("County")),
            Column("awarded_on", _l("Awarded on")),
            Column("state", _l("State")),
            Column("bonus", _l("Bonus (yuan)")),
            Column("paid", _l("Paid (yuan)")),
            Column("outstanding", _l("Still to pay (yuan)")),
            Column("recovered", _l("Clawed back (yuan)")),
            Column("reported_use", _l("Reported use (yuan)")),
            Column("not_permitted", _l("Not a permitted use (yuan)")),
        ],
        rows=rows,
    )


REPORTS = [
    Report(
        id="quality_award.progress",
        title=_l("Quality award: cycle progress by county"),
        build=build_progress,
        module="quality_award",
    ),
    Report(
        id="quality_award.bonus_ledger",
        title=_l("Quality award: bonus ledger"),
        build=build_ledger,
        module="quality_award",
    ),
]
