"""Portal views of the safety assessment, each scoped to the user's departments."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.fields import QuerySelectMultipleField
from flask_admin.model import typefmt
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy import select

from core import scoping
from core.admin.base import PortalModelView, PortalView
from core.calendar import parse_date
from core.documents import pdf_response, yuan
from core.errors import InvalidInput, NotFound, PortalError
from core.extensions import db
from core.i18n import _, _l
from core.models.departments import Department
from core.timeutil import today_local
from modules.safety_assessment import overview, services
from modules.safety_assessment.documents import notice_document
from modules.safety_assessment.labels import (
    BONUS_STATUS_LABELS,
    GRADE_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    PREWARNING_LABELS,
    SANCTION_LABELS,
    TOPIC_LABELS,
    UNIT_KIND_LABELS,
    YEAR_STATUS_LABELS,
    YELLOW_RULE_LABELS,
    label,
    reason_text,
)
from modules.safety_assessment.models import (
    Accident,
    AccidentUnit,
    AssessedUnit,
    AssessmentYear,
    BonusAward,
    Deduction,
    Message,
    PreWarning,
    Sanction,
    ScoringItem,
    SelfAssessmentReport,
    SpotCheck,
    UnitAssessment,
)

CATEGORY = _l("Safety assessment")
VIEW, EDIT, APPROVE = (
    "safety_assessment.view",
    "safety_assessment.edit",
    "safety_assessment.approve",
)


def _scoped(model):
    """A query factory for select boxes: only records the user may see."""

    def factory():
        return db.session.scalars(
            scoping.scope(select(model), model, current_user)
        ).all()

    return factory


def _enum_formatter(mapping, attribute):
    """A column formatter showing the translated label of a code."""
    return lambda view, context, model, name: label(mapping, getattr(model, attribute))


def _choices(mapping):
    """Filter options with translated labels instead of codes."""
    return [(str(code), text) for code, text in mapping.items()]


def _yuan_formatter(view, context, model, name):
    value = getattr(model, name)
    return "" if value is None else yuan(value)


def _reasons_formatter(view, context, model, name):
    return "; ".join(reason_text(reason) for reason in model.reasons or [])


def _yes_no(view, value, name):
    return _("Yes") if value else _("No")


class LabelledView(PortalModelView):
    """A list whose details and exports say yes or no instead of True or False."""

    column_type_formatters_detail = {
        **typefmt.DETAIL_FORMATTERS,
        bool: typefmt.bool_formatter,
    }
    column_type_formatters_export = {**typefmt.EXPORT_FORMATTERS, bool: _yes_no}


class YearView(LabelledView):
    """Assessment years and their rule settings."""

    view_permission, edit_permission = VIEW, APPROVE
    column_list = (
        "year",
        "status",
        "yellow_card_rule",
        "county_excellent_quota",
        "township_excellent_quota",
        "approval_decision",
        "approved_on",
        "published_on",
    )
    form_columns = (
        "year",
        "yellow_card_rule",
        "county_excellent_quota",
        "township_excellent_quota",
        "bonus_cap",
    )
    column_labels = {
        "year": _l("Year"),
        "status": _l("Status"),
        "yellow_card_rule": _l("Yellow-card rule"),
        "county_excellent_quota": _l("Excellent places for counties"),
        "township_excellent_quota": _l("Excellent places for townships per county"),
        "bonus_cap": _l("Bonus cap"),
        "approval_decision": _l("Committee decision"),
        "approved_on": _l("Approved on"),
        "published_on": _l("Results published on"),
    }
    column_formatters = {
        "status": _enum_formatter(YEAR_STATUS_LABELS, "status"),
        "yellow_card_rule": _enum_formatter(YELLOW_RULE_LABELS, "yellow_card_rule"),
    }
    column_formatters_export = column_formatters

    def create_model(self, form):
        try:
            year = services.open_year(
                form.year.data,
                form.yellow_card_rule.data,
                form.county_excellent_quota.data or 0,
                form.township_excellent_quota.data,
                form.bonus_cap.data,
            )
            db.session.commit()
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
            return False
        return year

    def on_model_change(self, form, model, is_created):
        if not is_created and model.status != "open":
            raise PortalError(_("The results of this year are approved."))


class ItemView(LabelledView):
    """The items of each year's scoring rules."""

    view_permission, edit_permission = VIEW, APPROVE
    column_list = ("year", "code", "title", "points", "unit_kind")
    form_columns = ("year", "code", "title", "points", "unit_kind")
    column_filters = ("year.year",)
    column_labels = {
        "year": _l("Year"),
        "code": _l("Item code"),
        "title": _l("Scoring item"),
        "points": _l("Points"),
        "unit_kind": _l("Kind of unit"),
    }
    column_formatters = {"unit_kind": _enum_formatter(UNIT_KIND_LABELS, "unit_kind")}
    column_formatters_export = column_formatters

    def on_model_change(self, form, model, is_created):
        if model.points is None or model.points <= 0:
            raise InvalidInput({"points": [_("Points must be more than zero.")]})
        if model.year.status != "open":
            raise PortalError(_("The results of this year are approved."))


