"""Health and the API's own description."""
import json

import eventlet
from kombu import Connection
from marshmallow import fields
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from werkzeug.wrappers import Response

from common.contracts.base import Contract
from common.errors import DomainError
from gateway.http import route
from gateway.openapi import build_document

SERVICES = ("registry", "placement", "timesheet", "payments", "credits", "notifications", "coverage")
HEALTH_TIMEOUT_SECONDS = 3.0


class ComponentHealth(Contract):
    status = fields.String(required=True, metadata={"description": "up or down"})
    database = fields.String(metadata={"description": "up, down or unknown"})
    reason = fields.String()


class Health(Contract):
    status = fields.String(required=True)
    broker = fields.String(required=True)
    services = fields.Dict(keys=fields.String(), values=fields.Nested(ComponentHealth), required=True)
    down = fields.List(fields.String(), required=True)
    demo = fields.Boolean(required=True, metadata={"description": "demo mode: demo keys sign for anyone; never "
                                                                  "in production"})


class SystemRoutes:

    @route("GET", "/api/v1/health", summary="Each service's, the broker's and the databases' health",
           tag="system", public=True, response=Health)
    def health(self, request):
        pool = eventlet.GreenPool(len(SERVICES) + 1)
        broker = pool.spawn(self._broker_reachable)
        checks = {name: pool.spawn(self._service_health, name) for name in SERVICES}
        report = {name: check.wait() for name, check in checks.items()}
        broker_up = broker.wait()
        down = [name for name, item in report.items() if item["status"] != "up" or item["database"] != "up"]
        if not broker_up:
            down.insert(0, "broker")
        body = {"status": "up" if not down else "down", "broker": "up" if broker_up else "down",
                "services": report, "down": down, "demo": self.demo.enabled}
        return Response(json.dumps(Health().dump(body)), status=200 if not down else 503,
                        mimetype="application/json")

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
