"""Tables of construction project approval: projects, stages, clocks and more."""

import enum
from datetime import date
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
from core.i18n import _l
from core.models.base import (
    DepartmentScopedMixin,
    TimestampMixin,
    VersionedMixin,
)
from core.models.departments import Department
from core.models.organisations import Organisation


def _enum(cls, length=40):
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class Category(enum.StrEnum):
    """The six project categories of section 1(2)2."""

    GOVERNMENT_LINEAR = "government_linear"
    GOVERNMENT_NON_LINEAR = "government_non_linear"
    SOCIAL_SOLD_LAND = "social_sold_land"
    INDUSTRIAL_SMALL_MEDIUM = "industrial_small_medium"
    LAND_SOLD_WITH_PLAN = "land_sold_with_plan"
    OTHER = "other"


class InvestmentType(enum.StrEnum):
    GOVERNMENT = "government"
    SOCIAL = "social"


class StageKind(enum.StrEnum):
    """Approval stages of section 1(2)3; the merged one comes from 2(6)."""

    PROJECT_LAND_USE_PERMIT = "project_land_use_permit"
    ENGINEERING_PERMIT = "engineering_permit"
    CONSTRUCTION_PERMIT = "construction_permit"
    ENGINEERING_CONSTRUCTION_PERMIT = "engineering_construction_permit"
    COMPLETION_ACCEPTANCE = "completion_acceptance"


class ProjectStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REFUSED = "refused"


class StageStatus(enum.StrEnum):
    PENDING = "pending"
    OPEN = "open"
    APPROVED = "approved"
    REFUSED = "refused"


class Opinion(enum.StrEnum):
    PENDING = "pending"
    AGREE = "agree"
    OBJECT = "object"


class DocumentSource(enum.StrEnum):
    APPLICANT = "applicant"
    GOVERNMENT = "government"


class CommitmentStatus(enum.StrEnum):
    APPROVED = "approved"
    FULFILLED = "fulfilled"
    REVOKED = "revoked"


class SideApprovalKind(enum.StrEnum):
    """Approvals on their own clock: 2(4)3(2) and 6(19)3."""

    MUNICIPAL_FACILITY = "municipal_facility"
    FIRST_REGISTRATION = "first_registration"


class SegmentPermitKind(enum.StrEnum):
    """Papers issued per segment of linear works, in their order (7(20))."""

    LAND_HANDOVER_NOTICE = "land_handover_notice"
    ALLOCATION_DECISION = "allocation_decision"
    LAND_USE_PLANNING_PERMIT = "land_use_planning_permit"
    ENGINEERING_PLANNING_PERMIT = "engineering_planning_permit"
    CONSTRUCTION_PERMIT = "construction_permit"


class EscalationKind(enum.StrEnum):
    NEAR_LIMIT = "near_limit"
    OVERDUE = "overdue"


class CatalogueItem(TimestampMixin, VersionedMixin, db.Model):
    """One entry of the approval item catalogue (section 2(5))."""

    __tablename__ = "approval_reform_catalogue_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[StageKind] = mapped_column(_enum(StageKind))
    categories: Mapped[list] = mapped_column(JSON, default=list)
    required_materials: Mapped[list] = mapped_column(JSON, default=list)
    time_limit_working_days: Mapped[int] = mapped_column(Integer)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("core_departments.id"))
    notify_and_commit: Mapped[bool] = mapped_column(Boolean, default=False)
    inspection_working_days: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped[Department | None] = relationship()
    revisions: Mapped[list["CatalogueRevision"]] = relationship(
        back_populates="item", order_by="CatalogueRevision.revision"
    )

    def __str__(self) -> str:
        return self.name

    @classmethod
    def __scope_clause__(cls, department_ids):
        # The catalogue is published to every department (section 2(5)).
        return true()


