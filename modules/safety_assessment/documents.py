"""The printable result notice (考核结果通知) as a PDF."""

from core.documents import Document, chinese_date
from core.i18n import _
from modules.safety_assessment.services import ResultNotice


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def notice_document(notice: ResultNotice) -> Document:
    """The result notice of one unit, signed by the committee (art. 14)."""
    document = Document(notice.title)
    document.paragraph(_("To %(unit)s:", unit=notice.unit))
    document.paragraph(
        _(
            "Under the Zhuzhou measures for the assessment of work-safety and "
            "fire work, the work safety committee approved the results of "
            "%(year)s by %(decision)s on %(day)s. The result of your unit "
            "is as follows.",
            year=notice.year,
            decision=notice.decision,
            day=chinese_date(notice.approved_on) if notice.approved_on else "",
        )
    )
    document.table(
        [_("Notice item"), _("Result")],
        [
            [_("Unit"), notice.unit],
            [_("Kind of unit"), notice.unit_kind],
            [_("Score"), notice.score],
            [_("Rank"), notice.rank],
            [_("Grade"), notice.grade],
            [_("Yellow card"), _yes_no(notice.yellow_card)],
            [_("Veto"), _yes_no(notice.veto)],
        ],
    )
    if notice.reasons:
        document.heading(_("Reasons"))
        for number, reason in enumerate(notice.reasons, start=1):
            document.paragraph(f"{number}. {reason}")
    if notice.sanctions:
        document.heading(_("Sanctions"))
        for number, sanction in enumerate(notice.sanctions, start=1):
            document.paragraph(f"{number}. {sanction}")
    day = notice.published_on or notice.approved_on
    if day is not None:
        document.signature(notice.issuer, day)
    return document
