"""The firefighter benefits API: verification, registry, eligibility, lists."""

from flask import request
from sqlalchemy import select

from core.api import api_blueprint, api_user, endpoint
from core.errors import InvalidInput
from core.extensions import db
from core.scoping import get_visible, scope
from core.timeutil import today_local
from modules.firefighter_benefits import services, signing
from modules.firefighter_benefits.models import (
    BenefitRule,
    Credential,
    EnrollmentList,
    FamilyMember,
    Firefighter,
    PlacementRequest,
)
from modules.firefighter_benefits.schemas import (
    CredentialInSchema,
    CredentialOutSchema,
    EligibilityOutSchema,
    EligibilityQuerySchema,
    EnrollmentEntryOutSchema,
    EnrollmentInSchema,
    EnrollmentListOutSchema,
    FamilyMemberInSchema,
    FamilyMemberOutSchema,
    FirefighterInSchema,
    FirefighterOutSchema,
    OutcomeInSchema,
    PlacementInSchema,
    PlacementOutSchema,
    PublicKeySchema,
    RevokeInSchema,
    RuleOutSchema,
    StatusInSchema,
    VerificationInSchema,
    VerificationOutSchema,
)

bp = api_blueprint("firefighter_benefits", "firefighter-benefits")

VIEW = "firefighter_benefits.view"
EDIT = "firefighter_benefits.edit"


@endpoint(
    bp,
    "/verifications",
    methods=("POST",),
    body=VerificationInSchema,
    response=VerificationOutSchema,
    permission="firefighter_benefits.verify",
    # Gates send thousands of these a second: served on the device path too.
    device=True,
)
def verify(body):
    """Check a credential number or signed code for a benefit at a gate or desk."""
    return services.verify(
        body["benefit"],
        number=body.get("credential_number"),
        code=body.get("code"),
        venue_code=body.get("venue"),
    )


@endpoint(bp, "/public-key", response=PublicKeySchema, public=True)
def public_key():
    """The Ed25519 public key that checks signed credential codes offline."""
    import base64

    raw = signing.public_key_bytes()
    return {
        "algorithm": "Ed25519",
        "public_key": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
        "pem": signing.public_key_pem(),
        "code_format": "ZZXF1.<number>.<YYYYMMDD>.<base64url Ed25519 signature "
        "of the text before the last dot>",
    }


def _member(member_id) -> Firefighter:
    return get_visible(Firefighter, member_id, api_user())


def _present(firefighter: Firefighter) -> dict:
    user = api_user()
    family = []
    for member in firefighter.family:
        family.append(
            {
                "id": member.id,
                "relation": str(member.relation),
                "name": member.name,
                "birth_date": member.birth_date,
                **services.personal_fields(member, user, "family member"),
            }
        )
    credentials = [
        {
            "id": c.id,
            "number": c.number,
            "issued_on": c.issued_on,
            "expires_on": c.expires_on,
            "revoked_on": c.revoked_on,
            "revoke_reason": c.revoke_reason,
            "code": services.signed_code(c),
        }
        for c in firefighter.credentials
    ]
    return {
        "id": firefighter.id,
        "name": firefighter.name,
        "category": str(firefighter.category),
        "brigade_id": firefighter.brigade_id,
        "station_id": firefighter.station_id,
        "service_start": firefighter.service_start,
        "status": str(firefighter.status),
        "status_since": firefighter.status_since,
        **services.personal_fields(firefighter, user, "firefighter"),
        "family": family,
        "credentials": credentials,
    }


def _finish(answer):
    # record_read writes audit rows in the request's transaction.
    db.session.commit()
    return answer


@endpoint(
    bp,
    "/members",
    methods=("POST",),
    body=FirefighterInSchema,
    response=FirefighterOutSchema,
    status=201,
    permission=EDIT,
)
def create_member(body):
    """Register a firefighter."""
    firefighter = services.register_firefighter(body, api_user())
    return _finish(_present(firefighter))


@endpoint(bp, "/members", response=FirefighterOutSchema, many=True, permission=VIEW)
def list_members():
    """Firefighters the caller may see (first 200, by id)."""
    after = request.args.get("after_id", "0")
    if not after.isdigit():
        raise InvalidInput({"after_id": ["Expected a whole number."]})
    statement = scope(
        select(Firefighter).where(Firefighter.id > int(after)), Firefighter, api_user()
    )
    found = db.session.scalars(statement.order_by(Firefighter.id).limit(200)).all()
    return _finish([_present(f) for f in found])


@endpoint(bp, "/members/<member_id>", response=FirefighterOutSchema, permission=VIEW)
def get_member(member_id):
    """One firefighter with family and credentials."""
    return _finish(_present(_member(member_id)))


@endpoint(
    bp,
    "/members/<member_id>/status",
    methods=("POST",),
    body=StatusInSchema,
    response=FirefighterOutSchema,
    permission=EDIT,
)
def change_status(member_id, body):
    """Record that a firefighter left, died or was named a martyr."""
    firefighter = services.change_status(
        _member(member_id), body["status"], body["since"]
    )
    return _finish(_present(firefighter))


