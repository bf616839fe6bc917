"""Tables of the IT project module; money is integer fen."""

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
from modules.it_projects.rules import Kind, Status


def _enum(cls, length=30):
    return Enum(
        cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )


class Call(TimestampMixin, VersionedMixin, db.Model):
    """The annual call for next year's plan, with its configurable dates."""

    __tablename__ = "it_projects_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_year: Mapped[int] = mapped_column(Integer, unique=True)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    @classmethod
    def __scope_clause__(cls, department_ids):
        # The call is addressed to every department alike.
        return true()

    def __str__(self) -> str:
        return f"{self.plan_year}"


class ItProject(DepartmentScopedMixin, TimestampMixin, VersionedMixin, db.Model):
    """One IT project of a requesting unit, from application to settlement."""

    __tablename__ = "it_projects_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[Kind] = mapped_column(_enum(Kind, 10), default=Kind.ANNUAL)
    status: Mapped[Status] = mapped_column(
        _enum(Status), default=Status.SUBMITTED, index=True
    )
    call_id: Mapped[int | None] = mapped_column(ForeignKey("it_projects_calls.id"))
    plan_year: Mapped[int] = mapped_column(Integer, index=True)
    applied_on: Mapped[date] = mapped_column(Date)

    # art. 3: what decides the scope check, and its answer.
    funding_sources: Mapped[list] = mapped_column(JSON, default=list)
    concerns: Mapped[list] = mapped_column(JSON, default=list)
    secrecy: Mapped[bool] = mapped_column(Boolean, default=False)
    software_development_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    system_integration_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    investment_estimate_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    scope_reasons: Mapped[list] = mapped_column(JSON, default=list)

    # art. 7(1): the preliminary plan's data needs and shared-data contribution.
    data_needs: Mapped[str] = mapped_column(Text, default="")
    data_contribution: Mapped[str] = mapped_column(Text, default="")
    funding_plan: Mapped[str] = mapped_column(Text, default="")

    # art. 4: where it runs and what separate infrastructure it asks for.
    deployment: Mapped[str] = mapped_column(Text, default="")
    facilities: Mapped[list] = mapped_column(JSON, default=list)
    platform_flags: Mapped[list] = mapped_column(JSON, default=list)

    # art. 8: why an urgent project cannot wait for the annual plan.
    urgency_basis: Mapped[str] = mapped_column(Text, default="")

    # art. 12: large or specialised projects are tested by a third party.
    large_or_specialised: Mapped[bool] = mapped_column(Boolean, default=False)

    # art. 10: the approved baseline, fixed at project approval ...
    baseline_scope: Mapped[str] = mapped_column(Text, default="")
    baseline_standard: Mapped[str] = mapped_column(Text, default="")
    baseline_investment_fen: Mapped[int | None] = mapped_column(BigInteger)
    # ... and what stands after approved change requests.
    scope_description: Mapped[str] = mapped_column(Text, default="")
    construction_standard: Mapped[str] = mapped_column(Text, default="")
    approved_investment_fen: Mapped[int | None] = mapped_column(BigInteger)
    approved_on: Mapped[date | None] = mapped_column(Date)

    design_estimate_fen: Mapped[int | None] = mapped_column(BigInteger)
    review_experts: Mapped[bool] = mapped_column(Boolean, default=False)
    review_third_party: Mapped[bool] = mapped_column(Boolean, default=False)
    review_started_on: Mapped[date | None] = mapped_column(Date)
    review_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    review_due_confirmed: Mapped[bool] = mapped_column(Boolean, default=True)

    approved_budget_fen: Mapped[int | None] = mapped_column(BigInteger)
    procurement_method: Mapped[str] = mapped_column(String(20), default="")
    supplier: Mapped[str] = mapped_column(String(200), default="")
    procurement_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    responsible_person: Mapped[str] = mapped_column(String(100), default="")
    third_party_tested: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    settled_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    settled_on: Mapped[date | None] = mapped_column(Date)

    department: Mapped[Department] = relationship(lazy="joined")
    call: Mapped[Call | None] = relationship()
    steps: Mapped[list["ProjectStep"]] = relationship(
        back_populates="project", order_by="ProjectStep.id"
    )
    documents: Mapped[list["ProjectDocument"]] = relationship(
        back_populates="project", order_by="ProjectDocument.id"
    )
    changes: Mapped[list["ChangeRequest"]] = relationship(
        back_populates="project", order_by="ChangeRequest.id"
    )
    fundings: Mapped[list["ProjectFunding"]] = relationship(
        back_populates="project", order_by="ProjectFunding.id"
    )

    def __str__(self) -> str:
        return self.title

    @property
    def is_approved(self) -> bool:
        """Whether the project passed project approval (立项)."""
        return self.approved_on is not None

    @property
    def funded_fen(self) -> int:
        """Funds recorded so far."""
        return sum(f.amount_fen for f in self.fundings)


