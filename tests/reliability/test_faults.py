"""Nothing lost, nothing doubled while the platform breaks under load.

160 students (`FAULT_TEST_STUDENTS`; it runs the same with 1,000) go through the whole path (bench/season's
driver, over HTTP) against the platform run as OS processes, two copies of each
service competing for the same queues, on a RabbitMQ of the test's own. While the Operator accepts
their reports, in turn: both payments processes are SIGKILLed (their supervisors start them again),
then both credits processes, then both timesheet processes right after a review is committed, then
the broker is stopped and started again. The same run is repeated, with half the students, on a
3-node cluster with quorum queues, where one node is stopped for good. Payouts go to the bank
simulator (mock-bank) as pain.001 files, so payments is killed while it writes and sends them. At the
end: one payout and one credit request per accepted report, every payout paid once at the bank (no
file booked twice), the ledger balanced and reconciled with the bank's statement, no event left in
any outbox, nothing dead-lettered.
"""
import os
import sys
import threading
import time

import pytest
import requests
from nameko.testing.utils import find_free_port
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.season.driver import Season
from common.auth import OPERATOR, issue_token
from common.db import make_engine
from common.programme import VOUCHERS
from ops import dead_letters
from services.credits.models import OutboxEvent as CreditsOutbox
from services.credits.models import RecountRequest
from services.payments.models import LedgerEntry, Payout
from services.payments.models import OutboxEvent as PaymentsOutbox
from services.placement.models import OutboxEvent as PlacementOutbox
from services.registry.models import OutboxEvent as RegistryOutbox
from services.timesheet.models import OutboxEvent as TimesheetOutbox
from services.timesheet.models import Report
from tests.harness import PROCESS_SETTINGS, SIGNING_KEY, eventually, seed_settled
from tests.processes import SERVICES, BrokerNode, ServiceProcesses
from tests.registry.pki import session_config

# Enough that every fault lands mid-review with work queued on both sides of it; more only adds minutes.
STUDENTS = int(os.environ.get("FAULT_TEST_STUDENTS", 160))
COPIES = 2
CLIENTS = int(os.environ.get("FAULT_TEST_CLIENTS", 24))
OUTBOXES = {"registry": RegistryOutbox, "placement": PlacementOutbox, "timesheet": TimesheetOutbox,
            "payments": PaymentsOutbox, "credits": CreditsOutbox}


class Faults:
    """Breaks the platform at given points of the Operator's review, one fault at a time, in a
    thread of its own so the review goes on meanwhile."""

    def __init__(self, processes, bus):
        self.processes = processes
        self.bus = bus
        self.log = []
        self.threads = []

    def kill(self, service):
        """Both copies at once; their supervisors start them again, as in production."""
        for copy in range(COPIES):
            self.processes.kill(service, copy)
        self.log.append(f"{service}: {COPIES} processes killed (SIGKILL)")

    def break_broker(self):
        self.bus.fault(self.log)

    def at(self, action, *args):
        thread = threading.Thread(target=action, args=args)
        thread.start()
        self.threads.append(thread)

    def wait(self):
        for thread in self.threads:
            thread.join()


class SeasonUnderFaults(Season):
    """The season's driver, patient with a platform that is being broken: a call that meets a stopped
    service or broker (no answer, 502-504) is tried again, and an action that took effect before its
    answer was lost (so its retry meets 409) counts as done. The final check proves nothing was
    done twice."""

    UNAVAILABLE = (None, 502, 503, 504)

    def __init__(self, *args, faults, **kwargs):
        super().__init__(*args, **kwargs)
        self.faults = faults
        self.reviews = 0
        self.reviews_lock = threading.Lock()

    def call(self, method, path, expect=(200, 201), eventual=(), headers=None, **kwargs):
        return super().call(method, path, expect=expect, eventual=tuple(eventual) + self.UNAVAILABLE,
                            headers=headers, **kwargs)

    def accept_unflagged(self, _):
        """Every report is reviewed one by one here, so the faults land at known points of the review."""

    def review(self, student):
        self.call("POST", f"/api/v1/reports/{student.report_id}/review", headers=self.operator,
                  json={"decision": "accept"}, expect=(200, 409))
        with self.reviews_lock:
            self.reviews += 1
            done = self.reviews
        if done == self.count // 8:
            self.faults.at(self.faults.kill, "payments")
        elif done == 3 * self.count // 8:
            self.faults.at(self.faults.kill, "credits")
        elif done == 5 * self.count // 8:  # this review is committed: its answer came back
            self.faults.at(self.faults.kill, "timesheet")
        elif done == 7 * self.count // 8:
            self.faults.at(self.faults.break_broker)


@pytest.fixture
def fault_databases(database_factory):
    urls = {service: database_factory.create(service) for service in SERVICES}
    engines = {service: make_engine(url) for service, url in urls.items()}
    yield urls, lambda service: Session(engines[service])
    for engine in engines.values():
        engine.dispose()
    for url in urls.values():
        database_factory.drop(url)


def run_platform(amqp_uri, fault_databases, bank, log_dir):
    urls, session = fault_databases
    gateway_port = find_free_port()
    bank = bank.payments_config()
    pki = session_config()
    settings = {**PROCESS_SETTINGS, "RPC_TIMEOUT_SECONDS": 5, "LOGIN_RATE_PER_MINUTE": 100_000,
                "LOGIN_RATE_BURST": 100_000, **bank,
                **{key: ",".join(paths) for key, paths in pki.items()}}  # comma-separated, as in config.yml
    processes = ServiceProcesses(amqp_uri, urls, log_dir, gateway_port=gateway_port,
                                 extra_env={key: str(value) for key, value in settings.items()})
    processes.start_all(copies=COPIES)
    seed_settled(session)
    return processes, f"http://127.0.0.1:{gateway_port}"


