"""Portal views of the inspection system; every state change goes to services."""

import logging

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from core.admin.base import PortalModelView, PortalView
from core.documents import pdf_response, yuan
from core.errors import PortalError
from core.extensions import db
from core.i18n import _, _l
from core.scoping import get_visible
from core.timeutil import today_local
from modules.dual_random import documents, overview, services, spreadsheets
from modules.dual_random.models import (
    METHOD_LABELS,
    OUTCOME_LABELS,
    PLAN_KIND_LABELS,
    PLAN_STATUS_LABELS,
    QUALIFICATION_LABELS,
    RISK_LABELS,
    STRATUM_LABELS,
    TASK_KIND_LABELS,
    TASK_STATUS_LABELS,
    CheckItem,
    ConflictOfInterest,
    Inspector,
    Plan,
    Result,
    Target,
    Task,
)

log = logging.getLogger(__name__)

CATEGORY = _l("Random inspections")
VIEW, EDIT = "dual_random.view", "dual_random.edit"


def _label(labels):
    """A formatter showing a code column by its translated label."""

    def format(view, context, model, name):
        value = getattr(model, name)
        if value is None:
            return ""
        return str(labels.get(value, value))

    return format


def _qualifications(view, context, model, name):
    codes = [c.strip() for c in (getattr(model, name) or "").split(",")]
    return "、".join(str(QUALIFICATION_LABELS.get(c, c)) for c in codes if c)


def _percent(view, context, model, name):
    value = getattr(model, name)
    return "" if value is None else f"{(value * 100).normalize():f}%"


def _yuan(view, context, model, name):
    value = getattr(model, name)
    return "" if value is None else yuan(value)


class OverviewView(PortalView):
    """Charts of the tasks by stage and of the targets by county."""

    view_permission = VIEW

    @expose("/")
    def index(self):
        """The overview page."""
        return self.render(
            "dual_random/overview.html",
            stages=overview.tasks_by_stage(current_user),
            counties=overview.targets_by_county(current_user),
        )


class CheckItemView(PortalModelView):
    """The spot-check item lists (task 3)."""

    view_permission, edit_permission = VIEW, EDIT
    column_list = (
        "department",
        "item",
        "sub_item",
        "target_type",
        "sampling_ratio",
        "frequency_per_year",
        "method",
        "qualification",
        "is_key",
    )
    form_columns = (
        "department",
        "item",
        "sub_item",
        "legal_basis",
        "inspecting_body",
        "target_type",
        "sampling_ratio",
        "frequency_per_year",
        "method",
        "qualification",
        "is_key",
        "is_active",
    )
    column_labels = {
        "department": _l("Department"),
        "item": _l("Item"),
        "sub_item": _l("Sub-item"),
        "legal_basis": _l("Legal basis"),
        "inspecting_body": _l("Inspecting body"),
        "target_type": _l("Target type"),
        "sampling_ratio": _l("Sampling ratio"),
        "frequency_per_year": _l("Times a year"),
        "method": _l("Method"),
        "qualification": _l("Qualification needed"),
        "is_key": _l("Key item"),
        "is_active": _l("Active"),
    }
    column_formatters = {
        "method": _label(METHOD_LABELS),
        "qualification": _qualifications,
        "sampling_ratio": _percent,
    }
    column_formatters_export = column_formatters
    column_filters = ("is_key", "method")
    list_template = "dual_random/items_list.html"

    def render(self, template, **kwargs):
        if template == self.list_template:
            department = current_user.department
            kwargs["key_share"] = services.key_share_of(department.id)
            kwargs["department"] = department
        return super().render(template, **kwargs)

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        try:
            services.rules.check_ratio(model.sampling_ratio)
        except services.rules.RuleError as error:
            raise services.refuse(error) from None


class TargetView(PortalModelView):
    """The target registry (task 4); fast on a million rows."""

    view_permission, edit_permission = VIEW, EDIT
    keyset_pager = True
    column_list = (
        "id",
        "name",
        "uscc",
        "target_type",
        "industry",
        "county",
        "risk_level",
        "credit_rating",
        "department",
    )
    # Sorting and filtering only on indexed columns keeps the list fast.
    column_sortable_list = ("id", "name")
    column_default_sort = ("id", True)
    column_filters = ("target_type", "risk_level", "county_id", "department_id")
    column_searchable_list = ("uscc",)
    form_columns = (
        "department",
        "organisation",
        "name",
        "uscc",
        "target_type",
        "industry",
        "county",
        "address",
        "risk_level",
        "credit_rating",
        "is_active",
    )
    column_labels = {
        "id": _l("No."),
        "name": _l("Name"),
        "uscc": _l("Unified social credit code"),
        "target_type": _l("Target type"),
        "industry": _l("Industry"),
        "county": _l("County"),
        "county_id": _l("County"),
        "department_id": _l("Department"),
        "address": _l("Address"),
        "risk_level": _l("Risk level"),
        "credit_rating": _l("Credit rating"),
        "department": _l("Department"),
        "organisation": _l("Organisation"),
        "is_active": _l("Active"),
    }
    column_formatters = {"risk_level": _label(RISK_LABELS)}
    column_formatters_export = column_formatters
    # Counting a million rows for every page is the slow part; page by "next".
    simple_list_pager = True

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        if model.uscc:
            model.uscc = services.validate_uscc(model.uscc)
        else:
            model.uscc = None


