"""Tables of the firefighter benefits module (株政办发〔2019〕12号)."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import (
    DepartmentScopedMixin,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    utcnow,
)
from core.models.departments import Department
from core.models.users import User


def _enum(cls, length=30):
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class Category(enum.StrEnum):
    """The three kinds of firefighter named in section 1(1)."""

    ESTABLISHMENT = "establishment"
    FULL_TIME = "full_time"
    CIVILIAN_STAFF = "civilian_staff"


class Status(enum.StrEnum):
    SERVING = "serving"
    LEFT = "left"
    DECEASED = "deceased"
    MARTYR = "martyr"


class Relation(enum.StrEnum):
    SPOUSE = "spouse"
    CHILD = "child"


class VenueKind(enum.StrEnum):
    """Government-priced venues of section 1(3)."""

    PARK = "park"
    MUSEUM = "museum"
    EXHIBITION_HALL = "exhibition_hall"
    SCENIC_SPOT = "scenic_spot"


class FeeTreatment(enum.StrEnum):
    FREE = "free"
    MILITARY_RATE = "military_rate"


class ListStatus(enum.StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    DELIVERED = "delivered"


class SchoolStage(enum.StrEnum):
    PRIMARY = "primary"
    JUNIOR_MIDDLE = "junior_middle"


class RequestKind(enum.StrEnum):
    HUKOU = "hukou"
    FAMILY_EMPLOYMENT = "family_employment"


class Outcome(enum.StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"


class InsuranceKind(enum.StrEnum):
    ACCIDENT = "accident"
    CRITICAL_ILLNESS = "critical_illness"
    MEDICAL = "medical"
    WORK_INJURY = "work_injury"


class AllowanceKind(enum.StrEnum):
    """Allowances of section 2(2)1."""

    HIGH_RISK_POST = "high_risk_post"
    DUTY_TRAINING = "duty_training"
    FULL_DUTY = "full_duty"


class CompensationKind(enum.StrEnum):
    DEATH_ON_DUTY = "death_on_duty"
    MARTYR = "martyr"
    INJURY = "injury"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"


def _through_firefighter(department_ids):
    """Records owned through a firefighter follow the firefighter's scope."""
    return select(Firefighter.id).where(Firefighter.scope_condition(department_ids))


class Firefighter(TimestampMixin, VersionedMixin, db.Model):
    """A member of the fire and rescue service (section 1(1))."""

    __tablename__ = "firefighter_benefits_firefighters"
    # Personal data never enters the audit log in clear.
    __audit_mask__ = {"resident_id", "phone", "address"}

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    category: Mapped[Category] = mapped_column(_enum(Category))
    brigade_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    service_start: Mapped[date] = mapped_column(Date)
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.SERVING)
    status_since: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(200), default="")

    brigade: Mapped[Department] = relationship(foreign_keys=[brigade_id])
    station: Mapped[Department | None] = relationship(foreign_keys=[station_id])
    family: Mapped[list["FamilyMember"]] = relationship(
        back_populates="firefighter", order_by="FamilyMember.id"
    )
    credentials: Mapped[list["Credential"]] = relationship(
        back_populates="firefighter", order_by="Credential.id"
    )

    @classmethod
    def scope_condition(cls, department_ids):
        """Visible to the station's and the brigade's departments and above."""
        return or_(
            cls.station_id.in_(department_ids), cls.brigade_id.in_(department_ids)
        )

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.scope_condition(department_ids)

    def __str__(self) -> str:
        return self.name


class FamilyMember(TimestampMixin, VersionedMixin, db.Model):
    """A spouse or child of a firefighter."""

    __tablename__ = "firefighter_benefits_family_members"
    __audit_mask__ = {"resident_id", "phone", "address"}

    id: Mapped[int] = mapped_column(primary_key=True)
    firefighter_id: Mapped[int] = mapped_column(
        ForeignKey("firefighter_benefits_firefighters.id"), index=True
    )
    relation: Mapped[Relation] = mapped_column(_enum(Relation, 10))
    name: Mapped[str] = mapped_column(String(60))
    resident_id: Mapped[str] = mapped_column(String(18))
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(200), default="")

    firefighter: Mapped[Firefighter] = relationship(back_populates="family")

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.firefighter_id.in_(_through_firefighter(department_ids))

    def __str__(self) -> str:
        return self.name


