"""Tables of the Mayor's Quality Award."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    select,
    true,
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
from core.models.organisations import Organisation
from core.models.users import User
from modules.quality_award.rules import (
    ApplicantKind,
    BonusUse,
    State,
    TrackingEvent,
)


def _enum(cls, length=30):
    return Enum(cls, native_enum=False, length=length, values_callable=_values)


def _values(cls):
    return [member.value for member in cls]


class CityWideMixin:
    """Records of the award as a whole (cycles, reviewer pool), seen city-wide.

    Who may open them is decided by the view permission, not by department.
    """

    @classmethod
    def __scope_clause__(cls, department_ids):
        return true()


class Cycle(CityWideMixin, TimestampMixin, VersionedMixin, db.Model):
    """One award cycle (art. 4) with its quotas."""

    __tablename__ = "quality_award_cycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(120))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)

    def __str__(self) -> str:
        return self.title


class ApplicationChild:
    """A record owned through its application, scoped by the applicant's county."""

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.application_id.in_(
            select(Application.id).where(Application.department_id.in_(department_ids))
        )


class Application(DepartmentScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """An application for the award; department_id is the applicant's county."""

    __tablename__ = "quality_award_applications"
    __audit_mask__ = {"resident_id", "phone", "address"}
    __table_args__ = (
        UniqueConstraint("cycle_id", "organisation_id", name="uq_qa_app_org"),
        UniqueConstraint("cycle_id", "resident_id", name="uq_qa_app_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_cycles.id"), index=True
    )
    kind: Mapped[ApplicantKind] = mapped_column(_enum(ApplicantKind, 20))
    state: Mapped[State] = mapped_column(_enum(State), default=State.DRAFT, index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_organisations.id"), index=True
    )
    # Individuals: name and resident ID; the resident ID, phone and address are
    # personal data, masked for users without quality_award.personal_data.
    person_name: Mapped[str] = mapped_column(String(60), default="")
    resident_id: Mapped[str | None] = mapped_column(String(18), index=True)
    employer: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    # The declaration form (申报表, art. 14).
    contact_name: Mapped[str] = mapped_column(String(60), default="")
    recommended_by: Mapped[str] = mapped_column(String(200), default="")
    achievements: Mapped[str] = mapped_column(Text, default="")
    quality_management: Mapped[str] = mapped_column(Text, default="")
    shares_experience: Mapped[bool] = mapped_column(Boolean, default=False)
    # Eligibility facts (art. 9-10).
    registered_in_zhuzhou: Mapped[bool] = mapped_column(Boolean, default=True)
    operating_since: Mapped[date | None] = mapped_column(Date)
    quality_work_since: Mapped[date | None] = mapped_column(Date)
    last_major_accident_on: Mapped[date | None] = mapped_column(Date)
    last_violation_on: Mapped[date | None] = mapped_column(Date)
    # Individuals have no entry in the core's credit records: the county
    # pre-review records what it found in the personal credit report.
    personal_credit_issue: Mapped[str] = mapped_column(String(300), default="")
    # Progress.
    submitted_on: Mapped[date | None] = mapped_column(Date)
    publicised_on: Mapped[date | None] = mapped_column(Date)
    material_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    onsite_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    onsite_report: Mapped[str] = mapped_column(Text, default="")
    satisfaction_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    evaluation_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    result_notified_on: Mapped[date | None] = mapped_column(Date)
    notice_starts_on: Mapped[date | None] = mapped_column(Date)
    notice_ends_on: Mapped[date | None] = mapped_column(Date)
    approved_on: Mapped[date | None] = mapped_column(Date)
    awarded_on: Mapped[date | None] = mapped_column(Date)
    bonus_fen: Mapped[int] = mapped_column(Integer, default=0)
    trophy_given: Mapped[bool] = mapped_column(Boolean, default=False)
    certificate_given: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revocation_announced_on: Mapped[date | None] = mapped_column(Date)

    cycle: Mapped[Cycle] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")

    def __str__(self) -> str:
        return self.applicant_name

    @property
    def applicant_name(self) -> str:
        """The organisation's or the person's name."""
        if self.kind == ApplicantKind.ORGANISATION and self.organisation is not None:
            return self.organisation.name
        return self.person_name


class Transition(ApplicationChild, db.Model):
    """One recorded step of an application: who, when, from where to where, why."""

    __tablename__ = "quality_award_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_applications.id"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[State] = mapped_column(_enum(State))
    to_state: Mapped[State] = mapped_column(_enum(State))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    acted_on: Mapped[date] = mapped_column(Date)
    acted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opinion: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship()

    def __str__(self) -> str:
        return f"{self.action} {self.acted_on}"


class SupportingDocument(ApplicationChild, TimestampMixin, db.Model):
    """A supporting file; trade or technical secrets are confidential (art. 29)."""

    __tablename__ = "quality_award_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_applications.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # "" (ordinary), "trade" or "technical" secret, declared by the applicant.
    secret: Mapped[str] = mapped_column(String(20), default="")

    application: Mapped[Application] = relationship()

    def __str__(self) -> str:
        return self.title

    @property
    def is_confidential(self) -> bool:
        """Whether the applicant declared it a trade or technical secret."""
        return bool(self.secret)


class Reviewer(CityWideMixin, TimestampMixin, VersionedMixin, db.Model):
    """A member of the reviewer pool (art. 7(4)); each is a portal user."""

    __tablename__ = "quality_award_reviewers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id"), unique=True)
    expertise: Mapped[str] = mapped_column(String(200), default="")
    employer: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # art. 34: abuse of office removes a reviewer's qualification.
    disqualified_reason: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(lazy="joined")

    def __str__(self) -> str:
        return str(self.user)


