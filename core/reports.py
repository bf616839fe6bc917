"""Reports declared by modules, their renderers, and subscriptions by e-mail.

A report is a table for a department and a period. Departments subscribe to
reports with a schedule (daily, every working day, weekly, monthly, quarterly,
yearly, or a cron expression), a format (XLSX, CSV or HTML) and recipients.
The delivery job builds each due subscription with the subscribing
department's own scope and queues the result in the mail outbox; one report
that fails is recorded and does not hold up the others. Subscriptions to the
same report for the same department and period share one build and one
rendering per format, and deliveries are written in batches, one transaction
each (REPORT_DELIVERY_BATCH, 50 by default), after everything of the batch was
built: report builders only read.

The period a delivery covers runs from the previous occurrence's date up to
the day before this occurrence: a monthly report sent on 1 October covers
September; an every-working-day report sent on Saturday 10 October 2026 (a
make-up working day) covers 30 September to 9 October.
"""

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from core.errors import InvalidInput, NotFound
from core.extensions import db
from core.i18n import _, _l
from core.jobs import SKIP, Job
from core.models.base import utcnow
from core.models.departments import Department, subtree_ids
from core.models.scheduling import ReportDelivery, ReportSubscription

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Column:
    """A report column: a key into each row and a (translatable) header."""

    key: str
    label: object
    width: int | None = None


@dataclass
class ReportTable:
    """What a report returns: columns and rows (dicts keyed by column key)."""

    columns: list[Column]
    rows: list[dict] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Whether the table has no rows."""
        return not self.rows


@dataclass(frozen=True)
class ReportParams:
    """The department a report is for and the period it covers."""

    department: Department
    period_start: date
    period_end: date

    def scope(self, statement, model):
        """Restrict a SELECT to the department and what lies below it."""
        ids = subtree_ids(self.department)
        custom = getattr(model, "__scope_clause__", None)
        if custom is not None:
            return statement.where(custom(ids))
        return statement.where(getattr(model, model.__scope_column__).in_(ids))


@dataclass(frozen=True)
class Report:
    """A report a department can subscribe to.

    `build` only reads: during a delivery pass it runs before anything of its
    batch is written, and its table may serve several subscriptions.
    """

    id: str
    title: object
    build: Callable[[ReportParams], ReportTable]
    module: str = "core"


SCHEDULES = {
    "daily": _l("Daily"),
    "workday": _l("Every working day"),
    "weekly": _l("Weekly (Monday)"),
    "monthly": _l("Monthly (1st)"),
    "quarterly": _l("Quarterly (1 Jan, Apr, Jul, Oct)"),
    "yearly": _l("Yearly (1 January)"),
    "cron": _l("Cron expression"),
}
FORMATS = {"xlsx": "XLSX", "csv": "CSV", "html": "HTML"}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
REPORT_LOCALE = "zh_CN"

QUEUED = "queued"
EMPTY = "empty"
FAILED = "failed"


# The catalogue


def _credit_records(params: ReportParams) -> ReportTable:
    """Credit records filed in the period by the department and those below it."""
    from core.models.organisations import CreditRecord, Organisation

    kinds = {
        "red_list": _("Red list"),
        "black_list": _("Black list"),
        "penalty": _("Penalty"),
        "broken_commitment": _("Broken commitment"),
    }
    # Plain columns with the names joined in: one query, no entity per row.
    # The recording department is aliased so that the scope's subquery on the
    # departments table stays uncorrelated.
    recorder = aliased(Department)
    statement = params.scope(
        select(
            CreditRecord.recorded_on,
            Organisation.name,
            Organisation.uscc,
            CreditRecord.kind,
            CreditRecord.summary,
            recorder.name,
            CreditRecord.expires_on,
        )
        .join(Organisation, CreditRecord.organisation_id == Organisation.id)
        .join(recorder, CreditRecord.department_id == recorder.id)
        .where(CreditRecord.recorded_on.between(params.period_start, params.period_end))
        .order_by(CreditRecord.recorded_on, CreditRecord.id),
        CreditRecord,
    )
    rows = [
        {
            "recorded_on": recorded_on,
            "organisation": organisation,
            "uscc": uscc,
            "kind": kinds.get(kind.value, kind.value),
            "summary": summary,
            "department": department,
            "expires_on": expires_on,
        }
        for (
            recorded_on,
            organisation,
            uscc,
            kind,
            summary,
            department,
            expires_on,
        ) in db.session.execute(statement)
    ]
    return ReportTable(
        columns=[
            Column("recorded_on", _l("Recorded on")),
            Column("organisation", _l("Organisation name")),
            Column("uscc", _l("Unified social credit code")),
            Column("kind", _l("Kind")),
            Column("summary", _l("Summary"), width=50),
            Column("department", _l("Recorded by")),
            Column("expires_on", _l("Expires on")),
        ],
        rows=rows,
    )


def core_reports() -> list[Report]:
    """The core's own reports."""
    return [
        Report(
            id="core.credit_records",
            title=_l("Credit records of the period"),
            build=_credit_records,
        )
    ]


