"""Reports: renderers, subscriptions, scoped deliveries and their refusals."""

import io
import socket
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from core import mail, reports
from core.directory import add_credit_record
from core.errors import InvalidInput
from core.models import CreditKind
from core.models.scheduling import OutboxMessage, ReportDelivery, ReportSubscription
from core.reports import Column, Report, ReportParams, ReportTable

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    """An aware Asia/Shanghai datetime."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def contacts(db, city):
    """The counties of the small city, with contact addresses."""
    city["lusong"].contact_emails = "office@lusong.gov.cn; chief@lusong.gov.cn"
    city["hetang"].contact_emails = "office@hetang.gov.cn"
    db.session.commit()
    return city


@pytest.fixture
def credit_records(db, contacts, create_organisation):
    """Two credit records in 芦淞区 (one in a township) and one in 荷塘区, in May."""
    lusong_firm = create_organisation(contacts["lusong"], name="芦淞服饰有限公司")
    hetang_firm = create_organisation(contacts["hetang"], name="荷塘机械厂")
    add_credit_record(
        lusong_firm,
        CreditKind.PENALTY,
        "未按规定公示年报",
        date(2026, 5, 4),
        contacts["lusong"],
        "core",
        expires_on=date(2027, 5, 4),
    )
    add_credit_record(
        lusong_firm,
        CreditKind.RED_LIST,
        "守信激励对象",
        date(2026, 5, 20),
        contacts["jianshe"],
        "core",
    )
    add_credit_record(
        hetang_firm,
        CreditKind.BLACK_LIST,
        "严重失信",
        date(2026, 5, 10),
        contacts["hetang"],
        "core",
    )
    db.session.commit()
    return {"lusong": lusong_firm, "hetang": hetang_firm}


@pytest.fixture
def extra_reports(app, monkeypatch):
    """Add reports to the registry for one test."""

    def install(*added):
        monkeypatch.setattr(app.extensions["registry"], "reports", lambda: list(added))

    return install


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on localhost collecting what it receives."""
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 Message accepted"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    yield received
    controller.stop()


def subscribe(department, **values):
    """A subscription to the credit-record report, due in the past."""
    defaults = {"report_id": "core.credit_records", "schedule": "monthly"}
    defaults.update(values)
    return reports.create_subscription(department=department, **defaults)


def sample_table() -> ReportTable:
    return ReportTable(
        columns=[
            Column("name", "企业名称"),
            Column("amount", "金额（元）"),
            Column("on", "日期"),
        ],
        rows=[
            {
                "name": "株洲某某科技有限公司",
                "amount": Decimal("1200.50"),
                "on": date(2026, 5, 4),
            },
            {"name": "<b>escaped</b>", "amount": 3, "on": None},
        ],
    )


def sample_report() -> Report:
    return Report(id="test.sample", title="测试报表", build=lambda p: sample_table())


def test_xlsx_has_a_title_row_chinese_headers_and_typed_rows(db, city):
    params = ReportParams(city["lusong"], date(2026, 5, 1), date(2026, 5, 31))

    data = reports.render_xlsx(sample_report(), sample_table(), params)

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert "芦淞区" in values[0][0] and "2026-05-01" in values[0][0]
    assert values[1] == ["企业名称", "金额（元）", "日期"]
    assert values[2][0] == "株洲某某科技有限公司"
    assert values[2][1] == pytest.approx(1200.5)
    assert values[2][2].date() == date(2026, 5, 4)
    assert sheet.column_dimensions["A"].width >= 22  # ten Chinese characters


def test_xlsx_keeps_its_look_and_never_writes_a_formula(db, city):
    params = ReportParams(city["lusong"], date(2026, 5, 1), date(2026, 5, 31))
    table = ReportTable(
        columns=[Column("name", "企业名称"), Column("at", "时间")],
        rows=[{"name": '=HYPERLINK("http://x")\x07', "at": local(2026, 5, 4, 9, 30)}],
    )

    data = reports.render_xlsx(sample_report(), table, params)

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.title == "测试报表"
    assert sheet.freeze_panes == "A3"
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 13
    assert sheet["A2"].font.b and sheet["A2"].fill.fgColor.rgb.endswith("DDEBF7")
    assert sheet["A3"].data_type == "s"
    assert sheet["A3"].value == '=HYPERLINK("http://x")'
    assert sheet["B3"].value == datetime(2026, 5, 4, 9, 30)  # local time, typed


