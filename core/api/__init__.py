"""The JSON API under /api/v1: authentication, validation, errors and OpenAPI.

Views are declared with ``endpoint``; the decorator counts the request against
its caller's budget, authenticates the caller (session or bearer token), checks
the permission, loads the query string and the body through marshmallow
schemas, dumps the answer through the response schema, and records everything
the OpenAPI document needs.
"""

import functools
import itertools
import logging
import threading
import time
from dataclasses import dataclass, field

from flask import Blueprint, after_this_request, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import event
from sqlalchemy.orm import Session, joinedload
from werkzeug.exceptions import TooManyRequests, Unauthorized
from wtforms import ValidationError as WTFValidationError

from core import ratelimit
from core.context import Actor, bearer_token, set_actor
from core.errors import Forbidden, InvalidInput, PortalError
from core.extensions import db
from core.i18n import _
from core.models.users import ApiToken, Role, User

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


@dataclass
class Operation:
    """What the OpenAPI document says of one endpoint."""

    rule: str
    method: str
    endpoint: str
    summary: str
    tags: list
    query: type[Schema] | None
    body: type[Schema] | None
    response: type[Schema] | None
    many: bool
    status: int
    public: bool
    permission: str | None
    errors: list = field(default_factory=list)


OPERATIONS: list[Operation] = []


@dataclass(frozen=True)
class DeviceRoute:
    """An endpoint also served on the device path (core.api.device)."""

    method: str
    path: str
    endpoint: str
    view: object
    permission: str
    body: type[Schema]
    response: type[Schema]
    status: int


DEVICE_ROUTES: list[DeviceRoute] = []


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String()
    status = fields.Integer(required=True)
    title = fields.String(required=True)
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    article = fields.String()


def api_blueprint(name: str, url_name: str | None = None) -> Blueprint:
    """A blueprint mounted at /api/v1/<url_name>."""
    prefix = f"{API_PREFIX}/{url_name}" if url_name else API_PREFIX
    return Blueprint(f"api_{name}", name, url_prefix=prefix)


# Bearer tokens: what a token stands for is kept a few seconds per process, so
# a gate sending thousands of checks does not read its token, user and roles
# for each one. A change to a token, user or role made through this process's
# sessions forgets every entry at once; one made elsewhere (another worker, a
# command) is seen within API_TOKEN_CACHE_SECONDS.

_CACHE_LIMIT = 10_000
_CALLER_MODELS = (ApiToken, User, Role)


@dataclass(frozen=True)
class TokenCaller:
    """What a request needs of a bearer token's holder, kept between requests."""

    token_id: int
    user_id: int
    name: str
    is_active: bool
    is_superuser: bool
    permissions: frozenset
    expires: float

    @classmethod
    def of(cls, token: ApiToken, expires: float) -> "TokenCaller":
        """The snapshot of a token and its user as loaded from the database."""
        user = token.user
        return cls(
            token_id=token.id,
            user_id=user.id,
            name=f"{user.username}/{token.name}",
            is_active=token.is_active,
            is_superuser=user.is_superuser,
            permissions=frozenset(user.permissions),
            expires=expires,
        )

    def can(self, permission: str) -> bool:
        """Whether the holder held `permission` when the token was read."""
        return self.is_active and (self.is_superuser or permission in self.permissions)