def all_reports(app=None) -> dict[str, Report]:
    """Every report of the core and the enabled modules, by id."""
    app = app or current_app
    reports = [*core_reports(), *app.extensions["registry"].reports()]
    return {report.id: report for report in reports}


def get_report(report_id: str) -> Report:
    """A report by id, or NotFound."""
    report = all_reports().get(report_id)
    if report is None:
        raise NotFound(_("There is no report “%(report)s”.", report=report_id))
    return report


# Rendering


def _local(moment: datetime) -> datetime:
    from core.scheduler import timezone_of

    return moment.astimezone(timezone_of()).replace(tzinfo=None)


def cell_value(value):
    """A value as a spreadsheet cell holds it: numbers and dates stay typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return _local(value) if value.tzinfo else value
    if isinstance(value, int | float | Decimal | date):
        return value
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return str(value)


def cell_text(value) -> str:
    """A value as text (CSV, HTML)."""
    value = cell_value(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def display_width(text: str) -> int:
    """Width of text in spreadsheet columns: Chinese characters count double."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_widths(table: ReportTable, sample: int = 500) -> list[float]:
    """Widths that fit the header and the first rows, within sensible limits."""
    widths = []
    for column in table.columns:
        if column.width:
            widths.append(column.width)
            continue
        longest = display_width(str(column.label))
        for row in table.rows[:sample]:
            longest = max(longest, display_width(cell_text(row.get(column.key))))
        widths.append(min(60, max(8, longest + 2)))
    return widths


def title_line(report: Report, params: ReportParams) -> str:
    """The report's title naming the department and the period."""
    return _(
        "%(report)s — %(department)s — %(start)s to %(end)s",
        report=str(report.title),
        department=params.department.name,
        start=params.period_start.isoformat(),
        end=params.period_end.isoformat(),
    )


def render_xlsx(report: Report, table: ReportTable, params: ReportParams) -> bytes:
    """The table as an XLSX workbook: a title row, a header row, then the rows."""
    from core.exports import table_workbook

    sheet_name = re.sub(r"[\[\]:*?/\\]", " ", str(report.title))[:31] or "report"
    keys = [column.key for column in table.columns]
    return table_workbook(
        sheet_name,
        title_line(report, params),
        [str(column.label) for column in table.columns],
        ([cell_value(row.get(key)) for key in keys] for row in table.rows),
        column_widths(table),
    )


