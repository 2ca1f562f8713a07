"""The platform as OS processes for the benchmarks: each service started with `nameko run` as
`./platform start` does (tests/processes.py), on fresh PostgreSQL databases on the private cluster
(127.0.0.1:55432), a fresh vhost of the local RabbitMQ (so its queue depths are the run's own, and
other users of the broker are not disturbed) and a bank simulator of its own. Registry trusts the test
PKI (tests/registry/pki.py); the gateway trusts one proxy in X-Forwarded-For, as behind the edge."""
import os
import subprocess
import sys
import uuid

import requests
from nameko.testing.utils import find_free_port
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from common.auth import SigningKey
from common.migrations import upgrade
from ops.bank_simulator import start_clock as bank_start_clock
from services.registry.repository import seed_reference_data
from tests.processes import ROOT, SERVICES, ServiceProcesses, wait_until
from tests.registry.pki import session_pki

POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:55432/postgres"
MANAGEMENT_URL = "http://127.0.0.1:15672"
BROKER = ("guest", "guest", "127.0.0.1:5672")
BUSIEST = ("registry", "placement", "timesheet")  # by the season's profile: see bench/README.md


class OwnPlatform:
    """The platform as OS processes on fresh databases, a fresh vhost and a bank simulator of its own."""

    def __init__(self, log_dir, copies=1, postgres_url=POSTGRES_URL, management_url=MANAGEMENT_URL):
        self.copies = copies
        self.postgres = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        self.postgres_url = postgres_url
        self.management_url = management_url
        self.log_dir = log_dir
        self.tag = "season_" + uuid.uuid4().hex[:8]
        self.vhost = self.tag
        self.signing_key = SigningKey.generate()
        self.gateway_port = find_free_port()
        self.bank = None
        self.processes = None
        self.database_urls = {}

    @property
    def base_urls(self):
        return [f"http://127.0.0.1:{self.gateway_port + copy}" for copy in range(self.copies)]

    def start(self):
        self.create_vhost()
        self.create_databases()
        bank_port = find_free_port()
        self.start_bank(bank_port)
        user, password, address = BROKER
        pki = session_pki()
        self.processes = ServiceProcesses(
            f"pyamqp://{user}:{password}@{address}/{self.vhost}", self.database_urls, self.log_dir,
            gateway_port=self.gateway_port, extra_env={
                **self.signing_key.settings(), "DEPLOYMENT": "local",
                "LOGIN_RATE_TRUSTED_PROXIES": "1",  # the driver is the edge: see driver.client_address
                # Ten days of attendance are logged within minutes, so every report would trip the two
                # timing flags (hours back-filled, many entries in a minute), as in a region whose sites
                # type paper timesheets in: such a region raises the other three.
                "REVIEW_RISK_FLAGS": "corrected_after_dispute,same_surname,minimum_time_site",
                "EDS_TRUST_STORE": pki.trust_store_path, "EDS_CRL_FILE": pki.crl_path,
                "BANK_URL": f"http://127.0.0.1:{bank_port}"})
        for service in SERVICES:
            for copy in range(self.copies if service in BUSIEST else 1):
                self.processes.start(service, copy)
        for copy in range(self.copies):
            self.processes.start("gateway", copy)
        for url in self.base_urls:
            wait_until(lambda: healthy(url), 90, f"the gateway at {url}")

    def pids(self):
        pids = {f"{service}-{copy}": self.processes.service_pids(service, copy)[0]
                for service, copy in self.processes.processes}
        return {**pids, "bank simulator": self.bank.pid, "load generator (this process)": os.getpid()}

    def create_vhost(self):
        user, password, _ = BROKER
        url = f"{self.management_url}/api/vhosts/{self.vhost}"
        requests.put(url, auth=(user, password), timeout=10).raise_for_status()
        requests.put(f"{self.management_url}/api/permissions/{self.vhost}/{user}", auth=(user, password),
                     json={"configure": ".*", "write": ".*", "read": ".*"}, timeout=10).raise_for_status()

    def create_databases(self):
        for service in SERVICES:
            name = f"{self.tag}_{service}"
            self.execute(f'CREATE DATABASE "{name}"')
            self.database_urls[service] = self.postgres_url.rsplit("/", 1)[0] + "/" + name
            upgrade(service, self.database_urls[service])
        engine = create_engine(self.database_urls["registry"])
        with Session(engine) as session, session.begin():
            seed_reference_data(session)
        engine.dispose()

    def start_bank(self, port):
        env = {**os.environ, "BANK_SIMULATOR_ADDRESS": f"127.0.0.1:{port}", "PYTHONPATH": ROOT,
               "BANK_SIMULATOR_DB": os.path.join(self.log_dir, "bank.db"),
               "BANK_SIMULATOR_CLOCK": bank_start_clock()}  # before the cutoff, so payouts settle today
        log = open(os.path.join(self.log_dir, "bank_simulator.log"), "w")
        self.bank = subprocess.Popen([sys.executable, "-m", "ops.bank_simulator"], env=env, cwd=ROOT, stdout=log,
                                     stderr=subprocess.STDOUT)
        wait_until(lambda: healthy(f"http://127.0.0.1:{port}", "/_mock/accounts/OPERATOR"), 30, "the bank simulator")

    def stop(self):
        if self.processes:
            self.processes.stop_all()
        if self.bank:
            self.bank.terminate()
            self.bank.wait(timeout=10)
        for url in self.database_urls.values():
            self.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        self.postgres.dispose()
        user, password, _ = BROKER
        requests.delete(f"{self.management_url}/api/vhosts/{self.vhost}", auth=(user, password), timeout=10)

    def execute(self, sql):
        with self.postgres.connect() as connection:
            connection.execute(text(sql))


def healthy(base_url, path="/api/v1/health"):
    try:
        return requests.get(base_url + path, timeout=3).ok
    except requests.RequestException:
        return False
