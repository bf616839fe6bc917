"""Tables of the work-safety and fire assessment."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import TimestampMixin, UTCDateTime, VersionedMixin, utcnow
from core.models.departments import Department
from core.models.organisations import Organisation
from modules.safety_assessment.rules import (
    AccidentKind,
    AccidentLevel,
    Grade,
    PreWarningKind,
    SanctionKind,
    UnitKind,
    YellowCardRule,
)


def _enum(kind, length=20):
    # Values, not member names, are stored, so the API's strings compare directly.
    return Enum(
        kind,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


POINTS = Numeric(6, 2)
HECTARES = Numeric(14, 2)


class YearStatus:
    OPEN = "open"
    APPROVED = "approved"
    PUBLISHED = "published"


class AssessmentYear(TimestampMixin, VersionedMixin, db.Model):
    """An assessment year with its rule-set settings and its approval."""

    __tablename__ = "safety_assessment_years"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    yellow_card_rule: Mapped[YellowCardRule] = mapped_column(
        _enum(YellowCardRule), default=YellowCardRule.CAP_AT_PASS
    )
    county_excellent_quota: Mapped[int] = mapped_column(Integer, default=6)
    township_excellent_quota: Mapped[int | None] = mapped_column(Integer)
    bonus_cap: Mapped[Decimal | None] = mapped_column(POINTS)
    status: Mapped[str] = mapped_column(String(20), default=YearStatus.OPEN)
    approval_decision: Mapped[str] = mapped_column(String(200), default="")
    approved_on: Mapped[date | None] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)

    items: Mapped[list["ScoringItem"]] = relationship(
        back_populates="year", order_by="ScoringItem.code"
    )

    @classmethod
    def __scope_clause__(cls, department_ids):
        # The year and its rules are the city's and every unit may read them.
        return true()

    def __str__(self) -> str:
        return str(self.year)


class ScoringItem(TimestampMixin, VersionedMixin, db.Model):
    """An item of a year's detailed scoring rules (考核细则) with its points."""

    __tablename__ = "safety_assessment_items"
    __table_args__ = (UniqueConstraint("year_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_years.id"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    points: Mapped[Decimal] = mapped_column(POINTS)
    # None: the item applies to every kind of unit.
    unit_kind: Mapped[UnitKind | None] = mapped_column(_enum(UnitKind))

    year: Mapped[AssessmentYear] = relationship(back_populates="items")

    @classmethod
    def __scope_clause__(cls, department_ids):
        return true()

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class AssessedUnit(TimestampMixin, db.Model):
    """A unit under assessment: a core department or a target enterprise."""

    __tablename__ = "safety_assessment_units"
    __scope_column__ = "owner_department_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_departments.id"), unique=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_organisations.id"), unique=True
    )
    # Who sees the unit: the department itself, or an enterprise's county.
    owner_department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    # A township's county (art. 3: townships are assessed through their county).
    county_id: Mapped[int | None] = mapped_column(ForeignKey("core_departments.id"))
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    organisation: Mapped[Organisation | None] = relationship()
    owner: Mapped[Department] = relationship(foreign_keys=[owner_department_id])

    def __str__(self) -> str:
        return self.name


class UnitAssessment(TimestampMixin, VersionedMixin, db.Model):
    """One unit in one year: the facts art. 10 weighs and the approved result."""

    __tablename__ = "safety_assessment_unit_assessments"
    __table_args__ = (UniqueConstraint("unit_id", "year_id"),)
    __scope_column__ = "owner_department_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_units.id"), index=True
    )
    year_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_years.id"), index=True
    )
    owner_department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    key_task_incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    outside_accident_fault: Mapped[bool] = mapped_column(Boolean, default=False)
    publicly_criticised: Mapped[bool] = mapped_column(Boolean, default=False)
    listed_hazard_unrectified: Mapped[bool] = mapped_column(Boolean, default=False)
    forest_area_ha: Mapped[Decimal | None] = mapped_column(HECTARES)
    # Overrides the register's own count when earlier years predate it.
    prior_serious_average: Mapped[Decimal | None] = mapped_column(Numeric(8, 3))
    last_reminded_on: Mapped[date | None] = mapped_column(Date)

    # The approved result (art. 14), written when the committee approves.
    score: Mapped[Decimal | None] = mapped_column(POINTS)
    rank: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[Grade | None] = mapped_column(_enum(Grade))
    yellow_card: Mapped[bool] = mapped_column(Boolean, default=False)
    veto: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list] = mapped_column(JSON, default=list)

    unit: Mapped[AssessedUnit] = relationship(lazy="joined")
    year: Mapped[AssessmentYear] = relationship(lazy="joined")
    self_report: Mapped["SelfAssessmentReport | None"] = relationship(
        back_populates="assessment"
    )

    def __str__(self) -> str:
        return f"{self.unit} · {self.year}"