def render_csv(table: ReportTable) -> bytes:
    """The table as CSV in UTF-8 with a byte-order mark, so Excel reads Chinese."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow([str(column.label) for column in table.columns])
    keys = [column.key for column in table.columns]
    for row in table.rows:
        writer.writerow([cell_text(row.get(key)) for key in keys])
    return stream.getvalue().encode("utf-8-sig")


def render_html(report: Report, table: ReportTable, params: ReportParams) -> str:
    """The table as an HTML fragment for a mail body."""
    head = "".join(
        f'<th style="border:1px solid #999;padding:4px;background:#ddebf7">'
        f"{escape(str(c.label))}</th>"
        for c in table.columns
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="border:1px solid #999;padding:4px">'
            f"{escape(cell_text(row.get(c.key)))}</td>"
            for c in table.columns
        )
        + "</tr>"
        for row in table.rows
    )
    if not table.rows:
        body = (
            f'<tr><td colspan="{len(table.columns)}">'
            f"{escape(_('The report has no rows for this period.'))}</td></tr>"
        )
    return (
        f"<h3>{escape(title_line(report, params))}</h3>"
        f'<table style="border-collapse:collapse">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def attachment_name(report: Report, params: ReportParams, extension: str) -> str:
    """A file name naming the report, the department and the period."""
    stem = (
        f"{report.title}_{params.department.name}_"
        f"{params.period_start.isoformat()}_{params.period_end.isoformat()}"
    )
    return re.sub(r'[\\/:*?"<>|\s]+', "_", stem) + f".{extension}"


# Subscriptions


def _schedule_trigger(schedule: str, send_time: str, cron: str, timezone, app=None):
    from core.scheduler import WorkingDayTrigger, cron_trigger, parse_clock

    if schedule == "cron":
        if not (cron or "").strip():
            raise InvalidInput({"cron": [_("Write a cron expression.")]})
        return cron_trigger(cron, timezone, "cron")
    hour, minute = parse_clock(send_time, "send_time")
    if schedule == "workday":
        return WorkingDayTrigger(hour, minute, timezone, app)
    expression = {
        "daily": f"{minute} {hour} * * *",
        "weekly": f"{minute} {hour} * * 1",
        "monthly": f"{minute} {hour} 1 * *",
        "quarterly": f"{minute} {hour} 1 1,4,7,10 *",
        "yearly": f"{minute} {hour} 1 1 *",
    }.get(schedule)
    if expression is None:
        raise InvalidInput(
            {
                "schedule": [
                    _(
                        "“%(value)s” is not a schedule; choose one of %(choices)s.",
                        value=schedule,
                        choices=", ".join(SCHEDULES),
                    )
                ]
            }
        )
    return cron_trigger(expression, timezone, "schedule")


def subscription_trigger(subscription: ReportSubscription):
    """The trigger of a subscription's schedule."""
    from core.scheduler import timezone_of

    return _schedule_trigger(
        subscription.schedule,
        subscription.send_time,
        subscription.cron,
        timezone_of(),
        current_app._get_current_object(),
    )


def period_for(subscription: ReportSubscription, due_at: datetime) -> tuple[date, date]:
    """The period an occurrence covers: from the previous occurrence's date up to
    the day before this one."""
    from core import calendar
    from core.scheduler import timezone_of

    day = due_at.astimezone(timezone_of()).date()
    schedule = subscription.schedule
    if schedule == "workday":
        start = calendar.add_working_days(day, -1).value
    elif schedule == "weekly":
        start = day - timedelta(days=7)
    elif schedule == "monthly":
        start = day - relativedelta(months=1)
    elif schedule == "quarterly":
        start = day - relativedelta(months=3)
    elif schedule == "yearly":
        start = day - relativedelta(years=1)
    elif schedule == "cron" and subscription.last_due_at is not None:
        start = subscription.last_due_at.astimezone(timezone_of()).date()
    else:
        start = day - timedelta(days=1)
    end = max(start, day - timedelta(days=1))
    return start, end


def recipients_of(subscription: ReportSubscription) -> list[str]:
    """The department's contact addresses (if included) and the extra ones."""
    from core.mail import validate_addresses

    found = []
    if subscription.include_department_contacts and subscription.department:
        found.extend(subscription.department.emails)
    found.extend(
        validate_addresses(subscription.extra_recipients or "", "extra_recipients")
    )
    return validate_addresses(found, "recipients")


FIELDS = (
    "department",
    "report_id",
    "schedule",
    "send_time",
    "cron",
    "format",
    "include_department_contacts",
    "extra_recipients",
    "send_when_empty",
    "is_active",
)


def _validated(values: dict) -> dict:
    """Check a subscription's fields together; every bad field is named."""
    from core.mail import validate_addresses
    from core.scheduler import timezone_of

    errors: dict[str, list] = {}

    def check(fn):
        try:
            return fn()
        except InvalidInput as error:
            for name, messages in error.errors.items():
                errors.setdefault(name, []).extend(messages)
            return None

    department = values.get("department")
    if not isinstance(department, Department):
        errors["department"] = [_("Choose a department.")]
    if values.get("report_id") not in all_reports():
        errors["report_id"] = [
            _("There is no report “%(report)s”.", report=values.get("report_id"))
        ]
    if values.get("format") not in FORMATS:
        errors["format"] = [
            _(
                "“%(value)s” is not a format; choose one of %(choices)s.",
                value=values.get("format"),
                choices=", ".join(FORMATS),
            )
        ]
    check(
        lambda: _schedule_trigger(
            values.get("schedule"),
            values.get("send_time") or "08:00",
            values.get("cron") or "",
            timezone_of(),
        )
    )
    extra = check(
        lambda: validate_addresses(
            values.get("extra_recipients") or "", "extra_recipients"
        )
    )
    if extra is not None and "department" not in errors:
        contacts = (
            department.emails if values.get("include_department_contacts") else []
        )
        if not contacts and not extra:
            errors["extra_recipients"] = [
                _(
                    "Nobody would receive this report: the department has no "
                    "contact e-mail address. Add recipients."
                )
            ]
    if errors:
        raise InvalidInput(errors)
    cleaned = dict(values)
    cleaned["extra_recipients"] = ", ".join(extra)
    cleaned["send_time"] = values.get("send_time") or "08:00"
    cleaned["cron"] = (values.get("cron") or "").strip()
    return cleaned


