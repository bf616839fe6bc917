"""Work-safety and fire assessment: grades, yellow cards and vetoes (10号)."""

from core.i18n import _l
from core.registry import Module


class SafetyAssessmentModule(Module):
    """The manifest of the safety assessment module."""

    name = "safety_assessment"
    title = _l("Safety assessment")
    version = "1.0.0"
    depends = ()
    permissions = {
        "view": _l("View safety assessments"),
        "edit": _l("Record accidents, deductions and reports"),
        "approve": _l("Approve bonus points and results for the committee"),
    }

    def import_models(self):
        from modules.safety_assessment import models  # noqa: F401

    def register_admin(self, admin, app):
        from modules.safety_assessment.admin import register

        register(admin, app)

    def register_api(self, app):
        from modules.safety_assessment.api import bp

        app.register_blueprint(bp)

    def jobs(self):
        from modules.safety_assessment.jobs import JOBS

        return JOBS

    def reports(self):
        from modules.safety_assessment.reports import REPORTS

        return REPORTS

    def due_items(self, user, today):
        from modules.safety_assessment.dashboard import due_items

        return due_items(user, today)

    def load_demo(self):
        from modules.safety_assessment.demo import load_demo

        load_demo()


module = SafetyAssessmentModule()