class UnitView(LabelledView):
    """The assessed units."""

    view_permission = VIEW
    edit_permission = APPROVE
    allow_create = allow_edit = False
    column_list = ("name", "kind", "owner", "is_active")
    column_searchable_list = ("name",)
    column_labels = {
        "name": _l("Unit"),
        "kind": _l("Kind of unit"),
        "owner": _l("Department"),
        "is_active": _l("Active"),
    }
    column_formatters = {"kind": _enum_formatter(UNIT_KIND_LABELS, "kind")}
    column_formatters_export = column_formatters
    column_choices = {"kind": _choices(UNIT_KIND_LABELS)}


class AssessmentView(LabelledView):
    """Each unit's year: the facts art. 10 weighs and the approved result."""

    view_permission, edit_permission = VIEW, APPROVE
    allow_create = False
    column_list = ("year", "unit", "score", "rank", "grade", "yellow_card", "veto")
    column_filters = ("year.year", "unit.kind")
    column_searchable_list = ("unit.name",)
    form_columns = (
        "key_task_incomplete",
        "outside_accident_fault",
        "publicly_criticised",
        "listed_hazard_unrectified",
        "forest_area_ha",
        "prior_serious_average",
    )
    column_labels = {
        "year": _l("Year"),
        "unit": _l("Unit"),
        "score": _l("Score"),
        "rank": _l("Rank"),
        "grade": _l("Grade"),
        "yellow_card": _l("Yellow card"),
        "veto": _l("Veto"),
        "key_task_incomplete": _l("Key task not completed"),
        "outside_accident_fault": _l("At fault in a major accident outside its area"),
        "publicly_criticised": _l("Publicly criticised"),
        "listed_hazard_unrectified": _l("Listed major hazard not rectified"),
        "forest_area_ha": _l("Forest area (ha)"),
        "prior_serious_average": _l("Serious accidents, average of 3 years before"),
        "reasons": _l("Reasons"),
    }
    column_formatters = {
        "grade": _enum_formatter(GRADE_LABELS, "grade"),
        "reasons": _reasons_formatter,
    }
    column_formatters_export = column_formatters
    column_choices = {"unit.kind": _choices(UNIT_KIND_LABELS)}

    def on_model_change(self, form, model, is_created):
        if model.year.status != "open":
            raise PortalError(_("The results of this year are approved."))


