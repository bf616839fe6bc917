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


def test_bad_query_is_400_with_field(db, city, create_user, api):
    caller = api(create_user(city["city"], ["core.organisations.view"]))

    response = caller.get("/api/v1/organisations?limit=abc")

    assert response.status_code == 400
    assert "limit" in response.get_json()["errors"]


def test_healthz_reports_database(client):
    body = client.get("/healthz").get_json()

    assert body["database"] == "ok"
