"""The JSON API under /api/v1: authentication, validation, errors and OpenAPI.

Views are declared with ``endpoint``; the decorator authenticates the caller
(session or bearer token), checks the permission, loads the query string and
the body through marshmallow schemas, dumps the answer through the response
schema, and records everything the OpenAPI document needs.
"""

import functools
import logging
from dataclasses import dataclass, field

from flask import Blueprint, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from marshmallow import Schema, ValidationError, fields
from sqlalchemy.orm import joinedload
from wtforms import ValidationError as WTFValidationError

from core.context import Actor, set_actor
from core.errors import Forbidden, InvalidInput, PortalError
from core.extensions import db, limiter
from core.i18n import _
from core.models.users import ApiToken, User

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


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def authenticate():
    """Find the caller: a bearer token, else the portal session; None if neither."""
    plain = _bearer_token()
    if plain is not None:
        # One statement finds the token, its user, department and roles.
        token = (
            db.session.scalars(
                db.select(ApiToken)
                .where(ApiToken.token_hash == ApiToken.digest(plain))
                .options(joinedload(ApiToken.user).joinedload(User.roles))
            )
            .unique()
            .first()
        )
        if token is None or not token.is_active:
            return None
        g.api_token = token
        set_actor(
            Actor(
                kind="token",
                id=str(token.id),
                name=f"{token.user.username}/{token.name}",
                request_id=g.request_id,
                client_addr=request.remote_addr or "",
            )
        )
        return token.user

    if current_user.is_authenticated:
        # A browser session must prove it is the portal calling, not another site.
        if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config.get(
            "WTF_CSRF_ENABLED", True
        ):
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except (CSRFError, WTFValidationError):
                raise Forbidden(_("The CSRF token is missing or invalid.")) from None
        return current_user._get_current_object()
    return None


def _load(schema_cls, data, location: str):
    if schema_cls is None:
        return None
    try:
        return schema_cls().load(data)
    except ValidationError as error:
        messages = (
            error.messages
            if isinstance(error.messages, dict)
            else {location: error.messages}
        )
        raise InvalidInput(messages) from None


def api_rate_limit() -> str:
    """The per-caller request budget of rate-limited endpoints."""
    return f"{current_app.config['API_RATE_LIMIT_PER_MINUTE']}/minute"


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
):
    """Declare an API view; see the module docstring.

    Rate-limited views allow API_RATE_LIMIT_PER_MINUTE requests per token (or
    user, or address) per minute, so credential numbers cannot be enumerated.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(**kwargs):
            if not public:
                user = authenticate()
                if user is None:
                    return _unauthorised()
                g.api_user = user
                if permission and not user.can(permission):
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
            return response(many=many).dump(result), status

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
        if rate_limited:
            wrapper = limiter.limit(api_rate_limit)(wrapper)
        bp.add_url_rule(rule, view.__name__, wrapper, methods=list(methods))
        return wrapper

    return decorate


def _unauthorised():
    from core.errors import problem

    response = problem(
        401,
        "Unauthorized",
        _("Sign in, or send a valid API token as “Authorization: Bearer <token>”."),
    )
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def api_user():
    """The user of the current API request."""
    return g.api_user


__all__ = [
    "API_PREFIX",
    "OPERATIONS",
    "PortalError",
    "api_blueprint",
    "api_user",
    "endpoint",
]
