"""Portal views: registry, credentials with QR codes, rules, venues, the school
list, requests and the records kept for finance and the brigade."""

import logging

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from core import audit
from core.admin.base import PortalModelView, PortalView
from core.calendar import parse_date
from core.documents import pdf_response
from core.errors import PortalError
from core.extensions import db
from core.i18n import _, _l
from core.scoping import get_visible, scope
from core.timeutil import today_local
from core.validators import mask_phone, mask_resident_id
from modules.firefighter_benefits import labels, overview, rules, services
from modules.firefighter_benefits.documents import enrollment_list_document
from modules.firefighter_benefits.models import (
    Allowance,
    BenefitRule,
    CompensationCase,
    Credential,
    EnrollmentList,
    FamilyMember,
    Firefighter,
    HolidayVisit,
    Honour,
    InsurancePolicy,
    PlacementRequest,
    Venue,
)
from modules.firefighter_benefits.reports import SCHOOL_LIST_REPORT, school_list
from modules.firefighter_benefits.services import BENEFIT_LABELS, CATEGORY_LABELS

log = logging.getLogger(__name__)

CATEGORY = _l("Firefighter benefits")
VIEW = "firefighter_benefits.view"
EDIT = "firefighter_benefits.edit"
ADMIN = "firefighter_benefits.admin"
VERIFY = "firefighter_benefits.verify"

LABELS = {
    "resident_id": _l("Resident ID"),
    "name": _l("Name"),
    "category": _l("Firefighter category"),
    "brigade": _l("Brigade"),
    "station": _l("Station"),
    "service_start": _l("Service start date"),
    "status": _l("Status"),
    "status_since": _l("Status since"),
    "phone": _l("Phone"),
    "address": _l("Home address"),
    "firefighter": _l("Firefighter"),
    "relation": _l("Relation"),
    "birth_date": _l("Birth date"),
    "number": _l("Credential number"),
    "issued_on": _l("Issued on"),
    "expires_on": _l("Valid until"),
    "revoked_on": _l("Revoked on"),
    "revoke_reason": _l("Reason for revocation"),
    "benefit": _l("Benefit"),
    "categories": _l("Categories"),
    "min_service_years": _l("Minimum full years of service"),
    "needs_credential": _l("Needs a valid credential"),
    "section": _l("Section"),
    "is_active": _l("In use"),
    "note": _l("Note"),
    "code": _l("Venue code"),
    "kind": _l("Kind"),
    "treatment": _l("Fee treatment"),
    "military_rate_note": _l("Military rate"),
    "department": _l("Department"),
    "family_member": _l("Family member"),
    "filed_on": _l("Filed on"),
    "eligibility_reason": _l("Benefit eligibility"),
    "outcome": _l("Request outcome"),
    "outcome_on": _l("Outcome date"),
    "outcome_note": _l("Outcome note"),
    "insurer": _l("Insurer"),
    "policy_number": _l("Policy number"),
    "starts_on": _l("Starts on"),
    "ends_on": _l("Ends on"),
    "premium_fen": _l("Premium (yuan)"),
    "month": _l("Month"),
    "amount_fen": _l("Amount (yuan)"),
    "unit": _l("Unit"),
    "title": _l("Honour title"),
    "level": _l("Level"),
    "task": _l("Major task"),
    "awarded_on": _l("Awarded on"),
    "holiday": _l("Holiday"),
    "visited_on": _l("Visited on"),
    "visitor": _l("Visitor"),
    "occurred_on": _l("Occurred on"),
    "standard": _l("Standard"),
    "paid_on": _l("Paid on"),
}


def _masked_id(view, context, model, name):
    return mask_resident_id(getattr(model, name))


def _masked_phone(view, context, model, name):
    return mask_phone(getattr(model, name))


def _hidden(view, context, model, name):
    return _("(hidden)") if getattr(model, name) else ""


def _detail_personal(view, context, model, name):
    """Details show personal data in clear only with the permission, logged."""
    if not services.can_see_personal(current_user):
        return {"resident_id": _masked_id, "phone": _masked_phone}.get(name, _hidden)(
            view, context, model, name
        )
    if name == "resident_id":
        audit.record_read(model, "details page")
        db.session.commit()
    return getattr(model, name)


PERSONAL_LIST = {
    "resident_id": _masked_id,
    "phone": _masked_phone,
    "address": _hidden,
}
PERSONAL_DETAIL = {
    "resident_id": _detail_personal,
    "phone": _detail_personal,
    "address": _detail_personal,
}