class Accident(TimestampMixin, VersionedMixin, db.Model):
    """A production accident, fire or forest fire in the register.

    The level and the assessment year are derived (rules.accident_level,
    rules.assessment_year) and never typed in.
    """

    __tablename__ = "safety_assessment_accidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AccidentKind] = mapped_column(_enum(AccidentKind))
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    # Where it happened: a county, a township, or the city itself.
    department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    deaths: Mapped[int] = mapped_column(Integer, default=0)
    serious_injuries: Mapped[int] = mapped_column(Integer, default=0)
    direct_loss: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=0)
    burned_area_ha: Mapped[Decimal] = mapped_column(HECTARES, default=0)
    concealed: Mapped[bool] = mapped_column(Boolean, default=False)
    falsely_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    late_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    # art. 11(2)2: the investigation puts the concealment on government bodies.
    concealment_by_government: Mapped[bool] = mapped_column(Boolean, default=False)
    # art. 8: the date the concealment or late report was confirmed.
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    bad_social_effect: Mapped[bool] = mapped_column(Boolean, default=False)
    egregious: Mapped[bool] = mapped_column(Boolean, default=False)
    especially_egregious: Mapped[bool] = mapped_column(Boolean, default=False)
    liability: Mapped[bool] = mapped_column(Boolean, default=True)
    level: Mapped[AccidentLevel] = mapped_column(_enum(AccidentLevel))
    assessment_year: Mapped[int | None] = mapped_column(Integer, index=True)

    department: Mapped[Department] = relationship()
    links: Mapped[list["AccidentUnit"]] = relationship(
        back_populates="accident", cascade="all, delete-orphan"
    )

    @classmethod
    def __scope_clause__(cls, department_ids):
        # Seen where it happened and by every unit it is assigned to, so a
        # city department sees the accidents of its sector.
        linked = (
            select(AccidentUnit.accident_id)
            .join(AssessedUnit, AssessedUnit.id == AccidentUnit.unit_id)
            .where(AssessedUnit.owner_department_id.in_(department_ids))
        )
        return or_(cls.department_id.in_(department_ids), cls.id.in_(linked))

    @property
    def misreported(self) -> bool:
        """Concealed, falsely reported or late reported (瞒报、谎报、补报)."""
        return self.concealed or self.falsely_reported or self.late_reported

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.place}"


class AccidentUnit(db.Model):
    """A unit an accident counts against (responsible, territorial or sector)."""

    __tablename__ = "safety_assessment_accident_units"
    __table_args__ = (UniqueConstraint("accident_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    accident_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_accidents.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_units.id"), index=True
    )
    # art. 11: accidents without a supervisory duty or fault do not count.
    counts: Mapped[bool] = mapped_column(Boolean, default=True)

    accident: Mapped[Accident] = relationship(back_populates="links")
    unit: Mapped[AssessedUnit] = relationship(lazy="joined")

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.accident_id.in_(
            select(Accident.id).where(Accident.__scope_clause__(department_ids))
        )


class Deduction(TimestampMixin, VersionedMixin, db.Model):
    """Points deducted from a unit under an item, kept in full as recorded."""

    __tablename__ = "safety_assessment_deductions"
    __scope_column__ = "owner_department_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_unit_assessments.id"), index=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_items.id"), index=True
    )
    owner_department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    points: Mapped[Decimal] = mapped_column(POINTS)
    quarter: Mapped[int] = mapped_column(Integer)
    deducted_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120), default="")

    assessment: Mapped[UnitAssessment] = relationship(lazy="joined")
    item: Mapped[ScoringItem] = relationship(lazy="joined")

    def __str__(self) -> str:
        return f"{self.item.code} −{self.points}"


