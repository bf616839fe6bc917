"""Helpers of the calendar's portal page: month grids and schedule uploads."""

import calendar as pycalendar
import csv
import io
from datetime import date

from openpyxl import load_workbook

from core.calendar import parse_date
from core.errors import InvalidInput
from core.i18n import _
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
        text = data.decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))
    if name.endswith(".xlsx"):
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return [
            ["" if v is None else v for v in row]
            for row in workbook.active.iter_rows(values_only=True)
        ]
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
