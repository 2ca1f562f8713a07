"""The platform as the tests see it: services in containers on a real broker, the gateway over HTTP.

Tests talk to the gateway with `platform.http` (a requests session on its base URL), mint tokens for
any role with `platform.token(...)`, read a service's database with `platform.session(service)`,
publish a declared event with `platform.publish(...)`, and wait with `eventually(...)`.
"""
import datetime as dt
import os
import subprocess
import sys
import time
import uuid

import eventlet
import requests
from nameko.constants import WEB_SERVER_CONFIG_KEY
from nameko.standalone.events import event_dispatcher
from nameko.testing.utils import find_free_port
from sqlalchemy import select
from sqlalchemy.orm import Session

from common.auth import STEP_UP_HEADER, SigningKey, issue_step_up, issue_token
from common.contracts.payments import PayoutDetailsIn
from common.contracts.registry import UNIVERSITY_ADDED
from common.db import make_engine
from common.validation import load
from gateway.service import GatewayService
from services.coverage.service import CoverageService
from services.credits.models import ProcessedEvent as CreditsProcessed
from services.credits.service import CreditsService
from services.notifications.service import NotificationsService
from services.payments.service import PaymentsService
from services.placement.service import PlacementService
from services.registry.models import OutboxEvent as RegistryOutbox
from services.registry.repository import seed_reference_data
from services.registry.service import RegistryService
from services.timesheet.service import TimesheetService
from tests.registry.pki import session_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES = ("registry", "placement", "timesheet", "payments", "credits", "notifications", "coverage")
SERVICE_CLASSES = {
    "registry": RegistryService,
    "placement": PlacementService,
    "timesheet": TimesheetService,
    "payments": PaymentsService,
    "credits": CreditsService,
    "notifications": NotificationsService,
    "coverage": CoverageService,
}
SIGNING_KEY = SigningKey.generate()  # the registry's, as `./platform start` makes one in var/auth
AUTH_SETTINGS = {"AUTH_PUBLIC_KEYS": SIGNING_KEY.public_pem(), "DEPLOYMENT": "local"}
PROCESS_SETTINGS = {**SIGNING_KEY.settings(), "DEPLOYMENT": "local"}  # for `nameko run` processes


def eventually(check, timeout=15.0, interval=0.05):
    """`check()`'s first truthy answer; fails with its last answer when `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout}s; last answer: {answer!r}")
        time.sleep(interval)


def seed_settled(session):
    """Reference data, as `./platform start` loads it, and settled: every service that keeps a copy
    of the seeded universities has applied their events before a test begins. `session(service)`
    opens a session on a service's database."""
    with session("registry") as registry, registry.begin():
        seed_reference_data(registry)
    with session("registry") as registry:
        seeded = set(registry.scalars(select(RegistryOutbox.id).where(
            RegistryOutbox.event_type == UNIVERSITY_ADDED.name)))

    def applied():
        with session("credits") as credits:
            return seeded <= set(credits.scalars(select(CreditsProcessed.event_id)))

    eventually(applied)


class BaseUrlSession(requests.Session):
    def __init__(self, base_url):
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        return super().request(method, self.base_url + url, *args, **kwargs)


