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


def test_revoking_a_token_in_use_refuses_it_at_once(db, city, create_user, api):
    caller = api(create_user(city["city"], ["core.organisations.view"]))
    from core.models import ApiToken

    assert caller.get("/api/v1/organisations").status_code == 200
    for token in db.session.scalars(db.select(ApiToken)):
        token.revoke()
    db.session.commit()

    assert caller.get("/api/v1/organisations").status_code == 401


def test_a_permission_withdrawn_takes_effect_at_once(db, city, create_user, api):
    user = create_user(city["city"], ["core.organisations.view"])
    caller = api(user)

    assert caller.get("/api/v1/organisations").status_code == 200
    user.roles[0].permissions = []
    db.session.commit()

    assert caller.get("/api/v1/organisations").status_code == 403


def test_a_deactivated_user_is_refused_at_once(db, city, create_user, api):
    user = create_user(city["city"], ["core.organisations.view"])
    caller = api(user)

    assert caller.get("/api/v1/organisations").status_code == 200
    user.is_active = False
    db.session.commit()

    assert caller.get("/api/v1/organisations").status_code == 401


def test_a_revocation_from_elsewhere_is_seen_when_the_cache_expires(
    app, db, city, create_user, api, monkeypatch
):
    import core.api
    from core.models import ApiToken

    caller = api(create_user(city["city"], ["core.organisations.view"]))
    assert caller.get("/api/v1/organisations").status_code == 200
    # Another process revokes it: nothing in this process hears of it.
    with db.engine.begin() as connection:
        connection.execute(
            db.update(ApiToken).values(revoked_at=db.func.current_timestamp())
        )

    assert caller.get("/api/v1/organisations").status_code == 200
    later = core.api.time.monotonic() + app.config["API_TOKEN_CACHE_SECONDS"] + 1
    monkeypatch.setattr(core.api.time, "monotonic", lambda: later)
    assert caller.get("/api/v1/organisations").status_code == 401


def test_a_cached_token_still_gives_views_their_user(db, city, create_user, api):
    user = create_user(city["lusong"], ["core.organisations.edit"])
    caller = api(user)
    body = {"name": "企业", "uscc": "914302000000000018", "county_id": 0}

    # The first request reads the token; the second is answered from the cache
    # and the view, which scopes by the caller's department, loads the user.
    assert caller.post("/api/v1/organisations", json=body).status_code == 400
    body["county_id"] = city["lusong"].id
    response = caller.post("/api/v1/organisations", json=body)

    assert response.status_code == 201


def test_api_answers_carry_the_request_budget(db, city, create_user, api, app):
    caller = api(create_user(city["city"]))

    first = caller.get("/api/v1/modules")
    second = caller.get("/api/v1/modules")

    budget = app.config["API_RATE_LIMIT_PER_MINUTE"]
    assert first.headers["X-RateLimit-Limit"] == str(budget)
    assert first.headers["X-RateLimit-Remaining"] == str(budget - 1)
    assert second.headers["X-RateLimit-Remaining"] == str(budget - 2)
    assert int(second.headers["Retry-After"]) <= 60


def test_each_request_acts_as_its_own_token_holder(db, city, create_user, api):
    lusong = api(create_user(city["lusong"], ["core.organisations.edit"]))
    hetang = api(create_user(city["hetang"], ["core.organisations.edit"]))
    body = {"name": "企业", "uscc": "914302000000000018", "county_id": 0}
    # Both tokens are read and cached; the tests share one app context, so the
    # second request's user must not linger into the third.
    assert lusong.post("/api/v1/organisations", json=body).status_code == 400
    assert hetang.post("/api/v1/organisations", json=body).status_code == 400

    body["county_id"] = city["lusong"].id
    response = lusong.post("/api/v1/organisations", json=body)

    assert response.status_code == 201
