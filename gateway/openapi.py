"""The OpenAPI 3 document, built from the routes and the same marshmallow schemas that validate them."""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.http import ROUTES

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "fields"],
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": "object"},
        },
    }},
}
ERROR_STATUSES = {400: "Invalid request", 401: "Not authenticated", 403: "Not allowed", 404: "Not found",
                  409: "Conflict with the current state", 410: "No longer valid (expired)", 413: "Body too large",
                  415: "Unsupported media type", 422: "Refused by the programme's rules",
                  429: "Too many requests", 503: "A service is unavailable"}


def openapi_path(path):
    """werkzeug's `<name>` / `<int:name>` placeholders as OpenAPI's `{name}`."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", path)


def build_document(version="1.0.0"):
    spec = APISpec(title="Student Voucher platform API", version=version, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Students' vouchers: registration by EDS, placement, hours, "
                                        "reports, payouts and credits."})
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    paths = {}
    for route in ROUTES:
        paths.setdefault(openapi_path(route.path), {})[route.method.lower()] = operation(route)
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations, parameters=path_parameters(path))
    return spec.to_dict()


def path_parameters(path):
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{([a-z_]+)}", path)]


def operation(route):
    op = {"summary": route.summary, "tags": [route.tag], "responses": {}}
    if not route.public:
        op["security"] = [{"bearer": []}]
    if route.query is not None:
        op["parameters"] = [{"in": "query", "schema": route.query}]
    if route.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
    if route.upload is not None:
        op["requestBody"] = {"required": True, "content": {route.upload: {"schema": {"type": "string"}}}}
    op["responses"][str(route.status)] = success_response(route)
    statuses = set(route.errors) | {400, 503}
    if route.body is not None or route.upload is not None:
        statuses |= {413, 415}
    if not route.public:
        statuses |= {401, 403}
    for status in sorted(statuses):
        op["responses"][str(status)] = {
            "description": ERROR_STATUSES[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return op


def success_response(route):
    if route.produces != "application/json":
        return {"description": "OK", "content": {route.produces: {"schema": {"type": "string",
                                                                               "format": "binary"}}}}
    if route.response is None:
        return {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    schema = {"type": "array", "items": route.response} if route.many else route.response
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}
