"""Reports declared by modules: a table for a department and a period."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from core.models.departments import Department, subtree_ids


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
    """A report a department can subscribe to."""

    id: str
    title: object
    build: Callable[[ReportParams], ReportTable]
    module: str = "core"


def jobs() -> list:
    """The subscription delivery job."""
    return []
