"""The quality award API: happy paths, problem+json, scope and permissions."""

import io
from datetime import date

from sqlalchemy import func, select

from modules.quality_award.models import Application
from tests.modules.quality_award.conftest import resident_id

URL = "/api/v1/quality-award"


def body(qa, organisation, **extra):
    data = {
        "cycle_id": qa["cycle"].id,
        "kind": "organisation",
        "organisation_id": organisation.id,
        "contact_name": "陈经理",
        "achievements": "合格率99.8%",
        "quality_management": "卓越绩效",
        "operating_since": "2010-01-01",
    }
    data.update(extra)
    return data


def test_eligibility_check_answers_eligible(api, qa):
    response = api(qa["lusong"]).post(
        f"{URL}/eligibility-check",
        json={
            "kind": "organisation",
            "on": "2026-06-15",
            "operating_since": "2021-06-15",
        },
    )

    assert response.status_code == 200
    assert response.json == {"eligible": True, "reasons": []}


def test_eligibility_check_lists_reasons_with_articles(api, qa):
    response = api(qa["lusong"]).post(
        f"{URL}/eligibility-check",
        json={
            "kind": "individual",
            "on": "2026-06-15",
            "quality_work_since": "2018-06-16",
            "previous_wins": ["2021-01-01"],
        },
    )

    assert response.json["eligible"] is False
    assert [r["article"] for r in response.json["reasons"]] == ["art. 10(1)", "art. 11"]


def test_eligibility_check_on_a_date_near_year_one_is_bad_input(api, qa):
    # The five-year operating window of art. 9(1) would start before year 1.
    response = api(qa["lusong"]).post(
        f"{URL}/eligibility-check", json={"kind": "organisation", "on": "0002-03-01"}
    )

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_create_application_returns_201(api, qa, create_organisation):
    organisation = create_organisation(qa["city"]["lusong"])

    response = api(qa["lusong"]).post(
        f"{URL}/applications", json=body(qa, organisation)
    )

    assert response.status_code == 201
    assert response.json["state"] == "draft"
    assert "submit" in response.json["actions"]


def test_missing_field_is_400_problem_json_and_writes_nothing(
    db, api, qa, create_organisation
):
    organisation = create_organisation(qa["city"]["lusong"])
    data = body(qa, organisation)
    del data["contact_name"]

    response = api(qa["lusong"]).post(f"{URL}/applications", json=data)

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "contact_name" in response.json["errors"]
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_bad_resident_id_is_400_with_field_error(api, qa):
    response = api(qa["lusong"]).post(
        f"{URL}/applications",
        json={
            "cycle_id": qa["cycle"].id,
            "kind": "individual",
            "person_name": "刘",
            "resident_id": resident_id()[:-1] + "Y",
            "department_id": qa["city"]["lusong"].id,
            "contact_name": "刘",
            "achievements": "x",
        },
    )

    assert response.status_code == 400
    assert "resident_id" in response.json["errors"]


def test_other_countys_application_is_404(api, qa, create_application):
    application = create_application(county="hetang")

    response = api(qa["lusong"]).get(f"{URL}/applications/{application.id}")

    assert response.status_code == 404


def test_without_permission_is_403(api, qa):
    response = api(qa["outsider"]).get(f"{URL}/applications")

    assert response.status_code == 403


def test_list_masks_personal_data(api, qa, create_application):
    create_application(kind="individual")

    masked = api(qa["lusong"]).get(f"{URL}/applications").json[0]
    clear = api(qa["office"]).get(f"{URL}/applications").json[0]

    assert "*" in masked["resident_id"]
    assert clear["resident_id"] == resident_id()


def test_transition_endpoint_takes_a_step(api, qa, create_application):
    application = create_application()

    response = api(qa["lusong"]).post(
        f"{URL}/applications/{application.id}/transitions",
        json={"action": "submit", "on": "2026-06-15"},
    )
    history = api(qa["lusong"]).get(f"{URL}/applications/{application.id}/transitions")

    assert response.status_code == 201
    assert response.json["state"] == "submitted"
    assert history.json[0]["action"] == "submit"


def test_transition_not_allowed_is_422_with_article(api, qa, create_application):
    application = create_application()

    response = api(qa["office"]).post(
        f"{URL}/applications/{application.id}/transitions", json={"action": "approve"}
    )

    assert response.status_code in (403, 422)


def test_step_without_its_permission_is_403(api, qa, create_application, advance):
    application = advance(create_application(), through="pre_reviewed")

    response = api(qa["lusong"]).post(
        f"{URL}/applications/{application.id}/transitions", json={"action": "accept"}
    )

    assert response.status_code == 403


def test_score_out_of_range_is_400(api, qa, create_application, advance):
    application = advance(create_application())

    response = api(qa["reviewers"][0]).post(
        f"{URL}/applications/{application.id}/scores",
        json={"stage": "material", "score": "120"},
    )

    assert response.status_code == 400
    assert "score" in response.json["errors"]


def test_anonymous_objection_is_400(api, qa, create_application):
    application = create_application()

    response = api(qa["office"]).post(
        f"{URL}/applications/{application.id}/objections",
        json={"reason": "r", "evidence": "e", "objector_contact": "139"},
    )

    assert response.status_code == 400
    assert "objector_name" in response.json["errors"]


def test_objection_intake_due_date_in_answer(api, qa, create_application):
    application = create_application()

    response = api(qa["office"]).post(
        f"{URL}/applications/{application.id}/objections",
        json={
            "objector_name": "周某",
            "objector_contact": "139",
            "reason": "r",
            "evidence": "e",
            "received_on": "2026-09-30",
        },
    )

    assert response.status_code == 201
    assert response.json["intake_due_on"] == "2026-10-13"


def test_upload_and_download_document(api, qa, create_application):
    application = create_application()
    client = api(qa["lusong"])

    uploaded = client.post(
        f"{URL}/applications/{application.id}/documents",
        data={"title": "报告", "file": (io.BytesIO(b"%PDF-1.4 x"), "r.pdf")},
        content_type="multipart/form-data",
    )
    downloaded = client.get(f"{URL}/documents/{uploaded.json['id']}")

    assert uploaded.status_code == 201
    assert downloaded.status_code == 200
    assert downloaded.data.startswith(b"%PDF")


def test_secret_document_is_not_listed_for_county(api, qa, create_application):
    application = create_application()
    client = api(qa["lusong"])
    client.post(
        f"{URL}/applications/{application.id}/documents",
        data={
            "title": "秘方",
            "secret": "trade",
            "file": (io.BytesIO(b"%PDF-1.4 x"), "r.pdf"),
        },
        content_type="multipart/form-data",
    )

    listed = client.get(f"{URL}/applications/{application.id}/documents")
    office = api(qa["office"]).get(f"{URL}/applications/{application.id}/documents")

    assert listed.json == []
    assert len(office.json) == 1


def test_bad_json_body_is_400(api, qa):
    response = api(qa["lusong"]).post(
        f"{URL}/eligibility-check", data="nope", content_type="application/json"
    )

    assert response.status_code == 400


def test_openapi_lists_eligibility_check(client, qa):
    response = client.get("/api/v1/openapi.json")

    assert f"{URL}/eligibility-check" in response.json["paths"]


def test_payment_endpoint_is_for_finance_only(api, qa, create_application):
    application = create_application()

    response = api(qa["office"]).post(
        f"{URL}/applications/{application.id}/payments",
        json={"amount_fen": 100, "on": date(2026, 8, 1).isoformat()},
    )

    assert response.status_code == 403
