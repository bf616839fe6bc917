"""Portal views of IT projects: lists scoped by department, and the project desk."""

import logging

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_login import current_user
from markupsafe import Markup, escape
from marshmallow import ValidationError

from core.admin.base import PortalModelView, PortalView
from core.documents import pdf_response
from core.errors import PortalError
from core.extensions import db
from core.i18n import _, _l
from core.scoping import get_visible
from core.timeutil import today_local
from modules.it_projects import documents, overview, rules, services
from modules.it_projects.models import (
    Call,
    CallReminder,
    ChangeRequest,
    ItProject,
    ProjectFunding,
)
from modules.it_projects.schemas import (
    ApplicationSchema,
    ChangeDecisionSchema,
    ChangeRequestInSchema,
    DecisionSchema,
    FundingInSchema,
    to_service,
)

log = logging.getLogger(__name__)

CATEGORY = _l("Government IT projects")
VIEW = "it_projects.view"


def _yuan(view, context, model, name):
    return services.format_yuan(getattr(model, name))


def _status(view, context, model, name):
    return str(services.STATUS_LABELS[model.status])


def _kind(view, context, model, name):
    return str(services.KIND_LABELS[model.kind])


def _change_status(view, context, model, name):
    return str(CHANGE_STATUS_LABELS[model.status])


def _plain(view, context, model, name):
    return str(getattr(model, name) or "")


class StatusFilter(FilterEqual):
    """Filter projects by status, offering the statuses by their labels."""

    def __init__(self):
        super().__init__(
            ItProject.status,
            _l("Status"),
            # Lazy labels: Flask-Admin turns them into text on each page.
            options=[
                (status.value, label)
                for status, label in services.STATUS_LABELS.items()
            ],
        )

    def validate(self, value) -> bool:
        """Only known statuses; anything else is ignored rather than failing."""
        return value in {status.value for status in rules.Status}

    def clean(self, value):
        """The status the value names."""
        return rules.Status(value)


class OverviewView(PortalView):
    """Charts of the projects the user may see: by stage and by plan year."""

    view_permission = VIEW

    @expose("/")
    def index(self):
        """Projects by stage and investment by plan year."""
        return self.render(
            "it_projects/overview.html",
            charts=[
                overview.projects_by_status(current_user),
                overview.investment_by_year(current_user),
            ],
        )


class ProjectView(PortalModelView):
    """Projects of the user's department and below; decisions on the desk."""

    view_permission = VIEW
    allow_create = allow_edit = False
    can_view_details = False
    column_list = (
        "id",
        "title",
        "department",
        "kind",
        "plan_year",
        "status",
        "approved_investment_fen",
        "review_due_on",
    )
    column_labels = {
        "id": _l("No."),
        "title": _l("Project"),
        "department": _l("Requesting unit"),
        "kind": _l("Kind"),
        "plan_year": _l("Plan year"),
        "status": _l("Status"),
        "approved_investment_fen": _l("Approved investment (yuan)"),
        "review_due_on": _l("Technical review due"),
    }
    column_formatters = {
        "approved_investment_fen": _yuan,
        "status": _status,
        "kind": _kind,
        "title": lambda v, c, m, n: _link(m),
    }
    column_formatters_export = {
        "approved_investment_fen": _yuan,
        "status": _status,
        "kind": _kind,
        "title": _plain,
        "department": _plain,
    }
    column_searchable_list = ("title",)
    column_filters = ("plan_year", StatusFilter())
    column_default_sort = ("id", True)


def _link(project: ItProject):
    url = url_for("it_projects_desk.project", project_id=project.id)
    return Markup(f'<a href="{escape(url)}">{escape(project.title)}</a>')


