"""The API: verification, registry, eligibility, enrollment and requests."""

from datetime import date

from sqlalchemy import func, select

from core.models import AuditEntry
from modules.firefighter_benefits import services
from modules.firefighter_benefits.models import Firefighter
from modules.firefighter_benefits.schemas import VerificationOutSchema
from tests.modules.firefighter_benefits.conftest import (
    ALL_PERMISSIONS,
    make_resident_id,
)

BASE = "/api/v1/firefighter-benefits"


def _device(api, create_user, fire):
    return api(create_user(fire["jianshe"], ["firefighter_benefits.verify"]))


def test_verification_with_number(
    api, create_user, fire, create_firefighter, create_credential
):
    credential = create_credential(create_firefighter(name="李振华"))

    response = _device(api, create_user, fire).post(
        f"{BASE}/verifications",
        json={"credential_number": credential.number, "benefit": "transit"},
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body["eligible"] is True
    assert body["holder"] == "李**"
    assert body["valid_until"] == credential.expires_on.isoformat()
    assert "resident_id" not in body and "phone" not in body
    # The answer holds only the documented fields, and loads through its schema.
    documented = set(VerificationOutSchema().fields)
    assert set(body) <= documented
    assert VerificationOutSchema().load(body)["eligible"] is True


def test_verification_with_tampered_code(
    api, create_user, fire, create_firefighter, create_credential
):
    credential = create_credential(create_firefighter())
    code = services.signed_code(credential)
    tampered = code[:-3] + ("AAA" if not code.endswith("AAA") else "BBB")

    response = _device(api, create_user, fire).post(
        f"{BASE}/verifications", json={"code": tampered, "benefit": "transit"}
    )

    assert response.get_json()["eligible"] is False
    assert response.get_json()["reason_code"] == "bad_signature"


def test_verification_with_signed_code(
    api, create_user, fire, create_firefighter, create_credential
):
    credential = create_credential(create_firefighter())

    response = _device(api, create_user, fire).post(
        f"{BASE}/verifications",
        json={"code": services.signed_code(credential), "benefit": "priority_service"},
    )

    assert response.get_json()["eligible"] is True


def test_verification_expired_credential(
    api, create_user, fire, create_firefighter, create_credential
):
    credential = create_credential(
        create_firefighter(), issued=date(2019, 1, 1), expires=date(2020, 1, 1)
    )

    response = _device(api, create_user, fire).post(
        f"{BASE}/verifications",
        json={"credential_number": credential.number, "benefit": "transit"},
    )

    assert response.get_json()["reason_code"] == "expired"


def test_verification_unknown_benefit_answers_not_eligible(api, create_user, fire):
    response = _device(api, create_user, fire).post(
        f"{BASE}/verifications", json={"credential_number": "XF1", "benefit": "spa"}
    )

    assert response.status_code == 200
    assert response.get_json()["reason_code"] == "unknown_benefit"


def test_verification_without_credential_is_400(api, create_user, fire):
    response = _device(api, create_user, fire).post(
        f"{BASE}/verifications", json={"benefit": "transit"}
    )

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "credential_number" in response.get_json()["errors"]


def test_verification_needs_verify_permission(api, create_user, fire):
    user = create_user(fire["jianshe"], ["firefighter_benefits.view"])

    response = api(user).post(
        f"{BASE}/verifications", json={"credential_number": "XF1", "benefit": "transit"}
    )

    assert response.status_code == 403


def test_verification_needs_token(client, fire):
    response = client.post(
        f"{BASE}/verifications", json={"credential_number": "XF1", "benefit": "transit"}
    )

    assert response.status_code == 401


def test_public_key_is_public(client, fire):
    response = client.get(f"{BASE}/public-key")

    assert response.status_code == 200
    assert response.get_json()["algorithm"] == "Ed25519"


def test_member_eligibility_lists_every_benefit(
    api, create_user, fire, create_firefighter
):
    firefighter = create_firefighter("full_time", service_start=date(2024, 3, 10))
    user = create_user(fire["brigade"], ["firefighter_benefits.view"])

    response = api(user).get(
        f"{BASE}/members/{firefighter.id}/eligibility?on=2026-03-09"
    )

    answers = {b["benefit"]: b for b in response.get_json()["benefits"]}
    assert answers["hukou"]["eligible"] is False
    assert answers["hukou"]["eligible_from"] == "2026-03-10"
    assert answers["housing_fund"]["eligible"] is True


def test_member_eligibility_bad_date_is_400(api, create_user, fire, create_firefighter):
    firefighter = create_firefighter()
    user = create_user(fire["brigade"], ["firefighter_benefits.view"])

    response = api(user).get(f"{BASE}/members/{firefighter.id}/eligibility?on=soon")

    assert response.status_code == 400
    assert "on" in response.get_json()["errors"]


def test_member_of_other_brigade_is_404(api, create_user, fire, create_firefighter):
    firefighter = create_firefighter(brigade="other_brigade", station=None)
    user = create_user(fire["brigade"], ["firefighter_benefits.view"])

    response = api(user).get(f"{BASE}/members/{firefighter.id}")

    assert response.status_code == 404


def test_station_user_sees_own_station_only(api, create_user, fire, create_firefighter):
    create_firefighter(station="station")
    create_firefighter(station="station2")
    user = create_user(fire["station2"], ["firefighter_benefits.view"])

    response = api(user).get(f"{BASE}/members")

    assert len(response.get_json()) == 1


def test_member_personal_data_masked_without_permission(
    api, create_user, fire, create_firefighter
):
    firefighter = create_firefighter()
    user = create_user(fire["brigade"], ["firefighter_benefits.view"])

    body = api(user).get(f"{BASE}/members/{firefighter.id}").get_json()

    assert "*" in body["resident_id"]
    assert body["resident_id"] != firefighter.resident_id
    assert "*" in body["phone"]


def test_member_personal_data_clear_with_permission_and_logged(
    db, api, create_user, fire, create_firefighter
):
    firefighter = create_firefighter()
    user = create_user(
        fire["brigade"],
        ["firefighter_benefits.view", "firefighter_benefits.personal_data"],
    )

    body = api(user).get(f"{BASE}/members/{firefighter.id}").get_json()

    reads = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "read")
    )
    assert body["resident_id"] == firefighter.resident_id
    assert reads == 1


