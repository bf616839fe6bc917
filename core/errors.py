"""One family of exceptions for bad input and rule violations, and problem+json."""

from flask import jsonify


class PortalError(Exception):
    """Base of the errors a user can act on; carries an HTTP status."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str = "", errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}

    def __str__(self) -> str:
        parts = [self.detail] if self.detail else []
        for field, messages in self.errors.items():
            parts.extend(f"{field}: {m}" for m in messages)
        return " ".join(parts)


class InvalidInput(PortalError):
    """Input that fails validation; `errors` maps each field to its messages."""

    status = 400
    title = "Invalid input"

    def __init__(self, errors: dict, detail: str = ""):
        super().__init__(detail or "The request has invalid fields.", errors)


class RuleViolation(PortalError):
    """An action the policy forbids; `article` names where the policy says so."""

    status = 422
    title = "Rule violation"

    def __init__(self, detail: str, article: str = "", field: str | None = None):
        errors = {field: [detail]} if field else {}
        super().__init__(detail, errors)
        self.article = article


class NotFound(PortalError):
    status = 404
    title = "Not found"


class Forbidden(PortalError):
    status = 403
    title = "Forbidden"


class Conflict(PortalError):
    """The record changed since it was read; the user must reload and retry."""

    status = 409
    title = "Conflict"


def problem(
    status: int, title: str, detail: str = "", errors: dict | None = None, **extra
):
    """An RFC 9457 application/problem+json response."""
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def problem_from(error: PortalError):
    """Render a PortalError as problem+json."""
    extra = {}
    if isinstance(error, RuleViolation) and error.article:
        extra["article"] = error.article
    return problem(error.status, error.title, error.detail, error.errors, **extra)
