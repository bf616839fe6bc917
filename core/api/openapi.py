"""The OpenAPI 3 document, generated from the declared endpoints' schemas."""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from marshmallow import fields

from core.api import OPERATIONS, ProblemSchema

_CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>\w+)>")
_PATH_TYPES = {"int": "integer", "float": "number"}
_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"


def _path(rule: str) -> tuple[str, list]:
    parameters = []
    for match in _CONVERTER.finditer(rule):
        kind = _PATH_TYPES.get(match.group("conv") or "", "string")
        parameters.append(
            {
                "in": "path",
                "name": match.group("name"),
                "required": True,
                "schema": {"type": kind},
            }
        )
    return _CONVERTER.sub(lambda m: "{" + m.group("name") + "}", rule), parameters


def _schema_name(schema) -> str | None:
    """Component names carry the module, so two modules' schemas never collide."""
    schema_cls = resolve_schema_cls(schema)
    if not isinstance(schema, type) and (
        schema.only or schema.exclude or schema.partial
    ):
        return None  # a trimmed schema is inlined rather than shared
    parts = schema_cls.__module__.split(".")
    prefix = (
        "".join(p.title().replace("_", "") for p in parts[1:2])
        if parts[0] == "modules"
        else ""
    )
    return prefix + (schema_cls.__name__.removesuffix("Schema") or schema_cls.__name__)


def build_spec(app) -> dict:
    """Build the OpenAPI document for the endpoints registered on `app`."""
    marshmallow_plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="Zhuzhou municipal policy portal API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[marshmallow_plugin],
        info={"description": "Problems are application/problem+json (RFC 9457)."},
    )
    marshmallow_plugin.converter.add_attribute_function(_decimal_as_string)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", schema=ProblemSchema)
    problem = {
        "description": "Problem",
        "content": {"application/problem+json": {"schema": "Problem"}},
    }

    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        if op.endpoint not in registered:
            continue
        path, parameters = _path(op.rule)
        operation = {
            "summary": op.summary,
            "tags": op.tags,
            "operationId": f"{op.endpoint}.{op.method}",
            "responses": {},
        }
        if op.query is not None:
            parameters.append({"in": "query", "schema": op.query})
        if parameters:
            operation["parameters"] = parameters
        if op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op.body}},
            }
        if op.response is not None:
            schema = op.response(many=True) if op.many else op.response
            operation["responses"][str(op.status)] = {
                "description": "Success",
                "content": {"application/json": {"schema": schema}},
            }
        else:
            operation["responses"][str(op.status)] = {"description": "Success"}
        codes = ["400", "404", "409", "422", "429"]
        if not op.public:
            operation["security"] = [{"bearer": []}]
            codes += ["401", "403"]
        for code in codes:
            operation["responses"][code] = problem
        paths.setdefault(path, {})[op.method] = operation

    for path in sorted(paths):
        spec.path(path=path, operations=paths[path])
    return _numeric_bounds(spec.to_dict())


def _decimal_as_string(converter, field, **kwargs) -> dict:
    """Describe amounts sent as strings ("0.2000") as strings, not numbers.

    Money and ratios travel as strings so no float rounding touches them; the
    document must say so or clients and validators expect a JSON number.
    """
    if isinstance(field, fields.Decimal) and field.as_string:
        return {"type": "string", "format": "decimal", "pattern": _DECIMAL}
    return {}


def _numeric_bounds(node):
    """Write range bounds as numbers: money fields travel as strings, bounds do not."""
    if isinstance(node, dict):
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            value = node.get(key)
            if value is not None and not isinstance(value, int | float):
                number = float(value)
                node[key] = int(number) if number.is_integer() else number
        for value in node.values():
            _numeric_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _numeric_bounds(value)
    return node
