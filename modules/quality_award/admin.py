"""Portal views of the quality award: lists per record and one page per application.

Views call services; the rules stay in rules.py and services.py.
"""

import logging
from datetime import date

from flask import Blueprint, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from core.admin.base import PortalModelView, PortalView
from core.charts import Chart
from core.documents import pdf_response
from core.errors import PortalError
from core.extensions import db
from core.i18n import _, _l
from core.scoping import get_visible, scope
from core.timeutil import today_local
from core.validators import mask_phone, mask_resident_id
from modules.quality_award import printing, rules, services
from modules.quality_award.models import (
    Application,
    BonusUseReport,
    Clawback,
    CommitteeMember,
    Conflict,
    Cycle,
    LedgerEntry,
    Objection,
    Reviewer,
    ReviewerAssessment,
    Score,
    SupportingDocument,
    TeamMember,
    TrackingRecord,
    Transition,
    Vote,
)
from modules.quality_award.texts import (
    ACTION_LABELS,
    ENTRY_LABELS,
    EVENT_LABELS,
    INTAKE_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    STATE_LABELS,
    USE_LABELS,
)

log = logging.getLogger(__name__)

CATEGORY = _l("Mayor's Quality Award")
P = "quality_award."


def _personal(formatter):
    """Show a personal-data column masked unless the user may see it."""

    def show(view, context, model, name):
        value = getattr(model, name)
        if services.can_see_personal_data(current_user):
            return value or ""
        return formatter(value)

    return show


def _state(view, context, model, name):
    return STATE_LABELS.get(model.state, model.state)


def _label(labels):
    """A formatter showing a code's translated label (the code if unknown)."""

    def show(view, context, model, name):
        value = getattr(model, name)
        return str(labels.get(value, value))

    return show


def _yes_no(view, context, model, name):
    return _("Yes") if getattr(model, name) else _("No")


def _yuan(view, context, model, name):
    return f"{getattr(model, name) / 100:,.2f}"


def _detail_link(view, context, model, name):
    application_id = (
        model.id if isinstance(model, Application) else model.application_id
    )
    url = url_for("quality_award_detail.index", application_id=application_id)
    label = (
        model.applicant_name if isinstance(model, Application) else model.application
    )
    return Markup('<a href="{}">{}</a>').format(url, label)


class CycleView(PortalModelView):
    """Award cycles (art. 4)."""

    view_permission = P + "view"
    edit_permission = P + "office"
    allow_create = False
    column_list = ("year", "title", "opens_on", "closes_on")
    column_labels = {
        "year": _l("Year"),
        "title": _l("Title"),
        "opens_on": _l("Opens on"),
        "closes_on": _l("Closes on"),
    }
    form_columns = ("title", "opens_on", "closes_on")


class ApplicationView(PortalModelView):
    """Applications of the user's counties; personal data masked."""

    view_permission = P + "view"
    edit_permission = P + "apply"
    allow_create = False
    allow_edit = False
    can_view_details = False
    column_list = (
        "applicant",
        "kind",
        "cycle",
        "department",
        "state",
        "resident_id",
        "phone",
        "submitted_on",
        "evaluation_score",
    )
    column_labels = {
        "applicant": _l("Applicant"),
        "kind": _l("Kind"),
        "cycle": _l("Award cycle"),
        "department": _l("County"),
        "state": _l("State"),
        "resident_id": _l("Resident ID"),
        "phone": _l("Phone"),
        "submitted_on": _l("Submitted on"),
        "evaluation_score": _l("Comprehensive evaluation"),
    }
    column_formatters = {
        "applicant": _detail_link,
        "kind": _label(KIND_LABELS),
        "state": _state,
        "resident_id": _personal(mask_resident_id),
        "phone": _personal(mask_phone),
    }
    column_formatters_export = {
        "applicant": lambda v, c, m, n: m.applicant_name,
        "kind": _label(KIND_LABELS),
        "state": _state,
        "resident_id": _personal(mask_resident_id),
        "phone": _personal(mask_phone),
    }
    column_filters = ("state", "kind")
    column_default_sort = ("id", True)


class _ChildView(PortalModelView):
    """A read-only list of records owned through an application."""

    view_permission = P + "view"
    edit_permission = P + "office"
    allow_create = False
    allow_edit = False
    can_view_details = False
    column_formatters = {"application": _detail_link}