# Forms keep editing amounts in fen, the unit they are stored in.
FEN_FORM_ARGS = {
    "premium_fen": {"label": _l("Premium (fen)")},
    "amount_fen": {"label": _l("Amount (fen)")},
}


class _View(PortalModelView):
    view_permission = VIEW
    edit_permission = EDIT
    column_labels = LABELS
    form_excluded_columns = ("created_at", "updated_at", "version")
    # Columns holding a code, shown through its label table, and fen amounts
    # shown in yuan, in the list, the details page and the export alike.
    code_columns: dict = {}
    yuan_columns: tuple = ()

    def __init__(self, *args, **kwargs):
        shown = {
            name: labels.code_formatter(table)
            for name, table in self.code_columns.items()
        }
        shown.update({name: labels.yuan_formatter for name in self.yuan_columns})
        self.column_formatters = {**shown, **(self.column_formatters or {})}
        self.column_formatters_detail = {
            **shown,
            **(self.column_formatters_detail or {}),
        }
        self.column_formatters_export = {
            **shown,
            **(self.column_formatters_export or {}),
        }
        if self.yuan_columns:
            self.form_args = {**FEN_FORM_ARGS, **(self.form_args or {})}
        super().__init__(*args, **kwargs)


class _PersonalView(_View):
    """Personal data masked in lists; in clear on details only with permission."""

    column_formatters = PERSONAL_LIST
    column_formatters_detail = PERSONAL_DETAIL
    column_formatters_export = PERSONAL_LIST

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if not services.can_see_personal(current_user):
            # Without the permission the clear values never reach the page.
            for name in ("resident_id", "phone", "address"):
                if hasattr(form, name):
                    delattr(form, name)
        return form


class FirefighterView(_PersonalView):
    column_list = (
        "name",
        "resident_id",
        "category",
        "brigade",
        "station",
        "service_start",
        "status",
        "phone",
    )
    column_searchable_list = ("name",)
    column_filters = ("category", "status", "service_start")
    form_columns = (
        "resident_id",
        "name",
        "category",
        "brigade",
        "station",
        "service_start",
        "status",
        "status_since",
        "phone",
        "address",
    )
    column_extra_row_actions = None
    code_columns = {"category": CATEGORY_LABELS, "status": labels.STATUS}
    column_formatters = {
        **PERSONAL_LIST,
        "name": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            url_for("firefighter_benefits_eligibility.member", member_id=m.id),
            m.name,
        ),
    }

    def on_model_change(self, form, model, is_created):
        services.check_firefighter(model, current_user, today_local())


class FamilyMemberView(_PersonalView):
    code_columns = {"relation": labels.RELATION}
    column_list = ("firefighter", "relation", "name", "resident_id", "birth_date")
    form_columns = (
        "firefighter",
        "relation",
        "name",
        "resident_id",
        "phone",
        "address",
    )
    column_searchable_list = ("name",)

    def on_model_change(self, form, model, is_created):
        if model.firefighter is not None:
            get_visible(Firefighter, model.firefighter.id, current_user)
        services.check_family_member(model, today_local())


class CredentialView(_View):
    column_list = (
        "number",
        "firefighter",
        "issued_on",
        "expires_on",
        "revoked_on",
        "revoke_reason",
    )
    column_searchable_list = ("number",)
    form_columns = ("firefighter", "number", "issued_on", "expires_on")
    allow_edit = False
    column_formatters = {
        "number": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            url_for("firefighter_benefits_credential.show", credential_id=m.id),
            m.number,
        )
    }
    column_formatters_export = {"number": lambda v, c, m, n: m.number}

    def create_model(self, form):
        try:
            firefighter = get_visible(
                Firefighter, form.firefighter.data.id, current_user
            )
            return services.issue_credential(
                firefighter,
                form.number.data,
                form.issued_on.data,
                form.expires_on.data,
            )
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
            return False


class BenefitRuleView(_View):
    """City-wide rules: readable by every viewer, edited with the admin permission."""

    edit_permission = ADMIN
    code_columns = {"benefit": BENEFIT_LABELS}
    column_formatters = {"categories": labels.categories_formatter}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    column_list = (
        "benefit",
        "categories",
        "min_service_years",
        "needs_credential",
        "section",
        "is_active",
    )
    form_columns = (
        "benefit",
        "categories",
        "min_service_years",
        "needs_credential",
        "section",
        "is_active",
        "note",
    )

    def scaffold_form(self):
        from wtforms import SelectMultipleField

        form_class = super().scaffold_form()
        form_class.categories = SelectMultipleField(
            _l("Categories"),
            choices=[(c, str(services.CATEGORY_LABELS[c])) for c in rules.CATEGORIES],
        )
        return form_class

    def get_query(self):
        return db.session.query(BenefitRule)

    def get_count_query(self):
        from sqlalchemy import func

        return db.session.query(func.count(BenefitRule.id))

    def get_one(self, id):
        return db.session.get(BenefitRule, int(id)) if str(id).isdigit() else None

    def on_model_change(self, form, model, is_created):
        services.validate_rule(model)


