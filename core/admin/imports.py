"""The portal's registry imports: upload, check with a progress bar, preview, apply."""

import io
import logging

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy import select

from core import imports
from core.admin.base import PortalView
from core.errors import PortalError
from core.exports import XLSX_MIMETYPE
from core.extensions import db
from core.i18n import _
from core.models.departments import Department
from core.scoping import visible_department_ids

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _departments() -> list[Department]:
    """Departments the user may import into: their own and those below it."""
    statement = select(Department).order_by(Department.path).limit(1000)
    ids = visible_department_ids(current_user)
    if ids is not None:
        statement = statement.where(Department.id.in_(ids))
    return list(db.session.scalars(statement))


class ImportsView(PortalView):
    """Import the registries from XLSX: all rows or none, after a preview."""

    @property
    def view_permission(self) -> tuple:
        """Open to holders of any importer's permission; each page asks its own."""
        registry = self.admin.app.extensions["registry"]
        return tuple(sorted({i.permission for i in registry.importers()}))

    def _allowed_importers(self) -> dict:
        return {
            name: importer
            for name, importer in imports.importers().items()
            if current_user.can(importer.permission)
        }

    def _importer(self, name: str):
        importer = self._allowed_importers().get(name)
        if importer is None:
            abort(404)
        return importer

    @expose("/")
    def index(self):
        """The registries this user may import."""
        return self.render(
            "admin/imports.html", importers=self._allowed_importers().values()
        )

    @expose("/<kind>/", methods=("GET", "POST"))
    def upload(self, kind):
        """The upload form; a posted file is stored and checked next."""
        importer = self._importer(kind)
        errors = {}
        if request.method == "POST":
            try:
                token = imports.store_upload(
                    current_user,
                    importer,
                    request.files.get("file"),
                    request.form.get("department_id", type=int),
                )
            except PortalError as error:
                errors = error.errors
                if _wants_json():
                    return jsonify(errors=errors), 400
            else:
                target = url_for(".preview", kind=kind, token=token)
                if _wants_json():
                    return jsonify(next=target)
                return redirect(target)
        return self.render(
            "admin/import_upload.html",
            importer=importer,
            departments=_departments() if importer.needs_department else [],
            errors=errors,
        )

    @expose("/<kind>/template.xlsx")
    def template(self, kind):
        """An empty workbook with the Chinese headers and one example row."""
        # Imported on first use: openpyxl adds a tenth of a second to every
        # worker's start-up, and only imports need it.
        from openpyxl import Workbook

        importer = self._importer(kind)
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        with force_locale("zh_CN"):
            sheet.append([str(c.label) for c in importer.columns])
        if importer.example:
            sheet.append(importer.example)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue(), {
            "Content-Type": XLSX_MIMETYPE,
            "Content-Disposition": f"attachment; filename={kind}.xlsx",
        }

    @expose("/<kind>/<token>")
    def preview(self, kind, token):
        """What the check found: the first rows, the count and every bad cell."""
        importer = self._importer(kind)
        details = self._details(token)
        return self.render(
            "admin/import_preview.html",
            importer=importer,
            token=token,
            details=details,
            result=details["result"],
        )

    @expose("/<kind>/<token>/progress")
    def progress(self, kind, token):
        """How far the check or apply has got, for the progress bar."""
        self._importer(kind)
        try:
            return jsonify(imports.progress_of(current_user, token))
        except PortalError:
            abort(404)

    @expose("/<kind>/<token>/check", methods=("POST",))
    def check(self, kind, token):
        """Run the import without keeping anything."""
        self._importer(kind)
        self._details(token)
        result = imports.check_upload(current_user, token)
        if _wants_json():
            return jsonify(ok=result["ok"], count=result["count"])
        return redirect(url_for(".preview", kind=kind, token=token))

    @expose("/<kind>/<token>/apply", methods=("POST",))
    def apply(self, kind, token):
        """Import every row, or none if any row is bad."""
        self._importer(kind)
        details = self._details(token)
        if not (details["result"] or {}).get("ok"):
            flash(_("Check the file before importing it."), "error")
            return redirect(url_for(".preview", kind=kind, token=token))
        result = imports.apply_upload(current_user, token)
        if not result["ok"]:
            flash(result["detail"], "error")
            return redirect(url_for(".preview", kind=kind, token=token))
        flash(_("%(n)s rows were imported.", n=result["count"]), "success")
        return redirect(url_for(".upload", kind=kind))

    @expose("/<kind>/<token>/discard", methods=("POST",))
    def discard(self, kind, token):
        """Forget an upload without importing it."""
        self._importer(kind)
        self._details(token)
        imports.discard_upload(current_user, token)
        flash(_("The file was discarded; nothing was imported."), "info")
        return redirect(url_for(".upload", kind=kind))

    def _details(self, token: str) -> dict:
        try:
            return imports.load_upload(current_user, token)
        except PortalError:
            abort(404)
