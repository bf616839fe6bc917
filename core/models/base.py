"""Column types and mixins shared by every table."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer, types
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must be aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class TimestampMixin:
    """created_at and updated_at, both aware UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )


class VersionedMixin:
    """A version counter so that concurrent edits conflict instead of overwriting."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}


class DepartmentScopedMixin:
    """Rows owned by a department; the core scopes every list by this column."""

    __scope_column__ = "department_id"

    @declared_attr
    def department_id(cls) -> Mapped[int]:
        return mapped_column(
            ForeignKey("core_departments.id"), nullable=False, index=True
        )