class CatalogueRevision(TimestampMixin, db.Model):
    """A frozen copy of a catalogue item as it stood at one revision."""

    __tablename__ = "approval_reform_catalogue_revisions"
    __table_args__ = (UniqueConstraint("item_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_catalogue_items.id"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(120), default="")

    item: Mapped[CatalogueItem] = relationship(back_populates="revisions")

    @classmethod
    def __scope_clause__(cls, department_ids):
        # Public like the catalogue itself.
        return true()


class Project(TimestampMixin, VersionedMixin, DepartmentScopedMixin, db.Model):
    """A construction project and the facts that decide its approval path."""

    __tablename__ = "approval_reform_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True, default="")
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("core_organisations.id"), index=True
    )
    investment_type: Mapped[InvestmentType] = mapped_column(_enum(InvestmentType))
    category: Mapped[Category] = mapped_column(_enum(Category))
    building_area_m2: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    height_m: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    floors: Mapped[int] = mapped_column(Integer)
    has_basement: Mapped[bool] = mapped_column(Boolean, default=False)
    simple_function: Mapped[bool] = mapped_column(Boolean, default=False)
    is_industrial: Mapped[bool] = mapped_column(Boolean, default=False)
    national_security: Mapped[bool] = mapped_column(Boolean, default=False)
    ecological_security: Mapped[bool] = mapped_column(Boolean, default=False)
    major_infrastructure: Mapped[bool] = mapped_column(Boolean, default=False)
    major_public_interest: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_on: Mapped[date] = mapped_column(Date)

    # Derived when the project is registered (rules.profile).
    is_small_project: Mapped[bool] = mapped_column(Boolean, default=False)
    time_limit_working_days: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[ProjectStatus] = mapped_column(
        _enum(ProjectStatus), default=ProjectStatus.IN_PROGRESS
    )
    completed_on: Mapped[date | None] = mapped_column(Date)

    # Exemption of a major or complex project from the limit (section 1(3)).
    is_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    exemption_reason: Mapped[str] = mapped_column(Text, default="")
    exemption_decided_on: Mapped[date | None] = mapped_column(Date)
    exemption_decided_by: Mapped[str] = mapped_column(String(120), default="")

    # Agent and supervision of key projects (section 4(15)).
    is_key_project: Mapped[bool] = mapped_column(Boolean, default=False)
    agent_name: Mapped[str] = mapped_column(String(120), default="")
    supervising_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_departments.id")
    )

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    # Callables, not "Project.x" strings: another module may also name a class
    # Project, and the shared registry could not tell them apart.
    department: Mapped[Department] = relationship(
        foreign_keys=lambda: Project.department_id
    )
    supervising_department: Mapped[Department | None] = relationship(
        foreign_keys=lambda: Project.supervising_department_id
    )
    stages: Mapped[list["Stage"]] = relationship(
        back_populates="project", order_by="Stage.sequence"
    )
    documents: Mapped[list["Document"]] = relationship(
        back_populates="project", order_by="Document.id"
    )
    commitments: Mapped[list["Commitment"]] = relationship(
        back_populates="project", order_by="Commitment.id"
    )
    segments: Mapped[list["Segment"]] = relationship(
        back_populates="project", order_by="Segment.id"
    )
    side_approvals: Mapped[list["SideApproval"]] = relationship(
        back_populates="project", order_by="SideApproval.id"
    )

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @classmethod
    def __scope_clause__(cls, department_ids):
        # The owning department sees its projects; so does every department that
        # leads a stage, reviews in parallel or approves on its own clock.
        return or_(
            cls.department_id.in_(department_ids),
            cls.supervising_department_id.in_(department_ids),
            cls.id.in_(
                select(Stage.project_id).where(
                    Stage.lead_department_id.in_(department_ids)
                )
            ),
            cls.id.in_(
                select(Stage.project_id)
                .join(ParallelReview, ParallelReview.stage_id == Stage.id)
                .where(ParallelReview.department_id.in_(department_ids))
            ),
            cls.id.in_(
                select(Commitment.project_id).where(
                    Commitment.department_id.in_(department_ids)
                )
            ),
            cls.id.in_(
                select(SideApproval.project_id).where(
                    SideApproval.lead_department_id.in_(department_ids)
                )
            ),
        )


def _through_project(model, department_ids):
    return model.project_id.in_(
        select(Project.id).where(Project.__scope_clause__(department_ids))
    )


class Stage(TimestampMixin, VersionedMixin, db.Model):
    """One approval stage of a project, led by one department (1(2)3)."""

    __tablename__ = "approval_reform_stages"
    __table_args__ = (UniqueConstraint("project_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_projects.id"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[StageKind] = mapped_column(_enum(StageKind))
    lead_department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    status: Mapped[StageStatus] = mapped_column(
        _enum(StageStatus), default=StageStatus.PENDING
    )
    opened_on: Mapped[date | None] = mapped_column(Date)
    time_limit_working_days: Mapped[int | None] = mapped_column(Integer)

    # The decision record: everything a printed decision needs.
    decision_number: Mapped[str] = mapped_column(String(40), default="")
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(120), default="")
    decision_text: Mapped[str] = mapped_column(Text, default="")
    working_days_used: Mapped[int | None] = mapped_column(Integer)

    project: Mapped[Project] = relationship(back_populates="stages")
    lead_department: Mapped[Department] = relationship()
    reviews: Mapped[list["ParallelReview"]] = relationship(
        back_populates="stage", order_by="ParallelReview.id"
    )
    pauses: Mapped[list["ClockPause"]] = relationship(
        back_populates="stage", order_by="ClockPause.started_on"
    )

    def __str__(self) -> str:
        return f"{self.project.code} #{self.sequence} {self.kind.value}"

    @classmethod
    def __scope_clause__(cls, department_ids):
        return _through_project(cls, department_ids)


class ParallelReview(TimestampMixin, VersionedMixin, db.Model):
    """A department's own opinion on a stage, given in parallel (1(2)3)."""

    __tablename__ = "approval_reform_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_stages.id"), index=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    catalogue_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval_reform_catalogue_items.id")
    )
    catalogue_revision: Mapped[int | None] = mapped_column(Integer)
    opinion: Mapped[Opinion] = mapped_column(_enum(Opinion), default=Opinion.PENDING)
    opinion_text: Mapped[str] = mapped_column(Text, default="")
    given_on: Mapped[date | None] = mapped_column(Date)
    given_by: Mapped[str] = mapped_column(String(120), default="")

    stage: Mapped[Stage] = relationship(back_populates="reviews")
    department: Mapped[Department] = relationship()
    catalogue_item: Mapped[CatalogueItem | None] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.stage_id.in_(
            select(Stage.id).where(Stage.__scope_clause__(department_ids))
        )


