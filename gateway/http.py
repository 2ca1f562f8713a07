"""The gateway's HTTP layer on nameko's web entrypoint.

Every answer is JSON, errors included: ``{"error": {"code", "message", "fields"}}``. Unknown routes,
wrong methods, malformed bodies and failures deep in a service all come back in that shape. Routes
are declared with `route`, which also records them for the OpenAPI document, so the schema that
validates a request is the one that documents it.
"""
import functools
import json
import logging
import re
import uuid
from dataclasses import dataclass, field

from marshmallow import ValidationError
from nameko.exceptions import ContainerBeingKilled
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from common import messages
from common.auth import CONTEXT_KEY, read_token, verifying_keys
from common.context import REQUEST_ID
from common.contracts.base import shared
from common.errors import DomainError, ServiceUnavailable, ValidationFailed
from common.errors import NotFound as NoSuchRecord
from common.validation import load

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
JSON_TYPE = "application/json"
REQUEST_ID_HEADER = "X-Request-Id"


def error_response(status, code, message, fields=None, headers=None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=JSON_TYPE,
                    headers=headers)


def response_for_http_exception(exc):
    code = re.sub(r"[^a-z]+", "_", (exc.name or "error").lower()).strip("_")
    headers = None
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers = {"Allow": ", ".join(exc.valid_methods)}
    message = "no such route" if isinstance(exc, NotFound) else exc.description
    return error_response(exc.code, code, message, headers=headers)


def bearer_token(request):
    authorization = request.headers.get("Authorization", "")
    return authorization[len("Bearer "):].strip() if authorization.startswith("Bearer ") else None


