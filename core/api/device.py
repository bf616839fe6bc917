"""The device path: a gate's token calls answered below Flask's request cycle.

Gates and desks send thousands of small checks a second, each the same shape:
a bearer token, a JSON body, a JSON answer. For an endpoint declared with
``endpoint(..., device=True)`` this WSGI layer answers such a call itself,
with what the full path would do: the same token cache and permission, the
same budget, the same view, the body loaded and the answer dumped through the
same schemas and encoded by the same JSON provider, the same headers. It skips
what a device call does not use: the request and response objects, URL
matching, the session, the locale selection and the request hooks.

Whatever the full path would answer differently goes to Flask untouched: a
cookie or query string (a browser, a language choice), a token this process
has not read in the last API_TOKEN_CACHE_SECONDS, a missing permission, a
body that is not a JSON object its schema loads, a refused budget, an error.
Flask then answers it as it answers every request, so every refusal and error
has one wording and one shape.
"""

import io
import logging

import orjson
from flask import g
from marshmallow import ValidationError
from werkzeug.http import HTTP_STATUS_CODES

from core import ratelimit
from core.api import DEVICE_ROUTES, DeviceRoute, _schema, cached_caller
from core.app import standard_headers
from core.context import Actor, bearer_token, request_id_of, reset_actor, set_actor
from core.models.users import ApiToken

log = logging.getLogger(__name__)

# A device's body is a few hundred bytes; a larger one goes the full way.
MAX_BODY = 16 * 1024


class DevicePath:
    """WSGI middleware answering device calls of the app's device routes."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        # Only the routes of this app's enabled modules.
        self.routes = {
            (route.method, route.path): route
            for route in DEVICE_ROUTES
            if route.endpoint in app.view_functions
        }

    def __call__(self, environ, start_response):
        route = self.routes.get(
            (environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
        )
        if route is not None and not (
            environ.get("HTTP_COOKIE") or environ.get("QUERY_STRING")
        ):
            answer = self.answer(route, environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        return self.wsgi_app(environ, start_response)

    def answer(self, route: DeviceRoute, environ: dict) -> tuple | None:
        """(status, headers, body) of a call the device path can answer, else None."""
        plain = bearer_token(environ)
        if plain is None:
            return None
        body = _read_body(environ)
        if body is None:
            return None
        digest = ApiToken.digest(plain)
        caller = cached_caller(digest)
        if caller is None or not caller.can(route.permission):
            return None
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(payload, dict):
            return None

        with self.app.app_context():
            return self._run(route, environ, caller, digest, payload)

    def _run(self, route, environ, caller, digest, payload) -> tuple | None:
        app = self.app
        try:
            data = _schema(route.body).load(payload)
        except ValidationError:
            return None

        allowed, budget = ratelimit.charge(route.endpoint, ratelimit.token_key(digest))
        if not allowed:
            # The full path spends once more and refuses in its own words.
            return None

        request_id = request_id_of(environ)
        actor = Actor(
            kind="token",
            id=str(caller.token_id),
            name=caller.name,
            request_id=request_id,
            client_addr=environ.get("REMOTE_ADDR") or "",
        )
        g.api_caller, g.api_user, g.request_id = caller, None, request_id
        token = set_actor(actor)
        try:
            result = route.view(body=data)
            if not isinstance(result, dict):
                raise TypeError(f"{route.endpoint} answered {type(result).__name__}")
            body = app.json.body(_schema(route.response).dump(result))
        except Exception:
            # Answered again by the full path, whose error handler words the
            # failure for the caller; logged here so the first try is not lost.
            log.exception("device path failed on %s; the full path answers", route.path)
            return None
        finally:
            reset_actor(token)

        headers = [
            ("Content-Type", app.json.mimetype),
            ("Content-Length", str(len(body))),
            *budget,
            # Flask says so for a call that comes without a cookie: the answer
            # would be another with one.
            ("Vary", "Cookie"),
            *standard_headers(app.config),
            ("X-Request-ID", request_id),
        ]
        return _status_line(route.status), headers, body


def _read_body(environ: dict) -> bytes | None:
    """The request body when it is JSON of a declared small length, else None.

    What was read is put back as the input, so Flask reads it again when the
    call goes the full way.
    """
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 < length <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body if len(body) == length else None


def _status_line(status: int) -> str:
    return f"{status} {HTTP_STATUS_CODES[status].upper()}"