class CallView(PortalModelView):
    """The annual calls; the approval bureau sets their dates."""

    view_permission = VIEW
    edit_permission = "it_projects.review"
    column_list = ("plan_year", "opens_on", "closes_on", "note")
    form_columns = ("plan_year", "opens_on", "closes_on", "note")
    column_labels = {
        "plan_year": _l("Plan year"),
        "opens_on": _l("Opens on"),
        "closes_on": _l("Closes on"),
        "note": _l("Note"),
    }
    column_formatters = {"plan_year": lambda v, c, m, n: _plan_link(m.plan_year)}
    column_formatters_export = {"plan_year": _plain}
    column_default_sort = ("plan_year", True)

    def on_model_change(self, form, model, is_created):
        """Check the dates with the same rules as the API."""
        services.validate_call(
            model.plan_year, model.opens_on, model.closes_on, model.id
        )


def _plan_link(plan_year: int):
    url = url_for("it_projects_desk.annual_plan", plan_year=plan_year)
    label = _("Annual plan (PDF)")
    return Markup(
        f'{plan_year} <a href="{escape(url)}" target="_blank">{escape(label)}</a>'
    )


class ChangeRequestView(PortalModelView):
    """Change requests with the baseline each one changes (art. 10)."""

    view_permission = VIEW
    allow_create = allow_edit = False
    column_list = (
        "project",
        "status",
        "requested_on",
        "before_investment_fen",
        "new_investment_fen",
        "decided_on",
        "decided_by",
    )
    column_labels = {
        "project": _l("Project"),
        "status": _l("Status"),
        "requested_on": _l("Requested on"),
        "before_investment_fen": _l("Investment before (yuan)"),
        "new_investment_fen": _l("Proposed investment (yuan)"),
        "decided_on": _l("Decided on"),
        "decided_by": _l("Decided by"),
    }
    column_details_list = (
        "project",
        "status",
        "requested_on",
        "requested_by",
        "reason",
        "before_scope",
        "new_scope",
        "before_standard",
        "new_standard",
        "before_investment_fen",
        "new_investment_fen",
        "decided_on",
        "decided_by",
        "opinion",
    )
    column_labels = {
        **column_labels,
        "requested_by": _l("Requested by"),
        "reason": _l("Reason"),
        "before_scope": _l("Scope before"),
        "new_scope": _l("Proposed scope"),
        "before_standard": _l("Standard before"),
        "new_standard": _l("Proposed standard"),
        "opinion": _l("Opinion"),
    }
    column_formatters = {
        "before_investment_fen": _yuan,
        "new_investment_fen": _yuan,
        "status": _change_status,
    }
    column_formatters_export = {**column_formatters, "project": _plain}


class FundingView(PortalModelView):
    """Funds paid to projects."""

    view_permission = VIEW
    allow_create = allow_edit = False
    column_list = ("project", "amount_fen", "paid_on", "recorded_by", "note")
    column_labels = {
        "project": _l("Project"),
        "amount_fen": _l("Amount (yuan)"),
        "paid_on": _l("Paid on"),
        "recorded_by": _l("Funds recorded by"),
        "note": _l("Note"),
    }
    column_details_list = column_list
    column_formatters = {"amount_fen": _yuan}
    column_formatters_export = {**column_formatters, "project": _plain}


class ReminderView(PortalModelView):
    """Reminders sent to the user's department."""

    view_permission = VIEW
    allow_create = allow_edit = False
    can_view_details = False
    column_list = ("sent_at", "department", "subject", "due_on")
    column_labels = {
        "sent_at": _l("Sent at"),
        "department": _l("Department"),
        "subject": _l("Subject"),
        "due_on": _l("Due on"),
    }
    column_formatters_export = {"department": _plain}
    column_default_sort = ("sent_at", True)


CHANGE_STATUS_LABELS = {
    "pending": _l("Awaiting decision"),
    "approved": _l("Change approved"),
    "refused": _l("Change refused"),
}


def _documents_from(form) -> list:
    """Documents posted as parallel lists of kinds, titles and references."""
    kinds = form.getlist("doc_kind")
    titles = form.getlist("doc_title")
    references = form.getlist("doc_reference")
    documents = []
    for i, kind in enumerate(kinds):
        title = titles[i].strip() if i < len(titles) else ""
        if not kind or not title:
            continue
        reference = references[i].strip() if i < len(references) else ""
        documents.append({"kind": kind, "title": title, "reference": reference})
    return documents