@endpoint(
    bp,
    "/members/<member_id>/family",
    methods=("POST",),
    body=FamilyMemberInSchema,
    response=FamilyMemberOutSchema,
    status=201,
    permission=EDIT,
)
def add_family(member_id, body):
    """Add a spouse or child."""
    member = services.add_family_member(_member(member_id), body)
    return _finish(
        {
            "id": member.id,
            "relation": str(member.relation),
            "name": member.name,
            "birth_date": member.birth_date,
            **services.personal_fields(member, api_user(), "family member"),
        }
    )


@endpoint(
    bp,
    "/members/<member_id>/credentials",
    methods=("POST",),
    body=CredentialInSchema,
    response=CredentialOutSchema,
    status=201,
    permission=EDIT,
)
def issue_credential(member_id, body):
    """Issue a credential with its signed code."""
    credential = services.issue_credential(
        _member(member_id), body["number"], body["issued_on"], body["expires_on"]
    )
    return {**_credential(credential)}


def _credential(credential: Credential) -> dict:
    return {
        "id": credential.id,
        "number": credential.number,
        "issued_on": credential.issued_on,
        "expires_on": credential.expires_on,
        "revoked_on": credential.revoked_on,
        "revoke_reason": credential.revoke_reason,
        "code": services.signed_code(credential),
    }


@endpoint(
    bp,
    "/credentials/<credential_id>/revoke",
    methods=("POST",),
    body=RevokeInSchema,
    response=CredentialOutSchema,
    permission=EDIT,
)
def revoke_credential(credential_id, body):
    """Revoke a credential with a reason."""
    credential = get_visible(Credential, credential_id, api_user())
    services.revoke_credential(credential, body["reason"], body["on"] or today_local())
    return _credential(credential)


@endpoint(
    bp,
    "/members/<member_id>/eligibility",
    query=EligibilityQuerySchema,
    response=EligibilityOutSchema,
    permission=VIEW,
)
def member_eligibility(member_id, query):
    """Every benefit for one firefighter on a date, with the reason."""
    firefighter = _member(member_id)
    on = query["on"] or today_local()
    return {
        "member_id": firefighter.id,
        "on": on,
        "benefits": [
            {
                "benefit": a.benefit,
                "label": services.benefit_label(a.benefit),
                "eligible": a.eligible,
                "reason_code": a.reason,
                "reason": services.reason_text(a.reason),
                "section": a.section,
                "eligible_from": a.eligible_from,
            }
            for a in services.eligibility(firefighter, on)
        ],
    }


@endpoint(
    bp,
    "/enrollment-entries",
    methods=("POST",),
    body=EnrollmentInSchema,
    response=EnrollmentEntryOutSchema,
    status=201,
    permission=EDIT,
)
def add_enrollment(body):
    """Put a child on the school enrollment list (late names go to next year's)."""
    child = get_visible(FamilyMember, body["child_id"], api_user())
    return services.add_to_enrollment(
        child, body["year"], today_local(), api_user(), body["exception_reason"]
    )


@endpoint(
    bp,
    "/enrollment-lists/<list_id>",
    response=EnrollmentListOutSchema,
    permission=VIEW,
)
def get_enrollment_list(list_id):
    """One brigade's school enrollment list."""
    return get_visible(EnrollmentList, list_id, api_user())


@endpoint(
    bp,
    "/enrollment-lists/<list_id>/confirm",
    methods=("POST",),
    response=EnrollmentListOutSchema,
    permission="firefighter_benefits.confirm_enrollment",
)
def confirm_enrollment_list(list_id):
    """The political department confirms the list."""
    the_list = get_visible(EnrollmentList, list_id, api_user())
    return services.confirm_list(the_list, api_user())


@endpoint(
    bp,
    "/placement-requests",
    methods=("POST",),
    body=PlacementInSchema,
    response=PlacementOutSchema,
    status=201,
    permission=EDIT,
)
def file_placement(body):
    """File a hukou or family employment request; the engine checks eligibility."""
    firefighter = _member(body["member_id"])
    relative = None
    if body["family_member_id"] is not None:
        relative = get_visible(FamilyMember, body["family_member_id"], api_user())
    return services.file_request(
        firefighter, body["kind"], body["filed_on"] or today_local(), relative
    )


@endpoint(
    bp,
    "/placement-requests/<request_id>/outcome",
    methods=("POST",),
    body=OutcomeInSchema,
    response=PlacementOutSchema,
    permission=EDIT,
)
def placement_outcome(request_id, body):
    """Record the outcome of a request."""
    found = get_visible(PlacementRequest, request_id, api_user())
    return services.record_outcome(found, body["outcome"], body["on"], body["note"])


@endpoint(bp, "/rules", response=RuleOutSchema, many=True, permission=VIEW)
def list_rules():
    """The benefit rules the engine applies."""
    return db.session.scalars(select(BenefitRule).order_by(BenefitRule.id)).all()