class AccidentView(LabelledView):
    """The accident register; levels and years are derived, never typed in."""

    view_permission, edit_permission = VIEW, EDIT
    column_list = (
        "occurred_on",
        "kind",
        "place",
        "department",
        "deaths",
        "serious_injuries",
        "direct_loss",
        "burned_area_ha",
        "level",
        "assessment_year",
    )
    column_default_sort = ("occurred_on", True)
    column_filters = ("assessment_year", "level", "kind")
    form_columns = (
        "kind",
        "occurred_on",
        "place",
        "summary",
        "department",
        "deaths",
        "serious_injuries",
        "direct_loss",
        "burned_area_ha",
        "concealed",
        "falsely_reported",
        "late_reported",
        "concealment_by_government",
        "confirmed_on",
        "bad_social_effect",
        "egregious",
        "especially_egregious",
        "liability",
        "units",
    )
    form_args = {"department": {"query_factory": _scoped(Department)}}
    form_extra_fields = {
        "units": QuerySelectMultipleField(
            _l("Units it counts against"), query_factory=_scoped(AssessedUnit)
        )
    }
    column_labels = {
        "occurred_on": _l("Date"),
        "kind": _l("Accident kind"),
        "place": _l("Place"),
        "summary": _l("Accident summary"),
        "department": _l("Accident area"),
        "deaths": _l("Deaths"),
        "serious_injuries": _l("Seriously injured"),
        "direct_loss": _l("Direct loss (yuan)"),
        "burned_area_ha": _l("Burned forest (ha)"),
        "concealed": _l("Concealed"),
        "falsely_reported": _l("Falsely reported"),
        "late_reported": _l("Late reported"),
        "concealment_by_government": _l("Concealment by government bodies"),
        "confirmed_on": _l("Concealment confirmed on"),
        "bad_social_effect": _l("Bad social effect"),
        "egregious": _l("Egregious"),
        "especially_egregious": _l("Especially egregious"),
        "liability": _l("Liability accident"),
        "level": _l("Accident level"),
        "assessment_year": _l("Assessment year"),
    }
    column_formatters = {
        "kind": _enum_formatter(KIND_LABELS, "kind"),
        "level": _enum_formatter(LEVEL_LABELS, "level"),
        "direct_loss": _yuan_formatter,
    }
    column_formatters_export = column_formatters
    column_choices = {"kind": _choices(KIND_LABELS), "level": _choices(LEVEL_LABELS)}

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and request.method == "GET":
            form.units.data = [link.unit for link in obj.links]
        return form

    def on_model_change(self, form, model, is_created):
        values = {name: getattr(model, name) for name in services.ACCIDENT_FIELDS}
        errors = services.validate_accident(values, today_local())
        if errors:
            raise InvalidInput(errors)
        if model.department is None or not scoping.can_own(
            current_user, model.department
        ):
            raise InvalidInput(
                {"department": [_("Choose a department you may file for.")]}
            )
        services.derive_accident(model)
        chosen = {unit.id: unit for unit in form.units.data or []}
        model.links = [link for link in model.links if link.unit_id in chosen] + [
            AccidentUnit(unit=unit)
            for unit_id, unit in chosen.items()
            if unit_id not in {link.unit_id for link in model.links}
        ]

    def after_model_change(self, form, model, is_created):
        super().after_model_change(form, model, is_created)
        services.raise_prewarnings(model, today_local())
        db.session.commit()


class DeductionView(LabelledView):
    """Deductions, each kept in full as recorded."""

    view_permission, edit_permission = VIEW, EDIT
    allow_edit = False
    column_list = (
        "assessment",
        "item",
        "points",
        "quarter",
        "deducted_on",
        "reason",
        "evidence",
        "recorded_by",
    )
    form_columns = (
        "assessment",
        "item",
        "points",
        "quarter",
        "deducted_on",
        "reason",
        "evidence",
    )
    form_args = {"assessment": {"query_factory": _scoped(UnitAssessment)}}
    column_labels = {
        "assessment": _l("Unit and year"),
        "item": _l("Scoring item"),
        "points": _l("Points"),
        "quarter": _l("Quarter"),
        "deducted_on": _l("Date"),
        "reason": _l("Deduction reason"),
        "evidence": _l("Evidence"),
        "recorded_by": _l("Entered by"),
    }

    def create_model(self, form):
        try:
            deduction = services.record_deduction(
                form.assessment.data,
                form.item.data.id if form.item.data else None,
                form.points.data,
                form.quarter.data,
                form.deducted_on.data,
                form.reason.data,
                form.evidence.data,
            )
            db.session.commit()
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
            return False
        return deduction