def drive_season(base_url, processes, bus):
    faults = Faults(processes, bus)
    season = SeasonUnderFaults(base_url, SIGNING_KEY, students=bus.students, clients=CLIENTS, progress=sys.stderr,
                               seed=11, timeout=90, faults=faults)
    report = season.run()
    faults.wait()
    print(report.text())
    print("faults:", "; ".join(faults.log))
    return report, faults


def assert_paid_once_and_reconciled(base_url, bank, students):
    """Each payout booked once at the bank, whatever files were sent again; the day's statement
    reconciles with the ledger."""
    booked = [payment["end_to_end_id"] for payment in bank.payments() if payment["booked_at"]]
    bank.advance(1)
    operator = {"Authorization": "Bearer " + issue_token(SIGNING_KEY, "operator-faults", (OPERATOR,), {})}
    eventually(lambda: requests.get(f"{base_url}/api/v1/bank", headers=operator, timeout=10).json()["statements"],
               timeout=60)
    run = requests.post(f"{base_url}/api/v1/reconciliations", headers=operator, timeout=30).json()
    print(f"bank: {len(booked)} payments booked; reconciliation clean {run['clean']}, "
          f"bank paid {run['bank_paid_kzt']} KZT, ledger paid {run['ledger_paid_kzt']} KZT")
    assert len(booked) == len(set(booked)) == students
    assert run["clean"], run["mismatches"][:10]
    assert run["bank_paid_kzt"] == run["ledger_paid_kzt"]


def assert_nothing_lost_or_doubled(session, amqp_uri, students):
    with session("timesheet") as timesheet:
        accepted = timesheet.scalar(select(func.count()).select_from(Report).where(Report.status == "accepted"))
    with session("payments") as payments:
        payouts = payments.execute(select(Payout.placement_id, Payout.amount_kzt, Payout.status)).all()
        debits, credits = payments.execute(select(func.sum(LedgerEntry.debit), func.sum(LedgerEntry.credit))).one()
    with session("credits") as credits_db:
        requests = credits_db.scalars(select(RecountRequest.placement_id)).all()

    def outboxes_drained():
        backlog = {}
        for service, model in OUTBOXES.items():
            with session(service) as db:
                backlog[service] = db.scalar(select(func.count()).select_from(model).where(model.sent_at.is_(None)))
        return backlog if not any(backlog.values()) else False

    backlog = eventually(outboxes_drained, timeout=30)
    dead = dead_letters.listed(amqp_uri)
    print(f"accepted reports {accepted}; payouts {len(payouts)} "
          f"({sum(1 for p in payouts if p.status == 'paid')} paid); credit requests {len(requests)}; "
          f"ledger debits {debits} credits {credits}; unsent events {sum(backlog.values())}; dead letters {len(dead)}")
    assert accepted == students
    assert len(payouts) == len({p.placement_id for p in payouts}) == accepted
    assert all(p.status == "paid" for p in payouts)
    assert {p.amount_kzt for p in payouts} <= {voucher.reward_kzt for voucher in VOUCHERS.values()}
    assert len(requests) == len(set(requests)) == accepted
    assert debits == credits
    assert dead == []


class SingleNode:
    """One broker node; its fault is a stop and a start of the broker."""

    students = STUDENTS

    def __init__(self):
        self.node = BrokerNode("faults")
        self.amqp_uri = self.node.amqp_uri

    def start(self):
        self.node.start()

    def fault(self, log):
        self.node.stop_app()
        log.append(f"broker {self.node.node} stopped")
        time.sleep(2)
        self.node.start_app()

    def shutdown(self):
        self.node.shutdown()


class ThreeNodeCluster:
    """Three clustered nodes; the services' vhost makes every queue a quorum queue (as ops/bus.py does
    in production). The services connect to the first node; the fault stops the third for good."""

    VHOST = "voucher"
    students = STUDENTS // 2  # the point here is quorum queues losing a node, not volume

    def __init__(self):
        self.nodes = [BrokerNode(f"faults{index}") for index in range(3)]
        self.amqp_uri = self.nodes[0].amqp_uri + self.VHOST

    def start(self):
        for node in self.nodes:
            node.start()
        BrokerNode.cluster(self.nodes)
        self.nodes[0].ctl("add_vhost", self.VHOST, "--default-queue-type", "quorum")
        self.nodes[0].ctl("set_permissions", "-p", self.VHOST, "guest", ".*", ".*", ".*")

    def fault(self, log):
        self.nodes[2].stop_app()
        log.append(f"cluster node {self.nodes[2].node} stopped")

    def shutdown(self):
        for node in self.nodes:
            node.shutdown()


@pytest.mark.parametrize("bus_kind", [SingleNode, ThreeNodeCluster], ids=["single node", "3-node cluster"])
def test_students_through_crashes_and_a_broker_fault(bus_kind, tmp_path, fault_databases, bank):
    bank.reset()
    bus = bus_kind()
    processes = None
    try:
        bus.start()
        processes, base_url = run_platform(bus.amqp_uri, fault_databases, bank, str(tmp_path))
        report, faults = drive_season(base_url, processes, bus)
        assert len(faults.log) == 4
        assert report.ok, report.problems[:10]
        assert_nothing_lost_or_doubled(fault_databases[1], bus.amqp_uri, bus.students)
        assert_paid_once_and_reconciled(base_url, bank, bus.students)
    finally:
        if processes is not None:
            processes.stop_all()
        bus.shutdown()