class VenueView(_View):
    code_columns = {"kind": labels.VENUE_KIND, "treatment": labels.FEE_TREATMENT}
    column_list = (
        "code",
        "name",
        "kind",
        "treatment",
        "military_rate_note",
        "department",
    )
    form_columns = (
        "code",
        "name",
        "kind",
        "treatment",
        "military_rate_note",
        "department",
        "is_active",
    )
    column_searchable_list = ("name", "code")


def _through_firefighter_change(self, form, model, is_created):
    firefighter = getattr(model, "firefighter", None)
    if firefighter is not None:
        get_visible(Firefighter, firefighter.id, current_user)


class PlacementRequestView(_View):
    code_columns = {"kind": labels.REQUEST_KIND, "outcome": labels.OUTCOME}
    column_list = (
        "firefighter",
        "kind",
        "family_member",
        "filed_on",
        "eligibility_reason",
        "outcome",
        "outcome_on",
    )
    form_columns = ("outcome", "outcome_on", "outcome_note")
    allow_create = False

    def on_model_change(self, form, model, is_created):
        _through_firefighter_change(self, form, model, is_created)


class InsurancePolicyView(_View):
    code_columns = {"kind": labels.INSURANCE_KIND}
    yuan_columns = ("premium_fen",)
    column_list = (
        "firefighter",
        "kind",
        "insurer",
        "policy_number",
        "starts_on",
        "ends_on",
        "premium_fen",
    )
    form_columns = (
        "firefighter",
        "kind",
        "insurer",
        "policy_number",
        "starts_on",
        "ends_on",
        "premium_fen",
    )

    def on_model_change(self, form, model, is_created):
        _through_firefighter_change(self, form, model, is_created)
        if model.firefighter is not None:
            model.firefighter_id = model.firefighter.id
        services.check_insurance(model)


class AllowanceView(_View):
    code_columns = {"kind": labels.ALLOWANCE_KIND}
    yuan_columns = ("amount_fen",)
    column_list = ("firefighter", "kind", "month", "amount_fen")
    form_columns = column_list
    on_model_change = _through_firefighter_change


class HonourView(_View):
    column_list = ("unit", "firefighter", "title", "level", "task", "awarded_on")
    form_columns = column_list


class HolidayVisitView(_View):
    column_list = ("unit", "holiday", "visited_on", "visitor")
    form_columns = ("unit", "holiday", "visited_on", "visitor", "note")


class CompensationCaseView(_View):
    code_columns = {"kind": labels.COMPENSATION_KIND, "status": labels.CASE_STATUS}
    yuan_columns = ("amount_fen",)
    column_list = (
        "firefighter",
        "kind",
        "occurred_on",
        "standard",
        "amount_fen",
        "status",
        "paid_on",
    )
    form_columns = column_list
    on_model_change = _through_firefighter_change


class OverviewPage(PortalView):
    """Who serves where, and what gates and desks answered this past year."""

    view_permission = VIEW

    @expose("/")
    def index(self):
        today = today_local()
        return self.render(
            "firefighter_benefits/overview.html",
            charts=[
                overview.serving_chart(current_user),
                overview.checks_chart(today),
            ],
        )


class CheckPage(PortalView):
    """A desk checks a credential number or signed code for a benefit."""

    view_permission = VERIFY

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = {
            "benefit": request.form.get("benefit", rules.CHECKED_BENEFITS[0]),
            "number": request.form.get("number", "").strip(),
            "code": request.form.get("code", "").strip(),
            "venue": request.form.get("venue", ""),
        }
        answer = None
        if request.method == "POST":
            if form["number"] or form["code"]:
                answer = services.verify(
                    form["benefit"],
                    number=form["number"] or None,
                    code=form["code"] or None,
                    venue_code=form["venue"] or None,
                )
            else:
                flash(_("Enter a credential number or a signed code."), "error")
        # The registry of government-priced venues is city-wide public
        # information: a desk checks for any venue, as the verification API does.
        venues = db.session.execute(
            select(Venue.code, Venue.name)
            .where(Venue.is_active.is_(True))
            .order_by(Venue.name)
        ).all()
        return self.render(
            "firefighter_benefits/check.html",
            form=form,
            answer=answer,
            benefits=[(b, services.benefit_label(b)) for b in rules.CHECKED_BENEFITS],
            venues=venues,
            fee_treatment=labels.FEE_TREATMENT,
            label=labels.label,
        )