def _schedule_next(subscription: ReportSubscription, now: datetime) -> None:
    from core.scheduler import next_after

    trigger = subscription_trigger(subscription)
    subscription.next_due_at = next_after(trigger, now)


def create_subscription(actor_name: str = "", **values) -> ReportSubscription:
    """Add a subscription after checking every field; the caller commits."""
    defaults = {
        "schedule": "monthly",
        "send_time": "08:00",
        "cron": "",
        "format": "xlsx",
        "include_department_contacts": True,
        "extra_recipients": "",
        "send_when_empty": False,
        "is_active": True,
    }
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise InvalidInput({name: [_("Unknown field.")] for name in sorted(unknown)})
    cleaned = _validated({**defaults, **values})
    subscription = ReportSubscription(**cleaned)
    _schedule_next(subscription, utcnow())
    db.session.add(subscription)
    db.session.flush()
    log.info(
        "%s subscribed %s to %s (%s, %s)",
        actor_name or "system",
        subscription.department.name,
        subscription.report_id,
        subscription.schedule,
        subscription.format,
    )
    return subscription


def update_subscription(
    subscription: ReportSubscription, actor_name: str = "", **values
) -> ReportSubscription:
    """Change a subscription after checking every field; the caller commits."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise InvalidInput({name: [_("Unknown field.")] for name in sorted(unknown)})
    current = {name: getattr(subscription, name) for name in FIELDS}
    cleaned = _validated({**current, **values})
    for name, value in cleaned.items():
        setattr(subscription, name, value)
    _schedule_next(subscription, utcnow())
    db.session.flush()
    log.info("%s changed subscription %s", actor_name or "system", subscription.id)
    return subscription


def build(subscription: ReportSubscription, period: tuple[date, date]):
    """Build the subscription's report for its department and a period."""
    report = get_report(subscription.report_id)
    params = ReportParams(subscription.department, *period)
    return report, params, report.build(params)


@dataclass
class DeliveryResult:
    """What one pass over the subscriptions did."""

    queued: int = 0
    empty: int = 0
    failures: list[str] = field(default_factory=list)


class DeliveryFailed(Exception):
    """Some deliveries failed; the others went out. The message names them."""


@dataclass
class _Occurrence:
    """One occurrence of a subscription: built and rendered first, written after.

    What it holds is plain data (the message's text and files), so it can be
    written again in a transaction of its own when a batch is rolled back.
    """

    subscription_id: int
    due_at: datetime
    period: tuple[date, date]
    key: tuple = ()
    label: str = ""
    outcome: str = ""
    rows: int = 0
    content: dict | None = None
    error: str = ""
    # False when even the failure could not be written.
    recorded: bool = True

    def fail(self, error: Exception) -> None:
        """Record an error: the occurrence is written as failed."""
        self.outcome = FAILED
        self.rows = 0
        self.content = None
        self.error = f"{type(error).__name__}: {error}"[-4000:]

    def problem(self) -> str:
        """How a failed occurrence is named in DeliveryFailed."""
        if self.recorded:
            return f"{self.label}: {self.error}"
        return f"#{self.subscription_id}: {self.error}"