class InspectorView(PortalModelView):
    """The inspector registry (task 4)."""

    view_permission, edit_permission = VIEW, EDIT
    column_list = (
        "name",
        "certificate_no",
        "qualifications",
        "is_active",
        "department",
    )
    column_searchable_list = ("name", "certificate_no")
    column_filters = ("is_active",)
    form_columns = (
        "department",
        "name",
        "certificate_no",
        "qualifications",
        "is_active",
    )
    column_labels = {
        "name": _l("Name"),
        "certificate_no": _l("Enforcement certificate number"),
        "qualifications": _l("Qualifications"),
        "is_active": _l("Active"),
        "department": _l("Department"),
    }
    column_formatters = {"qualifications": _qualifications}
    column_formatters_export = column_formatters


class ConflictView(PortalModelView):
    """Declared conflicts of interest."""

    view_permission, edit_permission = VIEW, EDIT
    allow_delete = True
    column_list = ("inspector", "target", "reason")
    form_columns = ("inspector", "target", "reason")
    form_ajax_refs = {"target": {"fields": ("uscc",), "page_size": 10}}
    column_labels = {
        "inspector": _l("Inspector"),
        "target": _l("Target"),
        "reason": _l("Reason"),
    }


class PlanView(PortalModelView):
    """Department plans and joint annual plans (tasks 6, 7)."""

    view_permission, edit_permission = VIEW, EDIT
    allow_create = False
    column_list = ("year", "kind", "title", "department", "status", "due_on")
    form_columns = ("title", "content", "lead_department", "filed_with")
    column_labels = {
        "year": _l("Year"),
        "kind": _l("Kind"),
        "title": _l("Title"),
        "department": _l("Department"),
        "status": _l("Status"),
        "due_on": _l("Due on"),
        "content": _l("Content"),
        "lead_department": _l("Lead department"),
        "filed_with": _l("Filed with"),
    }
    column_formatters = {
        "kind": _label(PLAN_KIND_LABELS),
        "status": _label(PLAN_STATUS_LABELS),
    }
    column_formatters_export = column_formatters


class TaskView(PortalModelView):
    """Inspection tasks; actions on the task page call the services."""

    view_permission, edit_permission = VIEW, EDIT
    allow_create = False
    allow_edit = False
    column_list = (
        "title",
        "kind",
        "department",
        "status",
        "completed_on",
        "publish_due_on",
        "published_on",
    )
    column_filters = ("status", "kind")
    column_labels = {
        "title": _l("Task"),
        "kind": _l("Kind"),
        "department": _l("Department"),
        "status": _l("Status"),
        "completed_on": _l("Completed on"),
        "publish_due_on": _l("Publish by"),
        "published_on": _l("Published on"),
    }
    column_formatters = {
        "status": _label(TASK_STATUS_LABELS),
        "kind": _label(TASK_KIND_LABELS),
        "stratify_by": _label(STRATUM_LABELS),
        "filter_risk_level": _label(RISK_LABELS),
        "sample_ratio": _percent,
    }
    column_formatters_export = column_formatters
    details_template = "dual_random/task_details.html"

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            task = kwargs["model"]
            record = task.current_draw
            kwargs["draw"] = record
            kwargs["rows"] = _draw_rows(record) if record else []
            kwargs["missing"] = services.missing_results(task)
        return super().render(template, **kwargs)

    def _act(self, action, success):
        task_id = request.form.get("task_id", type=int)
        try:
            action(task_id)
            db.session.commit()
            flash(success, "success")
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
        return redirect(url_for(".details_view", id=task_id))

    @expose("/draw", methods=("POST",))
    def draw(self):
        """Draw (or, with a reason, draw again) the task's targets."""
        self._require("dual_random.draw")
        reason = request.form.get("reason", "")
        return self._act(
            lambda t: services.draw_targets(current_user, t, reason),
            _("The targets were drawn."),
        )

    @expose("/match", methods=("POST",))
    def match(self):
        """Match inspectors to the drawn targets."""
        self._require("dual_random.draw")
        return self._act(
            lambda t: services.match_inspectors(current_user, t),
            _("Inspectors were matched."),
        )

    @expose("/complete", methods=("POST",))
    def complete(self):
        """Mark the task completed."""
        self._require("dual_random.results")
        return self._act(
            lambda t: services.complete_task(current_user, t, today_local()),
            _("The task is completed."),
        )

    @expose("/publish", methods=("POST",))
    def publish(self):
        """Publish the task's results."""
        self._require("dual_random.results")
        withheld = request.form.get("withheld_reason", "")
        return self._act(
            lambda t: services.publish_results(
                current_user, t, today_local(), withheld
            ),
            _("The results are published."),
        )

    @expose("/record/<int:task_id>/<int:target_id>")
    def record(self, task_id, target_id):
        """The printable inspection record of one target."""
        task = get_visible(Task, task_id, current_user)
        record = task.current_draw
        if record is None or target_id not in set(services.drawn_ids(record)):
            flash(_("The target is not one of the task's."), "error")
            return redirect(url_for(".details_view", id=task_id))
        target = db.session.get(Target, target_id)
        pairs = services.assignments_of(record).get(target_id, [])
        inspectors = [db.session.get(Inspector, i) for i, _d in pairs]
        results = {
            r.item_id: r
            for r in db.session.scalars(
                select(Result).where(
                    Result.task_id == task.id, Result.target_id == target_id
                )
            )
        }
        return self.render(
            "dual_random/inspection_record.html",
            task=task,
            target=target,
            inspectors=inspectors,
            results=results,
            methods=METHOD_LABELS,
            outcomes=OUTCOME_LABELS,
        )

    @expose("/results/<int:task_id>.pdf")
    def results_pdf(self, task_id):
        """The printable notice of the task's published results (task 9)."""
        task = get_visible(Task, task_id, current_user)
        try:
            notice = documents.results_notice(task)
        except PortalError as error:
            flash(str(error), "error")
            return redirect(url_for(".details_view", id=task_id))
        return pdf_response(notice, _("Inspection results %(id)s.pdf", id=task.id))

    def _require(self, permission):
        if not current_user.can(permission):
            raise PortalError(
                _(
                    "You do not have the permission “%(permission)s”.",
                    permission=permission,
                )
            )


