"""Government IT projects from the August call to settlement (株政办发〔2019〕9号)."""

from core.i18n import _l
from core.registry import Module


class ItProjectsModule(Module):
    """The manifest of the IT project module."""

    name = "it_projects"
    title = _l("Government IT projects")
    version = "1.0.0"
    depends = ()
    permissions = {
        "view": _l("View IT projects"),
        "apply": _l("Apply for IT projects and run them as the requesting unit"),
        "review": _l("Review IT projects and run the annual call"),
        "finance": _l("Confirm funds, review budgets and fund IT projects"),
        "approve": _l("Approve IT projects and their changes"),
    }

    def import_models(self):
        from modules.it_projects import models  # noqa: F401

    def register_admin(self, admin, app):
        from modules.it_projects.admin import register

        register(admin, app)

    def register_api(self, app):
        from modules.it_projects.api import bp

        app.register_blueprint(bp)

    def jobs(self):
        from modules.it_projects.jobs import JOBS

        return JOBS

    def reports(self):
        from modules.it_projects.reports import REPORTS

        return REPORTS

    def due_items(self, user, today):
        from modules.it_projects.dashboard import due_items

        return due_items(user, today)

    def load_demo(self):
        from modules.it_projects.demo import load_demo

        load_demo()


module = ItProjectsModule()