def test_csv_is_utf8_with_a_byte_order_mark(db):
    data = reports.render_csv(sample_table())

    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0] == "企业名称,金额（元）,日期"


def test_html_escapes_cells(db, city):
    params = ReportParams(city["lusong"], date(2026, 5, 1), date(2026, 5, 31))

    html = reports.render_html(sample_report(), sample_table(), params)

    assert "&lt;b&gt;escaped&lt;/b&gt;" in html
    assert "<b>escaped" not in html


def test_report_build_holds_only_the_departments_rows(db, credit_records, contacts):
    report = reports.get_report("core.credit_records")
    params = ReportParams(contacts["lusong"], date(2026, 5, 1), date(2026, 5, 31))

    table = report.build(params)

    assert [row["organisation"] for row in table.rows] == ["芦淞服饰有限公司"] * 2


def test_subscription_is_created_with_its_next_occurrence(db, contacts):
    subscription = subscribe(contacts["lusong"], schedule="weekly", send_time="07:30")
    db.session.commit()

    due = subscription.next_due_at.astimezone(SHANGHAI)
    assert (due.weekday(), due.hour, due.minute) == (0, 7, 30)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"schedule": "cron", "cron": "0 25 * * *"}, "cron"),
        ({"report_id": "no.such.report"}, "report_id"),
        ({"extra_recipients": "boss@, x@zz.gov.cn"}, "extra_recipients"),
        ({"format": "pdf"}, "format"),
        ({"schedule": "fortnightly"}, "schedule"),
        ({"send_time": "8 o'clock"}, "send_time"),
    ],
)
def test_bad_subscription_is_refused_naming_the_field(db, contacts, values, field):
    with pytest.raises(InvalidInput) as raised:
        subscribe(contacts["lusong"], **values)

    assert field in raised.value.errors
    assert db.session.scalar(select(func.count(ReportSubscription.id))) == 0


def test_subscription_without_any_recipient_is_refused(db, city):
    with pytest.raises(InvalidInput) as raised:
        subscribe(city["yuetang"])

    assert list(raised.value.errors) == ["extra_recipients"]
    assert db.session.scalar(select(func.count(ReportSubscription.id))) == 0


def test_update_refuses_bad_input_and_keeps_the_old_values(db, contacts):
    subscription = subscribe(contacts["lusong"])
    db.session.commit()

    with pytest.raises(InvalidInput):
        reports.update_subscription(subscription, schedule="cron", cron="nonsense")
    db.session.rollback()

    db.session.refresh(subscription)
    assert subscription.schedule == "monthly"


def test_subscribed_department_receives_its_xlsx_row_by_row(
    db, credit_records, contacts, smtp
):
    lusong = subscribe(contacts["lusong"], extra_recipients="stats@zz.gov.cn")
    hetang = subscribe(contacts["hetang"])
    for subscription in (lusong, hetang):
        subscription.next_due_at = local(2026, 6, 1, 8, 0)
    db.session.commit()

    result = reports.deliver_due(now=local(2026, 6, 1, 8, 1))
    mail.drain()

    assert result.queued == 2
    by_recipient = {tuple(sorted(e.rcpt_tos)): e for e in smtp}
    envelope = by_recipient[
        ("chief@lusong.gov.cn", "office@lusong.gov.cn", "stats@zz.gov.cn")
    ]
    message = message_from_bytes(envelope.content, policy=policy.default)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename().endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(attachment.get_content())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "本期信用记录 — 芦淞区 — 2026-05-01 至 2026-05-31"
    assert rows[1] == [
        "记录日期",
        "企业名称",
        "统一社会信用代码",
        "类型",
        "摘要",
        "记录单位",
        "失效日期",
    ]
    uscc = credit_records["lusong"].uscc
    assert rows[2][1:6] == [
        "芦淞服饰有限公司",
        uscc,
        "行政处罚",
        "未按规定公示年报",
        "芦淞区",
    ]
    assert rows[2][0].date() == date(2026, 5, 4)
    assert rows[2][6].date() == date(2027, 5, 4)
    assert rows[3][1:6] == [
        "芦淞服饰有限公司",
        uscc,
        "红名单",
        "守信激励对象",
        "建设街道",
    ]
    assert rows[3][6] is None
    assert len(rows) == 4  # no row of 荷塘区
    assert all("荷塘" not in str(cell) for row in rows for cell in row)