class BonusView(LabelledView):
    """Bonus points; they count once the committee approves them."""

    view_permission, edit_permission = VIEW, EDIT
    allow_edit = False
    list_template = "safety_assessment/bonus_list.html"
    column_list = ("assessment", "points", "reason", "status", "decision", "decided_on")
    form_columns = ("assessment", "points", "reason", "evidence")
    form_args = {"assessment": {"query_factory": _scoped(UnitAssessment)}}
    column_labels = {
        "assessment": _l("Unit and year"),
        "points": _l("Points"),
        "reason": _l("Achievement"),
        "evidence": _l("Evidence"),
        "status": _l("Status"),
        "decision": _l("Committee decision"),
        "decided_on": _l("Decided on"),
    }
    column_formatters = {"status": _enum_formatter(BONUS_STATUS_LABELS, "status")}
    column_formatters_export = column_formatters

    def create_model(self, form):
        try:
            bonus = services.propose_bonus(
                form.assessment.data,
                form.points.data,
                form.reason.data,
                form.evidence.data,
            )
            db.session.commit()
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
            return False
        return bonus

    @expose("/approve/<int:bonus_id>", methods=("POST",))
    def approve(self, bonus_id):
        """Approve bonus points by a committee decision."""
        if not current_user.can(APPROVE):
            abort(403)
        try:
            bonus = scoping.get_visible(BonusAward, bonus_id, current_user)
        except NotFound:
            abort(404)
        try:
            decided_on = (
                parse_date(request.form["decided_on"], "decided_on")
                if request.form.get("decided_on")
                else None
            )
            services.approve_bonus(bonus, request.form.get("decision", ""), decided_on)
            db.session.commit()
            flash(_("The bonus points are approved."), "success")
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
        return redirect(url_for(".index_view"))


class PreWarningView(LabelledView):
    """Pre-warnings and pre-vetoes, interviews and rectification reports."""

    view_permission, edit_permission = VIEW, EDIT
    allow_create = False
    column_list = (
        "unit",
        "year",
        "kind",
        "raised_on",
        "interview_on",
        "interviewed_on",
        "rectification_due",
        "rectification_filed_on",
        "reported_to_discipline_on",
    )
    form_columns = ("interviewed_on", "rectification_filed_on", "rectification_summary")
    column_labels = {
        "unit": _l("Unit"),
        "year": _l("Year"),
        "kind": _l("Notice"),
        "raised_on": _l("Raised on"),
        "interview_on": _l("Interview scheduled"),
        "interviewed_on": _l("Interview held"),
        "rectification_due": _l("Rectification report due"),
        "rectification_filed_on": _l("Rectification report filed"),
        "rectification_summary": _l("Rectification measures"),
        "reported_to_discipline_on": _l("Reported to discipline commission"),
        "reasons": _l("Reasons"),
    }
    column_formatters = {
        "kind": _enum_formatter(PREWARNING_LABELS, "kind"),
        "reasons": _reasons_formatter,
    }
    column_formatters_export = column_formatters


class SanctionView(LabelledView):
    """Sanctions of art. 16 with their periods."""

    view_permission = edit_permission = VIEW
    allow_create = allow_edit = False
    column_list = ("unit", "year", "kind", "starts_on", "ends_on", "basis")
    column_labels = {
        "unit": _l("Unit"),
        "year": _l("Year"),
        "kind": _l("Sanction"),
        "starts_on": _l("From"),
        "ends_on": _l("To"),
        "basis": _l("Decision"),
    }
    column_formatters = {"kind": _enum_formatter(SANCTION_LABELS, "kind")}
    column_formatters_export = column_formatters