class ReviewerAssessment(CityWideMixin, TimestampMixin, db.Model):
    """The office's assessment of a reviewer in a cycle (art. 7(4), art. 31)."""

    __tablename__ = "quality_award_reviewer_assessments"
    __table_args__ = (
        UniqueConstraint("reviewer_id", "cycle_id", name="uq_qa_assessment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_reviewers.id"), index=True
    )
    cycle_id: Mapped[int] = mapped_column(ForeignKey("quality_award_cycles.id"))
    office_score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    rating_average: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    overall: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    comment: Mapped[str] = mapped_column(Text, default="")
    assessed_on: Mapped[date] = mapped_column(Date)

    reviewer: Mapped[Reviewer] = relationship()
    cycle: Mapped[Cycle] = relationship()


class TeamMember(ApplicationChild, TimestampMixin, db.Model):
    """A reviewer on an application's material or on-site review team (art. 8)."""

    __tablename__ = "quality_award_team_members"
    __table_args__ = (
        UniqueConstraint(
            "application_id", "reviewer_id", "stage", name="uq_qa_team_member"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_applications.id"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_reviewers.id"), index=True
    )
    stage: Mapped[str] = mapped_column(String(20))  # "material" or "onsite"
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)

    application: Mapped[Application] = relationship()
    reviewer: Mapped[Reviewer] = relationship(lazy="joined")


