"""Helpers for the payments tests: accepted reports, payout details, waiting, the ledger, and the
bank's answers. Each takes the `platform` or payments on its own (the `service` fixture)."""
import uuid

from kombu import Connection, Producer
from kombu.utils import json as wire
from nameko.standalone.events import get_event_exchange
from sqlalchemy import select

from common.auth import OPERATOR, STUDENT
from common.contracts.timesheet import REPORT_ACCEPTED
from common.errors import DomainError
from services.payments.models import LedgerEntry, OutboxEvent, Payout
from tests.harness import eventually
from tests.interface import Answer, Interface


def accepted_report(student_id, voucher_kind="h20", region="KZ-71", placement_id=None):
    return {
        "report_id": uuid.uuid4().hex, "placement_id": placement_id or uuid.uuid4().hex,
        "student_id": student_id, "student_name": "Aigerim Sapargali", "university_id": "u-enu",
        "region": region, "organisation_id": "org-1", "organisation_name": "Care home No. 3",
        "site_id": "site-1", "site_name": "Care home No. 3, Astana", "direction": "elderly_care",
        "voucher_kind": voucher_kind, "hours": "20" if voucher_kind == "h20" else "50",
        "accepted_at": "2026-09-30T10:00:00+00:00", "accepted_by": "operator-1",
    }


def accept(platform, student_id, **kwargs):
    """Publish report.accepted as timesheet would; answers the placement id."""
    report = accepted_report(student_id, **kwargs)
    platform.publish(REPORT_ACCEPTED, report)
    return report["placement_id"]


def publish_many(platform, event_type, items):
    """Publish many events on one connection, as `platform.publish` does one (for volume tests)."""
    if isinstance(platform, Interface):
        for data in items:
            platform.publish(event_type, data)
        return
    exchange = get_event_exchange(event_type.source, {})
    with Connection(platform.amqp_uri) as connection:
        producer = Producer(connection, exchange=exchange, serializer="json")
        producer.declare()
        for data in items:
            event_id = uuid.uuid4().hex
            envelope = {"event_id": event_id, "event_type": event_type.name,
                        "occurred_at": "2026-01-01T00:00:00+00:00", "request_id": None,
                        "data": event_type.dump(data)}
            producer.publish(envelope, routing_key=event_type.name, delivery_mode=2, message_id=event_id)


def student(platform, student_id):
    return platform.auth(STUDENT, user_id=student_id, name="Aigerim Sapargali", region="KZ-71")


def operator(platform):
    return platform.auth(OPERATOR, user_id="operator-1")


STUDENT_IIN = "000101500011"  # a valid IIN (check digit), born 1 January 2000


def give_details(platform, student_id, details):
    """PUT the student's payout details, confirmed as by their EDS signature (a step-up). Payments on
    its own answers without the gateway's step-up check (tests/security/test_step_up.py has it)."""
    if isinstance(platform, Interface):
        try:
            return Answer(200, wire.loads(wire.dumps(platform.call(student(platform, student_id),
                                                                   "set_payout_details", details))))
        except DomainError as exc:
            return Answer(exc.status, exc.to_body())
    return platform.http.put("/api/v1/me/payout-details", json=details,
                             headers={**student(platform, student_id), **platform.step_up(student_id, details)})


def give_iban(platform, student_id, iban, iin=STUDENT_IIN):
    return give_details(platform, student_id, {"iban": iban, "iin": iin, "holder_name": "Aigerim Sapargali"})


def payout_of(platform, placement_id):
    with platform.session("payments") as session:
        return session.scalar(select(Payout).where(Payout.placement_id == placement_id))


def wait_for_status(platform, placement_id, status, timeout=15):
    def reached():
        payout = payout_of(platform, placement_id)
        return payout if payout is not None and payout.status == status else None

    return eventually(reached, timeout=timeout)


def ledger_kinds(platform, payout_id):
    """The ledger's movements for a payout, in order, one per transaction."""
    with platform.session("payments") as session:
        rows = session.execute(select(LedgerEntry.transaction_id, LedgerEntry.kind)
                               .where(LedgerEntry.payout_id == payout_id)
                               .order_by(LedgerEntry.created_at, LedgerEntry.transaction_id)).all()
    kinds = []
    for transaction_id, kind in rows:
        if (transaction_id, kind) not in kinds:
            kinds.append((transaction_id, kind))
    return [kind for _, kind in kinds]


def events_of(platform, payout_id):
    with platform.session("payments") as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at)).all()
    return [row.event_type for row in rows if row.envelope["data"]["payout_id"] == payout_id]
