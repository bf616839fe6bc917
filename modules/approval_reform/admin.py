"""Portal views of construction project approval."""

from datetime import date

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import StringField

from core.admin.base import PortalModelView, PortalView
from core.charts import Chart
from core.documents import pdf_response
from core.errors import InvalidInput, PortalError
from core.extensions import db
from core.i18n import _, _l
from core.models.organisations import Organisation
from core.scoping import get_visible, scope
from core.timeutil import today_local
from modules.approval_reform import printouts, services
from modules.approval_reform.models import (
    CatalogueItem,
    CatalogueRevision,
    Category,
    Commitment,
    InvestmentType,
    ParallelReview,
    Project,
    Stage,
    label,
    source_label,
)

CATEGORY = _l("Construction project approval")


VIEW = "approval_reform.view"


def _pages_url(endpoint: str, **values) -> str:
    return url_for(f"approval_reform_project_pages.{endpoint}", **values)


def _label_of(view, context, model, name):
    """A stored code shown as its translated label."""
    return label(getattr(model, name))


def _days(view, context, model, name):
    value = getattr(model, name)
    return "—" if value is None else value


def _project_link(view, context, model, name):
    return Markup(
        f'<a href="{escape(_pages_url("project", project_id=model.id))}">'
        f"{escape(model.code)}</a>"
    )


class ProjectView(PortalModelView):
    """The projects the user's department may see."""

    view_permission = VIEW
    edit_permission = "approval_reform.edit"
    allow_create = allow_edit = allow_delete = False
    can_view_details = False
    column_list = (
        "code",
        "name",
        "organisation",
        "category",
        "is_small_project",
        "time_limit_working_days",
        "status",
        "registered_on",
    )
    column_labels = {
        "code": _l("Project code"),
        "name": _l("Project name"),
        "organisation": _l("Applicant"),
        "category": _l("Category"),
        "is_small_project": _l("Small project"),
        "time_limit_working_days": _l("Time limit (working days)"),
        "status": _l("Status"),
        "registered_on": _l("Registered on"),
    }
    column_formatters = {
        "code": _project_link,
        "category": _label_of,
        "status": _label_of,
        "time_limit_working_days": _days,
    }
    column_formatters_export = {
        "category": _label_of,
        "status": _label_of,
        "time_limit_working_days": _days,
    }
    column_searchable_list = ("code", "name")
    column_default_sort = ("id", True)


class CatalogueItemView(PortalModelView):
    """The approval item catalogue, edited by administrators with revisions kept."""

    view_permission = VIEW
    edit_permission = "approval_reform.catalogue"
    column_list = (
        "code",
        "name",
        "stage",
        "time_limit_working_days",
        "notify_and_commit",
        "revision",
        "is_active",
    )
    column_labels = {
        "code": _l("Code"),
        "name": _l("Item name"),
        "stage": _l("Stage"),
        "time_limit_working_days": _l("Time limit (working days)"),
        "notify_and_commit": _l("Notify-and-commit"),
        "inspection_working_days": _l("Inspection within (working days)"),
        "revision": _l("Revision"),
        "is_active": _l("Active"),
        "legal_basis": _l("Legal basis"),
        "department": _l("Handling department"),
        "categories_text": _l("Categories (comma-separated)"),
        "materials_text": _l("Required materials (comma-separated codes)"),
    }
    column_formatters = {"stage": _label_of}
    column_formatters_export = {"stage": _label_of}
    form_columns = (
        "code",
        "name",
        "stage",
        "categories_text",
        "materials_text",
        "time_limit_working_days",
        "legal_basis",
        "department",
        "notify_and_commit",
        "inspection_working_days",
        "is_active",
    )
    form_extra_fields = {
        "categories_text": StringField(_l("Categories (comma-separated)")),
        "materials_text": StringField(_l("Required materials (comma-separated codes)")),
    }

    def on_form_prefill(self, form, id):
        item = self.get_one(id)
        form.categories_text.data = ", ".join(item.categories or [])
        form.materials_text.data = ", ".join(item.required_materials or [])

    def on_model_change(self, form, model, is_created):
        def split(text):
            return [p.strip() for p in (text or "").split(",") if p.strip()]

        categories = split(form.categories_text.data)
        bad = [c for c in categories if c not in set(Category)]
        if bad:
            raise InvalidInput(
                {
                    "categories": [
                        _("Unknown category: %(names)s.", names=", ".join(bad))
                    ]
                }
            )
        if model.notify_and_commit and not model.inspection_working_days:
            raise InvalidInput(
                {
                    "inspection_working_days": [
                        _(
                            "A notify-and-commit item needs its inspection period "
                            "(section 5(16))."
                        )
                    ]
                }
            )
        model.categories = categories
        model.required_materials = split(form.materials_text.data)
        if is_created:
            model.revision = 0
        services.record_catalogue_revision(model)


