"""Reports: verification statistics, the school list, insurance and records."""

from sqlalchemy import func, select

from core.extensions import db
from core.i18n import _l
from core.reports import Column, Report, ReportParams, ReportTable
from modules.firefighter_benefits import services
from modules.firefighter_benefits.models import (
    Allowance,
    CompensationCase,
    EnrollmentEntry,
    EnrollmentList,
    FamilyMember,
    Firefighter,
    InsurancePolicy,
    ListStatus,
    VerificationCount,
)


def verification_statistics(params: ReportParams) -> ReportTable:
    """Checks per benefit and venue kind in the period (transport, culture)."""
    # The counts hold no personal data and no department: they go city-wide to
    # the transport and culture bureaus, so they are not scoped.
    services.flush_counts()
    rows = db.session.execute(
        select(
            VerificationCount.benefit,
            VerificationCount.venue_kind,
            VerificationCount.eligible,
            func.sum(VerificationCount.count),
        )
        .where(
            VerificationCount.day >= params.period_start,
            VerificationCount.day <= params.period_end,
        )
        .group_by(
            VerificationCount.benefit,
            VerificationCount.venue_kind,
            VerificationCount.eligible,
        )
    ).all()
    table: dict = {}
    for benefit, venue_kind, eligible, count in rows:
        row = table.setdefault(
            (benefit, venue_kind),
            {
                "benefit": services.benefit_label(benefit),
                "venue_kind": venue_kind,
                "eligible": 0,
                "refused": 0,
            },
        )
        row["eligible" if eligible else "refused"] += int(count)
    for row in table.values():
        row["total"] = row["eligible"] + row["refused"]
    return ReportTable(
        columns=[
            Column("benefit", _l("Benefit")),
            Column("venue_kind", _l("Venue kind")),
            Column("eligible", _l("Eligible")),
            Column("refused", _l("Not eligible")),
            Column("total", _l("Checks")),
        ],
        rows=[table[k] for k in sorted(table)],
    )


def school_list(params: ReportParams) -> ReportTable:
    """Confirmed school enrollment lists of the period's year (education)."""
    statement = (
        select(EnrollmentEntry, EnrollmentList, FamilyMember, Firefighter)
        .join(EnrollmentList, EnrollmentEntry.list_id == EnrollmentList.id)
        .join(FamilyMember, EnrollmentEntry.child_id == FamilyMember.id)
        .join(Firefighter, FamilyMember.firefighter_id == Firefighter.id)
        .where(
            EnrollmentList.year == params.period_end.year,
            EnrollmentList.status.in_([ListStatus.CONFIRMED, ListStatus.DELIVERED]),
        )
        .order_by(EnrollmentList.brigade_id, EnrollmentEntry.id)
    )
    statement = params.scope(statement, EnrollmentList)
    rows = [
        {
            "brigade": lst.brigade.name,
            "child": child.name,
            # The education department places the child: it needs the ID.
            "resident_id": child.resident_id,
            "birth_date": child.birth_date.isoformat(),
            "stage": str(entry.stage),
            "parent": parent.name,
            "category": str(services.CATEGORY_LABELS[parent.category]),
            "exception": entry.exception_reason,
        }
        for entry, lst, child, parent in db.session.execute(statement)
    ]
    return ReportTable(
        columns=[
            Column("brigade", _l("Brigade")),
            Column("child", _l("Child")),
            Column("resident_id", _l("Resident ID")),
            Column("birth_date", _l("Birth date")),
            Column("stage", _l("School stage")),
            Column("parent", _l("Parent firefighter")),
            Column("category", _l("Firefighter category")),
            Column("exception", _l("Exception")),
        ],
        rows=rows,
    )


def insurance_coverage(params: ReportParams) -> ReportTable:
    """Policies in force during the period, per kind (finance)."""
    statement = (
        select(
            InsurancePolicy.kind,
            func.count(InsurancePolicy.id),
            func.sum(InsurancePolicy.premium_fen),
        )
        .where(
            InsurancePolicy.starts_on <= params.period_end,
            InsurancePolicy.ends_on >= params.period_start,
        )
        .group_by(InsurancePolicy.kind)
        .order_by(InsurancePolicy.kind)
    )
    statement = params.scope(statement, InsurancePolicy)
    return ReportTable(
        columns=[
            Column("kind", _l("Insurance")),
            Column("policies", _l("Policies")),
            Column("premium_yuan", _l("Premiums (yuan)")),
        ],
        rows=[
            {
                "kind": str(kind),
                "policies": count,
                "premium_yuan": f"{(premium or 0) / 100:.2f}",
            }
            for kind, count, premium in db.session.execute(statement)
        ],
    )


def allowances_and_compensation(params: ReportParams) -> ReportTable:
    """Allowances paid and compensation cases in the period (finance, brigade)."""
    allowances = params.scope(
        select(Allowance.kind, func.count(Allowance.id), func.sum(Allowance.amount_fen))
        .where(
            Allowance.month >= params.period_start.replace(day=1),
            Allowance.month <= params.period_end,
        )
        .group_by(Allowance.kind),
        Allowance,
    )
    cases = params.scope(
        select(
            CompensationCase.kind,
            func.count(CompensationCase.id),
            func.sum(CompensationCase.amount_fen),
        )
        .where(
            CompensationCase.occurred_on >= params.period_start,
            CompensationCase.occurred_on <= params.period_end,
        )
        .group_by(CompensationCase.kind),
        CompensationCase,
    )
    rows = [
        {"item": str(k), "count": n, "amount_yuan": f"{(a or 0) / 100:.2f}"}
        for k, n, a in [*db.session.execute(allowances), *db.session.execute(cases)]
    ]
    return ReportTable(
        columns=[
            Column("item", _l("Payment item")),
            Column("count", _l("Count")),
            Column("amount_yuan", _l("Amount (yuan)")),
        ],
        rows=rows,
    )


SCHOOL_LIST_REPORT = Report(
    id="firefighter_benefits.school_list",
    title=_l("School enrollment list for the education department"),
    build=school_list,
    module="firefighter_benefits",
)

REPORTS = [
    Report(
        id="firefighter_benefits.verification_statistics",
        title=_l("Monthly credential checks by benefit and venue kind"),
        build=verification_statistics,
        module="firefighter_benefits",
    ),
    SCHOOL_LIST_REPORT,
    Report(
        id="firefighter_benefits.insurance_coverage",
        title=_l("Insurance coverage for finance"),
        build=insurance_coverage,
        module="firefighter_benefits",
    ),
    Report(
        id="firefighter_benefits.allowances_and_compensation",
        title=_l("Allowances and compensation for finance and the brigade"),
        build=allowances_and_compensation,
        module="firefighter_benefits",
    ),
]