def test_empty_report_is_not_sent_unless_asked(db, contacts):
    quiet = subscribe(contacts["lusong"])
    loud = subscribe(contacts["hetang"], send_when_empty=True, format="html")
    for subscription in (quiet, loud):
        subscription.next_due_at = local(2026, 6, 1, 8, 0)
    db.session.commit()

    result = reports.deliver_due(now=local(2026, 6, 1, 9, 0))

    assert (result.queued, result.empty) == (1, 1)
    (message,) = db.session.scalars(select(OutboxMessage)).all()
    assert message.recipient_list == ["office@hetang.gov.cn"]
    assert "<table" in message.body_html


def test_csv_subscription_attaches_csv(db, credit_records, contacts):
    subscription = subscribe(contacts["lusong"], format="csv")
    subscription.next_due_at = local(2026, 6, 1, 8, 0)
    db.session.commit()

    reports.deliver_due(now=local(2026, 6, 1, 9, 0))

    (message,) = db.session.scalars(select(OutboxMessage)).all()
    (attachment,) = message.attachments
    assert attachment.content_type == "text/csv"
    assert attachment.data.startswith(b"\xef\xbb\xbf")


def test_failing_report_does_not_hold_up_the_others(db, contacts, extra_reports):
    def broken(params):
        raise RuntimeError("the source table is missing")

    extra_reports(Report(id="test.broken", title="坏报表", build=broken))
    bad = subscribe(contacts["lusong"], report_id="test.broken")
    good = subscribe(contacts["hetang"], send_when_empty=True)
    for subscription in (bad, good):
        subscription.next_due_at = local(2026, 6, 1, 8, 0)
    db.session.commit()

    with pytest.raises(reports.DeliveryFailed) as raised:
        reports.deliver_due(now=local(2026, 6, 1, 9, 0))

    db.session.refresh(bad)
    outcomes = dict(
        db.session.execute(
            select(ReportDelivery.subscription_id, ReportDelivery.outcome)
        ).all()
    )
    assert "the source table is missing" in str(raised.value)
    assert "the source table is missing" in bad.last_error
    assert outcomes == {bad.id: "failed", good.id: "queued"}
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1
    assert bad.next_due_at.astimezone(SHANGHAI) == local(2026, 7, 1, 8, 0)


def test_missed_occurrences_are_caught_up_once(db, contacts):
    subscription = subscribe(contacts["hetang"], schedule="daily", send_when_empty=True)
    subscription.next_due_at = local(2026, 6, 1, 8, 0)
    db.session.commit()

    result = reports.deliver_due(now=local(2026, 6, 4, 12, 0))
    again = reports.deliver_due(now=local(2026, 6, 4, 12, 5))

    (delivery,) = db.session.scalars(select(ReportDelivery)).all()
    assert (result.queued, again.queued) == (1, 0)
    assert delivery.due_at.astimezone(SHANGHAI) == local(2026, 6, 4, 8, 0)
    assert (delivery.period_start, delivery.period_end) == (
        date(2026, 6, 3),
        date(2026, 6, 3),
    )


def test_every_working_day_subscription_skips_national_day(db, contacts):
    subscription = subscribe(
        contacts["hetang"], schedule="workday", send_time="08:00", send_when_empty=True
    )
    subscription.next_due_at = local(2026, 9, 30, 8, 0)
    db.session.commit()

    for day in range(13):
        reports.deliver_due(now=local(2026, 9, 30, 8, 30) + timedelta(days=day))

    deliveries = db.session.scalars(
        select(ReportDelivery).order_by(ReportDelivery.due_at)
    ).all()
    assert [d.due_at.astimezone(SHANGHAI).date().isoformat() for d in deliveries] == [
        "2026-09-30",
        "2026-10-08",
        "2026-10-09",
        "2026-10-10",
        "2026-10-12",
    ]
    assert (deliveries[1].period_start, deliveries[1].period_end) == (
        date(2026, 9, 30),
        date(2026, 10, 7),
    )


def test_monthly_period_is_the_previous_month(db, contacts):
    subscription = subscribe(contacts["lusong"])

    period = reports.period_for(subscription, local(2026, 3, 1, 8, 0))

    assert period == (date(2026, 2, 1), date(2026, 2, 28))


def test_quarterly_period_is_the_previous_quarter(db, contacts):
    subscription = subscribe(contacts["lusong"], schedule="quarterly")

    period = reports.period_for(subscription, local(2026, 10, 1, 8, 0))

    assert period == (date(2026, 7, 1), date(2026, 9, 30))


