"""Web security: rate limits, CSRF, cookies, headers, secrets and passwords."""

import pytest
from flask import Flask

from core.app import create_app
from core.config import DEV_SECRET_KEY, load_settings


def test_api_is_rate_limited_per_token(app, db, city, create_user, api, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_PER_MINUTE", 3)
    caller = api(create_user(city["city"]))
    other = api(create_user(city["city"]))

    codes = [caller.get("/api/v1/modules").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    assert other.get("/api/v1/modules").status_code == 200
    limited = caller.get("/api/v1/modules")
    assert limited.mimetype == "application/problem+json"


def test_production_refuses_the_development_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_settings(str(tmp_path))


def test_production_cookies_are_secure(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret-value")

    settings = load_settings(str(tmp_path))

    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["SECRET_KEY"] != DEV_SECRET_KEY


def test_security_headers_are_sent(client):
    response = client.get("/admin/login/")

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.fixture
def csrf_app(app, tmp_path):
    """A second app with CSRF protection on, over the same database."""
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": True,
            "SCHEDULER_IN_WEB": False,
        }
    )
    assert isinstance(application, Flask)
    return application


def test_form_without_csrf_token_is_refused(csrf_app, db, city, create_user):
    user = create_user(city["city"])
    client = csrf_app.test_client()

    response = client.post(
        "/admin/login/",
        data={"username": user.username, "password": "correct-horse-battery"},
    )

    assert response.status_code == 400


def test_session_api_write_without_csrf_header_is_refused(
    csrf_app, db, city, create_user
):
    from tests.conftest import PASSWORD

    user = create_user(city["city"], superuser=True)
    client = csrf_app.test_client()
    page = client.get("/admin/login/").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/admin/login/",
        data={"username": user.username, "password": PASSWORD, "csrf_token": token},
    )

    response = client.post(
        "/api/v1/organisations",
        json={
            "name": "跨站请求企业",
            "uscc": "914302000000000018",
            "county_id": city["lusong"].id,
        },
    )

    assert response.status_code == 403


def test_passwords_are_stored_hashed(db, city, create_user):
    from tests.conftest import PASSWORD

    user = create_user(city["city"])

    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD)


def test_tokens_are_stored_as_digests(db, city, create_user):
    from core.models import ApiToken

    token, plain = ApiToken.issue(create_user(city["city"]), "gate")

    assert token.token_hash == ApiToken.digest(plain)
    assert plain not in token.token_hash


def test_local_budgets_start_afresh_in_the_next_window(monkeypatch):
    from core import ratelimit

    budgets = ratelimit.LocalBudgets()
    now = [1_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])

    assert [budgets.hit("token:a/x", 2)[0] for _ in range(3)] == [True, True, False]
    assert budgets.hit("token:b/x", 2)[0] is True
    now[0] += ratelimit.WINDOW_SECONDS
    assert budgets.hit("token:a/x", 2) == (True, 1, now[0] + ratelimit.WINDOW_SECONDS)


def test_shared_budgets_are_spent_by_every_worker():
    import uuid

    import redis

    from core import ratelimit

    uri = "redis://127.0.0.1:6379"
    try:
        redis.Redis.from_url(uri, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    # Two workers of one deployment, each with its own connection.
    first, second = ratelimit.SharedBudgets(uri), ratelimit.SharedBudgets(uri)
    key = f"token:{uuid.uuid4().hex}/endpoint"

    answers = [first.hit(key, 3)[0], second.hit(key, 3)[0], first.hit(key, 3)[0]]

    assert answers == [True, True, True]
    allowed, remaining, _reset = second.hit(key, 3)
    assert (allowed, remaining) == (False, 0)
