"""Tables of the core; module tables live in each module's models.py."""

from core.models import scheduling  # noqa: F401 - registers its tables
from core.models.audit import AuditEntry, AuditHead
from core.models.base import (
    DepartmentScopedMixin,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    utcnow,
)
from core.models.calendar import CalendarDay, CalendarYear, DayKind, DaySource
from core.models.departments import Department, DepartmentKind
from core.models.organisations import (
    ADVERSE_CREDIT_KINDS,
    CreditKind,
    CreditRecord,
    Organisation,
)
from core.models.users import ApiToken, Role, User

__all__ = [
    "ADVERSE_CREDIT_KINDS",
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "CalendarDay",
    "CalendarYear",
    "CreditKind",
    "CreditRecord",
    "DayKind",
    "DaySource",
    "Department",
    "DepartmentKind",
    "DepartmentScopedMixin",
    "Organisation",
    "Role",
    "TimestampMixin",
    "UTCDateTime",
    "User",
    "VersionedMixin",
    "utcnow",
]
