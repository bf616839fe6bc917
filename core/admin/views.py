"""Portal views of the core: people, departments, organisations, audit, calendar."""

import logging
from datetime import MAXYEAR, MINYEAR, date

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from wtforms import PasswordField, SelectMultipleField
from wtforms.validators import Length, Optional

from core import audit, calendar
from core.admin.base import PortalModelView, PortalView
from core.directory import place_department
from core.errors import PortalError
from core.extensions import db
from core.i18n import _, _l
from core.models.calendar import CalendarDay, CalendarYear
from core.models.departments import DEPARTMENT_KIND_LABELS, Department
from core.models.organisations import CreditRecord, Organisation
from core.models.users import ApiToken, Role, User
from core.validators import validate_uscc

log = logging.getLogger(__name__)

CORE_CATEGORY = _l("System")


class UserView(PortalModelView):
    view_permission = edit_permission = "core.admin"
    column_list = (
        "username",
        "full_name",
        "department",
        "roles",
        "is_active",
        "last_login_at",
    )
    column_labels = {
        "username": _l("Username"),
        "full_name": _l("Full name"),
        "department": _l("Department"),
        "roles": _l("Roles"),
        "is_active": _l("Active"),
        "last_login_at": _l("Last sign-in"),
        "email": _l("Email"),
        "new_password": _l("New password"),
        "language": _l("Language"),
    }
    column_searchable_list = ("username", "full_name")
    column_filters = ("department.name", "is_active")
    form_columns = (
        "username",
        "full_name",
        "email",
        "department",
        "roles",
        "is_active",
        "new_password",
    )
    form_extra_fields = {
        "new_password": PasswordField(
            _l("New password"), validators=[Optional(), Length(min=10, max=200)]
        )
    }
    column_details_exclude_list = ("password_hash",)

    def on_model_change(self, form, model, is_created):
        if form.new_password.data:
            model.set_password(form.new_password.data)
        elif is_created:
            raise PortalError(
                _("A new user needs a password of at least 10 characters.")
            )
        if model.department is not None and not self._can_own(model.department):
            raise PortalError(
                _(
                    "You may only file records for your own department "
                    "and the departments below it."
                )
            )

    def _can_own(self, department):
        from core.scoping import can_own

        return can_own(current_user, department)

    def get_query(self):
        from core.scoping import visible_department_ids

        ids = visible_department_ids(current_user)
        query = db.session.query(User)
        return query if ids is None else query.filter(User.department_id.in_(ids))

    def get_count_query(self):
        from sqlalchemy import func

        from core.scoping import visible_department_ids

        ids = visible_department_ids(current_user)
        query = db.session.query(func.count(User.id))
        return query if ids is None else query.filter(User.department_id.in_(ids))

    def get_one(self, id):
        return self.get_query().filter(User.id == id).first()


class RoleView(PortalModelView):
    view_permission = edit_permission = "core.admin"
    column_list = ("name", "title", "is_superuser", "city_wide")
    column_labels = {
        "name": _l("Name"),
        "title": _l("Title"),
        "is_superuser": _l("Superuser"),
        "city_wide": _l("City-wide"),
        "permissions": _l("Permissions"),
    }
    form_columns = ("name", "title", "permissions", "city_wide", "is_superuser")
    form_overrides = {"permissions": SelectMultipleField}

    def get_query(self):
        return db.session.query(Role)

    def get_count_query(self):
        from sqlalchemy import func

        return db.session.query(func.count(Role.id))

    def get_one(self, id):
        return db.session.get(Role, id)

    def create_form(self, obj=None):
        return self._with_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._with_choices(super().edit_form(obj))

    def _with_choices(self, form):
        from flask import current_app

        permissions = current_app.extensions["registry"].all_permissions()
        form.permissions.choices = [
            (k, f"{k} · {v}") for k, v in sorted(permissions.items())
        ]
        return form

    def on_model_change(self, form, model, is_created):
        if model.is_superuser and not current_user.is_superuser:
            raise PortalError(_("Only a superuser may create a superuser role."))


