"""Report fan-out: department subscriptions rendered to XLSX and queued for mail."""

from datetime import date, timedelta

from sqlalchemy import func, select

from tests.benchmarks.harness import Figure, Results, Timer, fresh_app

TARGET_SECONDS = 30.0


def _load(departments: int, records_each: int) -> None:
    """Counties with contact addresses, each with credit records and a subscription."""
    from stdnum.cn import uscc

    from core import reports
    from core.directory import add_credit_record, create_department, create_organisation
    from core.extensions import db
    from core.models import CreditKind, DepartmentKind

    city = create_department("BCITY", "株洲市", DepartmentKind.CITY, None, "")
    for n in range(departments):
        county = create_department(
            f"B{n:04d}", f"测试县区{n}", DepartmentKind.COUNTY, city, f"c{n}@zz.gov.cn"
        )
        body = f"9143020{n:010d}"[:17]
        firm = create_organisation(
            f"测试企业{n}", body + uscc.calc_check_digit(body), county
        )
        for k in range(records_each):
            add_credit_record(
                firm,
                CreditKind.PENALTY,
                f"第{k}条处罚：未按规定公示年度报告",
                date(2026, 5, 1) + timedelta(days=k % 28),
                county,
                "core",
            )
        reports.create_subscription(
            department=county, report_id="core.credit_records", schedule="monthly"
        )
    db.session.commit()


def run(results: Results, smoke: bool) -> None:
    """Deliver every subscription once and time it."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from core import reports
    from core.context import Actor, acting_as
    from core.extensions import db
    from core.models.scheduling import OutboxMessage, ReportSubscription

    departments, records_each = (5, 3) if smoke else (300, 20)
    app = fresh_app(modules="none")
    due = datetime(2026, 6, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with app.app_context(), acting_as(Actor(kind="system", name="bench")):
        _load(departments, records_each)
        db.session.execute(
            ReportSubscription.__table__.update().values(next_due_at=due)
        )
        db.session.commit()

        with Timer() as timer:
            result = reports.deliver_due(now=due + timedelta(minutes=1))

        queued = db.session.scalar(select(func.count(OutboxMessage.id)))
    assert result.queued == departments == queued
    results.add(
        Figure(
            name=f"report fan-out: {departments} subscriptions to XLSX and queued",
            value=timer.seconds,
            unit="s",
            target=f"<= {TARGET_SECONDS:.0f} s for 300 subscriptions",
            met=None if smoke else timer.seconds <= TARGET_SECONDS,
        )
    )