class SelfReportView(LabelledView):
    """Self-assessment reports, due by 15 November."""

    view_permission, edit_permission = VIEW, EDIT
    allow_edit = False
    column_list = ("assessment", "filed_on", "self_score")
    form_columns = ("assessment", "filed_on", "self_score", "summary")
    form_args = {"assessment": {"query_factory": _scoped(UnitAssessment)}}
    column_labels = {
        "assessment": _l("Unit and year"),
        "filed_on": _l("Report filed on"),
        "self_score": _l("Self-assessed score"),
        "summary": _l("Self-assessment"),
    }

    def create_model(self, form):
        try:
            report = services.file_self_report(
                form.assessment.data,
                form.filed_on.data or today_local(),
                form.summary.data,
                form.self_score.data,
            )
            db.session.commit()
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
            return False
        return report


class SpotCheckView(LabelledView):
    """On-site spot checks of self-assessment reports."""

    view_permission, edit_permission = VIEW, APPROVE
    allow_edit = False
    column_list = ("report", "checked_on", "inspectors", "consistent")
    form_columns = ("report", "checked_on", "inspectors", "findings", "consistent")
    form_args = {"report": {"query_factory": _scoped(SelfAssessmentReport)}}
    column_labels = {
        "report": _l("Self-assessment report"),
        "checked_on": _l("Checked on"),
        "inspectors": _l("Spot-check inspectors"),
        "findings": _l("Spot-check findings"),
        "consistent": _l("Consistent with the report"),
    }

    def create_model(self, form):
        try:
            check = services.record_spot_check(
                form.report.data,
                form.checked_on.data,
                form.inspectors.data,
                form.findings.data,
                bool(form.consistent.data),
            )
            db.session.commit()
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
            return False
        return check


class MessageView(LabelledView):
    """Notices, reminders and results sent to departments."""

    view_permission = edit_permission = VIEW
    allow_create = allow_edit = False
    column_list = ("created_at", "department", "topic", "subject")
    column_default_sort = ("created_at", True)
    column_labels = {
        "created_at": _l("Sent at"),
        "department": _l("Department"),
        "topic": _l("Topic"),
        "subject": _l("Message subject"),
        "body": _l("Text"),
        "recipients": _l("Recipients"),
    }
    column_formatters = {"topic": _enum_formatter(TOPIC_LABELS, "topic")}
    column_formatters_export = column_formatters


def _chosen_year(years):
    """The year asked for in ?year=, else the latest."""
    chosen = request.args.get("year", type=int)
    return next((y for y in years if y.year == chosen), years[0] if years else None)


class OverviewView(PortalView):
    """Charts of the year: county scores and accidents by month, in scope."""

    view_permission = VIEW

    @expose("/")
    def index(self):
        """The overview of the chosen (or latest) year."""
        years = db.session.scalars(
            select(AssessmentYear).order_by(AssessmentYear.year.desc())
        ).all()
        year = _chosen_year(years)
        charts = overview.charts(year, current_user) if year else []
        return self.render(
            "safety_assessment/overview.html", years=years, year=year, charts=charts
        )


