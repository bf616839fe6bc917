"""Printable documents of construction project approval."""

from core.documents import Document, chinese_date
from core.i18n import _
from modules.approval_reform.models import label, source_label


def decision_document(record: dict) -> Document:
    """The stage decision as issued to the applicant (section 1(2)3)."""
    document = Document(_("Construction project approval decision"))
    document.paragraph(_("No. %(number)s", number=record["decision_number"]))
    document.table(
        [_("Item"), _("Content")],
        [
            [
                _("Applicant"),
                f"{record['applicant']}（{record['applicant_uscc']}）",
            ],
            [_("Project"), f"{record['project_code']} {record['project_name']}"],
            [_("Category"), label(record["category"])],
            [_("Stage"), label(record["stage"])],
            [_("Outcome"), label(record["outcome"])],
            [_("Lead department"), record["lead_department"]],
            [
                _("Working days used"),
                _(
                    "%(used)s of %(limit)s working days",
                    used=record["working_days_used"],
                    limit=record["time_limit_working_days"] or "—",
                ),
            ],
        ],
    )

    document.heading(_("Decision"))
    document.paragraph(record["decision_text"] or label(record["outcome"]))
    if not record["confirmed"]:
        # A deadline counted before the year's holidays are published may move.
        document.paragraph(
            _(
                "The holiday schedule of this year is not confirmed yet; the "
                "working days count weekends only."
            )
        )

    if record["legal_basis"]:
        document.heading(_("Legal basis"))
        document.table(
            [_("Item"), _("Legal basis")],
            [[b["item"], b["basis"]] for b in record["legal_basis"]],
        )
    if record["opinions"]:
        document.heading(_("Parallel review opinions"))
        document.table(
            [_("Department"), _("Opinion"), _("Text"), _("Given on")],
            [
                [
                    o["department"],
                    label(o["opinion"]),
                    o["text"],
                    chinese_date(o["given_on"]) if o["given_on"] else "—",
                ]
                for o in record["opinions"]
            ],
        )
    if record["documents"]:
        document.heading(_("Materials relied on"))
        document.table(
            [_("Material"), _("Source")],
            [[d["title"], source_label(d["source"])] for d in record["documents"]],
        )
    if record["commitments"]:
        document.heading(_("Notify-and-commit"))
        document.table(
            [_("Item"), _("Status"), _("Inspection due")],
            [
                [c["item"], label(c["status"]), chinese_date(c["inspection_due_on"])]
                for c in record["commitments"]
            ],
        )

    document.signature(record["lead_department"], record["decided_on"])
    return document
