"""The verification endpoint on the device path answers as the full path does."""

import logging
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import Client
from werkzeug.wrappers import Response

from core.api.device import DevicePath
from core.models import ApiToken
from modules.firefighter_benefits import services
from modules.firefighter_benefits.models import VerificationCount

PATH = "/api/v1/firefighter-benefits/verifications"

# Differ between two calls of one caller whichever path answers them.
MOVING = {"x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"}


@pytest.fixture
def full_path_calls(monkeypatch):
    """How many requests went through Flask's request cycle."""
    calls = []
    original = Flask.full_dispatch_request

    def counted(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(Flask, "full_dispatch_request", counted)
    return calls


@pytest.fixture
def gate(app, db, create_user, fire):
    """A device with a verify token, its token already read by a first call."""
    user = create_user(fire["jianshe"], ["firefighter_benefits.verify"])
    token, plain = ApiToken.issue(user, "gate")
    db.session.add(token)
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}", "X-Request-ID": "gate-1"}
    device = Client(app, Response)
    full = Client(app.wsgi_app.wsgi_app, Response)
    device.post(
        PATH, json={"credential_number": "NONE", "benefit": "transit"}, headers=headers
    )
    return device, full, headers


def _headers(response) -> dict:
    return {
        name.lower(): value
        for name, value in response.headers.items()
        if name.lower() not in MOVING
    }


def test_the_app_serves_verification_on_the_device_path(app):
    assert isinstance(app.wsgi_app, DevicePath)
    assert ("POST", PATH) in app.wsgi_app.routes


def test_device_answers_match_the_full_path(
    gate, full_path_calls, create_firefighter, create_credential, create_venue
):
    device, full, headers = gate
    holder = create_firefighter(name="李振华")
    valid = create_credential(holder)
    expired = create_credential(
        create_firefighter(born=date(1990, 1, 1)),
        issued=date(2019, 1, 1),
        expires=date(2020, 12, 31),
    )
    civilian = create_credential(
        create_firefighter(category="civilian_staff", born=date(1991, 1, 1))
    )
    create_venue(code="MUSEUM", kind="museum", treatment="free")
    code = services.signed_code(valid)
    bodies = [
        {"credential_number": valid.number, "benefit": "transit"},
        {"credential_number": valid.number.lower(), "benefit": "priority_service"},
        {"credential_number": valid.number, "benefit": "venue", "venue": "MUSEUM"},
        {"credential_number": valid.number, "benefit": "venue", "venue": "NOPE"},
        {"credential_number": expired.number, "benefit": "transit"},
        {"credential_number": civilian.number, "benefit": "transit"},
        {"credential_number": "XF999999", "benefit": "transit"},
        {"credential_number": valid.number, "benefit": "parking"},
        {"code": code, "benefit": "transit"},
        {
            "code": code[:-3] + ("AAA" if not code.endswith("AAA") else "BBB"),
            "benefit": "transit",
        },
    ]

    for body in bodies:
        full_path_calls.clear()
        by_device = device.post(PATH, json=body, headers=headers)
        assert full_path_calls == [], body
        by_flask = full.post(PATH, json=body, headers=headers)
        assert full_path_calls == [1], body

        assert by_device.status == by_flask.status == "200 OK"
        assert by_device.get_data() == by_flask.get_data(), body
        assert _headers(by_device) == _headers(by_flask), body
        assert by_device.headers["X-Request-ID"] == "gate-1"


def test_a_device_check_is_counted_once(
    gate, full_path_calls, create_firefighter, create_credential
):
    device, _full, headers = gate
    services.flush_counts()
    number = create_credential(create_firefighter()).number

    for _ in range(3):
        device.post(
            PATH,
            json={"credential_number": number, "benefit": "transit"},
            headers=headers,
        )

    assert full_path_calls == []
    services.flush_counts()
    from core.extensions import db

    total = db.session.scalar(
        select(func.sum(VerificationCount.count)).where(
            VerificationCount.reason == "eligible"
        )
    )
    assert total == 3