class _Renderings:
    """Tables and rendered messages shared within one delivery pass.

    Subscriptions to the same report for the same department and period (with
    other recipients or in another format) share one build, and one rendering
    per format. An entry is kept only while a later occurrence still needs it,
    so a pass over many departments never holds every department's files.
    """

    def __init__(self, keys=()):
        self.reports = all_reports()
        self.uses: dict[tuple, int] = {}
        for key in keys:
            self.uses[key] = self.uses.get(key, 0) + 1
        self.tables: dict[tuple, ReportTable] = {}
        self.contents: dict[tuple, dict] = {}

    def report(self, report_id: str) -> Report:
        """A report by id, or NotFound."""
        report = self.reports.get(report_id)
        if report is None:
            raise NotFound(_("There is no report “%(report)s”.", report=report_id))
        return report

    def table(self, key: tuple, report: Report, params: ReportParams) -> ReportTable:
        """The report's table for the key, built once while it is needed."""
        table = self.tables.get(key)
        if table is None:
            table = report.build(params)
            if self.uses.get(key, 0) > 1:
                self.tables[key] = table
        return table

    def content(self, key: tuple, fmt: str, render: Callable[[], dict]) -> dict:
        """The rendered message for the key and format, rendered once."""
        content = self.contents.get((key, fmt))
        if content is None:
            content = render()
            if self.uses.get(key, 0) > 1:
                self.contents[(key, fmt)] = content
        return content

    def done(self, key: tuple) -> None:
        """One occurrence of the key is prepared: drop what no other needs."""
        left = self.uses.get(key, 0) - 1
        self.uses[key] = left
        if left <= 0:
            self.tables.pop(key, None)
            for fmt in FORMATS:
                self.contents.pop((key, fmt), None)


def _occurrence_key(subscription: ReportSubscription, period) -> tuple:
    return (subscription.report_id, subscription.department_id, *period)


def _render(report: Report, table: ReportTable, params: ReportParams, fmt: str):
    """The subject, bodies and files of a report's message (no recipients)."""
    from core.mail import Attachment

    title = title_line(report, params)
    attachments = []
    if fmt == "xlsx":
        data = render_xlsx(report, table, params)
    elif fmt == "csv":
        data = render_csv(table)
    else:
        data = None
    if data is not None:
        attachments.append(
            Attachment(attachment_name(report, params, fmt), CONTENT_TYPES[fmt], data)
        )
    if fmt == "html":
        html = render_html(report, table, params)
        text = "\n".join(
            [title, "\t".join(str(c.label) for c in table.columns)]
            + [
                "\t".join(cell_text(row.get(c.key)) for c in table.columns)
                for row in table.rows
            ]
        )
    else:
        summary = _(
            "%(title)s: %(rows)s row(s), attached as %(format)s.",
            title=title,
            rows=len(table.rows),
            format=FORMATS[fmt],
        )
        html = f"<p>{escape(summary)}</p>"
        text = summary
    return {"subject": title, "text": text, "html": html, "attachments": attachments}


def _prepare(
    subscription: ReportSubscription, occurrence: _Occurrence, renderings: _Renderings
) -> None:
    """Build and render an occurrence, writing nothing; errors raise.

    Runs under the report locale (the caller's force_locale).
    """
    from core.mail import checked_recipients

    report = renderings.report(subscription.report_id)
    params = ReportParams(subscription.department, *occurrence.period)
    key = occurrence.key or _occurrence_key(subscription, occurrence.period)
    table = renderings.table(key, report, params)
    occurrence.rows = len(table.rows)
    if table.is_empty and not subscription.send_when_empty:
        occurrence.outcome = EMPTY
        return
    fmt = subscription.format
    content = renderings.content(key, fmt, lambda: _render(report, table, params, fmt))
    occurrence.content = {
        **content,
        "recipients": checked_recipients(
            recipients_of(subscription), content["subject"]
        ),
        "department": subscription.department,
        "origin": f"subscription:{subscription.id}",
    }
    occurrence.outcome = QUEUED


def _write(
    occurrences: list[_Occurrence],
    subscriptions: dict[int, ReportSubscription] | None = None,
) -> list[ReportDelivery]:
    """Queue the messages and add the delivery rows of prepared occurrences: one
    flush for the messages, one for the rest; the caller commits.

    With `subscriptions` (by id), each moves on to its next occurrence.
    """
    from core.mail import add_messages, new_message
    from core.scheduler import next_after

    messages = {}
    for occurrence in occurrences:
        if occurrence.outcome == QUEUED:
            content = occurrence.content
            messages[id(occurrence)] = new_message(
                content["recipients"],
                content["subject"],
                content["text"],
                html=content["html"],
                attachments=content["attachments"],
                department=content["department"],
                origin=content["origin"],
            )
    if messages:
        add_messages(list(messages.values()))
    deliveries = []
    for occurrence in occurrences:
        message = messages.get(id(occurrence))
        deliveries.append(
            ReportDelivery(
                subscription_id=occurrence.subscription_id,
                due_at=occurrence.due_at,
                period_start=occurrence.period[0],
                period_end=occurrence.period[1],
                rows=occurrence.rows,
                outcome=occurrence.outcome,
                error=occurrence.error,
                outbox_id=message.id if message is not None else None,
            )
        )
        if subscriptions is not None:
            subscription = subscriptions[occurrence.subscription_id]
            subscription.last_due_at = occurrence.due_at
            subscription.next_due_at = next_after(
                subscription_trigger(subscription), occurrence.due_at
            )
            subscription.last_error = occurrence.error
    db.session.add_all(deliveries)
    db.session.flush()
    return deliveries


