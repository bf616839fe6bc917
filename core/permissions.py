"""Permission checks shared by the portal and the API."""

from flask_login import current_user

from core.errors import Forbidden
from core.i18n import _, _l

CORE_PERMISSIONS = {
    "core.admin": _l("Administer users, roles and departments"),
    "core.organisations.view": _l("View organisations and credit records"),
    "core.organisations.edit": _l("Edit organisations and credit records"),
    "core.calendar.edit": _l("Edit the working-day calendar"),
    "core.audit.view": _l("Read the audit log"),
    "core.scheduler.manage": _l("Manage scheduled jobs and report subscriptions"),
}


def require(permission: str, user=None) -> None:
    """Raise Forbidden unless the user holds `permission`."""
    user = user or current_user
    if not getattr(user, "is_authenticated", False) or not user.can(permission):
        raise Forbidden(
            _("You do not have the permission “%(permission)s”.", permission=permission)
        )