class CredentialPage(PortalView):
    """A credential with its QR image, printable, and its revocation."""

    view_permission = VIEW

    @expose("/")
    def index(self):
        return redirect(url_for("firefighter_benefits_credentials.index_view"))

    @expose("/<int:credential_id>")
    def show(self, credential_id):
        credential = get_visible(Credential, credential_id, current_user)
        return self.render(
            "firefighter_benefits/credential.html",
            credential=credential,
            code=services.signed_code(credential),
            qr=Markup(services.qr_svg(credential)),
            state=rules.credential_state(
                credential.issued_on,
                credential.expires_on,
                credential.revoked_on,
                today_local(),
            ),
            holder=rules.mask_name(credential.firefighter.name),
            can_edit=current_user.can(EDIT),
            print_mode=request.args.get("print") == "1",
        )

    @expose("/<int:credential_id>/revoke", methods=("POST",))
    def revoke(self, credential_id):
        if not current_user.can(EDIT):
            flash(_("You do not have access to that page."), "error")
            return redirect(url_for(".show", credential_id=credential_id))
        credential = get_visible(Credential, credential_id, current_user)
        try:
            services.revoke_credential(
                credential, request.form.get("reason", ""), today_local()
            )
            flash(_("The credential is revoked."), "success")
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
        return redirect(url_for(".show", credential_id=credential_id))


class EligibilityPage(PortalView):
    """What the engine answers for one firefighter on a date."""

    view_permission = VIEW

    @expose("/")
    def index(self):
        return redirect(url_for("firefighter_benefits_firefighters.index_view"))

    @expose("/<int:member_id>")
    def member(self, member_id):
        firefighter = get_visible(Firefighter, member_id, current_user)
        try:
            on = (
                parse_date(request.args["on"], "on") if request.args.get("on") else None
            )
        except PortalError as error:
            flash(str(error), "error")
            on = None
        on = on or today_local()
        answers = services.eligibility(firefighter, on)
        return self.render(
            "firefighter_benefits/eligibility.html",
            firefighter=firefighter,
            on=on,
            answers=answers,
            label=services.benefit_label,
            reason=services.reason_text,
            category=services.CATEGORY_LABELS[firefighter.category],
        )


class EnrollmentPage(PortalView):
    """School enrollment lists: add names, confirm, hand over as XLSX."""

    view_permission = VIEW

    @expose("/")
    def index(self):
        lists = db.session.scalars(
            scope(
                select(EnrollmentList).order_by(
                    EnrollmentList.year.desc(), EnrollmentList.brigade_id
                ),
                EnrollmentList,
                current_user,
            )
        ).all()
        return self.render(
            "firefighter_benefits/enrollment_lists.html",
            lists=lists,
            due=rules.list_due_date,
            year=today_local().year,
        )

    @expose("/<int:list_id>")
    def show(self, list_id):
        the_list = get_visible(EnrollmentList, list_id, current_user)
        children = db.session.scalars(
            scope(
                select(FamilyMember)
                .join(Firefighter)
                .where(
                    FamilyMember.relation == "child",
                    Firefighter.brigade_id == the_list.brigade_id,
                ),
                FamilyMember,
                current_user,
            ).order_by(FamilyMember.name)
        ).all()
        return self.render(
            "firefighter_benefits/enrollment_list.html",
            the_list=the_list,
            due=rules.list_due_date(the_list.year),
            children=children,
            can_edit=current_user.can(EDIT),
            can_confirm=current_user.can("firefighter_benefits.confirm_enrollment"),
            is_admin=current_user.can(ADMIN),
        )

    @expose("/<int:list_id>/add", methods=("POST",))
    def add(self, list_id):
        the_list = get_visible(EnrollmentList, list_id, current_user)
        try:
            if not current_user.can(EDIT):
                raise PortalError(_("You do not have access to that page."))
            child = get_visible(
                FamilyMember, request.form.get("child_id", "0"), current_user
            )
            entry = services.add_to_enrollment(
                child,
                the_list.year,
                today_local(),
                current_user,
                request.form.get("exception_reason", ""),
            )
            flash(
                _(
                    "%(name)s is on the %(year)s list.",
                    name=child.name,
                    year=entry.enrollment_list.year,
                ),
                "success",
            )
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
        return redirect(url_for(".show", list_id=list_id))

    @expose("/<int:list_id>/confirm", methods=("POST",))
    def confirm(self, list_id):
        the_list = get_visible(EnrollmentList, list_id, current_user)
        try:
            services.confirm_list(the_list, current_user)
            flash(_("The list is confirmed."), "success")
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
        return redirect(url_for(".show", list_id=list_id))

    @expose("/<int:list_id>/deliver", methods=("POST",))
    def deliver(self, list_id):
        the_list = get_visible(EnrollmentList, list_id, current_user)
        try:
            if not current_user.can(EDIT):
                raise PortalError(_("You do not have access to that page."))
            services.mark_delivered(the_list)
            flash(_("The list is recorded as handed to the education department."))
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
        return redirect(url_for(".show", list_id=list_id))

    @expose("/<int:list_id>/pdf")
    def pdf(self, list_id):
        the_list = get_visible(EnrollmentList, list_id, current_user)
        try:
            document = enrollment_list_document(the_list, current_user)
        except PortalError as error:
            flash(str(error), "error")
            return redirect(url_for(".show", list_id=list_id))
        audit.record_read(the_list, "school list PDF")
        db.session.commit()
        return pdf_response(
            document, f"school-list-{the_list.year}-{the_list.brigade_id}.pdf"
        )

    @expose("/<int:list_id>/xlsx")
    def xlsx(self, list_id):
        the_list = get_visible(EnrollmentList, list_id, current_user)
        if the_list.status == "draft":
            flash(_("Only a confirmed list goes to the education department."), "error")
            return redirect(url_for(".show", list_id=list_id))
        from datetime import date

        from core.reports import ReportParams, render_xlsx

        params = ReportParams(
            the_list.brigade, date(the_list.year, 1, 1), date(the_list.year, 12, 31)
        )
        table = school_list(params)
        audit.record_read(the_list, "school list XLSX")
        db.session.commit()
        return Response(
            render_xlsx(SCHOOL_LIST_REPORT, table, params),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": f"attachment; filename=school-list-"
                f"{the_list.year}-{the_list.brigade_id}.xlsx"
            },
        )


