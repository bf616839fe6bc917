"""Authentication, problem+json, the modules list and the OpenAPI document."""


def test_api_without_credentials_is_401_problem(client):
    response = client.get("/api/v1/organisations")

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 401


def test_revoked_token_is_refused(db, city, create_user, api):
    caller = api(create_user(city["city"], ["core.organisations.view"]))
    from core.models import ApiToken

    for token in db.session.scalars(db.select(ApiToken)):
        token.revoke()
    db.session.commit()

    assert caller.get("/api/v1/organisations").status_code == 401


def test_missing_permission_is_403(db, city, create_user, api):
    caller = api(create_user(city["city"], []))

    response = caller.get("/api/v1/organisations")

    assert response.status_code == 403


def test_modules_lists_enabled_modules(db, city, create_user, api, app):
    caller = api(create_user(city["city"]))

    names = [m["name"] for m in caller.get("/api/v1/modules").get_json()]

    assert names == [m.name for m in app.extensions["registry"]]


def test_openapi_document_lists_core_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    assert spec["openapi"].startswith("3.")
    assert "/api/v1/calendar/add-working-days" in spec["paths"]


def test_openapi_describes_string_amounts_as_strings(app):
    from marshmallow import Schema, fields

    from core.api.openapi import _decimal_as_string

    class Amounts(Schema):
        as_text = fields.Decimal(as_string=True, places=4)
        as_number = fields.Decimal()

    described = {
        name: _decimal_as_string(None, field)
        for name, field in Amounts().fields.items()
    }

    assert described["as_text"]["type"] == "string"
    assert described["as_number"] == {}


def test_bad_query_is_400_with_field(db, city, create_user, api):
    caller = api(create_user(city["city"], ["core.organisations.view"]))

    response = caller.get("/api/v1/organisations?limit=abc")

    assert response.status_code == 400
    assert "limit" in response.get_json()["errors"]


def test_healthz_reports_database(client):
    body = client.get("/healthz").get_json()

    assert body["database"] == "ok"


def test_create_organisation(db, city, create_user, api):
    caller = api(create_user(city["lusong"], ["core.organisations.edit"]))

    response = caller.post(
        "/api/v1/organisations",
        json={
            "name": "新注册企业",
            "uscc": "914302000000000018",
            "county_id": city["lusong"].id,
        },
    )

    assert response.status_code == 201
    assert response.get_json()["uscc"] == "914302000000000018"


def test_create_organisation_with_bad_check_digit_writes_nothing(
    db, city, create_user, api
):
    from core.models import Organisation

    caller = api(create_user(city["lusong"], ["core.organisations.edit"]))

    response = caller.post(
        "/api/v1/organisations",
        json={
            "name": "错误企业",
            "uscc": "914302000000000019",
            "county_id": city["lusong"].id,
        },
    )

    assert response.status_code == 400
    assert "uscc" in response.get_json()["errors"]
    assert db.session.scalar(db.select(db.func.count(Organisation.id))) == 0


def test_create_organisation_in_sibling_county_is_refused(db, city, create_user, api):
    caller = api(create_user(city["lusong"], ["core.organisations.edit"]))

    response = caller.post(
        "/api/v1/organisations",
        json={
            "name": "越权企业",
            "uscc": "914302000000000018",
            "county_id": city["hetang"].id,
        },
    )

    assert response.status_code == 400
    assert "county_id" in response.get_json()["errors"]
