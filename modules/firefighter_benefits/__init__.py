"""Firefighter benefits (株政办发〔2019〕12号): eligibility, credential checks
at gates and desks, and the school enrollment list."""

from core.i18n import _l
from core.registry import Module


class FirefighterBenefitsModule(Module):
    """The manifest of the firefighter benefits module."""

    name = "firefighter_benefits"
    title = _l("Firefighter benefits")
    version = "1.0.0"
    depends = ()
    permissions = {
        "view": _l("View firefighters and their benefits"),
        "edit": _l("Edit firefighters, credentials and records"),
        "personal_data": _l("See firefighters' personal data in clear"),
        "verify": _l("Check credentials at gates and desks"),
        "confirm_enrollment": _l("Confirm the school enrollment list"),
        "admin": _l("Edit benefit rules and record list exceptions"),
    }

    def import_models(self):
        from modules.firefighter_benefits import models  # noqa: F401

    def register_admin(self, admin, app):
        from modules.firefighter_benefits.admin import register

        register(admin, app)

    def register_api(self, app):
        from modules.firefighter_benefits.api import bp

        app.register_blueprint(bp)

    def jobs(self):
        from modules.firefighter_benefits.jobs import JOBS

        return JOBS

    def reports(self):
        from modules.firefighter_benefits.reports import REPORTS

        return REPORTS

    def importers(self):
        from modules.firefighter_benefits.spreadsheets import registry_importers

        return registry_importers()

    def due_items(self, user, today):
        from modules.firefighter_benefits.dashboard import due_items

        return due_items(user, today)

    def load_demo(self):
        from modules.firefighter_benefits.demo import load_demo

        load_demo()


module = FirefighterBenefitsModule()