def _form_data(form, booleans=()) -> dict:
    data = {k: v for k, v in form.items() if not k.startswith("doc_") and v != ""}
    data.pop("csrf_token", None)
    for name in booleans:
        data[name] = name in form
    data["documents"] = _documents_from(form)
    return data


def _flash_errors(error) -> None:
    if isinstance(error, ValidationError):
        for field, messages in error.messages.items():
            flash(f"{field}: {' '.join(map(str, messages))}", "error")
    else:
        flash(str(error), "error")


class ProjectDeskView(PortalView):
    """One project's record and the forms of the steps the user may take."""

    view_permission = VIEW

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self):
        """The project list lives in the list view."""
        return redirect(url_for("it_projects_projects.index_view"))

    @expose("/projects/<int:project_id>")
    def project(self, project_id):
        """The project, its steps, documents, changes and funds."""
        try:
            project = get_visible(ItProject, project_id, current_user)
        except PortalError:
            abort(404)
        actions = [
            action
            for action, transition in rules.TRANSITIONS.items()
            if current_user.can(f"it_projects.{transition.role.value}")
            and not rules.transition_error(action, project.status, project.kind)
        ]
        return self.render(
            "it_projects/project.html",
            project=project,
            actions=actions,
            labels=services.ACTION_LABELS,
            status_labels=services.STATUS_LABELS,
            document_labels=services.DOCUMENT_LABELS,
            change_labels=CHANGE_STATUS_LABELS,
            yuan=services.format_yuan,
            today=today_local(),
            can_change=current_user.can("it_projects.apply")
            and project.status in rules.CHANGEABLE_STATUSES,
            can_decide_change=current_user.can("it_projects.approve"),
            can_fund=current_user.can("it_projects.finance") and project.is_approved,
        )

    @expose("/plans/<int:plan_year>.pdf")
    def annual_plan(self, plan_year):
        """The year's annual plan as a PDF, holding the projects the user may see."""
        try:
            document = documents.annual_plan(current_user, plan_year, today_local())
        except PortalError:
            abort(404)
        log.info("%s printed the %s annual plan", current_user.username, plan_year)
        return pdf_response(document, _("Annual plan %(year)s.pdf", year=plan_year))

    @expose("/projects/<int:project_id>/decide", methods=("POST",))
    def decide(self, project_id):
        """Record a step from the project page."""
        try:
            data = DecisionSchema().load(
                _form_data(request.form, ("approved", "experts", "third_party"))
            )
            data = to_service(data)
            services.decide(current_user, project_id, data.pop("action"), data)
            flash(_("The step was recorded."), "success")
        except (ValidationError, PortalError) as error:
            _flash_errors(error)
        return redirect(url_for(".project", project_id=project_id))

    @expose("/projects/<int:project_id>/change", methods=("POST",))
    def change(self, project_id):
        """File a change request from the project page."""
        try:
            form = _form_data(request.form)
            data = to_service(ChangeRequestInSchema().load(form))
            services.request_change(current_user, project_id, data)
            flash(_("The change request was filed."), "success")
        except (ValidationError, PortalError) as error:
            _flash_errors(error)
        return redirect(url_for(".project", project_id=project_id))

    @expose("/changes/<int:change_id>/decide", methods=("POST",))
    def decide_change(self, change_id):
        """Approve or refuse a change request from the project page."""
        project_id = request.form.get("project_id", type=int)
        try:
            form = _form_data(request.form, ("approved",))
            form.pop("documents")
            form.pop("project_id", None)
            services.decide_change(
                current_user, change_id, ChangeDecisionSchema().load(form)
            )
            flash(_("The change request was decided."), "success")
        except (ValidationError, PortalError) as error:
            _flash_errors(error)
        return redirect(url_for(".project", project_id=project_id or 0))

    @expose("/projects/<int:project_id>/funding", methods=("POST",))
    def funding(self, project_id):
        """Record funds from the project page."""
        try:
            form = _form_data(request.form)
            form.pop("documents")
            data = to_service(FundingInSchema().load(form))
            services.record_funding(current_user, project_id, data)
            flash(_("The funds were recorded."), "success")
        except (ValidationError, PortalError) as error:
            _flash_errors(error)
        return redirect(url_for(".project", project_id=project_id))

    @expose("/apply", methods=("GET", "POST"))
    def apply(self):
        """The application form of the annual call and of urgent projects."""
        if not current_user.can("it_projects.apply"):
            flash(_("You do not have access to that page."), "error")
            return redirect(url_for("admin.index"))
        if request.method == "POST":
            try:
                form = _form_data(request.form, ("secrecy", "large_or_specialised"))
                for name in ("funding_sources", "concerns", "facilities"):
                    form[name] = request.form.getlist(name)
                data = to_service(ApplicationSchema().load(form))
                project = services.apply(current_user, data, today_local())
                flash(_("The application was filed."), "success")
                return redirect(url_for(".project", project_id=project.id))
            except (ValidationError, PortalError) as error:
                _flash_errors(error)
        return self.render(
            "it_projects/apply.html",
            call=services.open_call(today_local()),
            funding_sources=list(rules.FundingSource),
            concerns=list(rules.Concern),
            facilities=services.FACILITY_LABELS,
            source_labels=SOURCE_LABELS,
            concern_labels=CONCERN_LABELS,
            document_labels=services.DOCUMENT_LABELS,
            application_documents=rules.APPLICATION_DOCUMENTS,
            form=request.form,
        )