def test_create_member_with_wrong_check_digit_is_400_and_writes_nothing(
    db, api, create_user, fire
):
    user = create_user(fire["brigade"], ALL_PERMISSIONS)
    good = make_resident_id(date(1995, 5, 5))
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")

    response = api(user).post(
        f"{BASE}/members",
        json={
            "resident_id": bad,
            "name": "王建国",
            "category": "full_time",
            "brigade_id": fire["brigade"].id,
            "service_start": "2020-01-01",
        },
    )

    assert response.status_code == 400
    assert "resident_id" in response.get_json()["errors"]
    assert db.session.scalar(select(func.count(Firefighter.id))) == 0


def test_create_member_without_edit_is_403(api, create_user, fire):
    user = create_user(fire["brigade"], ["firefighter_benefits.view"])

    response = api(user).post(f"{BASE}/members", json={})

    assert response.status_code == 403


def test_create_member_and_issue_credential(api, create_user, fire):
    client = api(create_user(fire["brigade"], ALL_PERMISSIONS))
    created = client.post(
        f"{BASE}/members",
        json={
            "resident_id": make_resident_id(date(1995, 5, 5)),
            "name": "王建国",
            "category": "establishment",
            "brigade_id": fire["brigade"].id,
            "station_id": fire["station"].id,
            "service_start": "2020-01-01",
        },
    ).get_json()

    response = client.post(
        f"{BASE}/members/{created['id']}/credentials",
        json={"number": "xf-9", "issued_on": "2026-01-01", "expires_on": "2028-12-31"},
    )

    assert response.status_code == 201
    assert response.get_json()["code"].startswith("ZZXF1.XF-9.20281231.")


def test_revoke_credential_via_api(
    api, create_user, fire, create_firefighter, create_credential
):
    credential = create_credential(create_firefighter())
    client = api(create_user(fire["brigade"], ALL_PERMISSIONS))

    response = client.post(
        f"{BASE}/credentials/{credential.id}/revoke", json={"reason": "遗失"}
    )

    assert response.get_json()["revoke_reason"] == "遗失"


def test_hukou_request_refused_with_article(api, create_user, fire, create_firefighter):
    firefighter = create_firefighter("full_time", service_start=date(2024, 3, 10))
    client = api(create_user(fire["brigade"], ALL_PERMISSIONS))

    response = client.post(
        f"{BASE}/placement-requests",
        json={"member_id": firefighter.id, "kind": "hukou", "filed_on": "2026-03-09"},
    )

    assert response.status_code == 422
    assert response.get_json()["article"] == "section 2(3)1"


def test_hukou_request_and_outcome(api, create_user, fire, create_firefighter):
    firefighter = create_firefighter("full_time", service_start=date(2024, 3, 10))
    client = api(create_user(fire["brigade"], ALL_PERMISSIONS))
    filed = client.post(
        f"{BASE}/placement-requests",
        json={"member_id": firefighter.id, "kind": "hukou", "filed_on": "2026-03-10"},
    ).get_json()

    response = client.post(
        f"{BASE}/placement-requests/{filed['id']}/outcome",
        json={"outcome": "granted", "on": "2026-04-01"},
    )

    assert response.get_json()["outcome"] == "granted"


def test_rules_listed(api, create_user, fire):
    client = api(create_user(fire["brigade"], ["firefighter_benefits.view"]))

    rules = client.get(f"{BASE}/rules").get_json()

    hukou = [
        (r["categories"], r["min_service_years"])
        for r in rules
        if r["benefit"] == "hukou"
    ]
    assert (["full_time", "civilian_staff"], 2) in hukou
