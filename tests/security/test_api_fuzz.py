"""Property-based fuzzing of the whole API from its OpenAPI document.

Every operation of every enabled module gets generated requests, signed in as a
superuser: no answer may be a 500, every answer must match its documented
schema, and every 4xx must be problem+json. FUZZ_EXAMPLES sets how many cases
each operation gets (few in `make test`, more in CI).
"""

import os

import schemathesis
from hypothesis import HealthCheck, given, settings

from core.models import ApiToken
from tests.security.answers import CHECKS, content_type

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))


def test_api_answers_every_generated_request(app, db, city, create_user, monkeypatch):
    user = create_user(city["city"], superuser=True)
    token, plain = ApiToken.issue(user, "fuzz")
    db.session.add(token)
    db.session.commit()
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_PER_MINUTE", 1_000_000)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {plain}"}
    checked = []

    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.path, response.text)
            if 400 <= response.status_code < 500:
                assert content_type(response).startswith("application/problem+json"), (
                    case.path,
                    response.text,
                )
            case.validate_response(response, headers=headers, checks=CHECKS)

        check()
        checked.append(operation.label)

    assert len(checked) >= 5