SOURCE_LABELS = services.SOURCE_LABELS

CONCERN_LABELS = {
    "government_data": _l("Government data"),
    "network_security": _l("Network security"),
    "public_resources": _l("Public resources"),
    "public_interests": _l("Public interests"),
}


class ApplyLinkView(PortalView):
    """A menu entry leading to the application form."""

    view_permission = "it_projects.apply"

    @expose("/")
    def index(self):
        """Go to the application form."""
        return redirect(url_for("it_projects_desk.apply"))


def register(admin, app) -> None:
    """Add the module's views and templates to the portal."""
    app.register_blueprint(
        Blueprint("it_projects_templates", __name__, template_folder="templates")
    )
    admin.add_view(
        OverviewView(
            name=_l("Overview"),
            category=CATEGORY,
            endpoint="it_projects_overview",
            url="it-projects-overview",
        )
    )
    admin.add_view(
        ProjectView(
            ItProject,
            db,
            name=_l("Project list"),
            category=CATEGORY,
            endpoint="it_projects_projects",
            url="it-projects/projects",
        )
    )
    admin.add_view(
        ApplyLinkView(
            name=_l("Apply"),
            category=CATEGORY,
            endpoint="it_projects_apply",
            url="it-projects/apply",
        )
    )
    admin.add_view(
        ProjectDeskView(
            name=_l("Project desk"),
            category=CATEGORY,
            endpoint="it_projects_desk",
            url="it-projects/desk",
        )
    )
    admin.add_view(
        CallView(
            Call,
            db,
            name=_l("Annual calls"),
            category=CATEGORY,
            endpoint="it_projects_calls",
            url="it-projects/calls",
        )
    )
    admin.add_view(
        ChangeRequestView(
            ChangeRequest,
            db,
            name=_l("Change requests"),
            category=CATEGORY,
            endpoint="it_projects_changes",
            url="it-projects/changes",
        )
    )
    admin.add_view(
        FundingView(
            ProjectFunding,
            db,
            name=_l("Funds"),
            category=CATEGORY,
            endpoint="it_projects_fundings",
            url="it-projects/fundings",
        )
    )
    admin.add_view(
        ReminderView(
            CallReminder,
            db,
            name=_l("Reminders"),
            category=CATEGORY,
            endpoint="it_projects_reminders",
            url="it-projects/reminders",
        )
    )
