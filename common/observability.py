"""One JSON log line and a set of metrics for every entrypoint a service or the gateway runs.

`Observability` is a nameko dependency provider; `common.service.HealthMixin` (which every service
inherits) and the gateway declare it, so no service needs code of its own. For each worker it:
- makes sure the worker has a request id (the gateway's, or the one carried by an RPC or event; a
  new one for a timer or an event without one), so everything the worker causes carries it;
- binds service and request id to every log line the worker writes (`common.logs.bind`);
- writes one line when the worker ends: service, kind (http, rpc, event, timer), entrypoint,
  outcome (`success`, the error code, or `error`), duration_ms, request_id — never arguments,
  which may hold personal data;
- counts it in `common.metrics`, and serves the process's metrics on `METRICS_PORT` when set.
"""
import logging
import os
import time
import uuid

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler

from common import logs, metrics
from common.context import REQUEST_ID
from common.errors import DomainError

log = logging.getLogger("student_voucher.access")
METRICS_PORT_ENV = "METRICS_PORT"
SUCCESS = "success"


def describe(entrypoint):
    """(kind, name) of an entrypoint, as logs and metrics label it."""
    if isinstance(entrypoint, HttpRequestHandler):
        return "http", f"{entrypoint.method} {entrypoint.url}"
    if isinstance(entrypoint, EventHandler):
        return "event", entrypoint.event_type
    if isinstance(entrypoint, Rpc):
        return "rpc", entrypoint.method_name
    if isinstance(entrypoint, Timer):
        return "timer", entrypoint.method_name
    return type(entrypoint).__name__.lower(), entrypoint.method_name


def outcome_of(result, exc_info):
    """`success`, a domain error's code (`not_found`, `conflict`, …) or `error`."""
    if exc_info is not None:
        error = exc_info[1]
        return error.code if isinstance(error, DomainError) else "error"
    if getattr(result, "status_code", 200) >= 400:  # an HTTP response answered as an error
        return "error"
    return SUCCESS


class Observability(DependencyProvider):

    def setup(self):
        self.started = {}

    def start(self):
        port = os.environ.get(METRICS_PORT_ENV)
        if port:
            metrics.serve(port)

    def worker_setup(self, worker_ctx):
        request_id = worker_ctx.data.get(REQUEST_ID) or uuid.uuid4().hex
        worker_ctx.data[REQUEST_ID] = request_id
        logs.bind(service=worker_ctx.service_name, request_id=request_id)
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(worker_ctx, None)
        if started is None:
            return
        seconds = time.perf_counter() - started
        kind, name = describe(worker_ctx.entrypoint)
        outcome = outcome_of(result, exc_info)
        self.count(worker_ctx.service_name, kind, name, outcome, seconds)
        level = logging.ERROR if outcome == "error" else logging.INFO
        log.log(level, "%s %s: %s", kind, name, outcome, extra={
            "service": worker_ctx.service_name, "request_id": worker_ctx.data.get(REQUEST_ID),
            "kind": kind, "entrypoint": name, "outcome": outcome,
            "duration_ms": round(seconds * 1000, 1),
        })

    def worker_teardown(self, worker_ctx):
        self.started.pop(worker_ctx, None)
        logs.unbind()

    @staticmethod
    def count(service, kind, name, outcome, seconds):
        metrics.DURATION.labels(service, kind, name).observe(seconds)
        if kind == "event":
            metrics.EVENTS_CONSUMED.labels(service, name, outcome).inc()
        else:
            metrics.REQUESTS.labels(service, kind, name, outcome).inc()
