"""Tables of the "double random, one public" inspection system."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.i18n import _l
from core.models.base import (
    DepartmentScopedMixin,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    utcnow,
)
from core.models.departments import Department
from core.models.organisations import CreditRecord, Organisation


def _enum(cls, length=20):
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class Method(enum.StrEnum):
    """How an item is checked (task 8)."""

    ON_SITE = "on_site"
    DOCUMENTARY = "documentary"
    ONLINE = "online"
    COMMISSIONED = "commissioned"


METHOD_LABELS = {
    Method.ON_SITE: _l("On-site"),
    Method.DOCUMENTARY: _l("Documentary"),
    Method.ONLINE: _l("Online"),
    Method.COMMISSIONED: _l("Commissioned professional body"),
}


class RiskLevel(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


RISK_LABELS = {
    RiskLevel.LOW: _l("Low"),
    RiskLevel.MEDIUM: _l("Medium"),
    RiskLevel.HIGH: _l("High"),
}


class PlanKind(enum.StrEnum):
    DEPARTMENT = "department"  # task 6
    JOINT = "joint"  # task 7


PLAN_KIND_LABELS = {
    PlanKind.DEPARTMENT: _l("Department plan"),
    PlanKind.JOINT: _l("Joint plan"),
}


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PUBLISHED = "published"


PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: _l("Draft"),
    PlanStatus.SUBMITTED: _l("Submitted"),
    PlanStatus.APPROVED: _l("Approved"),
    PlanStatus.PUBLISHED: _l("Published"),
}


class TaskKind(enum.StrEnum):
    RANDOM = "random"
    COMPLAINT = "complaint"  # task 13: complaints, referrals, monitoring
    SPECIAL_FIELD = "special_field"  # task 12: special fields outside the list


TASK_KIND_LABELS = {
    TaskKind.RANDOM: _l("Random draw"),
    TaskKind.COMPLAINT: _l("Complaint-driven"),
    TaskKind.SPECIAL_FIELD: _l("Special field"),
}


class TaskStatus(enum.StrEnum):
    DRAFT = "draft"
    DRAWN = "drawn"
    MATCHED = "matched"
    COMPLETED = "completed"
    PUBLISHED = "published"


TASK_STATUS_LABELS = {
    TaskStatus.DRAFT: _l("Draft"),
    TaskStatus.DRAWN: _l("Targets drawn"),
    TaskStatus.MATCHED: _l("Inspectors matched"),
    TaskStatus.COMPLETED: _l("Completed"),
    TaskStatus.PUBLISHED: _l("Results published"),
}


class Stratum(enum.StrEnum):
    NONE = "none"
    COUNTY = "county"
    RISK_LEVEL = "risk_level"


STRATUM_LABELS = {
    Stratum.NONE: _l("Not stratified"),
    Stratum.COUNTY: _l("By county"),
    Stratum.RISK_LEVEL: _l("By risk level"),
}

# Qualification codes used by item lists and the inspector registry; a code
# not listed here is shown as it is.
QUALIFICATION_LABELS = {
    "food": _l("Food safety"),
    "price": _l("Prices"),
    "safety": _l("Work safety"),
    "quality": _l("Product quality"),
    "fire": _l("Fire safety"),
}


class Outcome(enum.StrEnum):
    COMPLIANT = "compliant"
    VIOLATION = "violation"
    NOT_FOUND = "not_found"  # the entity could not be found at its address


OUTCOME_LABELS = {
    Outcome.COMPLIANT: _l("No problem found"),
    Outcome.VIOLATION: _l("Violation found"),
    Outcome.NOT_FOUND: _l("Not found at the registered address"),
}


class DepartmentSetting(DepartmentScopedMixin, VersionedMixin, db.Model):
    """A department's own limit on the share of key items in its list (task 3)."""

    __tablename__ = "dual_random_department_settings"
    __table_args__ = (UniqueConstraint("department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_share_limit: Mapped[Decimal] = mapped_column(
        Numeric(5, 4), default=Decimal("0.2")
    )

    department: Mapped[Department] = relationship()


class CheckItem(DepartmentScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """One line of a department's spot-check item list (task 3)."""

    __tablename__ = "dual_random_check_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(200))
    sub_item: Mapped[str] = mapped_column(String(200), default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    inspecting_body: Mapped[str] = mapped_column(String(200), default="")
    target_type: Mapped[str] = mapped_column(String(60), default="")
    sampling_ratio: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    frequency_per_year: Mapped[int] = mapped_column(Integer, default=1)
    method: Mapped[Method] = mapped_column(_enum(Method))
    qualification: Mapped[str] = mapped_column(String(60), default="")
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped[Department] = relationship()

    def __str__(self) -> str:
        return f"{self.item} · {self.sub_item}" if self.sub_item else self.item


class Target(DepartmentScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """An entry of a department's target registry (task 4).

    Either a core organisation (linked) or another market entity described by
    its own fields. Seen by the owning department and by the county it lies in.
    """

    __tablename__ = "dual_random_targets"
    __table_args__ = (
        # The portal list filters by these and sorts by id or name; the first
        # also covers the draw's population query (department, active, id).
        Index("ix_dual_random_targets_dept_id", "department_id", "is_active", "id"),
        Index("ix_dual_random_targets_county_id", "county_id", "id"),
        Index("ix_dual_random_targets_type_id", "target_type", "id"),
        Index("ix_dual_random_targets_risk_id", "risk_level", "id"),
        Index("ix_dual_random_targets_industry", "industry"),
        Index("ix_dual_random_targets_name", "name"),
        Index("ix_dual_random_targets_uscc", "uscc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_organisations.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18))
    target_type: Mapped[str] = mapped_column(String(60), default="")
    industry: Mapped[str] = mapped_column(String(120), default="")
    county_id: Mapped[int] = mapped_column(ForeignKey("core_departments.id"))
    address: Mapped[str] = mapped_column(String(300), default="")
    risk_level: Mapped[RiskLevel] = mapped_column(
        _enum(RiskLevel), default=RiskLevel.MEDIUM
    )
    credit_rating: Mapped[str] = mapped_column(String(10), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped[Department] = relationship(foreign_keys="Target.department_id")
    county: Mapped[Department] = relationship(foreign_keys="Target.county_id")
    organisation: Mapped[Organisation | None] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return or_(
            cls.department_id.in_(department_ids), cls.county_id.in_(department_ids)
        )

    def __str__(self) -> str:
        return self.name


class Inspector(DepartmentScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """An entry of a department's inspector registry (task 4)."""

    __tablename__ = "dual_random_inspectors"
    __table_args__ = (
        Index("ix_dual_random_inspectors_dept_active", "department_id", "is_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    certificate_no: Mapped[str] = mapped_column(String(40), unique=True)
    # Qualification codes, comma-separated, e.g. "food,price".
    qualifications: Mapped[str] = mapped_column(String(300), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped[Department] = relationship()
    conflicts: Mapped[list["ConflictOfInterest"]] = relationship(
        back_populates="inspector", cascade="all, delete-orphan"
    )

    @property
    def qualification_set(self) -> frozenset[str]:
        """The qualification codes as a set."""
        return frozenset(q.strip() for q in self.qualifications.split(",") if q.strip())

    def __str__(self) -> str:
        return f"{self.name} ({self.certificate_no})"


class ConflictOfInterest(TimestampMixin, db.Model):
    """An inspector's declared conflict of interest with one target."""

    __tablename__ = "dual_random_conflicts"
    __table_args__ = (UniqueConstraint("inspector_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspector_id: Mapped[int] = mapped_column(
        ForeignKey("dual_random_inspectors.id"), index=True
    )
    target_id: Mapped[int] = mapped_column(
        ForeignKey("dual_random_targets.id"), index=True
    )
    reason: Mapped[str] = mapped_column(String(300), default="")

    inspector: Mapped[Inspector] = relationship(back_populates="conflicts")
    target: Mapped[Target] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.inspector_id.in_(
            select(Inspector.id).where(Inspector.department_id.in_(department_ids))
        )

    def __str__(self) -> str:
        return f"{self.inspector} ≠ {self.target}"


class Plan(DepartmentScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """A department's plan (task 6) or a lead department's joint plan (task 7)."""

    __tablename__ = "dual_random_plans"
    __table_args__ = (UniqueConstraint("department_id", "kind", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind))
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PlanStatus] = mapped_column(
        _enum(PlanStatus), default=PlanStatus.DRAFT
    )
    due_on: Mapped[date] = mapped_column(Date)
    # Department plans go to the lead department of their level (task 6).
    lead_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_departments.id")
    )
    submitted_on: Mapped[date | None] = mapped_column(Date)
    approved_on: Mapped[date | None] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    # Joint plans are filed with the lead department of the level above (task 7).
    filed_with_id: Mapped[int | None] = mapped_column(ForeignKey("core_departments.id"))
    filed_on: Mapped[date | None] = mapped_column(Date)

    department: Mapped[Department] = relationship(foreign_keys="Plan.department_id")
    lead_department: Mapped[Department | None] = relationship(
        foreign_keys="Plan.lead_department_id"
    )
    filed_with: Mapped[Department | None] = relationship(
        foreign_keys="Plan.filed_with_id"
    )

    def __str__(self) -> str:
        return f"{self.year} {self.title}"


task_items = Table(
    "dual_random_task_items",
    db.metadata,
    Column("task_id", ForeignKey("dual_random_tasks.id"), primary_key=True),
    Column("item_id", ForeignKey("dual_random_check_items.id"), primary_key=True),
)

task_departments = Table(
    "dual_random_task_departments",
    db.metadata,
    Column("task_id", ForeignKey("dual_random_tasks.id"), primary_key=True),
    Column("department_id", ForeignKey("core_departments.id"), primary_key=True),
)


class Task(DepartmentScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """An inspection task: items, departments, population and sample (task 8)."""

    __tablename__ = "dual_random_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[TaskKind] = mapped_column(_enum(TaskKind), default=TaskKind.RANDOM)
    status: Mapped[TaskStatus] = mapped_column(
        _enum(TaskStatus), default=TaskStatus.DRAFT, index=True
    )
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("dual_random_plans.id"))
    # The population: filters on the target registry; empty means "any".
    filter_county_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_departments.id")
    )
    filter_target_type: Mapped[str] = mapped_column(String(60), default="")
    filter_industry: Mapped[str] = mapped_column(String(120), default="")
    filter_risk_level: Mapped[RiskLevel | None] = mapped_column(_enum(RiskLevel))
    # The sample: a count or a ratio, optionally stratified.
    sample_count: Mapped[int | None] = mapped_column(Integer)
    sample_ratio: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    stratify_by: Mapped[Stratum] = mapped_column(_enum(Stratum), default=Stratum.NONE)
    inspectors_per_target: Mapped[int] = mapped_column(Integer, default=2)
    reason: Mapped[str] = mapped_column(Text, default="")  # why, off the draw
    starts_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    publish_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    published_on: Mapped[date | None] = mapped_column(Date)
    # Results the law keeps from the public (task 9: unless the law says otherwise).
    withheld_reason: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Department] = relationship(foreign_keys="Task.department_id")
    filter_county: Mapped[Department | None] = relationship(
        foreign_keys="Task.filter_county_id"
    )
    plan: Mapped[Plan | None] = relationship()
    items: Mapped[list[CheckItem]] = relationship(
        secondary=task_items, order_by="CheckItem.id"
    )
    participants: Mapped[list[Department]] = relationship(
        secondary=task_departments, order_by="Department.id"
    )
    draws: Mapped[list["Draw"]] = relationship(
        back_populates="task", order_by="Draw.sequence"
    )

    @property
    def item_ids(self) -> list[int]:
        """The ids of the task's spot-check items, as the API takes them."""
        return [item.id for item in self.items]

    @property
    def participant_ids(self) -> list[int]:
        """The ids of the departments taking part, as the API takes them."""
        return [department.id for department in self.participants]

    @property
    def is_joint(self) -> bool:
        """Whether other departments take part."""
        return any(d.id != self.department_id for d in self.participants)

    @property
    def current_draw(self) -> "Draw | None":
        """The draw in force (the newest)."""
        return self.draws[-1] if self.draws else None

    @property
    def departments(self) -> list[Department]:
        """The initiating department, then the participants."""
        seen = {self.department_id}
        ordered = [self.department]
        for department in self.participants:
            if department.id not in seen:
                seen.add(department.id)
                ordered.append(department)
        return ordered

    def __str__(self) -> str:
        return self.title


class Draw(TimestampMixin, db.Model):
    """One recorded draw of a task: seed, snapshot fingerprint, parameters."""

    __tablename__ = "dual_random_draws"
    __table_args__ = (UniqueConstraint("task_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("dual_random_tasks.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[str] = mapped_column(String(40))
    seed: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(64))
    population_size: Mapped[int] = mapped_column(Integer)
    sample_size: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict] = mapped_column(JSON)
    # snapshot, drawn and assignments are compact values (packed ids, see
    # services.encode_snapshot): a draw is one row, not tens of thousands.
    # Deferred, so listing a task's draws does not load megabytes.
    # The frozen candidate list (packed ids, compressed) anyone can re-run.
    snapshot: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # The drawn targets in draw order, with their strata.
    drawn: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_by: Mapped[str] = mapped_column(String(120), default="")
    # What matching used (pools per department, conflicts), to re-run it.
    match_input: Mapped[dict | None] = mapped_column(JSON)
    # The matched inspectors: each drawn target's seats, in draw order.
    assignments: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[Task] = relationship(back_populates="draws")

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.task_id.in_(
            select(Task.id).where(Task.department_id.in_(department_ids))
        )

    def __str__(self) -> str:
        return f"{self.task} #{self.sequence}"


class Result(DepartmentScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """The result of one item checked on one target (tasks 9 to 11).

    Owned by the department that inspected: "who inspects, records and publishes".
    """

    __tablename__ = "dual_random_results"
    __table_args__ = (UniqueConstraint("task_id", "target_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("dual_random_tasks.id"), index=True)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("dual_random_targets.id"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("dual_random_check_items.id"))
    inspected_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome))
    findings: Mapped[str] = mapped_column(Text, default="")
    penalty: Mapped[str] = mapped_column(Text, default="")
    fine_yuan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    referred_to_judiciary: Mapped[bool] = mapped_column(Boolean, default=False)
    referral_note: Mapped[str] = mapped_column(Text, default="")
    credit_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_credit_records.id")
    )

    task: Mapped[Task] = relationship()
    target: Mapped[Target] = relationship()
    item: Mapped[CheckItem] = relationship()
    department: Mapped[Department] = relationship()
    credit_record: Mapped[CreditRecord | None] = relationship()

    def __str__(self) -> str:
        return f"{self.target} · {self.item}"


class Reminder(TimestampMixin, db.Model):
    """A deadline reminder issued once to a department (tasks 6, 7, 9)."""

    __tablename__ = "dual_random_reminders"
    __scope_column__ = "department_id"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    subject: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date)

    department: Mapped[Department] = relationship()
