"""The Mayor's Quality Award (株政办发〔2019〕7号): from application to bonus."""

from core.i18n import _l
from core.registry import Module


class QualityAwardModule(Module):
    """Manifest of the quality award module."""

    name = "quality_award"
    title = _l("Mayor's Quality Award")
    version = "1.0.0"
    depends = ()
    permissions = {
        "view": _l("View quality award applications"),
        "apply": _l("File quality award applications for applicants"),
        "county_review": _l("Pre-review applications as the county market regulator"),
        "office": _l("Act as the award committee office"),
        "review": _l("Score applications as a reviewer"),
        "committee": _l("Act and vote as an award committee member"),
        "mayor": _l("Approve the award as the mayor"),
        "finance": _l("Record bonus payments and clawbacks"),
        "personal_data": _l("See applicants' personal data unmasked"),
    }

    def import_models(self):
        from modules.quality_award import models  # noqa: F401

    def register_admin(self, admin, app):
        from modules.quality_award.admin import register

        register(admin, app)

    def register_api(self, app):
        from modules.quality_award.api import bp

        app.register_blueprint(bp)

    def jobs(self):
        from modules.quality_award.jobs import JOBS

        return JOBS

    def reports(self):
        from modules.quality_award.reports import REPORTS

        return REPORTS

    def due_items(self, user, today):
        from modules.quality_award.services import due_items

        return due_items(user, today)

    def load_demo(self):
        from modules.quality_award.demo import load_demo

        load_demo()


module = QualityAwardModule()
