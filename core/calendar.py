"""The working-day calendar every time limit is counted on.

Answers come from a per-process index: a sorted array of the ordinals of every
working day in the covered span, searched with bisect. Each process notices an
administrator's edit within CALENDAR_REFRESH_SECONDS by comparing one cheap
aggregate, and rebuilds its index.

"Within N working days of D" ends on D plus N working days; D itself does not
count (DESIGN.md, HTTP interfaces).
"""

import bisect
import logging
import threading
import time
from array import array
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from core.errors import InvalidInput
from core.extensions import db
from core.i18n import _
from core.models.calendar import CalendarDay, CalendarYear, DayKind, DaySource

log = logging.getLogger(__name__)

FIRST_YEAR = 1990
LAST_YEAR = 2150
MAX_DAYS = 10_000
_FIRST = date(FIRST_YEAR, 1, 1).toordinal()
_LAST = date(LAST_YEAR, 12, 31).toordinal()


@dataclass(frozen=True)
class Answer:
    """A calendar answer and whether every year it touches is confirmed."""

    value: object
    confirmed: bool


class _Index:
    """Working days of the covered span as sorted ordinals, plus confirmed years."""

    def __init__(self, holidays: set[int], workdays: set[int], confirmed: set[int]):
        days = array("l")
        for ordinal in range(_FIRST, _LAST + 1):
            weekend = (ordinal % 7) in (0, 6)  # ordinal % 7: 0 Sunday, 6 Saturday
            if ordinal in workdays or (not weekend and ordinal not in holidays):
                days.append(ordinal)
        self.days = days
        self.confirmed_years = frozenset(confirmed)

    def confirmed(self, first: date, last: date) -> bool:
        lo, hi = sorted((first.year, last.year))
        return all(y in self.confirmed_years for y in range(lo, hi + 1))


_lock = threading.Lock()


def _state() -> dict:
    """This app's index state (one process may serve several apps in tests)."""
    from flask import current_app

    app = current_app._get_current_object()
    state = app.extensions.get("working_days")
    if state is None:
        state = app.extensions["working_days"] = {
            "index": None,
            "stamp": None,
            "checked": 0.0,
            "interval": app.config.get("CALENDAR_REFRESH_SECONDS", 2),
        }
    return state


def _stamp():
    row = db.session.execute(
        select(
            func.count(CalendarYear.year),
            func.coalesce(func.sum(CalendarYear.revision), 0),
        )
    ).one()
    return tuple(row)


def _load() -> _Index:
    holidays, workdays = set(), set()
    for day, kind in db.session.execute(select(CalendarDay.day, CalendarDay.kind)):
        (holidays if kind == DayKind.HOLIDAY else workdays).add(day.toordinal())
    confirmed = set(
        db.session.scalars(
            select(CalendarYear.year).where(CalendarYear.confirmed.is_(True))
        )
    )
    return _Index(holidays, workdays, confirmed)


def _index() -> _Index:
    """The current index, rebuilt when the stored calendar has changed."""
    state = _state()
    now = time.monotonic()
    index = state["index"]
    if index is not None and now - state["checked"] < state["interval"]:
        return index
    with _lock:
        stamp = _stamp()
        if state["index"] is None or stamp != state["stamp"]:
            state["index"] = _load()
            state["stamp"] = stamp
            log.info("working-day index rebuilt (%s years known)", stamp[0])
        state["checked"] = now
        return state["index"]


def invalidate() -> None:
    """Drop this process's index so the next call reloads it."""
    with _lock:
        state = _state()
        state["index"] = None
        state["checked"] = 0.0


def _check_date(value: date, field: str) -> date:
    if not isinstance(value, date) or not (_FIRST <= value.toordinal() <= _LAST):
        raise InvalidInput(
            {
                field: [
                    _(
                        "The date must lie between %(first)s and %(last)s.",
                        first=f"{FIRST_YEAR}-01-01",
                        last=f"{LAST_YEAR}-12-31",
                    )
                ]
            }
        )
    return value


def _check_days(days: int, field: str = "days") -> int:
    if isinstance(days, bool) or not isinstance(days, int) or abs(days) > MAX_DAYS:
        raise InvalidInput(
            {
                field: [
                    _(
                        "The number of working days must be a whole number between "
                        "-%(max)s and %(max)s.",
                        max=MAX_DAYS,
                    )
                ]
            }
        )
    return days


def is_working_day(day: date) -> Answer:
    """Whether `day` is a working day."""
    _check_date(day, "date")
    index = _index()
    pos = bisect.bisect_left(index.days, day.toordinal())
    found = pos < len(index.days) and index.days[pos] == day.toordinal()
    return Answer(found, index.confirmed(day, day))


