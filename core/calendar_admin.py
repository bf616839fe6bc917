"""Helpers of the calendar's portal page: month grids and schedule uploads."""

import calendar as pycalendar
import csv
import io
from datetime import date

from core import calendar
from core.calendar import parse_date
from core.errors import InvalidInput
from core.i18n import _, _l
from core.imports import (
    Column,
    Importer,
    RowErrors,
    open_workbook,
    read_rows,
    report,
)
from core.imports import parse_date as parse_written_date
from core.models.calendar import DayKind

KIND_WORDS = {
    "holiday": DayKind.HOLIDAY,
    "假日": DayKind.HOLIDAY,
    "节假日": DayKind.HOLIDAY,
    "workday": DayKind.WORKDAY,
    "班": DayKind.WORKDAY,
    "调休上班": DayKind.WORKDAY,
}


def month_grids(year: int, special: dict) -> list[dict]:
    """Twelve month grids of weeks, each day marked holiday, make-up or weekend."""
    grids = []
    for month in range(1, 13):
        weeks = []
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for day in week:
                record = special.get(day)
                kind = (
                    record.kind.value
                    if record
                    else ("weekend" if day.weekday() >= 5 else "workday-plain")
                )
                cells.append(
                    {
                        "day": day,
                        "in_month": day.month == month,
                        "kind": kind,
                        "name": record.name if record else "",
                    }
                )
            weeks.append(cells)
        grids.append({"month": month, "weeks": weeks})
    return grids


def _rows_of(upload):
    name = (upload.filename or "").lower()
    data = upload.read()
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
            return list(csv.reader(io.StringIO(text)))
        except (UnicodeDecodeError, csv.Error):
            raise InvalidInput(
                {"upload": [_("The file is not a CSV file in UTF-8.")]}
            ) from None
    if name.endswith(".xlsx"):
        workbook = open_workbook(io.BytesIO(data))
        try:
            rows = []
            for number, cells in enumerate(workbook.worksheets[0].iter_rows(), 1):
                if any(getattr(c, "data_type", None) == "f" for c in cells):
                    message = _("Formulas are not accepted; paste the values instead.")
                    raise InvalidInput({f"row {number}": [message]})
                rows.append(["" if c.value is None else c.value for c in cells])
            return rows
        finally:
            workbook.close()
    raise InvalidInput({"upload": [_("Upload a .csv or .xlsx file.")]})


def parse_schedule_upload(upload, year: int) -> list[tuple[date, DayKind, str]]:
    """Read rows of (date, kind, name); report every bad row, accept none if any."""
    rows = _rows_of(upload)
    if rows and str(rows[0][0]).strip().lower() in {"date", "日期"}:
        rows = rows[1:]
    days, errors = [], {}
    for number, row in enumerate(rows, start=2):
        if not row or all(str(c).strip() == "" for c in row):
            continue
        cells = list(row) + ["", "", ""]
        raw_date, raw_kind, name = (
            cells[0],
            str(cells[1]).strip(),
            str(cells[2]).strip(),
        )
        try:
            day = (
                raw_date.date()
                if hasattr(raw_date, "date")
                else raw_date
                if isinstance(raw_date, date)
                else parse_date(str(raw_date).strip(), f"row {number}")
            )
        except InvalidInput as error:
            errors.update(error.errors)
            continue
        kind = KIND_WORDS.get(raw_kind.lower())
        if kind is None:
            errors.setdefault(f"row {number}", []).append(
                _(
                    "Column B must be “holiday” or “workday”, not “%(value)s”.",
                    value=raw_kind,
                )
            )
            continue
        days.append((day, kind, name))
    if errors:
        raise InvalidInput(errors)
    return days


SCHEDULE_COLUMNS = [
    Column("day", _l("Date"), True),
    Column("kind", _l("Day kind"), True),
    Column("name", _l("Holiday name")),
]


def import_schedule(user, department_id, stream) -> int:
    """Replace the schedules of the years a file covers; all rows or none.

    A year whose schedule is replaced this way is left unconfirmed: the changed
    schedule needs an administrator to confirm it on the calendar page.
    """
    errors = RowErrors(SCHEDULE_COLUMNS)
    rows = read_rows(stream, SCHEDULE_COLUMNS, errors)
    by_year: dict[int, list] = {}
    for index, (number, row) in enumerate(rows):
        if index % 1000 == 0:
            report("checking", index, len(rows))
        kind = KIND_WORDS.get(row.get("kind", "").lower())
        if kind is None:
            errors.add(
                number,
                "kind",
                _(
                    "Write “holiday” or “workday”, not “%(value)s”.",
                    value=row.get("kind", ""),
                ),
            )
        try:
            day = parse_written_date(row.get("day", ""))
        except ValueError:
            errors.add(
                number,
                "day",
                _(
                    "“%(value)s” is not a date; write it as YYYY-MM-DD.",
                    value=row.get("day", ""),
                ),
            )
            continue
        errors.unique(number, "day", day)
        if kind == DayKind.WORKDAY and day.weekday() < 5:
            errors.add(
                number,
                "day",
                _(
                    "%(day)s is a weekday; a make-up working day falls on a weekend.",
                    day=day.isoformat(),
                ),
            )
        if kind is not None:
            by_year.setdefault(day.year, []).append((day, kind, row.get("name", "")))
    errors.raise_if_any()

    for year, days in sorted(by_year.items()):
        calendar.set_year_schedule(year, days, confirmed=False)
    return len(rows)


def calendar_importers() -> list[Importer]:
    """The working-day calendar's import (the State Council's yearly schedule)."""
    return [
        Importer(
            name="core.calendar",
            title=_l("Working-day calendar"),
            columns=SCHEDULE_COLUMNS,
            permission="core.calendar.edit",
            run=import_schedule,
            needs_department=False,
            example=["2027-10-01", "holiday", "国庆节"],
        )
    ]
