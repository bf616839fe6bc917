"""Users, roles with module permissions, and API tokens."""

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.extensions import db
from core.models.base import TimestampMixin, UTCDateTime, VersionedMixin, utcnow
from core.models.departments import Department

user_roles = Table(
    "core_user_roles",
    db.metadata,
    Column(
        "user_id", ForeignKey("core_users.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "role_id", ForeignKey("core_roles.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Role(TimestampMixin, db.Model):
    """A named set of permissions such as `quality_award.review`."""

    __tablename__ = "core_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    permissions: Mapped[list] = mapped_column(JSON, default=list)
    # Superusers hold every permission of every enabled module.
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    # City-wide roles (e.g. the award committee office) see every department.
    city_wide: Mapped[bool] = mapped_column(Boolean, default=False)

    def __str__(self) -> str:
        return self.title or self.name


class User(UserMixin, TimestampMixin, VersionedMixin, db.Model):
    """A member of staff who signs in to the portal or calls the API."""

    __tablename__ = "core_users"
    __audit_mask__ = {"password_hash"}

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("core_departments.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(10), default="")

    department: Mapped[Department] = relationship(lazy="joined")
    roles: Mapped[list[Role]] = relationship(secondary=user_roles, lazy="selectin")

    def __str__(self) -> str:
        return self.full_name or self.username

    def set_password(self, password: str) -> None:
        """Store a salted hash of `password`; the password itself is never kept."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether `password` matches the stored hash."""
        return bool(self.password_hash) and check_password_hash(
            self.password_hash, password
        )

    @property
    def is_superuser(self) -> bool:
        """Whether any role of this user is a superuser role."""
        return any(role.is_superuser for role in self.roles)

    @property
    def permissions(self) -> set[str]:
        """Every permission granted through the user's roles."""
        granted: set[str] = set()
        for role in self.roles:
            granted.update(role.permissions or [])
        return granted

    def can(self, permission: str) -> bool:
        """Whether the user holds `permission` (e.g. `dual_random.draw`)."""
        return self.is_active and (self.is_superuser or permission in self.permissions)


class ApiToken(TimestampMixin, db.Model):
    """A per-user bearer token; only its SHA-256 digest is stored."""

    __tablename__ = "core_api_tokens"
    __audit_mask__ = {"token_hash"}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest(token: str) -> str:
        """The stored form of a token."""
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiToken", str]:
        """Create a token for `user`; the plain token is returned once, never stored."""
        plain = "zz_" + secrets.token_urlsafe(32)
        token = cls(
            user=user, name=name, prefix=plain[:8], token_hash=cls.digest(plain)
        )
        return token, plain

    @property
    def is_active(self) -> bool:
        """Whether the token is still usable."""
        return self.revoked_at is None and self.user.is_active

    def revoke(self) -> None:
        """Revoke the token from now on."""
        self.revoked_at = utcnow()