class Credential(TimestampMixin, VersionedMixin, db.Model):
    """A firefighter's credential (有效证件), with revocation."""

    __tablename__ = "firefighter_benefits_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    firefighter_id: Mapped[int] = mapped_column(
        ForeignKey("firefighter_benefits_firefighters.id"), index=True
    )
    number: Mapped[str] = mapped_column(String(30), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revoke_reason: Mapped[str] = mapped_column(String(300), default="")

    firefighter: Mapped[Firefighter] = relationship(back_populates="credentials")

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.firefighter_id.in_(_through_firefighter(department_ids))

    def __str__(self) -> str:
        return self.number


class BenefitRule(TimestampMixin, VersionedMixin, db.Model):
    """Who gets a benefit and after how long: the policy as editable data."""

    # City-wide policy, not owned by a department: every user reads the same
    # rules, and only holders of the admin permission edit them.
    __tablename__ = "firefighter_benefits_benefit_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    benefit: Mapped[str] = mapped_column(String(40), index=True)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    min_service_years: Mapped[int] = mapped_column(Integer, default=0)
    needs_credential: Mapped[bool] = mapped_column(Boolean, default=False)
    section: Mapped[str] = mapped_column(String(40))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")

    def __str__(self) -> str:
        return f"{self.benefit} ({self.section})"


class Venue(DepartmentScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """A government-priced park, museum, exhibition hall or scenic spot (1(3))."""

    __tablename__ = "firefighter_benefits_venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[VenueKind] = mapped_column(_enum(VenueKind))
    treatment: Mapped[FeeTreatment] = mapped_column(_enum(FeeTreatment))
    military_rate_note: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped[Department] = relationship()

    def __str__(self) -> str:
        return self.name


class VerificationCount(db.Model):
    """How many checks a gate or desk made, per day, benefit and venue kind."""

    __tablename__ = "firefighter_benefits_verification_counts"
    # A counter bumped by every check: auditing each bump would cost an audit row
    # per verification and serialise all gates on the audit chain's head lock;
    # the counts hold no personal data and no decision anyone could dispute.
    __audit__ = False
    __table_args__ = (
        UniqueConstraint("day", "benefit", "venue_kind", "eligible", "reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    benefit: Mapped[str] = mapped_column(String(40))
    venue_kind: Mapped[str] = mapped_column(String(30), default="")
    eligible: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class GateChange(db.Model):
    """A committed change to what gate checks read (gate.GateRegistry).

    One row per changed firefighter (their credentials included) or one for
    the venues; ids are taken in commit order, so a process that has read up
    to an id has seen every change before it.
    """

    __tablename__ = "firefighter_benefits_gate_changes"
    # A technical log of which rows to reload; the changes themselves are
    # audited on their own tables.
    __audit__ = False
    # Ids are never taken again once pruned, on SQLite too: a process that has
    # read up to an id must not take a later change for one it has seen.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    firefighter_id: Mapped[int | None] = mapped_column(Integer)
    venues: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, index=True
    )


class EnrollmentList(TimestampMixin, VersionedMixin, db.Model):
    """A brigade's school enrollment list of one year (section 2(3)3)."""

    __tablename__ = "firefighter_benefits_enrollment_lists"
    __scope_column__ = "brigade_id"
    __table_args__ = (UniqueConstraint("brigade_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brigade_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[ListStatus] = mapped_column(
        _enum(ListStatus), default=ListStatus.DRAFT
    )
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_on: Mapped[date | None] = mapped_column(Date)

    brigade: Mapped[Department] = relationship()
    confirmed_by: Mapped[User | None] = relationship()
    entries: Mapped[list["EnrollmentEntry"]] = relationship(
        back_populates="enrollment_list", order_by="EnrollmentEntry.id"
    )

    def __str__(self) -> str:
        return f"{self.brigade.name} {self.year}"


class EnrollmentEntry(TimestampMixin, db.Model):
    """One child on a school enrollment list."""

    __tablename__ = "firefighter_benefits_enrollment_entries"
    __table_args__ = (UniqueConstraint("list_id", "child_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("firefighter_benefits_enrollment_lists.id"), index=True
    )
    child_id: Mapped[int] = mapped_column(
        ForeignKey("firefighter_benefits_family_members.id"), index=True
    )
    stage: Mapped[SchoolStage] = mapped_column(_enum(SchoolStage))
    added_on: Mapped[date] = mapped_column(Date)
    exception_reason: Mapped[str] = mapped_column(String(300), default="")
    exception_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))

    enrollment_list: Mapped[EnrollmentList] = relationship(back_populates="entries")
    child: Mapped[FamilyMember] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.list_id.in_(
            select(EnrollmentList.id).where(
                EnrollmentList.brigade_id.in_(department_ids)
            )
        )


class PlacementRequest(TimestampMixin, VersionedMixin, db.Model):
    """A hukou settlement or family employment placement request (2(3)1, 2(3)2)."""

    __tablename__ = "firefighter_benefits_placement_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    firefighter_id: Mapped[int] = mapped_column(
        ForeignKey("firefighter_benefits_firefighters.id"), index=True
    )
    family_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("firefighter_benefits_family_members.id")
    )
    kind: Mapped[RequestKind] = mapped_column(_enum(RequestKind))
    filed_on: Mapped[date] = mapped_column(Date)
    eligibility_reason: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome), default=Outcome.PENDING)
    outcome_on: Mapped[date | None] = mapped_column(Date)
    outcome_note: Mapped[str] = mapped_column(String(300), default="")

    firefighter: Mapped[Firefighter] = relationship()
    family_member: Mapped[FamilyMember | None] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.firefighter_id.in_(_through_firefighter(department_ids))


