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
from zoneinfo import ZoneInfo

import eventlet
import requests
from nameko.constants import WEB_SERVER_CONFIG_KEY
from nameko.standalone.events import event_dispatcher
from nameko.testing.utils import find_free_port
from sqlalchemy import select
from sqlalchemy.orm import Session

from common.auth import REGISTRAR, STEP_UP_HEADER, SigningKey, issue_step_up, issue_token
from common.contracts.payments import PayoutDetailsIn
from common.contracts.registry import UNIVERSITY_ADDED
from common.db import make_engine
from common.errors import ValidationFailed
from common.validation import load
from gateway.service import GatewayService
from ops.bank_simulator import start_clock as bank_start_clock
from services.coverage.service import CoverageService
from services.credits.models import ProcessedEvent as CreditsProcessed
from services.credits.service import CreditsService
from services.notifications.service import NotificationsService
from services.payments.service import PaymentsService
from services.placement.models import Enrolment
from services.placement.service import PlacementService
from services.registry.models import OutboxEvent as RegistryOutbox
from services.registry.repository import seed_reference_data
from services.registry.service import RegistryService
from services.timesheet.service import TimesheetService
from tests.consumers import enrolment_changed
from tests.registry.pki import session_config

ALMATY = ZoneInfo("Asia/Almaty")
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
            config.update(self.bank.payments_config())
        config.update(self.overrides.get(service, {}))
        return config

    def start(self, *services):
        pool = eventlet.GreenPool()
        for service in services or SERVICES + ("gateway",):
            cls = GatewayService if service == "gateway" else SERVICE_CLASSES[service]
            self.containers[service] = self.container_factory(cls, self.config(service))
            pool.spawn(self.containers[service].start)  # each waits on the broker and its database; at once
        pool.waitall()
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
        try:
            details = load(PayoutDetailsIn, details)  # as the gateway reads them
        except ValidationFailed:
            pass  # the gateway refuses them before it looks for a step-up
        return {STEP_UP_HEADER: issue_step_up(SIGNING_KEY, user_id, "payout-details", details)}

    def confirm_enrolment(self, student_id, university_id):
        """The registrar of a registered student's university confirms their enrolment through the API,
        as a real one would; returns once placement knows (the student may apply)."""
        registrar = self.auth(REGISTRAR, university_id=university_id, name="Registrar")
        answer = self.http.post(f"/api/v1/students/{student_id}/enrolment", json={"decision": "confirm"},
                                headers=registrar)
        assert answer.status_code == 200, answer.text
        self.wait_for_enrolment(student_id, "confirmed")

    def enrol(self, student_id, university_id, status="confirmed", reason=None, version=1):
        """Registry's word on the enrolment of a student who exists only in a minted token (registry has
        no row for the registrar to confirm), published as registry would; returns once placement knows."""
        self.publish(*enrolment_changed(student_id, university_id, status, reason, version))
        self.wait_for_enrolment(student_id, status)

    def wait_for_enrolment(self, student_id, status):
        def known():
            with self.session("placement") as session:
                enrolment = session.get(Enrolment, student_id)
                return enrolment is not None and enrolment.status == status
        eventually(known)

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


class MockBankProcess:
    """The bank simulator `mock-bank` (PyPI; nobody here wrote it) as its own process, once per run.

    `reset()` gives each test a new bank with the Operator's account in tenge; `advance(days)` moves
    bank time (releasing settlements, statements and returns); `behave(account, behaviour)` makes an
    account misbehave; `add_account(...)` opens a student's account there (e.g. a closed one)."""

    OPERATOR = "OPERATOR"
    OPERATOR_IBAN = "KZ85125KZT0000000001"

    def __init__(self, log_path, port=None):
        self.port = port or find_free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.http = requests.Session()
        self.process = None

    def start(self):
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mockbank", "--port", str(self.port), "--timezone", "Asia/Almaty",
                 "--clock", bank_start_clock(), "--quiet"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        eventually(self.is_up, timeout=20)

    def is_up(self):
        try:
            return self.http.get(self.url + "/_mock/health", timeout=1).ok
        except requests.RequestException:
            return False

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.http.close()

    def payments_config(self):
        return {"BANK_URL": self.url, "BANK_DEBTOR_IBAN": self.OPERATOR_IBAN, "BANK_TIMEOUT_SECONDS": 2,
                "BANK_RETRY_BASE_SECONDS": 0.1, "BANK_RETRY_CAP_SECONDS": 0.5, "PAYOUT_SENDER_INTERVAL": 0.1,
                "BANK_SILENCE_SECONDS": 1}

    def reset(self):
        self.call("POST", "/_mock/reset")
        self.add_account(self.OPERATOR, self.OPERATOR_IBAN, balance=10 ** 13)

    def add_account(self, account, iban, behaviour="accept", balance=0, **parameters):
        return self.call("POST", "/_mock/accounts", json={
            "id": account, "iban": iban, "name": account, "currency": "KZT", "balance": balance,
            "behaviour": behaviour, "parameters": parameters})

    def behave(self, account, behaviour, **parameters):
        return self.call("PATCH", f"/_mock/accounts/{account}", json={"behaviour": behaviour, "parameters": parameters})

    def advance(self, days=1):
        return self.call("POST", f"/_mock/advance?days={days}")

    def validate(self, document):
        """The simulator's own findings about a payout file: (HTTP status, text)."""
        response = self.http.post(self.url + "/_mock/validate", data=document, timeout=10)
        return response.status_code, response.text

    def payments(self):
        return self.call("GET", "/_mock/payments")

    def call(self, method, path, **kwargs):
        response = self.http.request(method, self.url + path, timeout=10, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()
