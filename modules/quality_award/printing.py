"""Printable documents of the award: the certificate and the public notice (art. 23-24).

Each function loads what the user may see and returns a core Document; the
portal serves it as a PDF.
"""

import logging

from sqlalchemy import select

from core.context import current_actor
from core.documents import Document, chinese_date, yuan
from core.errors import NotFound, RuleViolation
from core.extensions import db
from core.i18n import _
from core.scoping import get_visible, scope
from modules.quality_award import rules
from modules.quality_award.models import Application, Cycle
from modules.quality_award.texts import KIND_LABELS

log = logging.getLogger(__name__)


def _city_government() -> str:
    return _("Zhuzhou Municipal People's Government")


def _committee_office() -> str:
    return _("Office of the Zhuzhou Mayor's Quality Award Committee")


def certificate(user, application_id: int) -> Document:
    """The award certificate of a winner (art. 24); refused before the award."""
    application = get_visible(Application, application_id, user)
    # art. 24: the city hands out the certificate to announced winners only;
    # a revoked award's certificate is recovered (art. 33), never reprinted.
    if application.state not in rules.WINNER_STATES:
        raise RuleViolation(
            _("Only an announced winner whose award stands has a certificate."),
            article="art. 24",
        )

    document = Document(_("Certificate of the Zhuzhou Mayor's Quality Award"))
    document.paragraph(f"{application.applicant_name}：")
    document.paragraph(
        _(
            "In recognition of outstanding achievements in quality, you are "
            "awarded the %(cycle)s under the Measures for the Zhuzhou Mayor's "
            "Quality Award.",
            cycle=application.cycle.title,
        )
    )
    document.table(
        [_("Winner"), _("Kind"), _("County"), _("Bonus (yuan)")],
        [
            [
                application.applicant_name,
                str(KIND_LABELS[application.kind]),
                application.department.name,
                yuan(application.bonus_fen / 100),
            ]
        ],
    )
    document.signature(_city_government(), application.awarded_on)
    log.info(
        "%s printed the certificate of application %s", current_actor(), application.id
    )
    return document


def winners_notice(user, cycle_id: int) -> Document:
    """The public notice of the recommended winners of a cycle (art. 23)."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound(_("No record %(id)s was found.", id=cycle_id))
    statement = (
        select(Application)
        .where(
            Application.cycle_id == cycle.id,
            Application.notice_starts_on.is_not(None),
            Application.state != rules.State.DISQUALIFIED,
        )
        .order_by(Application.kind.desc(), Application.evaluation_score.desc())
    )
    listed = list(db.session.scalars(scope(statement, Application, user)))
    if not listed:
        raise RuleViolation(
            _("No recommended winner of this cycle has been publicly noticed yet."),
            article="art. 23",
        )

    starts = min(a.notice_starts_on for a in listed)
    ends = max(a.notice_ends_on for a in listed)
    document = Document(
        _(
            "Public notice of the recommended winners of the %(cycle)s",
            cycle=cycle.title,
        )
    )
    document.paragraph(
        _(
            "Under art. 22 and 23 of the Measures for the Zhuzhou Mayor's Quality "
            "Award, the award committee has voted the following recommended "
            "winners, who are hereby publicly noticed from %(starts)s to %(ends)s.",
            starts=chinese_date(starts),
            ends=chinese_date(ends),
        )
    )
    document.table(
        [_("No."), _("Applicant"), _("Kind"), _("County"), _("Evaluation")],
        [
            [
                number,
                a.applicant_name,
                str(KIND_LABELS[a.kind]),
                a.department.name,
                "" if a.evaluation_score is None else str(a.evaluation_score),
            ]
            for number, a in enumerate(listed, start=1)
        ],
    )
    document.paragraph(
        _(
            "Objections may be raised with the committee office during the notice "
            "period, in writing, under the objector's real name, with contact "
            "details and evidence; anonymous objections are not accepted (art. 35)."
        )
    )
    document.signature(_committee_office(), starts)
    log.info(
        "%s printed the public notice of cycle %s (%s applicants)",
        current_actor(),
        cycle.id,
        len(listed),
    )
    return document