class Platform:
    def __init__(self, rabbit_config, web_config, database_urls, container_factory, bank=None,
                 overrides=None):
        self.bank = bank
        self.overrides = overrides or {}
        self.amqp_uri = rabbit_config["AMQP_URI"]
        self.database_urls = database_urls
        self.container_factory = container_factory
        self.web_address = web_config[WEB_SERVER_CONFIG_KEY]
        self.containers = {}
        self.engines = {}
        self.base_url = "http://" + self.web_address
        self.http = BaseUrlSession(self.base_url)

    def config(self, service):
        config = {"AMQP_URI": self.amqp_uri, **AUTH_SETTINGS, "max_workers": 10}
        if service == "gateway":
            config.update({WEB_SERVER_CONFIG_KEY: self.web_address, "RPC_TIMEOUT_SECONDS": 5,
                           "LOGIN_RATE_PER_MINUTE": 100_000, "LOGIN_RATE_BURST": 100_000})
        else:
            config["DATABASE_URL"] = self.database_urls[service]
        if service == "registry":  # EDS sign-in trusts the session's test PKI (tests/registry/pki.py)
            config.update(session_config(), AUTH_SIGNING_KEY=SIGNING_KEY.private_pem())
        if service == "payments" and self.bank is not None:
            config.update(self.bank.payments_config(self.base_url + "/api/v1/bank/notifications"))
        config.update(self.overrides.get(service, {}))
        return config

    def start(self, *services):
        for service in services or SERVICES + ("gateway",):
            cls = GatewayService if service == "gateway" else SERVICE_CLASSES[service]
            container = self.container_factory(cls, self.config(service))
            container.start()
            self.containers[service] = container
        if not services:
            self.seed()

    def seed(self):
        seed_settled(self.session)

    def stop(self, service):
        self.containers.pop(service).stop()

    def close(self):
        pool = eventlet.GreenPool()
        for container in self.containers.values():
            pool.spawn(container.stop)  # each stop waits ~1-2 s for its consumers; do them at once
        pool.waitall()
        for engine in self.engines.values():
            engine.dispose()
        self.http.close()

    def token(self, roles, user_id=None, name="Test User", **scope):
        roles = (roles,) if isinstance(roles, str) else tuple(roles)
        return issue_token(SIGNING_KEY, user_id or uuid.uuid4().hex, roles, scope, name=name)

    def auth(self, roles, **kwargs):
        """Headers that authenticate as a new user with `roles` and the given scope."""
        return {"Authorization": "Bearer " + self.token(roles, **kwargs)}

    def step_up(self, user_id, details):
        """The X-Step-Up header the registry gives `user_id` once they signed these payout details
        with their EDS (tests/security/test_step_up.py goes through the signature itself)."""
        return {STEP_UP_HEADER: issue_step_up(SIGNING_KEY, user_id, "payout-details", load(PayoutDetailsIn, details))}

    def session(self, service):
        """A SQLAlchemy session on `service`'s database, for assertions."""
        if service not in self.engines:
            self.engines[service] = make_engine(self.database_urls[service])
        return Session(self.engines[service])

    def publish(self, event_type, data, event_id=None, occurred_at=None):
        """Publish a declared event on the real broker, as its source service would (by default
        stamped now, so events published one after another are ordered as their publisher's)."""
        envelope = {
            "event_id": event_id or uuid.uuid4().hex,
            "event_type": event_type.name,
            "occurred_at": occurred_at or dt.datetime.now(dt.timezone.utc).isoformat(),
            "request_id": None,
            "data": event_type.dump(data),
        }
        dispatch = event_dispatcher({"AMQP_URI": self.amqp_uri})
        dispatch(event_type.source, event_type.name, envelope)
        return envelope


class SandboxBankProcess:
    """The sandbox bank (`python -m sandbox_bank`) as its own process, fast-settling, for tests.

    `control(action, **options)` tells it how to misbehave next; `reset()` forgets everything;
    `statement()` is what it paid; `log_text()` what it logged."""

    SECRET = "test-bank-secret-" + uuid.uuid4().hex

    def __init__(self, log_path):
        self.port = find_free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.http = requests.Session()
        self.process = None

    def start(self):
        env = {**os.environ, "SANDBOX_BANK_ADDRESS": f"127.0.0.1:{self.port}", "SANDBOX_BANK_SECRET": self.SECRET,
               "SANDBOX_BANK_SETTLE_SECONDS": "0.2", "PYTHONPATH": ROOT}
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "sandbox_bank"], env=env, cwd=ROOT,
                                            stdout=log, stderr=subprocess.STDOUT)
        eventually(self.is_up, timeout=20)

    def is_up(self):
        try:
            return self.http.get(self.url + "/health", timeout=1).ok
        except requests.RequestException:
            return False

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.http.close()

    def payments_config(self, callback_url):
        return {"BANK_URL": self.url, "BANK_WEBHOOK_SECRET": self.SECRET, "BANK_CALLBACK_URL": callback_url,
                "BANK_TIMEOUT_SECONDS": 0.5, "BANK_RETRY_BASE_SECONDS": 0.1, "BANK_RETRY_CAP_SECONDS": 0.5,
                "BANK_STATUS_CHECK_SECONDS": 5, "PAYOUT_SENDER_INTERVAL": 0.1}

    def control(self, action, **options):
        self.http.post(self.url + "/control", json={"action": action, **options}, timeout=5).raise_for_status()

    def reset(self):
        self.http.post(self.url + "/control/reset", timeout=5).raise_for_status()

    def statement(self):
        return self.http.get(self.url + "/statement", timeout=10).json()["entries"]

    def log_text(self):
        with open(self.log_path) as log:
            return log.read()