class Conflict(ApplicationChild, TimestampMixin, db.Model):
    """A conflict of interest between a person and an applicant (art. 30)."""

    __tablename__ = "quality_award_conflicts"
    __table_args__ = (
        UniqueConstraint("application_id", "user_id", name="uq_qa_conflict"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_applications.id"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    declared_on: Mapped[date] = mapped_column(Date)
    # False when the office found the conflict the person failed to declare.
    self_declared: Mapped[bool] = mapped_column(Boolean, default=True)

    application: Mapped[Application] = relationship()
    user: Mapped[User] = relationship(lazy="joined")


class Score(ApplicationChild, TimestampMixin, db.Model):
    """One reviewer's score of one application at one stage."""

    __tablename__ = "quality_award_scores"
    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id", "stage", name="uq_qa_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_applications.id"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("quality_award_reviewers.id"))
    stage: Mapped[str] = mapped_column(String(20))
    score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    comment: Mapped[str] = mapped_column(Text, default="")
    scored_on: Mapped[date] = mapped_column(Date)

    application: Mapped[Application] = relationship()
    reviewer: Mapped[Reviewer] = relationship(lazy="joined")


class CommitteeMember(CityWideMixin, TimestampMixin, db.Model):
    """A member of the award committee for a cycle (art. 5)."""

    __tablename__ = "quality_award_committee_members"
    __table_args__ = (
        UniqueConstraint("cycle_id", "user_id", name="uq_qa_committee_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_cycles.id"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id"))
    position: Mapped[str] = mapped_column(String(60), default="")

    cycle: Mapped[Cycle] = relationship()
    user: Mapped[User] = relationship(lazy="joined")

    def __str__(self) -> str:
        return str(self.user)


class Vote(ApplicationChild, TimestampMixin, db.Model):
    """A committee member's vote on a candidate (art. 22)."""

    __tablename__ = "quality_award_votes"
    __table_args__ = (
        UniqueConstraint("application_id", "member_id", name="uq_qa_vote"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_applications.id"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_committee_members.id")
    )
    in_favour: Mapped[bool] = mapped_column(Boolean)
    cast_on: Mapped[date] = mapped_column(Date)

    application: Mapped[Application] = relationship()
    member: Mapped[CommitteeMember] = relationship(lazy="joined")


class Rating(ApplicationChild, TimestampMixin, db.Model):
    """An applicant's rating of an on-site reviewer (art. 31)."""

    __tablename__ = "quality_award_ratings"
    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id", name="uq_qa_rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_applications.id"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_reviewers.id"), index=True
    )
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_on: Mapped[date] = mapped_column(Date)

    application: Mapped[Application] = relationship()
    reviewer: Mapped[Reviewer] = relationship(lazy="joined")


class Objection(ApplicationChild, TimestampMixin, VersionedMixin, db.Model):
    """A real-name written objection against an applicant (art. 35-38)."""

    __tablename__ = "quality_award_objections"
    __audit_mask__ = {"objector_contact"}

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_applications.id"), index=True
    )
    objector_name: Mapped[str] = mapped_column(String(120))
    objector_contact: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    intake_due_on: Mapped[date] = mapped_column(Date, index=True)
    intake_due_confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    # "" until decided, then "accepted" or "rejected" (art. 36).
    intake_decision: Mapped[str] = mapped_column(String(20), default="")
    intake_on: Mapped[date | None] = mapped_column(Date)
    intake_note: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    # art. 37: the party objected to refused or delayed the inquiry.
    non_cooperation: Mapped[bool] = mapped_column(Boolean, default=False)
    # "" until concluded, then "upheld" or "dismissed".
    outcome: Mapped[str] = mapped_column(String(20), default="")
    concluded_on: Mapped[date | None] = mapped_column(Date)
    objector_told_on: Mapped[date | None] = mapped_column(Date)
    committee_reported_on: Mapped[date | None] = mapped_column(Date)

    application: Mapped[Application] = relationship()

    @property
    def is_open(self) -> bool:
        """Whether the objection still awaits intake or an outcome."""
        return self.intake_decision == "" or (
            self.intake_decision == "accepted" and self.outcome == ""
        )


class TrackingRecord(ApplicationChild, TimestampMixin, db.Model):
    """An event of art. 32 (or fraud, art. 33) recorded against a winner."""

    __tablename__ = "quality_award_tracking_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_applications.id"), index=True
    )
    event: Mapped[TrackingEvent] = mapped_column(_enum(TrackingEvent))
    occurred_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    direct_responsibility: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_on: Mapped[date] = mapped_column(Date)

    application: Mapped[Application] = relationship()


class LedgerEntry(ApplicationChild, TimestampMixin, db.Model):
    """A bonus payment to a winner or a clawed-back amount (art. 25, 33)."""

    __tablename__ = "quality_award_ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_applications.id"), index=True
    )
    # "payment" or "clawback"; amounts are positive fen either way.
    entry_kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(Integer)
    entry_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(120), default="")

    application: Mapped[Application] = relationship()


class Clawback(ApplicationChild, TimestampMixin, VersionedMixin, db.Model):
    """What a revoked fraudster must return: bonus, trophy, certificate (art. 33)."""

    __tablename__ = "quality_award_clawbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_applications.id"), unique=True
    )
    ordered_on: Mapped[date] = mapped_column(Date)
    trophy_returned: Mapped[bool] = mapped_column(Boolean, default=False)
    certificate_returned: Mapped[bool] = mapped_column(Boolean, default=False)
    settled_on: Mapped[date | None] = mapped_column(Date)

    application: Mapped[Application] = relationship()


class BonusUseReport(ApplicationChild, TimestampMixin, db.Model):
    """A winner's report of how part of the bonus was spent (art. 27)."""

    __tablename__ = "quality_award_bonus_use_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("quality_award_applications.id"), index=True
    )
    use: Mapped[BonusUse] = mapped_column(_enum(BonusUse))
    amount_fen: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    reported_on: Mapped[date] = mapped_column(Date)
    permitted: Mapped[bool] = mapped_column(Boolean)

    application: Mapped[Application] = relationship()
