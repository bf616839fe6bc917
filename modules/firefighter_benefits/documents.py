"""Printed documents: the school enrollment list with its confirmation."""

from core.documents import Document, chinese_date
from core.errors import RuleViolation
from core.i18n import _
from core.timeutil import to_local
from core.validators import mask_resident_id
from modules.firefighter_benefits import labels, services
from modules.firefighter_benefits.models import EnrollmentList, ListStatus


def enrollment_list_document(the_list: EnrollmentList, user) -> Document:
    """The confirmed list as handed to the education department (section 2(3)3).

    Resident ID numbers print in clear only for holders of the personal data
    permission: the education department needs them, other readers do not.
    """
    if the_list.status == ListStatus.DRAFT:
        raise RuleViolation(
            _("Only a confirmed list goes to the education department."),
            article="section 2(3)3",
        )
    brigade = the_list.brigade.name
    clear = services.can_see_personal(user)
    document = Document(_("School enrollment list of firefighters' children"))
    document.heading(
        _("%(brigade)s, school year %(year)s", brigade=brigade, year=the_list.year)
    )
    document.paragraph(
        _(
            "Under section 2(3)3 of notice Zhu Zheng Ban Fa [2019] No. 12, the "
            "children of firefighters below are of school age and are handed to "
            "the education department for enrollment."
        )
    )

    rows = []
    for number, entry in enumerate(the_list.entries, start=1):
        child = entry.child
        parent = child.firefighter
        rows.append(
            [
                number,
                child.name,
                child.resident_id if clear else mask_resident_id(child.resident_id),
                chinese_date(child.birth_date),
                labels.label(labels.SCHOOL_STAGE, entry.stage),
                parent.name,
                labels.label(services.CATEGORY_LABELS, parent.category),
                entry.exception_reason,
            ]
        )
    document.table(
        [
            _("Serial No."),
            _("Child"),
            _("Resident ID"),
            _("Birth date"),
            _("School stage"),
            _("Parent firefighter"),
            _("Firefighter category"),
            _("Exception"),
        ],
        rows,
    )

    confirmed_on = to_local(the_list.confirmed_at).date()
    confirmed_by = the_list.confirmed_by
    document.heading(_("Confirmation by the political department"))
    document.paragraph(
        _(
            "The political department of %(brigade)s has checked this list of "
            "%(count)s children and confirms it.",
            brigade=brigade,
            count=len(rows),
        )
    )
    document.paragraph(
        _(
            "Confirmed by %(name)s on %(date)s.",
            name=str(confirmed_by) if confirmed_by else "",
            date=chinese_date(confirmed_on),
        )
    )
    document.signature(
        _("Political department of %(brigade)s", brigade=brigade), confirmed_on
    )
    return document
