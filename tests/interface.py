"""A service on its own: its RPC entrypoints and event consumers called as nameko runs them, on a real
database (migrated, as the platform's), without a broker, the gateway's server or any other service.

Each call is a worker of its own (nameko's `worker_factory`): `db` a session on the service's
database, closed when the call ends; `caller` the principal the test names; every other dependency a
mock. Each delivered event too (`tests/consumers.py`).

`Interface` answers as the `platform` fixture does, so a test that needs no other service reads the
same at either layer: `http.get/post(path, json=, params=, headers=)` runs the gateway's route for
`path` (its request validation: early 400s; its handler) against this one service, answering
`status_code` and `json()` (a file: `status_code`, `headers`, `content`); `auth(roles, **scope)` is
who calls (passed as `headers`); `publish` delivers an event to the service's consumer at once;
`session(name)` reads its database. A route whose handler calls another service fails here: that test
belongs on the platform.
"""
import datetime as dt
import json
import uuid
from types import SimpleNamespace

from kombu.utils import json as wire
from nameko.testing.services import worker_factory
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from common.auth import Principal
from common.contracts.base import shared
from common.errors import DomainError, Unauthenticated
from common.validation import load
from gateway.http import ROUTES, shaped
from gateway.service import GatewayService  # noqa: F401 (declares every route)
from tests.consumers import Consumers, enrolment_changed, envelope


class Answer:
    """What the gateway would answer: its status and JSON body."""

    def __init__(self, status_code, body):
        self.status_code, self.body = status_code, body
        self.text = json.dumps(body, ensure_ascii=False)

    def json(self):
        return self.body


class FileAnswer:
    """A file the gateway would send as the handler made it (a PDF, say): status, headers, bytes."""

    def __init__(self, response):
        self.status_code, self.headers = response.status_code, response.headers
        self.content = response.get_data()


class Routes:
    """The gateway's declared routes, run in-process against one service."""

    def __init__(self, interface):
        self.interface = interface
        self.map = Map([Rule(spec.path, methods=[spec.method], endpoint=index) for index, spec in enumerate(ROUTES)])

    def get(self, path, params=None, headers=None):
        return self.request("GET", path, params=params, headers=headers)

    def post(self, path, json=None, params=None, headers=None):
        return self.request("POST", path, body=json, params=params, headers=headers)

    def request(self, method, path, body=None, params=None, headers=None):
        try:
            index, values = self.map.bind("gateway").match(path, method)
        except (NotFound, MethodNotAllowed) as exc:
            raise AssertionError(f"no route {method} {path}: {exc}")
        spec = ROUTES[index]
        try:
            if not spec.public and headers is None:
                raise Unauthenticated("a bearer token is required")
            kwargs = dict(values)
            if spec.body is not None:
                kwargs["body"] = load(spec.body, body or {})
            if spec.query is not None:
                kwargs["query"] = load(spec.query, {k: str(v).lower() if isinstance(v, bool) else str(v)
                                                    for k, v in (params or {}).items()})
            gateway = SimpleNamespace(**{self.interface.name: ServiceProxy(self.interface, headers)},
                                      **self.interface.gateway)
            request = Request(EnvironBuilder(path=path, method=method).get_environ())
            result = spec.handler(gateway, request, **kwargs)
            if isinstance(result, Response):
                return FileAnswer(result)
            if spec.response is not None and not spec.dumped:
                result = shaped(shared(spec.response, spec.many), result)
            return Answer(spec.status, wire.loads(wire.dumps(result)))
        except DomainError as exc:
            return Answer(exc.status, exc.to_body())


class ServiceProxy:
    """`self.<service>` of a gateway handler: each call a worker of the service, its arguments and
    answer through nameko's serialisation, as over the bus."""

    def __init__(self, interface, caller):
        self.interface, self.caller = interface, caller

    def __getattr__(self, entrypoint):
        def call(*args):
            answer = self.interface.call(self.caller, entrypoint, *wire.loads(wire.dumps(args)))
            return wire.loads(wire.dumps(answer))
        call.within = lambda seconds: call  # the gateway's deadline: a worker here answers at once
        return call


class Interface(Consumers):
    """`dependencies`: the service's own besides `db` and `caller` (else mocks), as its workers and its
    consumers get them; `gateway`: what the routes' handlers use of the gateway besides the service."""

    def __init__(self, service_cls, database_url, gateway=None, **dependencies):
        super().__init__(service_cls, database_url, **dependencies)
        self.service_cls, self.name = service_cls, service_cls.name
        self.gateway = gateway or {}
        self.http = Routes(self)

    def call(self, caller, entrypoint, *args):
        """The entrypoint's answer to `caller` (a Principal, or None: anonymous), or its DomainError."""
        def who(optional=False):
            if caller is None and not optional:
                raise Unauthenticated("a bearer token is required")
            return caller

        worker = worker_factory(self.service_cls, db=self.worker_session, caller=who, **self.dependencies)
        try:
            return getattr(worker, entrypoint)(*args)
        finally:
            self.worker_session.close()  # as `common.db.Database` closes a worker's session when it ends

    def auth(self, roles, user_id=None, name="Test User", **scope):
        """Who calls, as the registry's token would name them."""
        roles = (roles,) if isinstance(roles, str) else tuple(roles)
        return Principal(user_id or uuid.uuid4().hex, roles, {k: v for k, v in scope.items() if v is not None},
                         name)

    def publish(self, event_type, data, event_id=None, occurred_at=None):
        """The event delivered to the service's consumer of it, now; answers its envelope."""
        delivered = envelope(event_type, data, occurred_at or dt.datetime.now(dt.timezone.utc), event_id)
        self.deliver(delivered)
        return delivered

    def enrol(self, student_id, university_id, status="confirmed", reason=None, version=1):
        """Registry's word on a student's enrolment (as `tests.harness.Platform.enrol`), delivered now."""
        self.publish(*enrolment_changed(student_id, university_id, status, reason, version))

    def session(self, service):
        assert service == self.name, f"{service} is not part of this test: use the platform"
        return self.read()