def test_delivery_of_an_occurrence_happens_once(db, contacts):
    subscription = subscribe(contacts["hetang"], send_when_empty=True)
    db.session.commit()
    due = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)

    first = reports.deliver_one(subscription.id, due)
    second = reports.deliver_one(subscription.id, due)

    assert (first, second) == ("queued", "elsewhere")
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_delivery_job_is_declared():
    assert [job.id for job in reports.jobs()] == ["core.reports.deliver"]


def test_same_report_department_and_period_is_built_once(db, contacts, extra_reports):
    builds = []

    def counted(params):
        builds.append(params.department.name)
        return sample_table()

    extra_reports(Report(id="test.counted", title="计数报表", build=counted))
    subscriptions = [
        subscribe(contacts["lusong"], report_id="test.counted"),
        subscribe(
            contacts["lusong"],
            report_id="test.counted",
            format="csv",
            include_department_contacts=False,
            extra_recipients="stats@zz.gov.cn",
        ),
        subscribe(contacts["hetang"], report_id="test.counted"),
    ]
    for subscription in subscriptions:
        subscription.next_due_at = local(2026, 6, 1, 8, 0)
    db.session.commit()

    result = reports.deliver_due(now=local(2026, 6, 1, 9, 0))

    messages = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id)
    ).all()
    assert result.queued == 3
    assert sorted(builds) == ["芦淞区", "荷塘区"]
    assert [m.recipient_list for m in messages] == [
        ["office@lusong.gov.cn", "chief@lusong.gov.cn"],
        ["stats@zz.gov.cn"],
        ["office@hetang.gov.cn"],
    ]
    assert [m.attachments[0].content_type for m in messages] == [
        reports.CONTENT_TYPES["xlsx"],
        "text/csv",
        reports.CONTENT_TYPES["xlsx"],
    ]


@pytest.mark.parametrize("batch", [1, 50])
def test_occurrence_delivered_elsewhere_does_not_hold_up_its_batch(
    app, db, contacts, extra_reports, monkeypatch, batch
):
    monkeypatch.setitem(app.config, "REPORT_DELIVERY_BATCH", batch)
    due = local(2026, 6, 1, 8, 0)
    taken_id = []

    def racing(params):
        # Another process queues 芦淞区's occurrence while this pass builds.
        with db.engine.begin() as connection:
            connection.execute(
                ReportDelivery.__table__.insert().values(
                    subscription_id=taken_id[0],
                    due_at=due,
                    period_start=date(2026, 5, 1),
                    period_end=date(2026, 5, 31),
                    outcome="queued",
                    rows=0,
                    error="",
                    created_at=due,
                )
            )
        return sample_table()

    extra_reports(Report(id="test.racing", title="竞争报表", build=racing))
    free = subscribe(contacts["hetang"], report_id="test.racing")
    taken = subscribe(contacts["lusong"], send_when_empty=True)
    taken_id.append(taken.id)
    for subscription in (free, taken):
        subscription.next_due_at = due
    db.session.commit()

    result = reports.deliver_due(now=local(2026, 6, 1, 9, 0))

    (message,) = db.session.scalars(select(OutboxMessage)).all()
    assert result.queued == 1 and not result.failures
    assert message.recipient_list == ["office@hetang.gov.cn"]
    assert db.session.scalar(select(func.count(ReportDelivery.id))) == 2


def test_failures_and_successes_of_one_batch_are_all_recorded(
    db, contacts, extra_reports
):
    def broken(params):
        raise RuntimeError("the source table is missing")

    extra_reports(Report(id="test.broken", title="坏报表", build=broken))
    first = subscribe(contacts["hetang"], send_when_empty=True)
    bad = subscribe(contacts["lusong"], report_id="test.broken")
    last = subscribe(contacts["lusong"], send_when_empty=True, format="html")
    for subscription in (first, bad, last):
        subscription.next_due_at = local(2026, 6, 1, 8, 0)
    db.session.commit()

    with pytest.raises(reports.DeliveryFailed) as raised:
        reports.deliver_due(now=local(2026, 6, 1, 9, 0))

    outcomes = dict(
        db.session.execute(
            select(ReportDelivery.subscription_id, ReportDelivery.outcome)
        ).all()
    )
    assert str(raised.value).startswith("1 of 3 deliveries failed")
    assert outcomes == {first.id: "queued", bad.id: "failed", last.id: "queued"}
    for subscription in (first, bad, last):
        db.session.refresh(subscription)
        assert subscription.next_due_at.astimezone(SHANGHAI) == local(2026, 7, 1, 8, 0)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2