def _draw_rows(record):
    ids = services.drawn_ids(record)[:500]
    names = dict(
        db.session.execute(
            select(Target.id, Target.name).where(Target.id.in_(ids))
        ).all()
    )
    pairs = services.assignments_of(record)
    inspector_ids = {i for p in pairs.values() for i, _d in p}
    inspectors = dict(
        db.session.execute(
            select(Inspector.id, Inspector.name).where(Inspector.id.in_(inspector_ids))
        ).all()
    )
    return [
        (i, names.get(i, ""), [inspectors.get(p, "") for p, _d in pairs.get(i, [])])
        for i in ids
    ]


class ResultView(PortalModelView):
    """Results per target and item (tasks 9 to 11)."""

    view_permission, edit_permission = VIEW, "dual_random.results"
    allow_create = False
    allow_edit = False
    column_list = (
        "task",
        "target",
        "item",
        "inspected_on",
        "outcome",
        "penalty",
        "fine_yuan",
        "referred_to_judiciary",
        "department",
    )
    column_labels = {
        "task": _l("Task"),
        "target": _l("Target"),
        "item": _l("Item"),
        "inspected_on": _l("Inspected on"),
        "outcome": _l("Outcome"),
        "penalty": _l("Penalty"),
        "fine_yuan": _l("Fine (yuan)"),
        "referred_to_judiciary": _l("Referred to a judicial body"),
        "department": _l("Department"),
    }
    column_formatters = {"outcome": _label(OUTCOME_LABELS), "fine_yuan": _yuan}
    column_formatters_export = column_formatters


class RegistryFilesView(PortalView):
    """XLSX import and export of both registries."""

    view_permission = VIEW

    @expose("/")
    def index(self):
        """Links to both registries' imports (checked, with a preview) and exports."""
        return self.render("dual_random/registry_files.html")

    @expose("/export/<kind>")
    def export(self, kind):
        """Download a registry as XLSX."""
        exporter = (
            spreadsheets.export_inspectors
            if kind == "inspectors"
            else spreadsheets.export_targets
        )
        return Response(
            exporter(current_user),
            mimetype=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
            headers={"Content-Disposition": f"attachment; filename={kind}.xlsx"},
        )


def register(admin, app) -> None:
    """Add the module's views and template folder to the portal."""
    app.register_blueprint(
        Blueprint("dual_random_templates", __name__, template_folder="templates")
    )
    admin.add_view(
        OverviewView(
            name=_l("Overview"),
            category=CATEGORY,
            endpoint="dual_random_overview",
            url="/admin/dual-random-overview",
        )
    )
    views = [
        (CheckItemView, CheckItem, _l("Spot-check items"), "items"),
        (TargetView, Target, _l("Target registry"), "targets"),
        (InspectorView, Inspector, _l("Inspector registry"), "inspectors"),
        (ConflictView, ConflictOfInterest, _l("Conflicts of interest"), "conflicts"),
        (PlanView, Plan, _l("Plans"), "plans"),
        (TaskView, Task, _l("Tasks"), "tasks"),
        (ResultView, Result, _l("Results"), "results"),
    ]
    for view, model, name, endpoint in views:
        admin.add_view(
            view(
                model,
                db,
                name=name,
                category=CATEGORY,
                endpoint=f"dual_random_{endpoint}",
            )
        )
    admin.add_view(
        RegistryFilesView(
            name=_l("Import and export"),
            category=CATEGORY,
            endpoint="dual_random_files",
        )
    )