class ClockPause(TimestampMixin, db.Model):
    """A pause of a clock while the applicant corrects its materials."""

    __tablename__ = "approval_reform_clock_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_projects.id"), index=True
    )
    stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval_reform_stages.id"), index=True
    )
    side_approval_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval_reform_side_approvals.id"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    started_by: Mapped[str] = mapped_column(String(120), default="")

    stage: Mapped[Stage | None] = relationship(back_populates="pauses")
    side_approval: Mapped["SideApproval | None"] = relationship(back_populates="pauses")

    @classmethod
    def __scope_clause__(cls, department_ids):
        return _through_project(cls, department_ids)


class Document(TimestampMixin, db.Model):
    """A material on file for a project, stored once and reused (4(13))."""

    __tablename__ = "approval_reform_documents"
    __table_args__ = (UniqueConstraint("project_id", "material_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_projects.id"), index=True
    )
    material_code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[DocumentSource] = mapped_column(_enum(DocumentSource))
    received_on: Mapped[date] = mapped_column(Date)
    produced_by_stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval_reform_stages.id")
    )

    project: Mapped[Project] = relationship(back_populates="documents")

    def __str__(self) -> str:
        return self.title

    @classmethod
    def __scope_clause__(cls, department_ids):
        return _through_project(cls, department_ids)


class StageDocument(db.Model):
    """A stage's use of a document already on file."""

    __tablename__ = "approval_reform_stage_documents"
    __table_args__ = (UniqueConstraint("stage_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_stages.id"), index=True
    )
    document_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_documents.id"), index=True
    )

    document: Mapped[Document] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.stage_id.in_(
            select(Stage.id).where(Stage.__scope_clause__(department_ids))
        )


class Commitment(TimestampMixin, VersionedMixin, db.Model):
    """A notify-and-commit approval and its follow-up inspection (2(9), 5(16))."""

    __tablename__ = "approval_reform_commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_projects.id"), index=True
    )
    stage_id: Mapped[int] = mapped_column(ForeignKey("approval_reform_stages.id"))
    catalogue_item_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_catalogue_items.id")
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    commitment_text: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[str] = mapped_column(String(120))
    signed_on: Mapped[date] = mapped_column(Date)
    approved_on: Mapped[date] = mapped_column(Date)
    inspection_due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[CommitmentStatus] = mapped_column(
        _enum(CommitmentStatus), default=CommitmentStatus.APPROVED
    )
    inspected_on: Mapped[date | None] = mapped_column(Date)
    inspection_findings: Mapped[str] = mapped_column(Text, default="")
    revoked_on: Mapped[date | None] = mapped_column(Date)
    credit_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_credit_records.id")
    )

    project: Mapped[Project] = relationship(back_populates="commitments")
    stage: Mapped[Stage] = relationship()
    catalogue_item: Mapped[CatalogueItem] = relationship()
    department: Mapped[Department] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return _through_project(cls, department_ids)


class Segment(TimestampMixin, VersionedMixin, db.Model):
    """A segment of linear works approved on its own (7(20))."""

    __tablename__ = "approval_reform_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_projects.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    within_red_line: Mapped[bool] = mapped_column(Boolean, default=True)
    land_acquisition_completed_on: Mapped[date | None] = mapped_column(Date)

    project: Mapped[Project] = relationship(back_populates="segments")
    permits: Mapped[list["SegmentPermit"]] = relationship(
        back_populates="segment", order_by="SegmentPermit.id"
    )

    def __str__(self) -> str:
        return self.name

    @classmethod
    def __scope_clause__(cls, department_ids):
        return _through_project(cls, department_ids)


