"""The quality award API under /api/v1/quality-award."""

from decimal import Decimal

from flask import request, send_file
from sqlalchemy import select

from core.api import api_blueprint, api_user, endpoint
from core.errors import InvalidInput
from core.extensions import db
from core.i18n import _
from core.scoping import get_visible, scope
from core.timeutil import today_local
from modules.quality_award import rules, services
from modules.quality_award.models import (
    Application,
    Cycle,
    Objection,
    SupportingDocument,
)
from modules.quality_award.schemas import (
    ApplicationInSchema,
    ApplicationOutSchema,
    ApplicationQuerySchema,
    BonusUseInSchema,
    ConclusionInSchema,
    CycleOutSchema,
    DocumentOutSchema,
    EligibilityAnswerSchema,
    EligibilityFactsSchema,
    IntakeInSchema,
    LedgerOutSchema,
    ObjectionInSchema,
    ObjectionOutSchema,
    PaymentInSchema,
    ScoreInSchema,
    ScoreOutSchema,
    StepInSchema,
    TrackingInSchema,
    TransitionOutSchema,
    VoteInSchema,
    VoteOutSchema,
)
from modules.quality_award.texts import describe

bp = api_blueprint("quality_award", "quality-award")


def _out(application: Application) -> dict:
    """An application as the caller may see it."""
    user = api_user()
    today = today_local()
    running = application.state in rules.RUNNING_STATES
    return {
        "id": application.id,
        "cycle_id": application.cycle_id,
        "kind": application.kind.value,
        "state": application.state.value,
        "applicant_name": application.applicant_name,
        "organisation_id": application.organisation_id,
        "department_id": application.department_id,
        "contact_name": application.contact_name,
        "submitted_on": application.submitted_on,
        "material_score": application.material_score,
        "evaluation_score": application.evaluation_score,
        "notice_ends_on": application.notice_ends_on,
        "awarded_on": application.awarded_on,
        "bonus_yuan": Decimal(application.bonus_fen) / 100,
        "eligibility": services.eligibility(application, today) if running else [],
        "actions": services.actions_for(user, application),
        **services.personal_fields(user, application),
    }


@endpoint(
    bp,
    "/eligibility-check",
    methods=("POST",),
    body=EligibilityFactsSchema,
    response=EligibilityAnswerSchema,
    permission="quality_award.view",
)
def eligibility_check(body):
    """Check an applicant's facts against art. 9-11 and list every failed condition."""
    adverse = list(body["adverse_credit"])
    on = body["on"] or today_local()
    if body["organisation_id"] is not None:
        from core.directory import credit_records_in_force
        from core.models.organisations import ADVERSE_CREDIT_KINDS, Organisation

        organisation = get_visible(Organisation, body["organisation_id"], api_user())
        adverse += [
            r.summary
            for r in credit_records_in_force(organisation.id, on)
            if r.kind in ADVERSE_CREDIT_KINDS
        ]
    facts = rules.ApplicantFacts(
        kind=rules.ApplicantKind(body["kind"]),
        on=on,
        registered_in_zhuzhou=body["registered_in_zhuzhou"],
        operating_since=body["operating_since"],
        quality_work_since=body["quality_work_since"],
        last_major_accident_on=body["last_major_accident_on"],
        last_violation_on=body["last_violation_on"],
        adverse_credit=tuple(adverse),
        previous_wins=tuple(body["previous_wins"]),
    )
    reasons = rules.eligibility_reasons(facts)
    return {
        "eligible": not reasons,
        "reasons": [
            {"code": r.code, "article": r.article, "message": describe(r)}
            for r in reasons
        ],
    }


@endpoint(
    bp, "/cycles", response=CycleOutSchema, many=True, permission="quality_award.view"
)
def list_cycles():
    """List the award cycles."""
    return list(db.session.scalars(select(Cycle).order_by(Cycle.year)))


@endpoint(
    bp,
    "/applications",
    query=ApplicationQuerySchema,
    response=ApplicationOutSchema,
    many=True,
    permission="quality_award.view",
)
def list_applications(query):
    """List the applications of the caller's counties."""
    return [
        _out(a)
        for a in services.list_applications(
            api_user(), query["cycle_id"], query["state"]
        )
    ]


@endpoint(
    bp,
    "/applications",
    methods=("POST",),
    body=ApplicationInSchema,
    response=ApplicationOutSchema,
    status=201,
    permission="quality_award.apply",
)
def create_application(body):
    """File a draft application (art. 14)."""
    return _out(services.create_application(api_user(), body))


@endpoint(
    bp,
    "/applications/<int:application_id>",
    response=ApplicationOutSchema,
    permission="quality_award.view",
)
def get_application(application_id):
    """One application."""
    return _out(get_visible(Application, application_id, api_user()))


@endpoint(
    bp,
    "/applications/<int:application_id>/transitions",
    response=TransitionOutSchema,
    many=True,
    permission="quality_award.view",
)
def list_transitions(application_id):
    """The recorded steps of an application."""
    return services.history(api_user(), application_id)


@endpoint(
    bp,
    "/applications/<int:application_id>/transitions",
    methods=("POST",),
    body=StepInSchema,
    response=ApplicationOutSchema,
    status=201,
    permission="quality_award.view",
)
def take_step(application_id, body):
    """Take one step of the procedure; the step's own permission is checked."""
    extra = {
        key: body[key]
        for key in ("notice_ends_on", "satisfaction_score", "evaluation_score")
        if body[key] is not None
    }
    services.take_step(
        api_user(), application_id, body["action"], body["opinion"], body["on"], extra
    )
    return _out(get_visible(Application, application_id, api_user()))


