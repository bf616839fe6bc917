"""Statutory holidays and make-up working days, and which years are confirmed."""

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models.base import UTCDateTime, utcnow


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # a statutory holiday (may fall on a weekday)
    WORKDAY = "workday"  # a make-up working day (falls on a weekend)


class DaySource(enum.StrEnum):
    PACKAGE = "chinese_calendar"
    ADMIN = "admin"


class CalendarDay(db.Model):
    """A date that departs from the plain week: a holiday or a make-up working day."""

    __tablename__ = "core_calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[DayKind] = mapped_column(Enum(DayKind, native_enum=False, length=10))
    name: Mapped[str] = mapped_column(String(60), default="")
    source: Mapped[DaySource] = mapped_column(
        Enum(DaySource, native_enum=False, length=20), default=DaySource.ADMIN
    )

    def __str__(self) -> str:
        return f"{self.day} {self.kind.value} {self.name}"


class CalendarYear(db.Model):
    """Whether a year's holiday schedule is confirmed; `revision` bumps on each edit."""

    __tablename__ = "core_calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[DaySource] = mapped_column(
        Enum(DaySource, native_enum=False, length=20), default=DaySource.ADMIN
    )
    # Worker processes compare the sum of revisions to notice an edit.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    def __str__(self) -> str:
        return str(self.year)