def add_working_days(start: date, days: int) -> Answer:
    """`start` plus `days` working days; 0 gives the next working day on or after it."""
    _check_date(start, "start")
    _check_days(days)
    index = _index()
    ordinal = start.toordinal()
    if days > 0:
        pos = bisect.bisect_right(index.days, ordinal) + days - 1
    elif days == 0:
        pos = bisect.bisect_left(index.days, ordinal)
    else:
        pos = bisect.bisect_left(index.days, ordinal) + days
    if not 0 <= pos < len(index.days):
        raise InvalidInput(
            {"days": [_("The result falls outside the calendar's span.")]}
        )
    result = date.fromordinal(index.days[pos])
    return Answer(result, index.confirmed(start, result))


def next_working_day(day: date) -> Answer:
    """The first working day on or after `day`."""
    return add_working_days(day, 0)


def working_days_between(start: date, end: date) -> Answer:
    """Working days after `start` up to and including `end`."""
    _check_date(start, "start")
    _check_date(end, "end")
    if end < start:
        raise InvalidInput(
            {"end": [_("The end date must not be before the start date.")]}
        )
    index = _index()
    count = bisect.bisect_right(index.days, end.toordinal()) - bisect.bisect_right(
        index.days, start.toordinal()
    )
    return Answer(count, index.confirmed(start, end))


def working_days_left(deadline: date, today: date) -> int:
    """Working days from `today` to `deadline`; negative once it is overdue."""
    if deadline >= today:
        return working_days_between(today, deadline).value
    return -working_days_between(deadline, today).value


def is_year_confirmed(year: int) -> bool:
    """Whether the holiday schedule of `year` is confirmed."""
    return year in _index().confirmed_years


def seed_from_package() -> int:
    """Load every year `chinese_calendar` knows; returns how many years were added."""
    from chinese_calendar import constants

    known = set(db.session.scalars(select(CalendarYear.year)))
    years: dict[int, list[CalendarDay]] = {}
    for day, name in constants.holidays.items():
        years.setdefault(day.year, []).append(
            CalendarDay(
                day=day, kind=DayKind.HOLIDAY, name=str(name), source=DaySource.PACKAGE
            )
        )
    for day, name in constants.workdays.items():
        years.setdefault(day.year, []).append(
            CalendarDay(
                day=day, kind=DayKind.WORKDAY, name=str(name), source=DaySource.PACKAGE
            )
        )

    first, last = min(years), max(years)
    added = 0
    for year in range(first, last + 1):
        if year in known:
            continue
        db.session.add_all(years.get(year, []))
        db.session.add(
            CalendarYear(year=year, confirmed=True, source=DaySource.PACKAGE)
        )
        added += 1
    db.session.flush()
    invalidate()
    return added


def set_year_schedule(
    year: int, days: list[tuple[date, DayKind, str]], confirmed: bool
) -> CalendarYear:
    """Replace an administrator's schedule for `year` and bump its revision."""
    errors = {}
    for i, (day, kind, _name) in enumerate(days):
        if day.year != year:
            errors.setdefault(f"days[{i}]", []).append(
                _("%(day)s is not in %(year)s.", day=day.isoformat(), year=year)
            )
        elif kind == DayKind.WORKDAY and day.weekday() < 5:
            errors.setdefault(f"days[{i}]", []).append(
                _(
                    "%(day)s is a weekday; a make-up working day falls on a weekend.",
                    day=day.isoformat(),
                )
            )
    if len({d for d, _k, _n in days}) != len(days):
        errors.setdefault("days", []).append(_("A date is listed twice."))
    if errors:
        raise InvalidInput(errors)

    for existing in db.session.scalars(
        select(CalendarDay).where(
            CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))
        )
    ):
        db.session.delete(existing)
    db.session.flush()
    for day, kind, name in days:
        db.session.add(
            CalendarDay(day=day, kind=kind, name=name, source=DaySource.ADMIN)
        )
    record = db.session.get(CalendarYear, year)
    if record is None:
        record = CalendarYear(year=year, revision=1)
        db.session.add(record)
    else:
        record.revision = (record.revision or 0) + 1
    record.confirmed = confirmed
    record.source = DaySource.ADMIN
    db.session.flush()
    invalidate()
    log.info(
        "calendar year %s replaced with %s days (confirmed=%s)",
        year,
        len(days),
        confirmed,
    )
    return record


def set_year_confirmed(year: int, confirmed: bool) -> CalendarYear:
    """Mark a year's schedule confirmed or not."""
    record = db.session.get(CalendarYear, year)
    if record is None:
        record = CalendarYear(year=year, revision=1, source=DaySource.ADMIN)
        db.session.add(record)
    else:
        record.revision = (record.revision or 0) + 1
    record.confirmed = confirmed
    db.session.flush()
    invalidate()
    return record


def parse_date(value: str, field: str) -> date:
    """Parse an ISO date from user input, naming the field when it is malformed."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            {
                field: [
                    _("“%(value)s” is not a date; write it as YYYY-MM-DD.", value=value)
                ]
            }
        ) from None


def parse_days(value: str, field: str = "days") -> int:
    """Parse a working-day count from user input."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            {field: [_("“%(value)s” is not a whole number.", value=value)]}
        ) from None
    return _check_days(days, field)
