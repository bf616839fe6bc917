"""Organisations shared by all modules, and their credit records."""

import enum
from datetime import date

from sqlalchemy import Date, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.extensions import db
from core.models.base import TimestampMixin, VersionedMixin
from core.models.departments import Department
from core.validators import validate_uscc


class Organisation(TimestampMixin, VersionedMixin, db.Model):
    """An enterprise or other external party; scoped by the county it lies in."""

    __tablename__ = "core_organisations"
    __scope_column__ = "county_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    county_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    industry: Mapped[str] = mapped_column(String(120), default="")
    legal_representative: Mapped[str] = mapped_column(String(60), default="")
    founded_on: Mapped[date | None] = mapped_column(Date)

    county: Mapped[Department] = relationship(lazy="joined")
    credit_records: Mapped[list["CreditRecord"]] = relationship(
        back_populates="organisation", order_by="CreditRecord.recorded_on"
    )

    def __str__(self) -> str:
        return self.name

    @validates("uscc")
    def _check_uscc(self, key, value):
        return validate_uscc(value)


class CreditKind(enum.StrEnum):
    RED_LIST = "red_list"
    BLACK_LIST = "black_list"
    PENALTY = "penalty"
    BROKEN_COMMITMENT = "broken_commitment"


# Kinds that make a credit record "not good" for eligibility checks.
ADVERSE_CREDIT_KINDS = {
    CreditKind.BLACK_LIST,
    CreditKind.PENALTY,
    CreditKind.BROKEN_COMMITMENT,
}


class CreditRecord(TimestampMixin, db.Model):
    """A red-list, black-list, penalty or broken-commitment record."""

    __tablename__ = "core_credit_records"
    __scope_column__ = "department_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("core_organisations.id"), index=True
    )
    kind: Mapped[CreditKind] = mapped_column(
        Enum(CreditKind, native_enum=False, length=20)
    )
    source_module: Mapped[str] = mapped_column(String(40), default="core")
    department_id: Mapped[int] = mapped_column(ForeignKey("core_departments.id"))
    summary: Mapped[str] = mapped_column(Text)
    recorded_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)

    organisation: Mapped[Organisation] = relationship(back_populates="credit_records")
    department: Mapped[Department] = relationship()

    def __str__(self) -> str:
        return f"{self.organisation} · {self.kind.value} · {self.recorded_on}"

    def is_in_force(self, on: date) -> bool:
        """Whether the record applies on `on`."""
        return self.recorded_on <= on and (
            self.expires_on is None or on < self.expires_on
        )
