"""Scheduler runs and locks, report subscriptions and the mail outbox."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
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

_BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class JobRun(db.Model):
    """One occurrence of a job: the claim that lets exactly one process run it.

    The unique (job_id, scheduled_at) pair is the claim: every scheduler process
    that sees the occurrence tries to insert this row and only one succeeds.
    """

    __tablename__ = "core_job_runs"
    # The run history is a log of its own; auditing every tick would flood the
    # audit chain and serialise every scheduler on its head row.
    __audit__ = False
    __table_args__ = (
        UniqueConstraint("job_id", "scheduled_at", name="uq_core_job_runs_occurrence"),
        Index("ix_core_job_runs_state_deadline", "state", "deadline_at"),
        Index("ix_core_job_runs_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(120), index=True)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str] = mapped_column(String(120), default="")
    # queued (run now, waiting for a scheduler), running, succeeded, failed, skipped
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text, default="")
    host: Mapped[str] = mapped_column(String(120), default="")
    pid: Mapped[int | None] = mapped_column(Integer)

    @property
    def duration(self) -> float | None:
        """Seconds between start and end, once the run has ended."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class JobLock(db.Model):
    """Held by the run of a job while it works, so two runs never overlap."""

    __tablename__ = "core_job_locks"
    # Taken and released on every run; the run history already records it.
    __audit__ = False

    job_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    run_id: Mapped[int] = mapped_column(_BIG_ID)
    holder: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SchedulerNode(db.Model):
    """A scheduler process and when it last showed it was alive."""

    __tablename__ = "core_scheduler_nodes"
    # A heartbeat every few seconds is not a change anyone needs to audit.
    __audit__ = False

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportSubscription(
    DepartmentScopedMixin, TimestampMixin, VersionedMixin, db.Model
):
    """A department's standing order for a report by e-mail."""

    __tablename__ = "core_report_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[str] = mapped_column(String(120))
    # daily, workday, weekly, monthly, quarterly, yearly or cron
    schedule: Mapped[str] = mapped_column(String(20))
    send_time: Mapped[str] = mapped_column(String(5), default="08:00")
    cron: Mapped[str] = mapped_column(String(120), default="")
    format: Mapped[str] = mapped_column(String(10), default="xlsx")
    include_department_contacts: Mapped[bool] = mapped_column(Boolean, default=True)
    extra_recipients: Mapped[str] = mapped_column(Text, default="")
    send_when_empty: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Department] = relationship()

    def __str__(self) -> str:
        return f"{self.report_id} · {self.department}"


class ReportDelivery(db.Model):
    """One occurrence of a subscription: what was built and where it went."""

    __tablename__ = "core_report_deliveries"
    # The delivery log is an operational record like the run history.
    __audit__ = False
    __table_args__ = (
        UniqueConstraint(
            "subscription_id", "due_at", name="uq_core_report_deliveries_due"
        ),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("core_report_subscriptions.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # queued (handed to the outbox), empty (nothing to send), failed
    outcome: Mapped[str] = mapped_column(String(10))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_outbox_messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subscription: Mapped[ReportSubscription] = relationship()

    @classmethod
    def __scope_clause__(cls, department_ids):
        """Deliveries are owned through their subscription's department."""
        return cls.subscription_id.in_(
            select(ReportSubscription.id).where(
                ReportSubscription.department_id.in_(department_ids)
            )
        )


class OutboxMessage(db.Model):
    """A message waiting for, or done with, the SMTP server.

    States: queued (waiting, perhaps for a retry at next_attempt_at), sending
    (handed to the server; set and committed before the hand-over), sent, and
    failed (gave up; kept for an operator).
    """

    __tablename__ = "core_outbox_messages"
    # Messages carry whole reports; the outbox is its own record of what went out.
    __audit__ = False
    __scope_column__ = "department_id"
    __table_args__ = (Index("ix_core_outbox_messages_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_departments.id"), index=True
    )
    origin: Mapped[str] = mapped_column(String(120), default="")
    sender: Mapped[str] = mapped_column(String(254))
    recipients: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")

    attachments: Mapped[list["OutboxAttachment"]] = relationship(
        back_populates="message",
        cascade="all, delete-orphan",
        order_by="OutboxAttachment.id",
    )
    department: Mapped[Department | None] = relationship()

    @property
    def recipient_list(self) -> list[str]:
        """Recipients as a list."""
        return [r for r in self.recipients.split(",") if r]


class OutboxAttachment(db.Model):
    """A file attached to an outbox message, stored with it."""

    __tablename__ = "core_outbox_attachments"
    # Part of its message, which is not audited either.
    __audit__ = False

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("core_outbox_messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    data: Mapped[bytes] = mapped_column(LargeBinary)

    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")