class JsonWsgiApp(WsgiApp):
    """Like nameko's, but routing failures (404, 405) answer in the JSON error shape."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        request.max_content_length = MAX_BODY_BYTES
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            response = provider.handle_request(request)
        except HTTPException as exc:
            response = response_for_http_exception(exc)
        if isinstance(response, Response):
            response.headers.setdefault(REQUEST_ID_HEADER, environ.get("gateway.request_id", ""))
            if response.status_code >= 400 and response.mimetype == JSON_TYPE:
                in_language(response, request.headers.get("Accept-Language"))
        return response(environ, start_response)


def rows_in_language(answer, request):
    """A many-rows answer (`results`, each logged or refused on its own) with each row's error in the
    language of the request, as `in_language` does for a whole error."""
    language = messages.language_of(request.headers.get("Accept-Language"))
    if isinstance(answer, (str, bytes)):  # a replayed answer comes as the JSON it was
        answer = json.loads(answer)
    for row in answer.get("results") or ():
        if row.get("error"):
            row["error"] = messages.error_in({"error": row["error"]}, language)["error"]
    return answer


def in_language(response, accept_language):
    """An error's message and field reasons in the language the person reads (`Accept-Language`);
    codes and field names stay as they are (common/messages.py)."""
    language = messages.language_of(accept_language)
    response.headers["Content-Language"] = language
    response.headers.add("Vary", "Accept-Language")
    if language == "en":
        return
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        response.set_data(json.dumps(messages.error_in(body, language), ensure_ascii=False))


class JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def context_data_from_headers(self, request):
        """Carries the bearer token and a request id into every RPC and event of this request."""
        request_id = request.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", request_id):
            request_id = uuid.uuid4().hex
        request.environ["gateway.request_id"] = request_id
        context = {REQUEST_ID: request_id}
        token = bearer_token(request)
        if token:
            context[CONTEXT_KEY] = token
        return context


class JsonHttpEntrypoint(HttpRequestHandler):
    server = JsonWebServer()

    def response_from_exception(self, exc):
        if isinstance(exc, ContainerBeingKilled):  # stopping, to be started again by its supervisor
            exc = ServiceUnavailable("the gateway is restarting: try again shortly", {"service": ["gateway"]})
        if isinstance(exc, DomainError):
            return error_response(exc.status, exc.code, exc.message, exc.fields, getattr(exc, "headers", None))
        if isinstance(exc, HTTPException):
            return response_for_http_exception(exc)
        log.error("unhandled error in the gateway", exc_info=(type(exc), exc, exc.__traceback__))
        return error_response(500, "internal_error", "the request could not be completed")


http = JsonHttpEntrypoint.decorator


@dataclass
class RouteSpec:
    method: str
    path: str
    summary: str
    tag: str
    body: type | None = None
    query: type | None = None
    response: type | None = None
    many: bool = False
    status: int = 200
    public: bool = False
    errors: tuple = field(default_factory=tuple)
    produces: str = JSON_TYPE
    dumped: bool = False
    upload: str | None = None  # a body that is a file of this media type, not JSON
    handler: object = None  # the route's own function, before `route` wraps it


ROUTES = []


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"

    def __init__(self, message="the body must be application/json", fields=None):
        super().__init__(message, fields or {"Content-Type": ["expected application/json"]})


def read_json(request, schema_cls):
    """The request body through `schema_cls`; 415 for a wrong content type, 400 for bad JSON. No body
    at all (whatever its content type) is `{}`: a POST whose fields are all optional needs none."""
    raw = request.get_data(cache=False)
    if not raw.strip():
        return load(schema_cls, {})
    if request.mimetype != JSON_TYPE:
        raise UnsupportedMediaType()
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        raise ValidationFailed("the body is not valid JSON", {"_body": ["malformed JSON"]})
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object", {"_body": ["expected an object"]})
    return load(schema_cls, payload)


def read_upload(request, media_type, max_bytes):
    """A file sent as the body: its bytes, at most `max_bytes` (413 past them), of `media_type` (415)."""
    request.max_content_length = max_bytes
    if request.mimetype != media_type:
        raise UnsupportedMediaType(f"the body must be {media_type}", {"Content-Type": [f"expected {media_type}"]})
    return request.get_data(cache=False)


def shaped(schema, answer):
    """A service's answer as the response contract documents it. The answer comes as Python values
    or already in its JSON form (dates as text); loading it through the contract accepts both and
    checks it, and dumping it writes the JSON form once. An answer that breaks its contract is a
    fault of the platform (500), not of the request."""
    try:
        return schema.dump(schema.load(answer))
    except ValidationError as exc:
        raise ValueError(f"{type(schema).__name__} does not match the answer: {exc.messages}")


def route(method, path, *, summary, tag, body=None, query=None, response=None, many=False, status=200,
          public=False, errors=(), produces=JSON_TYPE, dumped=False, upload=None, max_upload=MAX_BODY_BYTES):
    """Declare a gateway route: an HTTP entrypoint whose handler gets validated `body`/`query` (or, for
    an `upload` route, the file's bytes as `body`) and returns data shaped by `response` (or a werkzeug
    Response as it is).

    `dumped=True`: the service answers already dumped through `response` (its own contract, dumped
    once where the answer is made), so the gateway passes the answer on as it comes, neither loading
    nor dumping it again; `response` still documents it in the OpenAPI document."""
    spec = RouteSpec(method, path, summary, tag, body, query, response, many, status, public, errors,
                     produces, dumped=dumped, upload=upload)
    ROUTES.append(spec)

    def decorate(handler):
        spec.handler = handler

        @functools.wraps(handler)
        def entrypoint(self, request, **path_values):
            if not public:
                read_token(verifying_keys(self.config), bearer_token(request))
            if not all(value.isprintable() for value in path_values.values()):
                raise NoSuchRecord("no such record")  # no id holds control characters (nor can a database)
            kwargs = dict(path_values)
            if body is not None:
                kwargs["body"] = read_json(request, body)
            if upload is not None:
                kwargs["body"] = read_upload(request, upload, max_upload)
            if query is not None:
                kwargs["query"] = load(query, request.args.to_dict())
            result = handler(self, request, **kwargs)
            if isinstance(result, Response):
                return result
            if response is not None and not dumped:
                result = shaped(shared(response, many), result)
            return Response(json.dumps(result, ensure_ascii=False), status=status, mimetype=JSON_TYPE)

        return http(method, path)(entrypoint)

    return decorate


def service_unavailable(service, reason="did not answer in time"):
    return ServiceUnavailable(f"the {service} service {reason}", {"service": [service]})
