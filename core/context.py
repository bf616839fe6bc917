"""Who is acting: a user, an API token, a scheduled job or the command line."""

import contextlib
import contextvars
import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """The party behind a change, recorded in every audit entry."""

    kind: str  # "user", "token", "job", "cli", "system"
    id: str = ""
    name: str = ""
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    client_addr: str = ""


SYSTEM = Actor(kind="system", name="system")

_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar(
    "current_actor", default=None
)


def current_actor() -> Actor:
    """The actor of the running request, job or command."""
    return _current.get() or SYSTEM


def set_actor(actor: Actor) -> contextvars.Token:
    """Make `actor` the current actor; returns a token for `reset_actor`."""
    return _current.set(actor)


def reset_actor(token: contextvars.Token) -> None:
    """Restore the actor that was current before `set_actor`."""
    _current.reset(token)


@contextlib.contextmanager
def acting_as(actor: Actor):
    """Run a block with `actor` as the current actor."""
    token = set_actor(actor)
    try:
        yield actor
    finally:
        reset_actor(token)


def bearer_token(environ: dict) -> str | None:
    """The API token a request sends as `Authorization: Bearer …`, if any.

    Read from the WSGI environ: it is asked for by the actor, the rate limit
    and the authentication of every API call.
    """
    header = environ.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def request_id_of(environ: dict) -> str:
    """The request's id: the caller's X-Request-ID (40 characters), else a new one."""
    return environ.get("HTTP_X_REQUEST_ID", "")[:40] or uuid.uuid4().hex