class TransitionView(_ChildView):
    """Every recorded step: actor, date and opinion."""

    column_list = (
        "application",
        "action",
        "from_state",
        "to_state",
        "actor_name",
        "acted_on",
        "opinion",
    )
    column_labels = {
        "application": _l("Applicant"),
        "action": _l("Step"),
        "from_state": _l("From"),
        "to_state": _l("To"),
        "actor_name": _l("By"),
        "acted_on": _l("On"),
        "opinion": _l("Opinion"),
    }
    column_formatters = {
        "application": _detail_link,
        "action": _label(ACTION_LABELS),
        "from_state": _label(STATE_LABELS),
        "to_state": _label(STATE_LABELS),
    }
    column_formatters_export = {
        "application": lambda v, c, m, n: str(m.application),
        "action": _label(ACTION_LABELS),
        "from_state": _label(STATE_LABELS),
        "to_state": _label(STATE_LABELS),
    }
    column_default_sort = ("id", True)


class ObjectionView(_ChildView):
    """Objections with their intake deadline (art. 35-38)."""

    view_permission = P + "office"
    column_list = (
        "application",
        "objector_name",
        "received_on",
        "intake_due_on",
        "intake_decision",
        "outcome",
        "non_cooperation",
        "objector_told_on",
    )
    column_labels = {
        "application": _l("Applicant"),
        "objector_name": _l("Objector"),
        "received_on": _l("Received on"),
        "intake_due_on": _l("Intake due"),
        "intake_decision": _l("Intake decision"),
        "outcome": _l("Outcome"),
        "non_cooperation": _l("Did not cooperate"),
        "objector_told_on": _l("Objector told on"),
    }
    column_formatters = {
        "application": _detail_link,
        "intake_decision": _label(INTAKE_LABELS),
        "outcome": _label(OUTCOME_LABELS),
        "non_cooperation": _yes_no,
    }
    column_formatters_export = {
        "application": lambda v, c, m, n: str(m.application),
        "intake_decision": _label(INTAKE_LABELS),
        "outcome": _label(OUTCOME_LABELS),
        "non_cooperation": _yes_no,
    }
    column_default_sort = ("intake_due_on", False)


class ReviewerView(PortalModelView):
    """The reviewer pool (art. 7(4))."""

    view_permission = edit_permission = P + "office"
    allow_create = False
    column_list = ("user", "expertise", "employer", "is_active", "disqualified_reason")
    column_labels = {
        "user": _l("Reviewer"),
        "expertise": _l("Expertise"),
        "employer": _l("Employer"),
        "is_active": _l("Active"),
        "disqualified_reason": _l("Disqualified for"),
    }
    form_columns = ("expertise", "employer", "is_active", "disqualified_reason")


class AssessmentView(PortalModelView):
    """Assessments of reviewers, with applicants' ratings folded in (art. 7, 31)."""

    view_permission = P + "office"
    edit_permission = P + "office"
    allow_create = allow_edit = False
    column_list = (
        "reviewer",
        "cycle",
        "office_score",
        "rating_average",
        "rating_count",
        "overall",
        "assessed_on",
    )
    column_labels = {
        "reviewer": _l("Reviewer"),
        "cycle": _l("Award cycle"),
        "office_score": _l("Office score"),
        "rating_average": _l("Applicants' rating"),
        "rating_count": _l("Ratings"),
        "overall": _l("Overall"),
        "assessed_on": _l("Assessed on"),
    }


class CommitteeView(PortalModelView):
    """Committee members per cycle (art. 5)."""

    view_permission = P + "office"
    edit_permission = P + "office"
    allow_create = allow_edit = False
    column_list = ("cycle", "user", "position")
    column_labels = {
        "cycle": _l("Award cycle"),
        "user": _l("Member"),
        "position": _l("Position"),
    }


class LedgerView(_ChildView):
    """Bonus payments and clawbacks (art. 25, 33)."""

    view_permission = P + "finance"
    column_list = ("application", "entry_kind", "amount_fen", "entry_on", "reference")
    column_labels = {
        "application": _l("Winner"),
        "entry_kind": _l("Entry"),
        "amount_fen": _l("Amount (yuan)"),
        "entry_on": _l("On"),
        "reference": _l("Reference"),
    }
    column_formatters = {
        "application": _detail_link,
        "entry_kind": _label(ENTRY_LABELS),
        "amount_fen": _yuan,
    }
    column_formatters_export = {
        "application": lambda v, c, m, n: str(m.application),
        "entry_kind": _label(ENTRY_LABELS),
        "amount_fen": _yuan,
    }


