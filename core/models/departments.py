"""The department tree: city, counties, townships, city departments, resident units."""

import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Enum, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import TimestampMixin


class DepartmentKind(enum.StrEnum):
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    CITY_DEPARTMENT = "city_department"
    RESIDENT_UNIT = "resident_unit"
    ENTERPRISE = "enterprise"


DEPARTMENT_KIND_LABELS = {
    DepartmentKind.CITY: _l("City"),
    DepartmentKind.COUNTY: _l("County"),
    DepartmentKind.TOWNSHIP: _l("Township"),
    DepartmentKind.CITY_DEPARTMENT: _l("City department"),
    DepartmentKind.RESIDENT_UNIT: _l("Resident unit"),
    DepartmentKind.ENTERPRISE: _l("Enterprise"),
}


class Department(TimestampMixin, db.Model):
    """One node of the department tree; `path` holds the ids from the root down."""

    __tablename__ = "core_departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[DepartmentKind] = mapped_column(
        Enum(DepartmentKind, native_enum=False, length=20)
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("core_departments.id"))
    # Materialised path "/1/4/17/" makes "this node and below" one indexed LIKE.
    path: Mapped[str] = mapped_column(String(400), default="/", index=True)
    contact_emails: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped["Department | None"] = relationship(
        remote_side="Department.id", back_populates="children"
    )
    children: Mapped[list["Department"]] = relationship(back_populates="parent")

    def __str__(self) -> str:
        return self.name

    @property
    def emails(self) -> list[str]:
        """Contact addresses as a list."""
        return [
            e.strip()
            for e in self.contact_emails.replace(";", ",").split(",")
            if e.strip()
        ]

    def is_within(self, other: "Department") -> bool:
        """Whether this department is `other` or lies below it."""
        return self.path.startswith(other.path)

    def county(self) -> "Department | None":
        """The county this department lies in, if any."""
        node = self
        while node is not None:
            if node.kind == DepartmentKind.COUNTY:
                return node
            node = node.parent
        return None


def subtree_ids(department: Department):
    """A SELECT of the ids of `department` and everything below it."""
    return select(Department.id).where(Department.path.startswith(department.path))


def assign_path(department: Department) -> None:
    """Set a department's materialised path from its parent (needs an id)."""
    parent_path = department.parent.path if department.parent else "/"
    department.path = f"{parent_path}{department.id}/"
