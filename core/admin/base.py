"""Base classes of every portal view: permissions, department scope, errors."""

import logging

from flask import flash, redirect, request, url_for
from flask_admin import BaseView
from flask_admin.contrib.sqla import ModelView
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from sqlalchemy import func
from sqlalchemy.orm.exc import StaleDataError

from core import scoping
from core.errors import PortalError
from core.extensions import db
from core.i18n import _

log = logging.getLogger(__name__)


class PortalForm(FlaskForm):
    """Flask-WTF's CSRF-protected form that remembers the record it edits.

    Flask-Admin's uniqueness check reads the edited record from `_obj`, so an
    unchanged unique value is not mistaken for a duplicate.
    """

    def __init__(self, formdata=_Auto, obj=None, prefix="", **kwargs):
        self._obj = obj
        super().__init__(formdata=formdata, obj=obj, prefix=prefix, **kwargs)


def _allowed(permission: str | tuple | None) -> bool:
    # A tuple names a page open to holders of any one of its permissions.
    if not current_user.is_authenticated:
        return False
    if isinstance(permission, tuple):
        return any(current_user.can(p) for p in permission)
    return permission is None or current_user.can(permission)


class ProtectedMixin:
    """Login and a view permission are required; strangers go to the login page."""

    view_permission: str | None = None

    def is_accessible(self) -> bool:
        return _allowed(self.view_permission)

    def inaccessible_callback(self, name, **kwargs):
        if current_user.is_authenticated:
            flash(_("You do not have access to that page."), "error")
            return redirect(url_for("admin.index"))
        return redirect(url_for("admin.login", next=request.full_path))


class VersionCheckMixin:
    """Carry the record's version through the edit form to detect lost updates."""

    def scaffold_form(self):
        from wtforms import HiddenField

        form_class = super().scaffold_form()
        if hasattr(self.model, "version"):
            if hasattr(form_class, "version"):
                delattr(form_class, "version")
            form_class.expected_version = HiddenField()
        return form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if (
            obj is not None
            and hasattr(form, "expected_version")
            and request.method == "GET"
        ):
            form.expected_version.data = obj.version
        return form

    def update_model(self, form, model):
        expected = getattr(form, "expected_version", None)
        if (
            expected is not None
            and expected.data
            and str(model.version) != str(expected.data)
        ):
            flash(
                _(
                    "Someone else saved this record while you were editing it. "
                    "Reload the page to see their changes, then make yours again."
                ),
                "error",
            )
            return False
        if expected is not None:
            # populate_obj must not copy the helper field onto the model
            del form.expected_version
        return super().update_model(form, model)


class PortalView(ProtectedMixin, BaseView):
    """A custom portal page guarded by a permission."""


class PortalModelView(VersionCheckMixin, ProtectedMixin, ModelView):
    """A list/edit view over one model, scoped to the user's departments.

    Subclasses set `view_permission` and `edit_permission`; create, edit and
    delete buttons appear only for users holding the edit permission, and only
    where the subclass allows them (`allow_create` and friends).
    """

    edit_permission: str | None = None
    allow_create = True
    allow_edit = True
    allow_delete = False
    form_base_class = PortalForm
    page_size = 50
    can_set_page_size = True
    can_view_details = True
    # Counting a million rows on every page is what makes lists slow.
    simple_list_pager = False
    can_export = True
    details_template = "admin/details_with_history.html"
    export_types = ["xlsx"]
    export_max_rows = 100_000

    # Views over very large tables page by primary key ("keyset") when no other
    # sort is chosen: every page, the last included, costs one indexed query and
    # no row count.
    keyset_pager = False

    def __init__(self, *args, **kwargs):
        if self.keyset_pager:
            self.simple_list_pager = True
            self.list_template = "admin/keyset_list.html"
        super().__init__(*args, **kwargs)

    def get_list(
        self,
        page,
        sort_column,
        sort_desc,
        search,
        filters,
        execute=True,
        page_size=None,
    ):
        if not (self.keyset_pager and sort_column is None and execute):
            return super().get_list(
                page, sort_column, sort_desc, search, filters, execute, page_size
            )

        _count, query = super().get_list(
            None, None, False, search, filters, execute=False, page_size=False
        )
        pk = self.model.__mapper__.primary_key[0]
        size = page_size or self.page_size
        query = query.order_by(None)
        after, before = request.args.get("after", ""), request.args.get("before", "")
        if request.args.get("last"):
            rows = query.order_by(pk.desc()).limit(size).all()[::-1]
        elif before.isdigit():
            rows = query.filter(pk < int(before)).order_by(pk.desc()).limit(size).all()
            rows = rows[::-1]
        elif after.isdigit():
            rows = query.filter(pk > int(after)).order_by(pk).limit(size).all()
        else:
            rows = query.order_by(pk).limit(size).all()
        return None, rows

    @property
    def can_create(self) -> bool:
        return self.allow_create and _allowed(self.edit_permission)

    @property
    def can_edit(self) -> bool:
        return self.allow_edit and _allowed(self.edit_permission)

    @property
    def can_delete(self) -> bool:
        return self.allow_delete and _allowed(self.edit_permission)

    # Department scope: the list, the count and single-record lookups.

    def get_query(self):
        return scoping.scope(super().get_query(), self.model, current_user)

    def get_count_query(self):
        query = db.session.query(func.count("*")).select_from(self.model)
        return scoping.scope(query, self.model, current_user)

    def get_one(self, id):
        try:
            return scoping.get_visible(self.model, id, current_user)
        except PortalError:
            return None

    def check_owner(self, model) -> None:
        """Refuse a record placed in a department the user cannot see."""
        column = getattr(self.model, "__scope_column__", None)
        if column is None:
            return
        department_id = getattr(model, column)
        if department_id is None:
            return
        from core.models.departments import Department

        department = db.session.get(Department, department_id)
        if department is None or not scoping.can_own(current_user, department):
            raise PortalError(
                _(
                    "You may only file records for your own department "
                    "and the departments below it."
                )
            )

    def on_model_change(self, form, model, is_created):
        self.check_owner(model)

    def _export_tablib(self, export_type, return_url):
        """Every list exports to XLSX with the headers in the user's language."""
        from flask import Response
        from werkzeug.utils import secure_filename

        from core.exports import XLSX_MIMETYPE, workbook_bytes

        _count, data = self._export_data()
        columns = self._export_columns
        content = workbook_bytes(
            str(self.name),
            [str(label) for _key, label in columns],
            (
                [self.get_export_value(row, key) for key, _label in columns]
                for row in data
            ),
        )
        log.info(
            "%s exported %s (%s rows)", current_user.username, self.endpoint, len(data)
        )
        filename = secure_filename(f"{self.endpoint}.xlsx")
        return Response(
            content,
            mimetype=XLSX_MIMETYPE,
            headers={"Content-Disposition": f"attachment;filename={filename}"},
        )

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, PortalError):
            flash(str(exc), "error")
            return True
        if isinstance(exc, StaleDataError):
            flash(
                _(
                    "Someone else saved this record while you were editing it. "
                    "Reload the page to see their changes, then make yours again."
                ),
                "error",
            )
            return True
        return super().handle_view_exception(exc)

    def after_model_change(self, form, model, is_created):
        log.info(
            "%s %s %s #%s",
            current_user.username,
            "created" if is_created else "updated",
            type(model).__name__,
            getattr(model, "id", "?"),
        )

    def after_model_delete(self, model):
        log.info(
            "%s deleted %s #%s",
            current_user.username,
            type(model).__name__,
            getattr(model, "id", "?"),
        )