class CatalogueRevisionView(PortalModelView):
    """Every earlier wording of the catalogue."""

    view_permission = VIEW
    allow_create = allow_edit = allow_delete = False
    column_list = ("item", "revision", "changed_by", "created_at")
    column_labels = {
        "item": _l("Item"),
        "revision": _l("Revision"),
        "changed_by": _l("Changed by"),
        "created_at": _l("Changed at"),
        "snapshot": _l("Content"),
    }
    column_default_sort = ("id", True)


def _form_date(name: str) -> date:
    value = request.form.get(name) or ""
    try:
        return date.fromisoformat(value) if value else today_local()
    except ValueError:
        raise InvalidInput({name: [_("Give a date as YYYY-MM-DD.")]}) from None


class ProjectPagesView(PortalView):
    """Registration, the project page with its clocks, actions and decisions."""

    view_permission = VIEW

    def _back(self, project_id):
        return redirect(_pages_url("project", project_id=project_id))

    @expose("/", methods=("GET", "POST"))
    def index(self):
        """The single application form of a new project."""
        organisations = db.session.scalars(
            scope(select(Organisation).order_by(Organisation.name), Organisation)
        ).all()
        if request.method == "POST":
            if not current_user.can("approval_reform.edit"):
                flash(_("You do not have access to that page."), "error")
                return redirect(request.url)
            form = request.form
            data = {
                "name": form.get("name", ""),
                "category": form.get("category"),
                "investment_type": form.get("investment_type"),
                "building_area_m2": form.get("building_area_m2") or None,
                "height_m": form.get("height_m") or None,
                "floors": int(form["floors"])
                if form.get("floors", "").lstrip("-").isdigit()
                else None,
                "organisation_id": int(form["organisation_id"])
                if form.get("organisation_id", "").isdigit()
                else None,
                "registered_on": _form_date("registered_on"),
                **{flag: flag in form for flag in services.FACT_FLAGS},
            }
            try:
                project = services.register_project(current_user, data)
                db.session.commit()
            except PortalError as error:
                db.session.rollback()
                flash(str(error), "error")
            else:
                flash(_("Project %(code)s registered.", code=project.code), "success")
                return self._back(project.id)
        return self.render(
            "approval_reform/register.html",
            organisations=organisations,
            categories=list(Category),
            investment_types=list(InvestmentType),
            flags=services.FACT_FLAGS,
            today=today_local(),
            label=label,
        )

    @expose("/project/<int:project_id>")
    def project(self, project_id):
        """A project with its stages, clocks, reviews, documents and commitments."""
        project = get_visible(Project, project_id, current_user)
        today = today_local()
        return self.render(
            "approval_reform/project.html",
            project=project,
            clock=services.project_clock(project, today),
            stage_clocks={s.id: services.stage_clock(s, today) for s in project.stages},
            side_clocks={
                s.id: services.side_clock(s, today) for s in project.side_approvals
            },
            today=today,
            label=label,
            source_label=source_label,
        )

    def _act(self, project_id, action):
        try:
            action()
            db.session.commit()
            flash(_("Saved."), "success")
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
        return self._back(project_id)

    @expose("/stage/<int:stage_id>/decide", methods=("POST",))
    def decide(self, stage_id):
        """The lead department decides a stage."""
        stage = get_visible(Stage, stage_id, current_user)
        return self._act(
            stage.project_id,
            lambda: services.decide_stage(
                current_user,
                stage,
                request.form.get("approve") == "1",
                request.form.get("text", ""),
                _form_date("on"),
            ),
        )

    @expose("/stage/<int:stage_id>/pause", methods=("POST",))
    def pause(self, stage_id):
        """Stop a stage's clock for the applicant's corrections."""
        stage = get_visible(Stage, stage_id, current_user)
        return self._act(
            stage.project_id,
            lambda: services.pause_clock(
                current_user,
                stage,
                "applicant",
                request.form.get("reason", ""),
                _form_date("on"),
            ),
        )

    @expose("/stage/<int:stage_id>/resume", methods=("POST",))
    def resume(self, stage_id):
        """Restart a stage's clock."""
        stage = get_visible(Stage, stage_id, current_user)
        return self._act(
            stage.project_id,
            lambda: services.resume_clock(current_user, stage, _form_date("on")),
        )

    @expose("/review/<int:review_id>/opinion", methods=("POST",))
    def opinion(self, review_id):
        """A reviewing department gives its opinion."""
        review = get_visible(ParallelReview, review_id, current_user)
        return self._act(
            review.stage.project_id,
            lambda: services.give_opinion(
                current_user,
                review,
                request.form.get("opinion", ""),
                request.form.get("text", ""),
                _form_date("on"),
            ),
        )

    @expose("/commitment/<int:commitment_id>/inspect", methods=("POST",))
    def inspect(self, commitment_id):
        """Record a commitment's follow-up inspection."""
        commitment = get_visible(Commitment, commitment_id, current_user)
        return self._act(
            commitment.project_id,
            lambda: services.record_inspection(
                current_user,
                commitment,
                request.form.get("fulfilled") == "1",
                request.form.get("findings", ""),
                _form_date("on"),
            ),
        )

    @expose("/stage/<int:stage_id>/decision")
    def decision(self, stage_id):
        """The printable stage decision."""
        stage = get_visible(Stage, stage_id, current_user)
        record = services.decision_record(stage, today_local())
        return self.render(
            "approval_reform/decision.html",
            record=record,
            stage_id=stage.id,
            label=label,
        )

    @expose("/stage/<int:stage_id>/decision.pdf")
    def decision_pdf(self, stage_id):
        """The stage decision as a printable PDF."""
        stage = get_visible(Stage, stage_id, current_user)
        try:
            record = services.decision_record(stage, today_local())
        except PortalError as error:
            flash(str(error), "error")
            return self._back(stage.project_id)
        return pdf_response(
            printouts.decision_document(record), f"{record['decision_number']}.pdf"
        )

    def is_accessible(self):
        if not super().is_accessible():
            return False
        # Actions need the decide permission; the views themselves check it.
        if request.method == "POST" and request.endpoint not in (
            "approval_reform_project_pages.index",
        ):
            return current_user.can("approval_reform.decide")
        return True


