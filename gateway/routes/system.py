"""Health and the API's own description."""
import json
import time

import eventlet
from eventlet.semaphore import Semaphore
from kombu import Connection
from marshmallow import fields
from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from werkzeug.wrappers import Response

from common.auth import ADMIN, OPERATOR, read_token, verifying_keys
from common.contracts.base import Contract
from common.errors import DomainError
from gateway.http import bearer_token, route
from gateway.openapi import build_document

SERVICES = ("registry", "placement", "timesheet", "payments", "credits", "notifications", "coverage")
HEALTH_TIMEOUT_SECONDS = 3.0
PUBLIC_HEALTH_SECONDS = 5.0  # the public probe's answer is this fresh at most: anyone may call it


class ComponentHealth(Contract):
    status = fields.String(required=True, metadata={"description": "up or down"})
    database = fields.String(metadata={"description": "up, down or unknown"})
    reason = fields.String()


DEMO = "demo mode (a local run): demo keys sign for anyone who asks; never in production"


class Health(Contract):
    status = fields.String(required=True)
    broker = fields.String(required=True)
    services = fields.Dict(keys=fields.String(), values=fields.Nested(ComponentHealth), required=True)
    down = fields.List(fields.String(), required=True)
    demo = fields.Boolean(required=True, metadata={"description": DEMO})


class PublicHealth(Contract):
    status = fields.String(required=True, metadata={"description": "up or down"})
    down = fields.List(fields.String(), required=True, metadata={"description": "what is down"})
    demo = fields.Boolean(required=True, metadata={"description": DEMO})


class PublicHealthCache(DependencyProvider):
    """The public health answer of this gateway process, worked out at most once per
    `PUBLIC_HEALTH_SECONDS`: a flood of anonymous probes costs the services one round of health
    RPCs per period, and requests that come while it runs wait for it instead of starting their own."""

    def setup(self):
        self.lock = Semaphore()
        self.answer, self.worked_out_at = None, 0.0

    def get_dependency(self, worker_ctx):
        return self

    def get(self, work_out):
        with self.lock:
            if self.answer is None or time.monotonic() - self.worked_out_at > PUBLIC_HEALTH_SECONDS:
                self.answer, self.worked_out_at = work_out(), time.monotonic()
            return self.answer


class SystemRoutes:
    public_health = PublicHealthCache()

    @route("GET", "/api/v1/health", summary="Up or down, and what is down (cached for a few seconds)",
           tag="system", public=True, response=PublicHealth)
    def health(self, request):
        body = self.public_health.get(lambda: self._health(check_broker=False))
        return Response(json.dumps(PublicHealth().dump(body)), status=200 if not body["down"] else 503,
                        mimetype="application/json")

    @route("GET", "/api/v1/health/details", summary="Each service's, the broker's and the databases' health "
           "(Operator, admin)", tag="system", response=Health, errors=(403,))
    def health_details(self, request):
        read_token(verifying_keys(self.config), bearer_token(request)).require(OPERATOR, ADMIN)
        body = self._health(check_broker=True)
        return Response(json.dumps(Health().dump(body)), status=200 if not body["down"] else 503,
                        mimetype="application/json")

    def _health(self, check_broker):
        """Every service's health over RPC; the broker on a connection of its own only when asked (the
        RPCs, on the gateway's kept-open connections, show it is up when any service answers)."""
        pool = eventlet.GreenPool(len(SERVICES) + 1)
        broker = pool.spawn(self._broker_reachable) if check_broker else None
        checks = {name: pool.spawn(self._service_health, name) for name in SERVICES}
        report = {name: check.wait() for name, check in checks.items()}
        if broker is not None:
            broker_up = broker.wait()
        else:
            broker_up = any(item["status"] == "up" for item in report.values())
        down = [name for name, item in report.items() if item["status"] != "up" or item["database"] != "up"]
        if not broker_up:
            down.insert(0, "broker")
        return {"status": "up" if not down else "down", "broker": "up" if broker_up else "down",
                "services": report, "down": down, "demo": self.demo.enabled}

    def _service_health(self, name):
        try:
            answer = getattr(self, name).health.within(HEALTH_TIMEOUT_SECONDS)()
        except DomainError as exc:
            return {"status": "down", "database": "unknown", "reason": exc.message}
        return {"status": "up", "database": "up" if answer["database"] else "down"}

    def _broker_reachable(self):
        try:
            with Connection(self.config["AMQP_URI"], connect_timeout=HEALTH_TIMEOUT_SECONDS) as connection:
                connection.ensure_connection(max_retries=1)
            return True
        except Exception:
            return False

    @route("GET", "/metrics", summary="This process's Prometheus metrics (for the scraper, not the public)",
           tag="system", public=True, produces=CONTENT_TYPE_LATEST)
    def metrics(self, request):
        return Response(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)

    @route("GET", "/api/v1/openapi.json", summary="This API's OpenAPI 3 document", tag="system",
           public=True)
    def openapi(self, request):
        return Response(json.dumps(build_document()), mimetype="application/json")
