"""The portal's home page (the dashboard), sign-in and sign-out."""

import logging
from datetime import timedelta

from flask import current_app, flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core.charts import Chart
from core.dashboard import due_items
from core.extensions import db
from core.i18n import _, _l
from core.models.base import utcnow
from core.models.users import User
from core.timeutil import today_local

log = logging.getLogger(__name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=200)]
    )


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("admin.index")


def attempt_login(username: str, password: str) -> tuple[User | None, str]:
    """Check a sign-in, counting failures and locking after too many."""
    user = db.session.scalars(select(User).where(User.username == username)).first()
    generic = _("The username or password is wrong.")
    if user is None or not user.is_active:
        return None, generic

    now = utcnow()
    if user.locked_until and user.locked_until > now:
        minutes = int((user.locked_until - now).total_seconds() // 60) + 1
        return None, _(
            "Too many failed sign-ins. Try again in %(minutes)s minutes.",
            minutes=minutes,
        )

    if not user.check_password(password):
        user.failed_logins += 1
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        if user.failed_logins >= limit:
            user.locked_until = now + timedelta(
                minutes=current_app.config["LOGIN_LOCK_MINUTES"]
            )
            user.failed_logins = 0
            log.warning("sign-in locked for %s after %s failures", username, limit)
        db.session.commit()
        return None, generic

    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.commit()
    return user, ""


def due_chart(items) -> Chart | None:
    """Items per module, overdue and on time, for the dashboard chart."""
    if not items:
        return None
    from flask import current_app

    registry = current_app.extensions["registry"]
    modules = sorted({item.module for item in items})
    labels = [str(registry.by_name[m].title) if m in registry else m for m in modules]
    overdue = [sum(1 for i in items if i.module == m and i.overdue) for m in modules]
    on_time = [
        sum(1 for i in items if i.module == m and not i.overdue) for m in modules
    ]
    return Chart(
        _("Waiting on you by module"),
        labels,
        {_("Overdue"): overdue, _("On time"): on_time},
    )


class PortalIndexView(AdminIndexView):
    """Dashboard at /admin, plus the sign-in and sign-out pages."""

    @expose("/")
    def index(self):
        if not current_user.is_authenticated:
            return redirect(url_for(".login"))
        today = today_local()
        items = due_items(current_user, today)
        return self.render(
            "admin/dashboard.html", items=items, today=today, chart=due_chart(items)
        )

    @expose("/login/", methods=("GET", "POST"))
    def login(self):
        form = LoginForm()
        if form.validate_on_submit():
            user, message = attempt_login(form.username.data, form.password.data)
            if user is not None:
                login_user(user)
                log.info("%s signed in", user.username)
                return redirect(_safe_next(request.args.get("next")))
            flash(message, "error")
        return self.render("admin/login.html", form=form)

    @expose("/logout/", methods=("POST",))
    def logout(self):
        if current_user.is_authenticated:
            log.info("%s signed out", current_user.username)
        logout_user()
        return redirect(url_for(".login"))