class OverviewView(PortalView):
    """The award at a glance: where the applications stand, county by county."""

    view_permission = P + "view"

    @expose("/")
    def index(self):
        """Charts of the latest cycle's applications the user may see."""
        cycles = list(db.session.scalars(select(Cycle).order_by(Cycle.year.desc())))
        cycle = next(
            (c for c in cycles if c.id == request.args.get("cycle_id", type=int)),
            cycles[0] if cycles else None,
        )
        states = services.state_counts(current_user, cycle.id) if cycle else {}
        counties = services.county_counts(current_user, cycle.id) if cycle else []
        by_state = Chart(
            _("Applications by step of the procedure"),
            [str(STATE_LABELS[state]) for state in states],
            {_("Applications"): list(states.values())},
        )
        by_county = Chart(
            _("Applications and winners by county"),
            [line.county for line in counties],
            {
                _("Applications"): [line.applications for line in counties],
                _("Winners"): [line.winners for line in counties],
            },
        )
        return self.render(
            "quality_award/overview.html",
            cycles=cycles,
            cycle=cycle,
            charts=(by_state, by_county),
            states=states,
            counties=counties,
            state_labels=STATE_LABELS,
        )


class RecusalView(PortalView):
    """Who recused, and who should have, per cycle (art. 30)."""

    view_permission = P + "office"

    @expose("/")
    def index(self):
        cycles = list(db.session.scalars(select(Cycle).order_by(Cycle.year.desc())))
        cycle_id = request.args.get("cycle_id", type=int) or (
            cycles[0].id if cycles else None
        )
        lines = services.recusal_overview(current_user, cycle_id) if cycle_id else []
        return self.render(
            "quality_award/recusals.html", cycles=cycles, cycle_id=cycle_id, lines=lines
        )


def _form_date(name: str) -> date:
    value = request.form.get(name) or ""
    if not value:
        return today_local()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PortalError(
            _("“%(value)s” is not a date; write it as YYYY-MM-DD.", value=value)
        ) from None