def deliver(
    subscription: ReportSubscription, due_at: datetime, period=None
) -> ReportDelivery:
    """Build, render and queue one occurrence in the current transaction."""
    occurrence = _Occurrence(
        subscription.id, due_at, period or period_for(subscription, due_at)
    )
    with force_locale(REPORT_LOCALE):
        _prepare(subscription, occurrence, _Renderings())
    (delivery,) = _write([occurrence])
    return delivery


def _prepare_or_fail(
    subscription: ReportSubscription, occurrence: _Occurrence, renderings: _Renderings
) -> bool:
    """Prepare an occurrence; an error is logged and recorded on it, and the
    session rolled back (its transaction may be unusable after the error).
    Returns whether it was prepared."""
    try:
        _prepare(subscription, occurrence, renderings)
        return True
    except Exception as error:  # noqa: BLE001 - recorded, the rest go on
        db.session.rollback()
        log.exception(
            "subscription %s at %s failed",
            occurrence.subscription_id,
            occurrence.due_at,
        )
        occurrence.fail(error)
        return False


def _write_alone(occurrence: _Occurrence) -> str:
    """Write one prepared occurrence in its own transaction; returns its outcome.

    The delivery row is unique on (subscription, occurrence) and is written in
    the same transaction as the outbox message, so two processes can never
    queue the same occurrence twice. A failure rolls back everything of this
    delivery, is recorded, and moves the subscription on to its next occurrence.
    """
    subscription_id = occurrence.subscription_id
    try:
        subscription = db.session.get(ReportSubscription, subscription_id)
        _write([occurrence], {subscription_id: subscription})
        db.session.commit()
        return occurrence.outcome
    except IntegrityError:
        db.session.rollback()
        if _delivered(subscription_id, occurrence.due_at):
            log.info(
                "subscription %s at %s went out elsewhere",
                subscription_id,
                occurrence.due_at,
            )
            return "elsewhere"
        raise
    except Exception as error:
        db.session.rollback()
        log.exception(
            "subscription %s at %s failed", subscription_id, occurrence.due_at
        )
        occurrence.fail(error)
        subscription = db.session.get(ReportSubscription, subscription_id)
        _write([occurrence], {subscription_id: subscription})
        db.session.commit()
        return FAILED


def deliver_one(subscription_id: int, due_at: datetime) -> str:
    """Deliver one occurrence in its own transaction and return its outcome.

    The outcome is queued, empty, failed, or "elsewhere" when another process
    delivered the occurrence.
    """
    subscription = db.session.get(ReportSubscription, subscription_id)
    occurrence = _Occurrence(subscription_id, due_at, period_for(subscription, due_at))
    with force_locale(REPORT_LOCALE):
        _prepare_or_fail(subscription, occurrence, _Renderings())
    return _write_alone(occurrence)


def _delivered(subscription_id: int, due_at: datetime) -> bool:
    return (
        db.session.scalars(
            select(ReportDelivery.id).where(
                ReportDelivery.subscription_id == subscription_id,
                ReportDelivery.due_at == due_at,
            )
        ).first()
        is not None
    )


def _subscriptions(ids) -> dict[int, ReportSubscription]:
    """Subscriptions with their departments, in one query."""
    return {
        subscription.id: subscription
        for subscription in db.session.scalars(
            select(ReportSubscription)
            .options(joinedload(ReportSubscription.department))
            .where(ReportSubscription.id.in_(ids))
        )
    }