class InsurancePolicy(TimestampMixin, VersionedMixin, db.Model):
    """An insurance policy paid by finance (section 2(2)2, 2(2)3)."""

    __tablename__ = "firefighter_benefits_insurance_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    firefighter_id: Mapped[int] = mapped_column(
        ForeignKey("firefighter_benefits_firefighters.id"), index=True
    )
    kind: Mapped[InsuranceKind] = mapped_column(_enum(InsuranceKind))
    insurer: Mapped[str] = mapped_column(String(120))
    policy_number: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    premium_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    firefighter: Mapped[Firefighter] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.firefighter_id.in_(_through_firefighter(department_ids))


class Allowance(TimestampMixin, VersionedMixin, db.Model):
    """A monthly allowance paid to a firefighter (section 2(2)1)."""

    __tablename__ = "firefighter_benefits_allowances"

    id: Mapped[int] = mapped_column(primary_key=True)
    firefighter_id: Mapped[int] = mapped_column(
        ForeignKey("firefighter_benefits_firefighters.id"), index=True
    )
    kind: Mapped[AllowanceKind] = mapped_column(_enum(AllowanceKind))
    month: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    firefighter: Mapped[Firefighter] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.firefighter_id.in_(_through_firefighter(department_ids))


class Honour(TimestampMixin, VersionedMixin, db.Model):
    """An award to a unit or a firefighter (section 2(1))."""

    __tablename__ = "firefighter_benefits_honours"
    __scope_column__ = "unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("core_departments.id"), index=True)
    firefighter_id: Mapped[int | None] = mapped_column(
        ForeignKey("firefighter_benefits_firefighters.id")
    )
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(60), default="")
    task: Mapped[str] = mapped_column(String(200), default="")
    awarded_on: Mapped[date] = mapped_column(Date)

    unit: Mapped[Department] = relationship()
    firefighter: Mapped[Firefighter | None] = relationship()


class HolidayVisit(TimestampMixin, VersionedMixin, db.Model):
    """A holiday visit by a government to a fire unit (section 2(1))."""

    __tablename__ = "firefighter_benefits_holiday_visits"
    __scope_column__ = "unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("core_departments.id"), index=True)
    holiday: Mapped[str] = mapped_column(String(60))
    visited_on: Mapped[date] = mapped_column(Date)
    visitor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")

    unit: Mapped[Department] = relationship()


class CompensationCase(TimestampMixin, VersionedMixin, db.Model):
    """A death or injury compensation case (section 2(2)3)."""

    __tablename__ = "firefighter_benefits_compensation_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    firefighter_id: Mapped[int] = mapped_column(
        ForeignKey("firefighter_benefits_firefighters.id"), index=True
    )
    kind: Mapped[CompensationKind] = mapped_column(_enum(CompensationKind))
    occurred_on: Mapped[date] = mapped_column(Date)
    standard: Mapped[str] = mapped_column(String(120), default="")
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[CaseStatus] = mapped_column(
        _enum(CaseStatus), default=CaseStatus.OPEN
    )
    paid_on: Mapped[date | None] = mapped_column(Date)

    firefighter: Mapped[Firefighter] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.firefighter_id.in_(_through_firefighter(department_ids))