def _form_int(name: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        raise PortalError(_("Give a whole number for %(name)s.", name=name)) from None


def _yuan_to_fen(name: str) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        return int(Decimal(request.form.get(name, "")) * 100)
    except (InvalidOperation, ValueError):
        raise PortalError(_("Give an amount in yuan.")) from None


class ApplicationDetailView(PortalView):
    """One application: its facts, eligibility, steps and the forms of each step."""

    view_permission = P + "view"

    def is_visible(self) -> bool:
        # Reached from the application list, never from the menu.
        return False

    @expose("/")
    def list(self):
        return redirect(url_for("quality_award_applications.index_view"))

    @expose("/<int:application_id>")
    def index(self, application_id):
        user = current_user
        try:
            application = get_visible(Application, application_id, user)
        except PortalError as error:
            flash(str(error), "error")
            return redirect(url_for("quality_award_applications.index_view"))
        today = today_local()

        def rows(model, **order):
            statement = select(model).where(model.application_id == application.id)
            return list(db.session.scalars(scope(statement, model, user)))

        readable = services.may_read_secret(user, application)
        documents = [
            d for d in rows(SupportingDocument) if readable or not d.is_confidential
        ]
        return self.render(
            "quality_award/detail.html",
            application=application,
            personal=services.personal_fields(user, application),
            eligibility=(
                services.eligibility(application, today)
                if application.state in rules.RUNNING_STATES
                else []
            ),
            actions=[
                (a, ACTION_LABELS[a]) for a in services.actions_for(user, application)
            ],
            history=services.history(user, application.id),
            documents=documents,
            team=rows(TeamMember),
            scores=rows(Score),
            conflicts=rows(Conflict),
            votes=rows(Vote),
            objections=rows(Objection),
            tracking=rows(TrackingRecord),
            ledger=rows(LedgerEntry),
            uses=rows(BonusUseReport),
            clawback=next(iter(rows(Clawback)), None),
            reviewers=list(
                db.session.scalars(select(Reviewer).where(Reviewer.is_active))
            ),
            state_labels=STATE_LABELS,
            kind_labels=KIND_LABELS,
            event_labels=EVENT_LABELS,
            use_labels=USE_LABELS,
            action_labels=ACTION_LABELS,
            entry_labels=ENTRY_LABELS,
            today=today,
            has_certificate=application.state in rules.WINNER_STATES,
        )

    def _do(self, application_id, work):
        try:
            work()
            flash(_("Saved."), "success")
        except PortalError as error:
            flash(str(error), "error")
        return redirect(url_for(".index", application_id=application_id))

    @expose("/<int:application_id>/step", methods=("POST",))
    def step(self, application_id):
        """Take one step of the procedure."""
        form = request.form

        def work():
            extra = {}
            if form.get("notice_ends_on"):
                extra["notice_ends_on"] = _form_date("notice_ends_on")
            for key in ("satisfaction_score", "evaluation_score"):
                if form.get(key):
                    extra[key] = form[key]
            services.take_step(
                current_user,
                application_id,
                form.get("action", ""),
                form.get("opinion", ""),
                _form_date("on"),
                extra,
            )

        return self._do(application_id, work)

    @expose("/<int:application_id>/assign", methods=("POST",))
    def assign(self, application_id):
        """Put a reviewer on a review team."""
        return self._do(
            application_id,
            lambda: services.assign_reviewer(
                current_user,
                application_id,
                _form_int("reviewer_id"),
                request.form.get("stage", ""),
                bool(request.form.get("is_leader")),
            ),
        )

    @expose("/<int:application_id>/conflict", methods=("POST",))
    def conflict(self, application_id):
        """Declare a conflict of interest, one's own or another's."""
        person = request.form.get("person_id")
        return self._do(
            application_id,
            lambda: services.declare_conflict(
                current_user,
                application_id,
                request.form.get("reason", ""),
                today_local(),
                int(person) if person else None,
            ),
        )

    @expose("/<int:application_id>/score", methods=("POST",))
    def score(self, application_id):
        """Score the application as a team member."""
        return self._do(
            application_id,
            lambda: services.record_score(
                current_user,
                application_id,
                request.form.get("stage", ""),
                request.form.get("score", ""),
                request.form.get("comment", ""),
                today_local(),
            ),
        )

    @expose("/<int:application_id>/vote", methods=("POST",))
    def vote(self, application_id):
        """Vote on a candidate."""
        return self._do(
            application_id,
            lambda: services.cast_vote(
                current_user,
                application_id,
                request.form.get("in_favour") == "yes",
                today_local(),
            ),
        )

    @expose("/<int:application_id>/objection", methods=("POST",))
    def objection(self, application_id):
        """Register an objection."""
        return self._do(
            application_id,
            lambda: services.receive_objection(
                current_user,
                application_id,
                request.form.to_dict(),
                _form_date("received_on"),
            ),
        )

    @expose("/<int:application_id>/objection/<int:objection_id>", methods=("POST",))
    def objection_step(self, application_id, objection_id):
        """Decide an objection's intake or conclude it."""
        form = request.form

        def work():
            if form.get("step") == "intake":
                services.decide_objection_intake(
                    current_user,
                    objection_id,
                    form.get("accepted") == "yes",
                    form.get("note", ""),
                    today_local(),
                )
            else:
                services.conclude_objection(
                    current_user,
                    objection_id,
                    form.get("outcome", ""),
                    form.get("findings", ""),
                    bool(form.get("non_cooperation")),
                    today_local(),
                )

        return self._do(application_id, work)

    @expose("/<int:application_id>/document", methods=("POST",))
    def document(self, application_id):
        """Upload a supporting file."""
        return self._do(
            application_id,
            lambda: services.add_document(
                current_user,
                application_id,
                request.files.get("file"),
                request.form.get("title", ""),
                request.form.get("secret", ""),
            ),
        )

    @expose("/document/<int:document_id>")
    def download(self, document_id):
        """Download a supporting file (the read is audited)."""
        from flask import send_file

        try:
            document, path = services.open_document(current_user, document_id)
        except PortalError as error:
            flash(str(error), "error")
            return redirect(url_for("quality_award_applications.index_view"))
        return send_file(
            path,
            mimetype=document.content_type,
            as_attachment=True,
            download_name=document.stored_name,
        )

    @expose("/<int:application_id>/rate", methods=("POST",))
    def rate(self, application_id):
        """Rate an on-site reviewer."""
        return self._do(
            application_id,
            lambda: services.rate_reviewer(
                current_user,
                application_id,
                _form_int("reviewer_id"),
                _form_int("rating"),
                request.form.get("comment", ""),
                today_local(),
            ),
        )

    @expose("/<int:application_id>/payment", methods=("POST",))
    def payment(self, application_id):
        """Record a bonus payment."""
        return self._do(
            application_id,
            lambda: services.record_payment(
                current_user,
                application_id,
                _yuan_to_fen("amount"),
                _form_date("on"),
                request.form.get("reference", ""),
            ),
        )

    @expose("/<int:application_id>/use", methods=("POST",))
    def use(self, application_id):
        """Report a use of the bonus."""
        return self._do(
            application_id,
            lambda: services.report_bonus_use(
                current_user,
                application_id,
                request.form.get("use", ""),
                _yuan_to_fen("amount"),
                request.form.get("description", ""),
                _form_date("on"),
            ),
        )

    @expose("/<int:application_id>/tracking", methods=("POST",))
    def tracking(self, application_id):
        """Record an event of art. 32 or fraud."""
        return self._do(
            application_id,
            lambda: services.record_tracking_event(
                current_user,
                application_id,
                request.form.get("event", ""),
                _form_date("occurred_on"),
                request.form.get("description", ""),
                today_local(),
                bool(request.form.get("direct_responsibility")),
            ),
        )

    @expose("/<int:application_id>/clawback", methods=("POST",))
    def clawback(self, application_id):
        """Record money, trophy or certificate recovered."""
        amount = request.form.get("amount")
        return self._do(
            application_id,
            lambda: services.record_clawback(
                current_user,
                application_id,
                today_local(),
                _yuan_to_fen("amount") if amount else 0,
                request.form.get("reference", ""),
                bool(request.form.get("trophy_returned")),
                bool(request.form.get("certificate_returned")),
            ),
        )

    @expose("/<int:application_id>/certificate.pdf")
    def certificate(self, application_id):
        """The award certificate as a PDF (art. 24)."""
        try:
            document = printing.certificate(current_user, application_id)
        except PortalError as error:
            flash(str(error), "error")
            return redirect(url_for(".index", application_id=application_id))
        return pdf_response(document, f"certificate-{application_id}.pdf")

    @expose("/cycle/<int:cycle_id>/notice.pdf")
    def notice(self, cycle_id):
        """The public notice of a cycle's recommended winners as a PDF (art. 23)."""
        try:
            document = printing.winners_notice(current_user, cycle_id)
        except PortalError as error:
            flash(str(error), "error")
            return redirect(url_for("quality_award_overview.index"))
        return pdf_response(document, f"public-notice-{cycle_id}.pdf")

    @expose("/<int:application_id>/announce-revocation", methods=("POST",))
    def announce_revocation(self, application_id):
        """Record the announcement of a revocation."""
        return self._do(
            application_id,
            lambda: services.announce_revocation(
                current_user,
                application_id,
                today_local(),
            ),
        )


def register(admin, app) -> None:
    """Add the quality award's views and templates to the portal."""
    app.register_blueprint(
        Blueprint("quality_award_templates", __name__, template_folder="templates")
    )
    admin.add_view(
        OverviewView(
            name=_l("Overview"),
            category=CATEGORY,
            endpoint="quality_award_overview",
            url="/admin/quality_award-overview",
        )
    )
    views = [
        (ApplicationView, Application, _l("Applications"), "applications"),
        (TransitionView, Transition, _l("Procedure steps"), "transitions"),
        (ObjectionView, Objection, _l("Objections"), "objections"),
        (CycleView, Cycle, _l("Award cycles"), "cycles"),
        (ReviewerView, Reviewer, _l("Reviewer pool"), "reviewers"),
        (AssessmentView, ReviewerAssessment, _l("Reviewer assessments"), "assessments"),
        (CommitteeView, CommitteeMember, _l("Committee"), "committee"),
        (LedgerView, LedgerEntry, _l("Bonus ledger"), "ledger"),
    ]
    for view, model, name, slug in views:
        admin.add_view(
            view(
                model,
                db,
                name=name,
                category=CATEGORY,
                endpoint=f"quality_award_{slug}",
                url=f"quality_award/{slug}",
            )
        )
    admin.add_view(
        RecusalView(
            name=_l("Recusals"),
            category=CATEGORY,
            endpoint="quality_award_recusals",
            url="quality_award/recusals",
        )
    )
    admin.add_view(
        ApplicationDetailView(
            name=_l("Application"),
            category=CATEGORY,
            endpoint="quality_award_detail",
            url="quality_award_detail",
        )
    )
