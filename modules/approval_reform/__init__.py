"""Construction project approval on a working-day clock (株政办发〔2019〕8号)."""

from flask import Blueprint

from core.i18n import _l
from core.registry import Module


class ApprovalReformModule(Module):
    """Manifest of the construction project approval module."""

    name = "approval_reform"
    title = _l("Construction project approval")
    version = "1.0.0"
    depends = ()
    permissions = {
        "view": _l("View construction projects"),
        "edit": _l("Register projects and their materials"),
        "decide": _l("Decide stages, opinions and commitments"),
        "catalogue": _l("Edit the approval item catalogue"),
        "supervise": _l("Supervise projects and decide exemptions"),
    }

    def import_models(self):
        from modules.approval_reform import models  # noqa: F401

    def register_admin(self, admin, app):
        from modules.approval_reform.admin import register

        app.register_blueprint(
            Blueprint(
                "approval_reform_templates", __name__, template_folder="templates"
            )
        )
        register(admin)

    def register_api(self, app):
        from modules.approval_reform.api import bp

        app.register_blueprint(bp)

    def jobs(self):
        from modules.approval_reform.jobs import JOBS

        return JOBS

    def reports(self):
        from modules.approval_reform.reports import REPORTS

        return REPORTS

    def due_items(self, user, today):
        from modules.approval_reform.services import due_items

        return due_items(user, today)

    def load_demo(self):
        from modules.approval_reform.demo import load_demo

        load_demo()


module = ApprovalReformModule()
