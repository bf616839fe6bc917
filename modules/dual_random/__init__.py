"""Joint "double random, one public" inspections (株政办发〔2019〕11号)."""

from core.i18n import _l
from core.registry import Module


class DualRandomModule(Module):
    """Item lists, the two registries, plans, draws, matching and results."""

    name = "dual_random"
    title = _l("Random inspections")
    version = "1.0.0"
    depends = ()
    permissions = {
        "view": _l("View inspection items, registries, plans and tasks"),
        "edit": _l("Edit inspection items, registries, plans and tasks"),
        "draw": _l("Draw targets and match inspectors"),
        "results": _l("Record and publish inspection results"),
    }

    def import_models(self):
        from modules.dual_random import models  # noqa: F401

    def register_admin(self, admin, app):
        from modules.dual_random.admin import register

        register(admin, app)

    def register_api(self, app):
        from modules.dual_random.api import bp
        from modules.dual_random.public import public_bp

        app.register_blueprint(bp)
        app.register_blueprint(public_bp)

    def jobs(self):
        from modules.dual_random.jobs import JOBS

        return JOBS

    def importers(self):
        from modules.dual_random.spreadsheets import registry_importers

        return registry_importers()

    def reports(self):
        from modules.dual_random.reports import REPORTS

        return REPORTS

    def due_items(self, user, today):
        from modules.dual_random.services import due_items

        return due_items(user, today)

    def load_demo(self):
        from modules.dual_random.demo import load_demo

        load_demo()


module = DualRandomModule()