class OverviewView(PortalView):
    """Stages against their time limits and projects by status, in charts."""

    view_permission = VIEW

    @expose("/")
    def index(self):
        """The overview page of the projects the user may see."""
        figures = services.stage_figures(current_user)
        labels = [label(f.kind) for f in figures]

        def number(value):
            return 0 if value is None else float(round(value, 1))

        stages = Chart(
            _("Decided stages against their time limits"),
            labels,
            {
                _("Average working days used"): [
                    number(f.average_days_used) for f in figures
                ],
                _("Average time limit (working days)"): [
                    number(f.average_time_limit) for f in figures
                ],
            },
        )
        counts = services.project_status_counts(current_user)
        projects = Chart(
            _("Projects by status"),
            [label(status) for status in counts],
            {_("Projects"): list(counts.values())},
            kind="pie",
        )
        return self.render(
            "approval_reform/overview.html",
            charts=(stages, projects),
            figures=figures,
            counts=counts,
            label=label,
        )


def register(admin):
    """Add the module's portal views."""
    admin.add_view(
        OverviewView(
            name=_l("Overview"),
            category=CATEGORY,
            endpoint="approval_reform_overview",
            url="/admin/approval_reform-overview",
        )
    )
    admin.add_view(
        ProjectPagesView(
            name=_l("Register a project"),
            category=CATEGORY,
            endpoint="approval_reform_project_pages",
        )
    )
    admin.add_view(
        ProjectView(
            Project,
            db,
            name=_l("Projects"),
            category=CATEGORY,
            endpoint="approval_reform_projects",
        )
    )
    admin.add_view(
        CatalogueItemView(
            CatalogueItem,
            db,
            name=_l("Approval item catalogue"),
            category=CATEGORY,
            endpoint="approval_reform_catalogue",
        )
    )
    admin.add_view(
        CatalogueRevisionView(
            CatalogueRevision,
            db,
            name=_l("Catalogue revisions"),
            category=CATEGORY,
            endpoint="approval_reform_catalogue_revisions",
        )
    )