class SegmentPermit(TimestampMixin, db.Model):
    """A permit issued for one segment of linear works."""

    __tablename__ = "approval_reform_segment_permits"
    __table_args__ = (UniqueConstraint("segment_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_segments.id"), index=True
    )
    kind: Mapped[SegmentPermitKind] = mapped_column(_enum(SegmentPermitKind))
    number: Mapped[str] = mapped_column(String(60))
    issued_on: Mapped[date] = mapped_column(Date)
    department_id: Mapped[int] = mapped_column(ForeignKey("core_departments.id"))
    issued_by: Mapped[str] = mapped_column(String(120), default="")

    segment: Mapped[Segment] = relationship(back_populates="permits")
    department: Mapped[Department] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return cls.segment_id.in_(
            select(Segment.id).where(Segment.__scope_clause__(department_ids))
        )


class SideApproval(TimestampMixin, VersionedMixin, db.Model):
    """An approval on its own working-day clock (2(4)3(2), 6(19)3)."""

    __tablename__ = "approval_reform_side_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_projects.id"), index=True
    )
    kind: Mapped[SideApprovalKind] = mapped_column(_enum(SideApprovalKind))
    lead_department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    applied_on: Mapped[date] = mapped_column(Date)
    time_limit_working_days: Mapped[int] = mapped_column(Integer)
    completed_on: Mapped[date | None] = mapped_column(Date)
    completed_by: Mapped[str] = mapped_column(String(120), default="")
    result_text: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship(back_populates="side_approvals")
    lead_department: Mapped[Department] = relationship()
    pauses: Mapped[list[ClockPause]] = relationship(
        back_populates="side_approval", order_by="ClockPause.started_on"
    )

    @classmethod
    def __scope_clause__(cls, department_ids):
        return _through_project(cls, department_ids)


class Escalation(TimestampMixin, db.Model):
    """A key project's stage escalated to the supervising office (4(15))."""

    __tablename__ = "approval_reform_escalations"
    __table_args__ = (UniqueConstraint("stage_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("approval_reform_projects.id"), index=True
    )
    stage_id: Mapped[int] = mapped_column(ForeignKey("approval_reform_stages.id"))
    kind: Mapped[EscalationKind] = mapped_column(_enum(EscalationKind))
    escalated_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    working_days_left: Mapped[int] = mapped_column(Integer)
    supervising_department_id: Mapped[int] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )

    project: Mapped[Project] = relationship()
    stage: Mapped[Stage] = relationship()
    supervising_department: Mapped[Department] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return _through_project(cls, department_ids)


# What the portal shows for each stored code.
LABELS = {
    "government_linear": _l("Government investment: urban infrastructure, linear"),
    "government_non_linear": _l(
        "Government investment: housing and non-linear infrastructure"
    ),
    "social_sold_land": _l("Social investment on sold land (excluding industrial)"),
    "industrial_small_medium": _l("Industrial and small/medium social investment"),
    "land_sold_with_plan": _l("Land sold with plan, with regional evaluation"),
    "other": _l("Other housing and urban infrastructure"),
    "government": _l("Government investment"),
    "social": _l("Social investment"),
    "project_land_use_permit": _l("Project and land-use planning permit"),
    "engineering_permit": _l("Engineering permit"),
    "construction_permit": _l("Construction permit"),
    "engineering_construction_permit": _l("Engineering and construction permit"),
    "completion_acceptance": _l("Completion acceptance"),
    "in_progress": _l("In progress"),
    "completed": _l("Completed"),
    "refused": _l("Refused"),
    "pending": _l("Pending"),
    "open": _l("Open"),
    "approved": _l("Approved"),
    "agree": _l("Agree"),
    "object": _l("Object"),
    "applicant": _l("Applicant"),
    "fulfilled": _l("Fulfilled"),
    "revoked": _l("Revoked"),
    "near_limit": _l("Nearing the time limit"),
    "overdue": _l("Overdue"),
    "municipal_facility": _l("Municipal facility (road occupation/excavation)"),
    "first_registration": _l("First property registration"),
    "land_handover_notice": _l("Land handover notice"),
    "allocation_decision": _l("State land allocation decision"),
    "land_use_planning_permit": _l("Land-use planning permit"),
    "engineering_planning_permit": _l("Engineering planning permit"),
    "has_basement": _l("Has a basement"),
    "simple_function": _l("Simple function, single technical requirement"),
    "is_industrial": _l("Industrial project"),
    "national_security": _l("Touches national security"),
    "ecological_security": _l("Touches ecological security"),
    "major_infrastructure": _l("Major infrastructure"),
    "major_public_interest": _l("Other major public interest"),
}


def label(code) -> str:
    """The translated label of a stored code."""
    value = getattr(code, "value", code)
    return str(LABELS.get(value, value))


def source_label(code) -> str:
    """Who supplied a material: the applicant or a department."""
    # "government" alone reads as the investment type in LABELS.
    if getattr(code, "value", code) == DocumentSource.GOVERNMENT.value:
        return str(_l("Issued by a department"))
    return label(code)