class _CallerCache:
    """Token digest -> TokenCaller, with a generation that every change bumps.

    A lookup that started before a change must not store what it read: the
    generation it saw no longer matches, so the entry is dropped.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: dict[str, TokenCaller] = {}
        self.generation = 0

    def get(self, digest: str, now: float) -> TokenCaller | None:
        found = self.entries.get(digest)
        if found is not None and found.expires > now:
            return found
        return None

    def put(self, digest: str, caller: TokenCaller, generation: int) -> None:
        with self.lock:
            if generation != self.generation:
                return
            if len(self.entries) >= _CACHE_LIMIT:
                self.entries.clear()
            self.entries[digest] = caller

    def forget(self) -> None:
        with self.lock:
            self.generation += 1
            self.entries.clear()


_callers = _CallerCache()


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    changed = itertools.chain(session.new, session.dirty, session.deleted)
    if any(isinstance(record, _CALLER_MODELS) for record in changed):
        # Forget now and again at commit: a lookup between the two would read
        # the rows as they were before this transaction.
        session.info["api_callers_changed"] = True
        _callers.forget()


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    if session.info.pop("api_callers_changed", False):
        _callers.forget()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction):
    session.info.pop("api_callers_changed", None)


def cached_caller(digest: str) -> TokenCaller | None:
    """The caller of a token digest as this process last read it, if still fresh."""
    return _callers.get(digest, time.monotonic())


def _token_caller(plain: str) -> tuple[TokenCaller | None, User | None]:
    """The token's caller, and its user when this call had to read it."""
    digest = ApiToken.digest(plain)
    now = time.monotonic()
    caller = _callers.get(digest, now)
    if caller is not None:
        return caller, None
    generation = _callers.generation
    # One statement finds the token, its user, department and roles.
    token = (
        db.session.scalars(
            db.select(ApiToken)
            .where(ApiToken.token_hash == digest)
            .options(joinedload(ApiToken.user).joinedload(User.roles))
        )
        .unique()
        .first()
    )
    if token is None or not token.is_active:
        return None, None
    caller = TokenCaller.of(token, now + current_app.config["API_TOKEN_CACHE_SECONDS"])
    _callers.put(digest, caller, generation)
    return caller, token.user


def authenticate():
    """Find the caller: a bearer token, else the portal session; None if neither.

    A token caller is a TokenCaller (its user is loaded by `api_user` when a
    view asks for it); a session caller is the User.
    """
    plain = bearer_token(request.environ)
    if plain is not None:
        caller, user = _token_caller(plain)
        if caller is None or not caller.is_active:
            return None
        # Set on every request: an app context shared by several requests (a
        # test, a command) must not hand one caller's user to the next.
        g.api_caller, g.api_user = caller, user
        set_actor(
            Actor(
                kind="token",
                id=str(caller.token_id),
                name=caller.name,
                request_id=g.request_id,
                client_addr=request.remote_addr or "",
            )
        )
        return caller

    if current_user.is_authenticated:
        # A browser session must prove it is the portal calling, not another site.
        if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config.get(
            "WTF_CSRF_ENABLED", True
        ):
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except (CSRFError, WTFValidationError):
                raise Forbidden(_("The CSRF token is missing or invalid.")) from None
        user = current_user._get_current_object()
        g.api_caller, g.api_user = None, user
        return user
    return None


# Schemas hold no per-call state, so one instance per class serves every request
# instead of deep-copying the declared fields each time.
_schemas: dict[tuple[type, bool], Schema] = {}


def _schema(schema_cls: type[Schema], many: bool = False) -> Schema:
    key = (schema_cls, many)
    schema = _schemas.get(key)
    if schema is None:
        schema = _schemas[key] = schema_cls(many=many)
    return schema


def _load(schema_cls, data, location: str):
    if schema_cls is None:
        return None
    try:
        return _schema(schema_cls).load(data)
    except ValidationError as error:
        messages = (
            error.messages
            if isinstance(error.messages, dict)
            else {location: error.messages}
        )
        raise InvalidInput(messages) from None


def _spend_budget() -> None:
    """Count the request against its caller's per-endpoint budget, or refuse it.

    The caller is its token, else its user, else its address; the answer
    carries the X-RateLimit headers.
    """
    allowed, headers = ratelimit.charge(request.endpoint or "")

    if headers:

        @after_this_request
        def add_headers(response):
            # Added, not set: no view sends these, and setting searches the list.
            for name, value in headers:
                response.headers.add(name, value)
            return response

    if not allowed:
        amount = current_app.config["API_RATE_LIMIT_PER_MINUTE"]
        raise TooManyRequests(
            _("Too many requests: at most %(amount)s a minute.", amount=amount)
        )


