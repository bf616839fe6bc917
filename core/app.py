"""The application factory."""

import logging
import os
from pathlib import Path

from flask import Blueprint, Flask, g, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from core import audit, ratelimit
from core.config import enabled_module_names, load_settings
from core.context import Actor, bearer_token, request_id_of, set_actor
from core.errors import PortalError, problem, problem_from
from core.extensions import babel, csrf, db, login_manager
from core.i18n import _, _l, select_locale
from core.jsonprovider import OrjsonProvider
from core.registry import Registry, resolve

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    """Build the portal app with the enabled modules; see README.md for settings."""
    instance = os.environ.get("INSTANCE_PATH", str(ROOT / "instance"))
    app = PortalFlask("core", instance_path=instance, root_path=str(ROOT / "core"))
    app.config.update(load_settings(app.instance_path, overrides))
    for folder in (
        app.instance_path,
        app.config["UPLOAD_FOLDER"],
        app.config["MAIL_FILE_DIR"],
    ):
        Path(folder).mkdir(parents=True, exist_ok=True)
    _configure_logging(app)

    registry = Registry(resolve(enabled_module_names(app.config["ENABLED_MODULES"])))
    app.extensions["registry"] = registry
    for module in registry:
        module.import_models()

    db.init_app(app)
    csrf.init_app(app)
    ratelimit.init_app(app)
    _init_login(app)
    _init_babel(app, registry)
    audit.install()
    audit.set_module_names(m.name for m in registry)

    _init_request_hooks(app)
    _init_errors(app)
    _init_api(app, registry)
    _init_admin(app, registry)
    _init_templates(app, registry)
    _init_device_path(app)

    app.add_url_rule("/healthz", "healthz", _healthz)
    app.add_url_rule("/", "root", lambda: _redirect_to_portal())
    log.debug("app created with modules: %s", ", ".join(m.name for m in registry))
    return app


class PortalFlask(Flask):
    """Flask with orjson for JSON and hooks checked for coroutines only once."""

    json_provider_class = OrjsonProvider

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._synced: dict = {}

    def ensure_sync(self, func):
        """`func`, or its synchronous wrapper when it is a coroutine function.

        Flask asks this of every hook on every request; the answer for a given
        function never changes, so it is looked up rather than inspected anew.
        """
        synced = self._synced.get(func)
        if synced is None:
            synced = self._synced[func] = super().ensure_sync(func)
        return synced


def _redirect_to_portal():
    from flask import redirect

    return redirect("/admin/")


def _healthz():
    from core.api.views import healthz

    return healthz()


def _configure_logging(app: Flask) -> None:
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def _init_login(app: Flask) -> None:
    from core.models.users import User

    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    login_manager.login_message = _l("Please sign in to use the portal.")

    @login_manager.user_loader
    def load_user(user_id):
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.is_active else None


def _init_babel(app: Flask, registry: Registry) -> None:
    folders = [str(ROOT / "core" / "translations")]
    folders += [str(m.translations_dir()) for m in registry if m.translations_dir()]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(folders)
    babel.init_app(app, locale_selector=select_locale)


# Sent with every answer unless a view set its own.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Referrer-Policy", "same-origin"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline';"
        " script-src 'self' 'unsafe-inline'; frame-ancestors 'self'",
    ),
)


def standard_headers(config) -> tuple:
    """The security headers every answer carries; HSTS where cookies are secure."""
    if config["SESSION_COOKIE_SECURE"]:
        return SECURITY_HEADERS + (("Strict-Transport-Security", "max-age=31536000"),)
    return SECURITY_HEADERS


class CookieSessions(SecureCookieSessionInterface):
    """Signed cookie sessions that build no signer for a request without one.

    Devices calling the API send no cookie, and building the signer is a
    noticeable share of a gate check.
    """

    def open_session(self, app, request):
        """An empty session when the request sends no cookie at all."""
        if app.secret_key and not request.environ.get("HTTP_COOKIE"):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        """Nothing to write for a session that came without a cookie and stays empty.

        Flask-Login reads the session after every request, so the answer still
        says it varies with the cookie, as Flask would have said.
        """
        if (
            not session
            and not session.modified
            and not request.environ.get("HTTP_COOKIE")
        ):
            if session.accessed:
                response.headers.add("Vary", "Cookie")
            return
        super().save_session(app, session, response)