def register(admin, app) -> None:
    """Add the module's portal views and templates."""
    app.register_blueprint(
        Blueprint(
            "firefighter_benefits_templates", __name__, template_folder="templates"
        )
    )
    # The overview comes first in the module's menu.
    admin.add_view(
        OverviewPage(
            name=_l("Overview"),
            category=CATEGORY,
            endpoint="firefighter_benefits_overview",
            url="/admin/firefighter_benefits-overview",
        )
    )
    admin.add_view(
        CheckPage(
            name=_l("Check a credential"),
            category=CATEGORY,
            endpoint="firefighter_benefits_check",
            url="/admin/firefighter_benefits/check",
        )
    )
    models = [
        (FirefighterView, Firefighter, _l("Firefighters"), "firefighters"),
        (FamilyMemberView, FamilyMember, _l("Family members"), "family"),
        (CredentialView, Credential, _l("Credentials"), "credentials"),
        (BenefitRuleView, BenefitRule, _l("Benefit rules"), "rules"),
        (VenueView, Venue, _l("Venues"), "venues"),
        (
            PlacementRequestView,
            PlacementRequest,
            _l("Hukou and employment"),
            "requests",
        ),
        (InsurancePolicyView, InsurancePolicy, _l("Insurance policies"), "insurance"),
        (AllowanceView, Allowance, _l("Allowances"), "allowances"),
        (HonourView, Honour, _l("Honours and awards"), "honours"),
        (HolidayVisitView, HolidayVisit, _l("Holiday visits"), "visits"),
        (CompensationCaseView, CompensationCase, _l("Compensation cases"), "cases"),
    ]
    for view, model, name, slug in models:
        admin.add_view(
            view(
                model,
                db,
                name=name,
                category=CATEGORY,
                endpoint=f"firefighter_benefits_{slug}",
                url=f"/admin/firefighter_benefits/{slug}",
            )
        )
    admin.add_view(
        EnrollmentPage(
            name=_l("School enrollment lists"),
            category=CATEGORY,
            endpoint="firefighter_benefits_enrollment",
            url="/admin/firefighter_benefits/enrollment",
        )
    )
    admin.add_view(
        CredentialPage(
            name=_l("Credential"),
            category=CATEGORY,
            endpoint="firefighter_benefits_credential",
            url="/admin/firefighter_benefits/credential",
            menu_class_name="d-none",
        )
    )
    admin.add_view(
        EligibilityPage(
            name=_l("Benefit eligibility"),
            category=CATEGORY,
            endpoint="firefighter_benefits_eligibility",
            url="/admin/firefighter_benefits/eligibility",
            menu_class_name="d-none",
        )
    )
