"""Business dates are plain dates in the city's time zone (Asia/Shanghai)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def local_zone() -> ZoneInfo:
    """The configured time zone."""
    name = current_app.config["TIMEZONE"] if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def today_local() -> date:
    """Today's date in the city's time zone."""
    return datetime.now(local_zone()).date()


def to_local(moment: datetime) -> datetime:
    """An aware timestamp shown in the city's time zone."""
    return moment.astimezone(local_zone())
