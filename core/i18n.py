"""Translation helpers: every user-facing string goes through these."""

from flask import has_request_context, request, session
from flask_babel import gettext, lazy_gettext, ngettext

_ = gettext
_l = lazy_gettext

__all__ = ["_", "_l", "ngettext", "select_locale", "LANGUAGES"]

LANGUAGES = {"zh_CN": "中文", "en": "English"}


def select_locale() -> str | None:
    """Pick the locale: ?lang=, then the session, then the app default."""
    if not has_request_context():
        return None
    # Most requests (every device's API call) carry neither a choice nor a
    # session; they are answered without parsing the query or the cookie.
    if b"lang=" in request.query_string:
        wanted = request.args.get("lang")
        if wanted in LANGUAGES:
            session["lang"] = wanted
            return wanted
    # Touching the session marks it read, and a read session costs a Vary
    # header; without a cookie there is nothing stored to read.
    if request.environ.get("HTTP_COOKIE") and session:
        stored = session.get("lang")
        if stored in LANGUAGES:
            return stored
    return None