class DepartmentView(PortalModelView):
    view_permission = edit_permission = "core.admin"
    column_list = ("code", "name", "kind", "parent", "contact_emails", "is_active")
    column_labels = {
        "code": _l("Code"),
        "name": _l("Name"),
        "kind": _l("Kind"),
        "parent": _l("Parent"),
        "contact_emails": _l("Contact emails"),
        "is_active": _l("Active"),
    }
    column_searchable_list = ("name", "code")
    column_filters = ("kind",)
    column_default_sort = "path"
    form_columns = ("code", "name", "kind", "parent", "contact_emails", "is_active")
    column_formatters = {"kind": lambda v, c, m, p: DEPARTMENT_KIND_LABELS[m.kind]}

    def get_query(self):
        from core.scoping import visible_department_ids

        ids = visible_department_ids(current_user)
        query = db.session.query(Department)
        return query if ids is None else query.filter(Department.id.in_(ids))

    def get_count_query(self):
        from sqlalchemy import func

        from core.scoping import visible_department_ids

        ids = visible_department_ids(current_user)
        query = db.session.query(func.count(Department.id))
        return query if ids is None else query.filter(Department.id.in_(ids))

    def get_one(self, id):
        return self.get_query().filter(Department.id == id).first()

    def on_model_change(self, form, model, is_created):
        from core.scoping import can_own

        if model.parent is not None and not can_own(current_user, model.parent):
            raise PortalError(
                _(
                    "You may only file records for your own department "
                    "and the departments below it."
                )
            )
        place_department(model)


class OrganisationView(PortalModelView):
    view_permission = "core.organisations.view"
    keyset_pager = True
    edit_permission = "core.organisations.edit"
    column_list = ("name", "uscc", "county", "industry", "address")
    column_labels = {
        "name": _l("Name"),
        "uscc": _l("Unified social credit code"),
        "county": _l("County"),
        "industry": _l("Industry"),
        "address": _l("Address"),
        "legal_representative": _l("Legal representative"),
        "founded_on": _l("Founded on"),
        "credit_records": _l("Credit records"),
    }
    column_searchable_list = ("name", "uscc")
    column_filters = ("county.name", "industry")
    form_columns = (
        "name",
        "uscc",
        "county",
        "industry",
        "address",
        "legal_representative",
        "founded_on",
    )

    def on_model_change(self, form, model, is_created):
        model.uscc = validate_uscc(form.uscc.data)
        super().on_model_change(form, model, is_created)


class CreditRecordView(PortalModelView):
    view_permission = "core.organisations.view"
    edit_permission = "core.organisations.edit"
    column_list = (
        "organisation",
        "kind",
        "summary",
        "recorded_on",
        "expires_on",
        "source_module",
        "department",
    )
    column_labels = {
        "organisation": _l("Organisation"),
        "kind": _l("Kind"),
        "summary": _l("Summary"),
        "recorded_on": _l("Recorded on"),
        "expires_on": _l("Expires on"),
        "source_module": _l("Source"),
        "department": _l("Department"),
    }
    column_filters = ("kind", "recorded_on")
    form_columns = (
        "organisation",
        "kind",
        "summary",
        "recorded_on",
        "expires_on",
        "department",
    )

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.source_module = "core"
        super().on_model_change(form, model, is_created)


class ApiTokenView(PortalModelView):
    """Tokens are created here and shown once; only their digest is stored."""

    view_permission = None
    edit_permission = None
    allow_edit = False
    column_list = ("name", "prefix", "user", "created_at", "last_used_at", "revoked_at")
    column_labels = {
        "name": _l("Name"),
        "prefix": _l("Prefix"),
        "user": _l("User"),
        "created_at": _l("Created at"),
        "last_used_at": _l("Last used"),
        "revoked_at": _l("Revoked at"),
    }
    form_columns = ("name",)
    column_details_exclude_list = ("token_hash",)
    action_disallowed_list = ("delete",)

    def get_query(self):
        query = db.session.query(ApiToken)
        if not current_user.can("core.admin"):
            query = query.filter(ApiToken.user_id == current_user.id)
        return query

    def get_count_query(self):
        from sqlalchemy import func

        query = db.session.query(func.count(ApiToken.id))
        if not current_user.can("core.admin"):
            query = query.filter(ApiToken.user_id == current_user.id)
        return query

    def get_one(self, id):
        return self.get_query().filter(ApiToken.id == id).first()

    def create_model(self, form):
        token, plain = ApiToken.issue(
            current_user._get_current_object(), form.name.data
        )
        db.session.add(token)
        db.session.commit()
        flash(
            _(
                "Your new token is %(token)s — copy it now; "
                "it will not be shown again.",
                token=plain,
            ),
            "success",
        )
        log.info("%s created API token %s", current_user.username, token.prefix)
        return token

    @expose("/revoke/<int:token_id>", methods=("POST",))
    def revoke(self, token_id):
        token = self.get_one(token_id)
        if token is not None and token.revoked_at is None:
            token.revoke()
            db.session.commit()
            log.info("%s revoked API token %s", current_user.username, token.prefix)
            flash(_("The token was revoked."), "success")
        return redirect(url_for(".index_view"))

    column_formatters = {
        "revoked_at": lambda v, c, m, p: m.revoked_at or _revoke_button(v, m)
    }