def test_a_token_not_yet_read_goes_the_full_way_once(
    app, db, create_user, fire, full_path_calls
):
    user = create_user(fire["jianshe"], ["firefighter_benefits.verify"])
    token, plain = ApiToken.issue(user, "new gate")
    db.session.add(token)
    db.session.commit()
    client = Client(app, Response)
    body = {"credential_number": "XF000001", "benefit": "transit"}
    headers = {"Authorization": f"Bearer {plain}"}

    client.post(PATH, json=body, headers=headers)
    client.post(PATH, json=body, headers=headers)

    assert full_path_calls == [1]


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b'{"benefit": "transit"', "application/json", 400),
        (b'["XF000001", "transit"]', "application/json", 400),
        (b'{"benefit": "transit"}', "application/json", 400),
        (
            b'{"credential_number": "' + b"9" * 40 + b'", "benefit": "transit"}',
            "application/json",
            400,
        ),
        (
            b'{"credential_number": "XF000001", "benefit": "venue"}',
            "application/json",
            400,
        ),
        (b'{"credential_number": "XF000001", "benefit": "transit"}', "text/plain", 400),
    ],
)
def test_bad_bodies_are_refused_by_the_full_path(
    gate, full_path_calls, data, content_type, status
):
    device, _full, headers = gate

    response = device.post(PATH, data=data, content_type=content_type, headers=headers)

    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    assert full_path_calls == [1]


def test_a_cookie_or_query_string_goes_the_full_way(app, gate, full_path_calls):
    device, _full, headers = gate
    browser = Client(app, Response)
    browser.set_cookie("theme", "dark")
    body = {"credential_number": "XF999999", "benefit": "transit"}

    with_cookie = browser.post(PATH, json=body, headers=headers)
    english = device.post(f"{PATH}?lang=en", json=body, headers=headers)

    assert full_path_calls == [1, 1]
    assert with_cookie.json["reason"] == "没有该号码的证件。"
    assert english.json["reason"] == "No credential has this number."


def test_a_caller_without_the_permission_is_refused_by_the_full_path(
    app, api, create_user, fire, full_path_calls
):
    viewer = api(create_user(fire["jianshe"], ["firefighter_benefits.view"]))
    body = {"credential_number": "XF000001", "benefit": "transit"}

    first = viewer.post(PATH, json=body)
    second = viewer.post(PATH, json=body)

    assert first.status_code == second.status_code == 403
    assert full_path_calls == [1, 1]


def test_a_deactivated_token_is_refused_at_once(gate, db, full_path_calls):
    device, _full, headers = gate
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "gate"))
    token.revoke()
    db.session.commit()

    response = device.post(
        PATH,
        json={"credential_number": "XF000001", "benefit": "transit"},
        headers=headers,
    )

    assert response.status_code == 401
    assert full_path_calls == [1]


def test_an_exhausted_budget_is_refused_by_the_full_path(
    app, gate, full_path_calls, monkeypatch
):
    device, _full, headers = gate
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_PER_MINUTE", 3)
    body = {"credential_number": "XF000001", "benefit": "transit"}

    answers = [device.post(PATH, json=body, headers=headers) for _ in range(4)]

    # The gate's first call spent one already.
    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    assert full_path_calls == [1, 1]
    assert answers[0].headers["X-RateLimit-Limit"] == "3"
    assert answers[0].headers["X-RateLimit-Remaining"] == "1"


def test_a_failure_is_logged_and_answered_by_the_full_path(
    gate, full_path_calls, monkeypatch, caplog
):
    device, _full, headers = gate
    original = services.verify
    failures = []

    def fails_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("database went away")
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "verify", fails_once)

    with caplog.at_level(logging.ERROR, logger="core.api.device"):
        response = device.post(
            PATH,
            json={"credential_number": "XF000001", "benefit": "transit"},
            headers=headers,
        )

    assert response.status_code == 200
    assert response.json["reason_code"] == "unknown_credential"
    assert full_path_calls == [1]
    assert "device path failed" in caplog.text
