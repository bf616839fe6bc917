"""What every API answer is checked for against the OpenAPI document."""

from schemathesis import checks

# Schema-valid input may still break a policy rule (a 4xx with its reason), so
# the checks are about answers: no server error, documented status codes,
# bodies and content types as the document says.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def content_type(response) -> str:
    """The answer's Content-Type, whichever transport's headers it has."""
    value = response.headers.get("Content-Type") or response.headers.get(
        "content-type", ""
    )
    return value[0] if isinstance(value, list) else value