def _init_request_hooks(app: Flask) -> None:
    app.session_interface = CookieSessions()

    @app.before_request
    def identify_actor():
        environ = request.environ
        request_id = request_id_of(environ)
        g.request_id = request_id
        client_addr = environ.get("REMOTE_ADDR") or ""
        # An API call with a token is made by the token, whatever session cookie
        # came with it: core.api.authenticate names that actor, so the session's
        # user is not loaded here.
        token_call = bearer_token(environ) is not None and environ.get(
            "PATH_INFO", ""
        ).startswith("/api/")
        if not token_call and current_user.is_authenticated:
            actor = Actor(
                kind="user",
                id=str(current_user.id),
                name=current_user.username,
                request_id=request_id,
                client_addr=client_addr,
            )
        else:
            actor = Actor(
                kind="anonymous", request_id=request_id, client_addr=client_addr
            )
        set_actor(actor)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        present = {name.lower() for name, _value in headers}
        for name, value in standard_headers(app.config):
            if name.lower() not in present:
                headers.add(name, value)
        headers["X-Request-ID"] = g.get("request_id", "")
        return response

    @app.teardown_request
    def release_session(error):
        if error is not None:
            db.session.rollback()


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _init_errors(app: Flask) -> None:
    @app.errorhandler(PortalError)
    def portal_error(error: PortalError):
        db.session.rollback()
        if _is_api():
            return problem_from(error)
        from flask import flash, redirect

        flash(str(error), "error")
        return redirect(request.referrer or "/admin/")

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(error):
        # A number or text the database cannot hold is the caller's bad input.
        db.session.rollback()
        log.info("refused out-of-range input on %s: %s", request.path, error)
        detail = _("A value in the request is out of range for its field.")
        if _is_api():
            return problem(400, "Invalid input", detail)
        from flask import flash, redirect

        flash(detail, "error")
        return redirect("/admin/")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _is_api():
            return problem(error.code or 500, error.name, error.description or "")
        return error

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _is_api():
            return problem(
                500,
                "Internal Server Error",
                _("Something went wrong on our side; it has been logged."),
            )
        return "Internal Server Error", 500


def _init_api(app: Flask, registry: Registry) -> None:
    from core.api.views import bp as core_api

    app.register_blueprint(core_api)
    csrf.exempt(core_api)
    for module in registry:
        before = set(app.blueprints)
        module.register_api(app)
        for name in set(app.blueprints) - before:
            # The API checks CSRF itself for session callers (core.api.authenticate).
            csrf.exempt(app.blueprints[name])


def _init_device_path(app: Flask) -> None:
    from core.api.device import DevicePath

    # Wraps Flask's own WSGI callable, so middleware added later (a proxy fix)
    # still runs in front of both paths.
    app.wsgi_app = DevicePath(app, app.wsgi_app)


def _init_admin(app: Flask, registry: Registry) -> None:
    from core.admin.index import PortalIndexView
    from core.admin.views import register_core_views

    admin = Admin(
        app,
        name=_l("Zhuzhou Municipal Policy Portal"),
        index_view=PortalIndexView(name=_l("Home"), url="/admin"),
        theme=Bootstrap4Theme(base_template="admin/portal_base.html", fluid=True),
    )
    app.extensions["portal_admin"] = admin
    register_core_views(admin)
    for module in registry:
        module.register_admin(admin, app)

    static = Blueprint(
        "core_static",
        __name__,
        static_folder=str(ROOT / "core" / "static"),
        static_url_path="/static/core",
    )
    app.register_blueprint(static)


def _audit_history(record):
    """Audit entries of a record, for the history panel of its page."""
    from flask_login import current_user

    from core.audit_query import history_of

    if not current_user.is_authenticated or not current_user.can("core.audit.view"):
        return []
    record_id = ",".join(
        str(v) for v in record.__mapper__.primary_key_from_instance(record)
    )
    return history_of(record.__table__.name, record_id)


def _init_templates(app: Flask, registry: Registry) -> None:
    from core.charts import chart_html

    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["chart_html"] = chart_html
    app.jinja_env.globals["audit_history"] = _audit_history
    app.jinja_env.globals["module_title"] = lambda name: (
        str(registry.by_name[name].title) if name in registry else name
    )

    def cn_date(value):
        if value is None:
            return ""
        if str(get_locale()).startswith("zh"):
            return f"{value.year}年{value.month}月{value.day}日"
        return format_date(value, "medium")

    def cn_datetime(value):
        if value is None:
            return ""
        return format_datetime(value, "yyyy-MM-dd HH:mm")

    def yuan(value):
        if value is None:
            return ""
        return f"{value:,.2f}"

    app.jinja_env.filters.update(cn_date=cn_date, cn_datetime=cn_datetime, yuan=yuan)
    app.jinja_env.globals["jsonify"] = jsonify