@endpoint(
    bp,
    "/applications/<int:application_id>/scores",
    methods=("POST",),
    body=ScoreInSchema,
    response=ScoreOutSchema,
    status=201,
    permission="quality_award.review",
)
def record_score(application_id, body):
    """Score an application as a member of its review team."""
    return services.record_score(
        api_user(),
        application_id,
        body["stage"],
        body["score"],
        body["comment"],
        body["on"] or today_local(),
    )


@endpoint(
    bp,
    "/applications/<int:application_id>/votes",
    methods=("POST",),
    body=VoteInSchema,
    response=VoteOutSchema,
    status=201,
    permission="quality_award.committee",
)
def cast_vote(application_id, body):
    """Vote on a candidate as a committee member (art. 22)."""
    return services.cast_vote(
        api_user(), application_id, body["in_favour"], body["on"] or today_local()
    )


@endpoint(
    bp,
    "/applications/<int:application_id>/objections",
    methods=("POST",),
    body=ObjectionInSchema,
    response=ObjectionOutSchema,
    status=201,
    permission="quality_award.office",
)
def receive_objection(application_id, body):
    """Register a real-name written objection (art. 35, 36)."""
    return services.receive_objection(
        api_user(), application_id, body, body["received_on"] or today_local()
    )


@endpoint(
    bp,
    "/objections",
    response=ObjectionOutSchema,
    many=True,
    permission="quality_award.office",
)
def list_objections():
    """List the objections of the caller's counties."""
    statement = select(Objection).order_by(Objection.intake_due_on)
    return list(db.session.scalars(scope(statement, Objection, api_user())))


@endpoint(
    bp,
    "/objections/<int:objection_id>/intake",
    methods=("POST",),
    body=IntakeInSchema,
    response=ObjectionOutSchema,
    permission="quality_award.office",
)
def decide_intake(objection_id, body):
    """Accept or reject an objection for inquiry (art. 36)."""
    return services.decide_objection_intake(
        api_user(),
        objection_id,
        body["accepted"],
        body["note"],
        body["on"] or today_local(),
    )


@endpoint(
    bp,
    "/objections/<int:objection_id>/conclusion",
    methods=("POST",),
    body=ConclusionInSchema,
    response=ObjectionOutSchema,
    permission="quality_award.office",
)
def conclude_objection(objection_id, body):
    """Record an objection's findings and outcome (art. 37, 38)."""
    return services.conclude_objection(
        api_user(),
        objection_id,
        body["outcome"],
        body["findings"],
        body["non_cooperation"],
        body["on"] or today_local(),
    )


@endpoint(
    bp,
    "/applications/<int:application_id>/documents",
    methods=("POST",),
    response=DocumentOutSchema,
    status=201,
    permission="quality_award.apply",
)
def upload_document(application_id):
    """Upload a supporting file (multipart: file, title, secret)."""
    return services.add_document(
        api_user(),
        application_id,
        request.files.get("file"),
        request.form.get("title", ""),
        request.form.get("secret", ""),
    )


@endpoint(
    bp,
    "/applications/<int:application_id>/documents",
    response=DocumentOutSchema,
    many=True,
    permission="quality_award.view",
)
def list_documents(application_id):
    """The supporting files the caller may see (secrets only for their readers)."""
    user = api_user()
    application = get_visible(Application, application_id, user)
    readable = services.may_read_secret(user, application)
    return [
        d
        for d in db.session.scalars(
            select(SupportingDocument).where(
                SupportingDocument.application_id == application.id
            )
        )
        if readable or not d.is_confidential
    ]


@endpoint(bp, "/documents/<int:document_id>", permission="quality_award.view")
def download_document(document_id):
    """Download a supporting file; every read is written to the audit log."""
    document, path = services.open_document(api_user(), document_id)
    return send_file(
        path,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.stored_name,
    )


@endpoint(
    bp,
    "/applications/<int:application_id>/payments",
    methods=("POST",),
    body=PaymentInSchema,
    response=LedgerOutSchema,
    status=201,
    permission="quality_award.finance",
)
def record_payment(application_id, body):
    """Record a bonus payment (art. 25)."""
    return services.record_payment(
        api_user(),
        application_id,
        body["amount_fen"],
        body["on"] or today_local(),
        body["reference"],
    )


@endpoint(
    bp,
    "/applications/<int:application_id>/bonus-uses",
    methods=("POST",),
    body=BonusUseInSchema,
    status=201,
    permission="quality_award.apply",
)
def report_bonus_use(application_id, body):
    """Report a use of the bonus (art. 27)."""
    entry = services.report_bonus_use(
        api_user(),
        application_id,
        body["use"],
        body["amount_fen"],
        body["description"],
        body["on"] or today_local(),
    )
    return {"id": entry.id, "permitted": entry.permitted}, 201


@endpoint(
    bp,
    "/applications/<int:application_id>/tracking-events",
    methods=("POST",),
    body=TrackingInSchema,
    response=ApplicationOutSchema,
    status=201,
    permission="quality_award.office",
)
def record_tracking_event(application_id, body):
    """Record an event of art. 32 or fraud (art. 33) against a winner."""
    if body["occurred_on"] > (body["on"] or today_local()):
        raise InvalidInput({"occurred_on": [_("The event cannot lie in the future.")]})
    services.record_tracking_event(
        api_user(),
        application_id,
        body["event"],
        body["occurred_on"],
        body["description"],
        body["on"] or today_local(),
        body["direct_responsibility"],
    )
    return _out(get_visible(Application, application_id, api_user()))
