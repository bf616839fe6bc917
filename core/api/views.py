"""The core's own API: modules, calendar, organisations, health and the spec."""

from flask import current_app, jsonify
from marshmallow import Schema, fields, validate
from sqlalchemy import select, text

from core import calendar
from core.api import api_blueprint, api_user, endpoint
from core.extensions import db
from core.models.organisations import Organisation
from core.scoping import get_visible, scope

bp = api_blueprint("core")


class ModuleSchema(Schema):
    name = fields.String()
    title = fields.Function(lambda m: str(m.title))
    version = fields.String()
    depends = fields.List(fields.String())


@endpoint(bp, "/modules", response=ModuleSchema, many=True, tags=["core"])
def list_modules():
    """List the enabled modules, their versions and dependencies."""
    return list(current_app.extensions["registry"])


class DayAnswerSchema(Schema):
    date = fields.Date()
    is_working_day = fields.Boolean()
    confirmed = fields.Boolean()


class AddQuerySchema(Schema):
    start = fields.Date(required=True)
    days = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(-calendar.MAX_DAYS, calendar.MAX_DAYS),
    )


class AddAnswerSchema(Schema):
    start = fields.Date()
    days = fields.Integer()
    date = fields.Date()
    confirmed = fields.Boolean()


class BetweenQuerySchema(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class BetweenAnswerSchema(Schema):
    start = fields.Date()
    end = fields.Date()
    working_days = fields.Integer()
    confirmed = fields.Boolean()


@endpoint(bp, "/calendar/days/<day>", response=DayAnswerSchema, tags=["calendar"])
def calendar_day(day):
    """Whether a date is a working day."""
    parsed = calendar.parse_date(day, "date")
    answer = calendar.is_working_day(parsed)
    return {
        "date": parsed,
        "is_working_day": answer.value,
        "confirmed": answer.confirmed,
    }


@endpoint(
    bp,
    "/calendar/add-working-days",
    query=AddQuerySchema,
    response=AddAnswerSchema,
    tags=["calendar"],
)
def calendar_add(query):
    """A date plus N working days (the start date itself does not count)."""
    answer = calendar.add_working_days(query["start"], query["days"])
    return {**query, "date": answer.value, "confirmed": answer.confirmed}


@endpoint(
    bp,
    "/calendar/working-days-between",
    query=BetweenQuerySchema,
    response=BetweenAnswerSchema,
    tags=["calendar"],
)
def calendar_between(query):
    """Working days after the start date up to and including the end date."""
    answer = calendar.working_days_between(query["start"], query["end"])
    return {**query, "working_days": answer.value, "confirmed": answer.confirmed}


class OrganisationSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    uscc = fields.String()
    address = fields.String()
    county_id = fields.Integer()
    industry = fields.String()


class OrganisationCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    uscc = fields.String(required=True, validate=validate.Length(1, 18))
    address = fields.String(load_default="", validate=validate.Length(max=300))
    county_id = fields.Integer(required=True)
    industry = fields.String(load_default="", validate=validate.Length(max=120))


class PageQuerySchema(Schema):
    after_id = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    q = fields.String(load_default="", validate=validate.Length(max=100))


@endpoint(
    bp,
    "/organisations",
    query=PageQuerySchema,
    response=OrganisationSchema,
    many=True,
    permission="core.organisations.view",
    tags=["organisations"],
)
def list_organisations(query):
    """Organisations visible to the caller, in id order (keyset pages)."""
    statement = select(Organisation).where(Organisation.id > query["after_id"])
    if query["q"]:
        statement = statement.where(Organisation.name.contains(query["q"]))
    statement = scope(statement, Organisation, api_user())
    return db.session.scalars(
        statement.order_by(Organisation.id).limit(query["limit"])
    ).all()


@endpoint(
    bp,
    "/organisations",
    methods=("POST",),
    body=OrganisationCreateSchema,
    response=OrganisationSchema,
    status=201,
    permission="core.organisations.edit",
    tags=["organisations"],
)
def create_organisation(body):
    """Register an organisation in a county the caller may file for."""
    from core.directory import create_organisation as create
    from core.errors import InvalidInput
    from core.i18n import _
    from core.models.departments import Department, DepartmentKind
    from core.scoping import can_own

    county = db.session.get(Department, body["county_id"])
    if (
        county is None
        or county.kind != DepartmentKind.COUNTY
        or not can_own(api_user(), county)
    ):
        raise InvalidInput({"county_id": [_("Choose a county you may file for.")]})
    organisation = create(
        body["name"],
        body["uscc"],
        county,
        address=body["address"],
        industry=body["industry"],
    )
    db.session.commit()
    return organisation


@endpoint(
    bp,
    "/organisations/<int:organisation_id>",
    response=OrganisationSchema,
    permission="core.organisations.view",
    tags=["organisations"],
)
def get_organisation(organisation_id):
    """One organisation, if the caller's department may see it."""
    return get_visible(Organisation, organisation_id, api_user())


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of every enabled endpoint."""
    from core.api.openapi import build_spec

    return jsonify(build_spec(current_app))


def healthz():
    """Database and scheduler state, for load balancers and monitors."""
    from core import scheduler

    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - reported to the caller, not hidden
        db.session.rollback()
        checks["database"] = f"error: {type(error).__name__}"
    checks["scheduler"] = scheduler.state(current_app)
    healthy = checks["database"] == "ok"
    return jsonify({"status": "ok" if healthy else "error", **checks}), (
        200 if healthy else 503
    )