class BonusStatus:
    PROPOSED = "proposed"
    APPROVED = "approved"


class BonusAward(TimestampMixin, VersionedMixin, db.Model):
    """Bonus points for an achievement; they count once the committee approves."""

    __tablename__ = "safety_assessment_bonuses"
    __scope_column__ = "owner_department_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_unit_assessments.id"), index=True
    )
    owner_department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    points: Mapped[Decimal] = mapped_column(POINTS)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=BonusStatus.PROPOSED)
    decision: Mapped[str] = mapped_column(String(200), default="")
    decided_on: Mapped[date | None] = mapped_column(Date)

    assessment: Mapped[UnitAssessment] = relationship(lazy="joined")

    def __str__(self) -> str:
        return f"+{self.points} {self.reason[:30]}"


class PreWarning(TimestampMixin, VersionedMixin, db.Model):
    """A pre-warning or pre-veto raised by an accident (art. 12)."""

    __tablename__ = "safety_assessment_prewarnings"
    __scope_column__ = "owner_department_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_units.id"), index=True
    )
    owner_department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    accident_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_accidents.id"), index=True
    )
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[PreWarningKind] = mapped_column(_enum(PreWarningKind))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    raised_on: Mapped[date] = mapped_column(Date)
    interview_on: Mapped[date] = mapped_column(Date)
    interviewed_on: Mapped[date | None] = mapped_column(Date)
    rectification_due: Mapped[date] = mapped_column(Date)
    rectification_filed_on: Mapped[date | None] = mapped_column(Date)
    rectification_summary: Mapped[str] = mapped_column(Text, default="")
    reported_to_discipline_on: Mapped[date | None] = mapped_column(Date)
    reported_to_organisation_on: Mapped[date | None] = mapped_column(Date)

    unit: Mapped[AssessedUnit] = relationship(lazy="joined")
    accident: Mapped[Accident] = relationship()

    def __str__(self) -> str:
        return f"{self.unit} · {self.kind.value} · {self.raised_on}"


class Sanction(TimestampMixin, db.Model):
    """A sanction of art. 16 with its period."""

    __tablename__ = "safety_assessment_sanctions"
    __scope_column__ = "owner_department_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_units.id"), index=True
    )
    owner_department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[SanctionKind] = mapped_column(_enum(SanctionKind))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    basis: Mapped[str] = mapped_column(String(200), default="")

    unit: Mapped[AssessedUnit] = relationship(lazy="joined")

    def __str__(self) -> str:
        return f"{self.unit} · {self.kind.value}"


class SelfAssessmentReport(TimestampMixin, VersionedMixin, db.Model):
    """A unit's self-assessment report, due by 15 November (art. 13)."""

    __tablename__ = "safety_assessment_self_reports"
    __scope_column__ = "owner_department_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_unit_assessments.id"), unique=True
    )
    owner_department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    filed_on: Mapped[date] = mapped_column(Date)
    self_score: Mapped[Decimal | None] = mapped_column(POINTS)
    summary: Mapped[str] = mapped_column(Text)

    assessment: Mapped[UnitAssessment] = relationship(
        back_populates="self_report", lazy="joined"
    )
    spot_checks: Mapped[list["SpotCheck"]] = relationship(back_populates="report")

    def __str__(self) -> str:
        return f"{self.assessment} · {self.filed_on}"


class SpotCheck(TimestampMixin, db.Model):
    """An on-site spot check of a self-assessment report (art. 3, 13)."""

    __tablename__ = "safety_assessment_spot_checks"
    __scope_column__ = "owner_department_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("safety_assessment_self_reports.id"), index=True
    )
    owner_department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    checked_on: Mapped[date] = mapped_column(Date)
    inspectors: Mapped[str] = mapped_column(String(300))
    findings: Mapped[str] = mapped_column(Text)
    consistent: Mapped[bool] = mapped_column(Boolean, default=True)

    report: Mapped[SelfAssessmentReport] = relationship(back_populates="spot_checks")


class Message(db.Model):
    """A message to a department: notices, reminders and results."""

    __tablename__ = "safety_assessment_messages"
    __scope_column__ = "department_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    recipients: Mapped[str] = mapped_column(Text, default="")
    topic: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship()