class ResultsView(PortalView):
    """The ranked list of a year, its approval, publication and notices."""

    view_permission = VIEW

    @expose("/")
    def index(self):
        """The ranked list of the chosen (or latest) year."""
        years = db.session.scalars(
            select(AssessmentYear).order_by(AssessmentYear.year.desc())
        ).all()
        year = _chosen_year(years)
        rows = services.results(year, current_user) if year else []
        return self.render(
            "safety_assessment/results.html",
            years=years,
            year=year,
            rows=rows,
            reason_text=reason_text,
            grade_label=lambda g: label(GRADE_LABELS, g),
            kind_label=lambda k: label(UNIT_KIND_LABELS, k),
            can_approve=current_user.can(APPROVE),
        )

    @expose("/<int:year>/approve", methods=("POST",))
    def approve(self, year):
        """The committee approves the results."""
        return self._decide(year, "approve")

    @expose("/<int:year>/publish", methods=("POST",))
    def publish(self, year):
        """Publish the approved results."""
        return self._decide(year, "publish")

    def _decide(self, year, action):
        if not current_user.can(APPROVE):
            abort(403)
        try:
            record = services.get_year(year)
            if action == "approve":
                decided_on = (
                    parse_date(request.form["decided_on"], "decided_on")
                    if request.form.get("decided_on")
                    else None
                )
                services.approve_results(
                    record, request.form.get("decision", ""), decided_on
                )
                flash(_("The results are approved."), "success")
            else:
                services.publish_results(record, today_local())
                flash(_("The assessment results are published."), "success")
            db.session.commit()
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
        return redirect(url_for(".index", year=year))

    @expose("/notice/<int:assessment_id>")
    def notice(self, assessment_id):
        """The printable result notice of one unit."""
        try:
            assessment = scoping.get_visible(
                UnitAssessment, assessment_id, current_user
            )
        except NotFound:
            abort(404)
        try:
            notice = services.result_notice(assessment)
        except PortalError as error:
            flash(str(error), "error")
            return redirect(url_for(".index", year=assessment.year.year))
        return self.render(
            "safety_assessment/notice.html", notice=notice, assessment_id=assessment_id
        )

    @expose("/notice/<int:assessment_id>.pdf")
    def notice_pdf(self, assessment_id):
        """The result notice of one unit as a printable PDF, always in Chinese."""
        try:
            assessment = scoping.get_visible(
                UnitAssessment, assessment_id, current_user
            )
        except NotFound:
            abort(404)
        # The notice is an official document: Chinese whatever the page language.
        with force_locale("zh_CN"):
            try:
                notice = services.result_notice(assessment)
            except PortalError as error:
                flash(str(error), "error")
                return redirect(url_for(".index", year=assessment.year.year))
            document = notice_document(notice)
            filename = f"{notice.title}.pdf"
        return pdf_response(document, filename)


def register(admin, app) -> None:
    """Add the module's views and templates to the portal."""
    app.register_blueprint(
        Blueprint("safety_assessment_templates", __name__, template_folder="templates")
    )
    views = [
        (OverviewView, None, _l("Overview"), "overview"),
        (ResultsView, None, _l("Assessment results"), "results"),
        (YearView, AssessmentYear, _l("Assessment years"), "years"),
        (ItemView, ScoringItem, _l("Scoring rules"), "items"),
        (UnitView, AssessedUnit, _l("Assessed units"), "units"),
        (AssessmentView, UnitAssessment, _l("Unit assessments"), "assessments"),
        (AccidentView, Accident, _l("Accident register"), "accidents"),
        (DeductionView, Deduction, _l("Deductions"), "deductions"),
        (BonusView, BonusAward, _l("Bonus points"), "bonuses"),
        (PreWarningView, PreWarning, _l("Pre-warnings and pre-vetoes"), "prewarnings"),
        (SanctionView, Sanction, _l("Sanctions"), "sanctions"),
        (SelfReportView, SelfAssessmentReport, _l("Self-assessments"), "self_reports"),
        (SpotCheckView, SpotCheck, _l("Spot checks"), "spot_checks"),
        (MessageView, Message, _l("Messages"), "messages"),
    ]
    for view, model, name, endpoint in views:
        arguments = {
            "name": name,
            "category": CATEGORY,
            "endpoint": f"safety_assessment_{endpoint}",
        }
        if view is OverviewView:
            arguments["url"] = "/admin/safety_assessment-overview"
        if model is None:
            admin.add_view(view(**arguments))
        else:
            admin.add_view(view(model, db, **arguments))