def _through_project(model, department_ids):
    return model.project_id.in_(
        select(ItProject.id).where(ItProject.department_id.in_(department_ids))
    )


class ProjectStep(TimestampMixin, db.Model):
    """One recorded decision: action, actor, date and opinion."""

    __tablename__ = "it_projects_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("it_projects_projects.id"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    decided_on: Mapped[date] = mapped_column(Date)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    actor_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_departments.id")
    )
    opinion: Mapped[str] = mapped_column(Text, default="")
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)

    project: Mapped[ItProject] = relationship(back_populates="steps")
    actor_department: Mapped[Department | None] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return _through_project(cls, department_ids)

    def __str__(self) -> str:
        return f"{self.action} {self.decided_on}"


class ProjectDocument(TimestampMixin, db.Model):
    """A document filed with an application or a decision."""

    __tablename__ = "it_projects_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("it_projects_projects.id"), index=True
    )
    step_id: Mapped[int | None] = mapped_column(ForeignKey("it_projects_steps.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(200), default="")

    project: Mapped[ItProject] = relationship(back_populates="documents")
    step: Mapped["ProjectStep | None"] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        return _through_project(cls, department_ids)

    def __str__(self) -> str:
        return self.title


class ChangeRequest(TimestampMixin, VersionedMixin, db.Model):
    """A change of scope, standard or investment after approval (art. 10)."""

    __tablename__ = "it_projects_change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("it_projects_projects.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    requested_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    # What stood before (the baseline of this change) and what is proposed;
    # a None proposal leaves that item unchanged.
    before_scope: Mapped[str] = mapped_column(Text, default="")
    before_standard: Mapped[str] = mapped_column(Text, default="")
    before_investment_fen: Mapped[int | None] = mapped_column(BigInteger)
    new_scope: Mapped[str | None] = mapped_column(Text)
    new_standard: Mapped[str | None] = mapped_column(Text)
    new_investment_fen: Mapped[int | None] = mapped_column(BigInteger)
    requested_by: Mapped[str] = mapped_column(String(120), default="")
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(120), default="")
    opinion: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[ItProject] = relationship(back_populates="changes")

    @classmethod
    def __scope_clause__(cls, department_ids):
        return _through_project(cls, department_ids)

    def __str__(self) -> str:
        return f"#{self.id} {self.status}"


class ProjectFunding(TimestampMixin, db.Model):
    """Money finance paid to a project."""

    __tablename__ = "it_projects_fundings"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("it_projects_projects.id"), index=True
    )
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(120), default="")

    project: Mapped[ItProject] = relationship(back_populates="fundings")

    @classmethod
    def __scope_clause__(cls, department_ids):
        return _through_project(cls, department_ids)


class CallReminder(DepartmentScopedMixin, db.Model):
    """A reminder sent to a department (call opening and closing, review limits)."""

    __tablename__ = "it_projects_reminders"
    __table_args__ = (UniqueConstraint("key", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the reminder is about, e.g. "call:3:opened"; one per department.
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date | None] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship()

    def __str__(self) -> str:
        return self.subject