def endpoint(
    bp: Blueprint,
    rule: str,
    *,
    methods=("GET",),
    query=None,
    body=None,
    response=None,
    many=False,
    status=200,
    permission=None,
    public=False,
    summary="",
    tags=(),
    rate_limited=True,
    device=False,
):
    """Declare an API view; see the module docstring.

    Rate-limited views allow API_RATE_LIMIT_PER_MINUTE requests per token (or
    user, or address) per minute, so credential numbers cannot be enumerated.
    A `device` view is also served on the device path (core.api.device): it
    takes a JSON body, needs a permission, has no URL variables or query, and
    answers a dict from its body alone, without reading `request`.
    """

    def decorate(view):
        if device:
            if not rate_limited:
                raise TypeError(f"{rule}: a device endpoint spends the caller's budget")
            _declare_device_route(
                bp, rule, methods, view, permission, body, response, status
            )

        @functools.wraps(view)
        def wrapper(**kwargs):
            if rate_limited:
                _spend_budget()
            if not public:
                caller = authenticate()
                if caller is None:
                    return _unauthorised()
                if permission and not caller.can(permission):
                    raise Forbidden(
                        _(
                            "You do not have the permission “%(permission)s”.",
                            permission=permission,
                        )
                    )
            if query is not None:
                kwargs["query"] = _load(query, request.args.to_dict(), "query")
            if body is not None:
                payload = request.get_json(silent=True)
                if not isinstance(payload, dict):
                    raise InvalidInput({"body": [_("The body must be a JSON object.")]})
                kwargs["body"] = _load(body, payload, "body")

            result = view(**kwargs)

            if (
                response is None
                or isinstance(result, tuple)
                or hasattr(result, "status_code")
            ):
                return result
            return _schema(response, many).dump(result), status

        for method in methods:
            OPERATIONS.append(
                Operation(
                    rule=(bp.url_prefix or "") + rule,
                    method=method.lower(),
                    endpoint=f"{bp.name}.{view.__name__}",
                    summary=summary or (view.__doc__ or "").strip().split("\n")[0],
                    tags=list(tags) or [bp.name.removeprefix("api_")],
                    query=query,
                    body=body,
                    response=response,
                    many=many,
                    status=status,
                    public=public,
                    permission=permission,
                )
            )
        bp.add_url_rule(rule, view.__name__, wrapper, methods=list(methods))
        return wrapper

    return decorate


def _declare_device_route(bp, rule, methods, view, permission, body, response, status):
    path = (bp.url_prefix or "") + rule
    if "<" in rule or not (permission and body and response):
        raise TypeError(
            f"{path}: a device endpoint has a fixed path, a permission, a body"
            " schema and a response schema"
        )
    for method in methods:
        DEVICE_ROUTES.append(
            DeviceRoute(
                method=method.upper(),
                path=path,
                endpoint=f"{bp.name}.{view.__name__}",
                view=view,
                permission=permission,
                body=body,
                response=response,
                status=status,
            )
        )


def _unauthorised_detail() -> str:
    return _("Sign in, or send a valid API token as “Authorization: Bearer <token>”.")


def _unauthorised():
    from core.errors import problem

    response = problem(401, "Unauthorized", _unauthorised_detail())
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def api_user():
    """The user of the current API request (read on first use for a token)."""
    user = g.get("api_user")
    if user is None:
        caller = g.api_caller
        user = (
            db.session.scalars(
                db.select(User)
                .where(User.id == caller.user_id)
                .options(joinedload(User.roles))
            )
            .unique()
            .first()
        )
        if user is None or not user.is_active:
            # Deactivated in another process since the token was cached.
            raise Unauthorized(_unauthorised_detail())
        g.api_user = user
    return user


__all__ = [
    "API_PREFIX",
    "OPERATIONS",
    "PortalError",
    "api_blueprint",
    "api_user",
    "endpoint",
]