def _revoke_button(view, model):
    from flask_wtf.csrf import generate_csrf
    from markupsafe import Markup, escape

    return Markup(
        f'<form method="post" action="{escape(url_for(".revoke", token_id=model.id))}">'
        f'<input type="hidden" name="csrf_token" value="{generate_csrf()}">'
        f'<button class="btn btn-sm btn-outline-danger">{escape(_("Revoke"))}</button>'
        "</form>"
    )


class AuditView(PortalView):
    """The audit log with filters, paged by sequence number (keyset)."""

    view_permission = "core.audit.view"
    page_size = 50

    @expose("/")
    def index(self):
        from core.audit_query import AuditFilter, find_entries

        try:
            filters = AuditFilter.from_args(request.args)
            entries, next_before = find_entries(filters, self.page_size)
        except PortalError as error:
            flash(str(error), "error")
            filters, entries, next_before = AuditFilter(), [], None
        return self.render(
            "admin/audit.html",
            entries=entries,
            filters=filters,
            next_before=next_before,
        )

    @expose("/verify", methods=("POST",))
    def verify(self):
        result = audit.verify_chain()
        if result.intact:
            flash(
                _(
                    "The audit chain is intact (%(n)s entries checked).",
                    n=result.checked,
                ),
                "success",
            )
        else:
            flash(
                _(
                    "The audit chain is broken at entry #%(seq)s: %(reason)s",
                    seq=result.bad_seq,
                    reason=result.reason,
                ),
                "error",
            )
        return redirect(url_for(".index"))


class CalendarView(PortalView):
    """Years of the working-day calendar with month grids; edits are audited."""

    view_permission = "core.calendar.edit"

    @expose("/")
    def index(self):
        years = db.session.scalars(
            select(CalendarYear).order_by(CalendarYear.year)
        ).all()
        return self.render(
            "admin/calendar_years.html",
            years=years,
            next_year=(years[-1].year + 1) if years else 2027,
        )

    @expose("/<int:year>", methods=("GET", "POST"))
    def year(self, year):
        from core.calendar_admin import month_grids, parse_schedule_upload

        if not MINYEAR <= year <= MAXYEAR:
            abort(404)
        if request.method == "POST":
            try:
                if "upload" in request.files and request.files["upload"].filename:
                    days = parse_schedule_upload(request.files["upload"], year)
                    calendar.set_year_schedule(
                        year, days, confirmed=bool(request.form.get("confirmed"))
                    )
                else:
                    calendar.set_year_confirmed(
                        year, bool(request.form.get("confirmed"))
                    )
                db.session.commit()
                log.info("%s changed the calendar of %s", current_user.username, year)
                flash(_("The calendar of %(year)s was saved.", year=year), "success")
            except PortalError as error:
                db.session.rollback()
                flash(str(error), "error")
            return redirect(url_for(".year", year=year))

        record = db.session.get(CalendarYear, year)
        days = db.session.scalars(
            select(CalendarDay).where(
                CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))
            )
        ).all()
        return self.render(
            "admin/calendar_year.html",
            year=year,
            record=record,
            grids=month_grids(year, {d.day: d for d in days}),
        )


def register_core_views(admin) -> None:
    """Add the core's views to the portal."""
    session = db
    admin.add_view(
        UserView(
            User, session, name=_l("Users"), category=CORE_CATEGORY, endpoint="users"
        )
    )
    admin.add_view(
        RoleView(
            Role, session, name=_l("Roles"), category=CORE_CATEGORY, endpoint="roles"
        )
    )
    admin.add_view(
        DepartmentView(
            Department,
            session,
            name=_l("Departments"),
            category=CORE_CATEGORY,
            endpoint="departments",
        )
    )
    admin.add_view(
        OrganisationView(
            Organisation,
            session,
            name=_l("Organisations"),
            category=CORE_CATEGORY,
            endpoint="organisations",
        )
    )
    admin.add_view(
        CreditRecordView(
            CreditRecord,
            session,
            name=_l("Credit records"),
            category=CORE_CATEGORY,
            endpoint="credit_records",
        )
    )
    admin.add_view(
        ApiTokenView(
            ApiToken,
            session,
            name=_l("API tokens"),
            category=CORE_CATEGORY,
            endpoint="api_tokens",
        )
    )
    admin.add_view(
        AuditView(name=_l("Audit log"), category=CORE_CATEGORY, endpoint="audit")
    )
    admin.add_view(
        CalendarView(
            name=_l("Working-day calendar"), category=CORE_CATEGORY, endpoint="calendar"
        )
    )

    from core.admin.imports import ImportsView

    admin.add_view(
        ImportsView(
            name=_l("Imports from Excel"), category=CORE_CATEGORY, endpoint="imports"
        )
    )

    from core.admin.scheduling import register_scheduling_views

    register_scheduling_views(admin, CORE_CATEGORY)