def _deliver_batch(occurrences: list[_Occurrence], renderings: _Renderings) -> None:
    """Prepare occurrences, then write them all in one transaction; each ends
    with its outcome set.

    Building and rendering write nothing, so the transaction that writes is
    short and holds its locks (the audit chain's head among them) only for
    the inserts. When the batch cannot be written (another process delivered
    one of its occurrences, say), it is rolled back and each occurrence is
    written in a transaction of its own.
    """
    ids = [occurrence.subscription_id for occurrence in occurrences]
    subscriptions = _subscriptions(ids)
    intact = True
    with force_locale(REPORT_LOCALE):
        for occurrence in occurrences:
            subscription = subscriptions[occurrence.subscription_id]
            intact &= _prepare_or_fail(subscription, occurrence, renderings)
            renderings.done(occurrence.key)
    try:
        if not intact:
            # The rollback after an error expired the rows: load them at once.
            subscriptions = _subscriptions(ids)
        _write(occurrences, subscriptions)
        db.session.commit()
        return
    except Exception as error:  # noqa: BLE001 - each is written again on its own
        db.session.rollback()
        log.warning(
            "a batch of %s deliveries could not be written at once (%s); "
            "writing them one by one",
            len(occurrences),
            type(error).__name__,
        )
    for occurrence in occurrences:
        try:
            occurrence.outcome = _write_alone(occurrence)
        except Exception as error:  # noqa: BLE001 - recorded, the rest go on
            db.session.rollback()
            log.exception(
                "subscription %s could not be delivered", occurrence.subscription_id
            )
            occurrence.outcome, occurrence.error = FAILED, str(error)
            occurrence.recorded = False


def deliver_due(now: datetime | None = None) -> DeliveryResult:
    """Deliver every active subscription that is due (the newest missed occurrence
    once, after downtime); raise DeliveryFailed naming those that failed.

    Occurrences are prepared and written REPORT_DELIVERY_BATCH at a time, each
    batch in one transaction.
    """
    from core.scheduler import latest_due, setting

    now = now or utcnow()
    due = db.session.scalars(
        select(ReportSubscription)
        .options(joinedload(ReportSubscription.department))
        .where(
            ReportSubscription.is_active.is_(True),
            ReportSubscription.next_due_at <= now,
        )
        .order_by(ReportSubscription.next_due_at, ReportSubscription.id)
    ).all()
    result = DeliveryResult()
    occurrences = []
    for subscription in due:
        subscription_id, next_due_at = subscription.id, subscription.next_due_at
        try:
            trigger = subscription_trigger(subscription)
            occurrence = latest_due(
                trigger, next_due_at - timedelta(microseconds=1), now
            )
            due_at = occurrence or next_due_at
            period = period_for(subscription, due_at)
        except Exception as error:  # noqa: BLE001 - recorded, the rest go on
            db.session.rollback()
            log.exception("subscription %s could not be delivered", subscription_id)
            result.failures.append(f"#{subscription_id}: {error}")
            continue
        occurrences.append(
            _Occurrence(
                subscription_id,
                due_at,
                period,
                key=_occurrence_key(subscription, period),
                label=f"#{subscription_id} {subscription.report_id} "
                f"({subscription.department.name})",
            )
        )
    db.session.commit()

    renderings = _Renderings(o.key for o in occurrences)
    size = max(1, setting(current_app, "REPORT_DELIVERY_BATCH", 50))
    for start in range(0, len(occurrences), size):
        batch = occurrences[start : start + size]
        _deliver_batch(batch, renderings)
        for occurrence in batch:
            if occurrence.outcome == QUEUED:
                result.queued += 1
            elif occurrence.outcome == EMPTY:
                result.empty += 1
            elif occurrence.outcome == FAILED:
                result.failures.append(occurrence.problem())
    if result.failures:
        raise DeliveryFailed(
            f"{len(result.failures)} of {len(due)} deliveries failed: "
            + "; ".join(result.failures)
        )
    return result


def send_now(subscription: ReportSubscription, actor_name: str) -> ReportDelivery:
    """Deliver a subscription at once for its latest complete period."""
    now = utcnow().replace(microsecond=0)
    delivery = deliver(subscription, now)
    log.info(
        "%s sent subscription %s now (delivery %s)",
        actor_name,
        subscription.id,
        delivery.id,
    )
    return delivery


def _deliver_job() -> None:
    """Deliver due report subscriptions."""
    deliver_due()


def jobs() -> list:
    """The subscription delivery job."""
    return [
        Job(
            id="core.reports.deliver",
            func=_deliver_job,
            trigger="interval:60",
            misfire=SKIP,
            time_limit=1800,
            title=_l("Deliver report subscriptions"),
        )
    ]
