"""The append-only, hash-chained audit log."""

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models.base import UTCDateTime


class AuditEntry(db.Model):
    """One recorded change or confidential read, chained to the entry before it."""

    __tablename__ = "core_audit_entries"
    # The log cannot audit itself: an entry about an entry would never end.
    __audit__ = False
    __table_args__ = (
        Index("ix_core_audit_entries_record", "table_name", "record_id", "seq"),
        Index("ix_core_audit_entries_actor", "actor_name", "seq"),
        Index("ix_core_audit_entries_module", "module", "seq"),
        Index("ix_core_audit_entries_created", "created_at", "seq"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str] = mapped_column(String(60), default="")
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    request_id: Mapped[str] = mapped_column(String(40), default="")
    client_addr: Mapped[str] = mapped_column(String(64), default="")
    module: Mapped[str] = mapped_column(String(40))
    table_name: Mapped[str] = mapped_column(String(80))
    record_id: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(10))
    changes: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.table_name}:{self.record_id}"


class AuditHead(db.Model):
    """The single row that holds the chain's head; writers lock it."""

    __tablename__ = "core_audit_head"
    # Bookkeeping of the log itself, not a business record.
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
