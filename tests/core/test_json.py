"""JSON answers through orjson read as Flask's own provider wrote them."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask, jsonify
from flask.json.provider import DefaultJSONProvider

from core.jsonprovider import OrjsonProvider

SAMPLE = {
    "zeta": 1,
    "alpha": [True, None, 2.5],
    "name": "株洲市消防救援支队",
    "amount": Decimal("50000.00"),
    "day": date(2026, 3, 31),
    "at": datetime(2026, 3, 31, 8, 30, tzinfo=UTC),
    "nested": {"b": 2, "a": 1},
}


def _both() -> tuple[DefaultJSONProvider, OrjsonProvider]:
    app = Flask(__name__)
    return DefaultJSONProvider(app), OrjsonProvider(app)


def test_same_values_as_flask_provider():
    standard, fast = _both()

    assert json.loads(fast.dumps(SAMPLE)) == json.loads(standard.dumps(SAMPLE))


def test_keys_sorted_and_dates_as_flask_writes_them():
    _standard, fast = _both()

    text = fast.dumps(SAMPLE)

    assert text.index('"alpha"') < text.index('"zeta"')
    assert '"day":"Tue, 31 Mar 2026 00:00:00 GMT"' in text
    assert '"amount":"50000.00"' in text


def test_chinese_text_is_sent_as_utf8_not_escaped():
    _standard, fast = _both()

    assert "株洲市消防救援支队" in fast.dumps(SAMPLE)


def test_integer_keys_become_strings():
    _standard, fast = _both()

    assert fast.loads(fast.dumps({1: "a", 2: "b"})) == {"1": "a", "2": "b"}


def test_unknown_type_is_refused():
    _standard, fast = _both()

    try:
        fast.dumps({"x": object()})
    except TypeError:
        return
    raise AssertionError("an object JSON cannot hold was written")


def test_response_is_compact_with_newline_and_indented_in_debug():
    app = Flask(__name__)
    app.json = OrjsonProvider(app)

    with app.app_context():
        compact = jsonify({"b": 1, "a": 2}).get_data(as_text=True)
        app.debug = True
        indented = jsonify({"b": 1, "a": 2}).get_data(as_text=True)

    assert compact == '{"a":2,"b":1}\n'
    assert indented == '{\n  "a": 2,\n  "b": 1\n}\n'


def test_portal_uses_orjson(app):
    assert isinstance(app.json, OrjsonProvider)


def test_broken_json_body_is_400_and_writes_nothing(db, city, create_user, api):
    from core.models import Organisation

    caller = api(create_user(city["lusong"], ["core.organisations.edit"]))

    answer = caller.post(
        "/api/v1/organisations",
        data='{"name": "新注册企业", "uscc": "9143',
        headers={"Content-Type": "application/json"},
    )

    assert answer.status_code == 400
    assert answer.mimetype == "application/problem+json"
    assert db.session.scalar(db.select(db.func.count(Organisation.id))) == 0


def test_answer_in_chinese_is_utf8_json(db, city, create_user, api):
    caller = api(create_user(city["lusong"], ["core.organisations.edit"]))

    answer = caller.post(
        "/api/v1/organisations",
        json={
            "name": "新注册企业",
            "uscc": "914302000000000018",
            "county_id": city["lusong"].id,
        },
    )

    assert answer.status_code == 201
    assert "新注册企业".encode() in answer.get_data()
    assert answer.get_json()["name"] == "新注册企业"


def test_cookieless_api_call_sets_no_cookie_but_varies_with_it(
    db, city, create_user, api
):
    caller = api(create_user(city["lusong"], ["core.organisations.view"]))

    answer = caller.get("/api/v1/modules")

    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" in answer.headers.get("Vary", "")
