"""Payouts against the bank simulator: who sees what and details kept per payout (over the real broker,
through the gateway and its step-up), and one payout however often the report repeats itself (payments
on its own, its sender running)."""
import os

import eventlet
import pytest
from eventlet.event import Event
from sqlalchemy import func, select

from common.auth import COORDINATOR, MINISTRY
from common.contracts.timesheet import REPORT_ACCEPTED
from services.payments import domain, rules
from services.payments.models import Payout, PayoutDetailsChange, ProcessedEvent
from services.payments.service import PaymentsService
from tests.harness import eventually
from tests.interface import Interface
from tests.payments.support import (accept, accepted_report, events_of, give_details, give_iban, ledger_kinds,
                                    operator, payout_of, student, wait_for_status)

IBAN = rules.kz_iban("722", "S000012345678")
OTHER_IBAN = rules.kz_iban("601", "0000000004444")


def test_paid_to_an_account_and_seen_only_by_those_allowed(platform):
    answer = give_iban(platform, "st-1", IBAN)
    assert answer.status_code == 200, answer.text
    assert answer.json()["masked"] == rules.mask_iban(IBAN) and answer.json()["bic"] == "CASPKZKA"
    placement = accept(platform, "st-1")

    payout = wait_for_status(platform, placement, rules.PAID)
    assert payout.amount_kzt == 20_000 and payout.key == f"{placement}/h20"
    assert payout.destination["iban"] == IBAN and payout.destination["iin"] == "000101500011"
    assert ledger_kinds(platform, payout.id) == ["accepted", "sent", "paid"]
    eventually(lambda: events_of(platform, payout.id) == ["payout.sent", "payout.paid"])

    mine = platform.http.get("/api/v1/payouts", headers=student(platform, "st-1")).json()
    assert mine["total"] == 1 and mine["items"][0]["destination"]["masked"] == rules.mask_iban(IBAN)
    assert mine["items"][0]["status"] == "paid"
    other = student(platform, "st-2")
    assert platform.http.get("/api/v1/payouts", headers=other).json() == {"items": [], "total": 0}
    assert platform.http.get(f"/api/v1/payouts/{payout.id}", headers=other).status_code == 404
    assert platform.http.get(f"/api/v1/payouts/{payout.id}", headers=operator(platform)).json()["status"] == "paid"
    everyone = platform.http.get("/api/v1/payouts", params={"status": "paid"}, headers=operator(platform))
    assert everyone.json()["total"] == 1
    ministry = platform.auth(MINISTRY)
    assert platform.http.get("/api/v1/payouts", headers=ministry).status_code == 403
    totals = platform.http.get("/api/v1/payouts/totals", headers=ministry).json()
    assert totals == [{"region": "KZ-71", "payouts": 1, "amount_kzt": 20_000, "paid": 1, "paid_kzt": 20_000,
                       "failed": 0}]
    assert platform.http.get("/api/v1/payouts/totals", headers=other).status_code == 403
    assert platform.http.get("/api/v1/payouts", headers=platform.auth(COORDINATOR)).status_code == 403
    assert platform.http.get("/api/v1/payouts").status_code == 401
    ledger = platform.http.get("/api/v1/ledger", headers=operator(platform)).json()
    assert ledger["balanced"] and ledger["accounts"] == {"programme_budget": -20_000, "student_payable": 0,
                                                         "at_bank": 0, "paid_out": 20_000}
    assert IBAN not in answer.text + str(mine) + everyone.text


def test_a_payout_waits_for_details_and_keeps_those_it_was_sent_with(platform):
    placement = accept(platform, "st-3", voucher_kind="h50", region="KZ-75")
    payout = wait_for_status(platform, placement, rules.AWAITING_DETAILS)
    assert payout.amount_kzt == 50_000 and ledger_kinds(platform, payout.id) == ["accepted"]
    assert platform.http.get("/api/v1/me/payout-details", headers=student(platform, "st-3")).status_code == 404

    bad = [give_iban(platform, "st-3", IBAN[:-1] + ("0" if IBAN[-1] != "0" else "1")),
           give_details(platform, "st-3", {"iban": IBAN, "holder_name": "A S"})]
    assert [r.status_code for r in bad] == [400] * 2
    assert "mod 97" in bad[0].json()["error"]["fields"]["iban"][0]
    assert "iin" in bad[1].json()["error"]["fields"]
    assert give_iban(platform, "st-3", IBAN).status_code == 200, "refused after the bad attempts"
    assert platform.http.put("/api/v1/me/payout-details", headers=operator(platform),
                             json={"iban": IBAN, "iin": "000101500011", "holder_name": "X Y"}).status_code == 403

    paid = wait_for_status(platform, placement, rules.PAID)
    assert paid.destination["iban"] == IBAN and paid.destination["bank_name"] == "Kaspi Bank"
    assert give_iban(platform, "st-3", OTHER_IBAN).status_code == 200
    assert payout_of(platform, placement).destination["iban"] == IBAN
    details = platform.http.get("/api/v1/me/payout-details", headers=student(platform, "st-3")).json()
    assert details["masked"] == rules.mask_iban(OTHER_IBAN) and details["version"] == 2
    assert details["bank_name"] == "Halyk Bank" and details["bic"] == "HSBKKZKX"
    with platform.session("payments") as session:
        audit = session.scalars(select(PayoutDetailsChange.masked).order_by(PayoutDetailsChange.version)).all()
    assert audit == [rules.mask_iban(IBAN), rules.mask_iban(OTHER_IBAN)]


def test_one_payout_however_often_the_report_repeats_itself(service):
    assert give_iban(service, "st-6", IBAN).status_code == 200
    report = accepted_report("st-6")
    first = service.publish(REPORT_ACCEPTED, report)
    for _ in range(2):
        service.publish(REPORT_ACCEPTED, report, event_id=first["event_id"])
    service.publish(REPORT_ACCEPTED, report)  # the same acceptance under another event id

    def both_events_seen():
        with service.session("payments") as session:
            return session.scalar(select(func.count()).select_from(ProcessedEvent)) == 2

    eventually(both_events_seen)
    paid = wait_for_status(service, report["placement_id"], rules.PAID)
    assert len(service.bank.payments()) == 1
    with service.session("payments") as session:
        assert session.scalar(select(func.count()).select_from(Payout)) == 1
    assert ledger_kinds(service, paid.id) == ["accepted", "sent", "paid"]
    assert events_of(service, paid.id).count("payout.paid") == 1
    assert payout_of(service, report["placement_id"]).status == rules.PAID


@pytest.mark.skipif(not os.environ.get("TEST_POSTGRES_URL"),
                    reason="two transactions at once need PostgreSQL: set TEST_POSTGRES_URL")
def test_details_saved_while_the_payout_is_made_reach_it(service, monkeypatch):
    """The student saves details just as the accepted report's payout is made: the payout has read
    that there are none and is not committed yet. It still goes to the bank with them, rather than
    wait for details that came."""
    report, made = accepted_report("st-9"), Event()

    def earn_then_pause(cls, *args):
        payout = earn(*args)
        made.send()
        eventlet.sleep(0.5)  # the student's save runs now, or waits its turn
        return payout

    earn = domain.Payout.earn
    monkeypatch.setattr(domain.Payout, "earn", classmethod(earn_then_pause))
    consumer = eventlet.spawn(service.publish, REPORT_ACCEPTED, report)
    made.wait()
    student_side = Interface(PaymentsService, service.engine.url.render_as_string(hide_password=False),
                             **service.dependencies)  # a worker of its own, on a connection of its own
    try:
        assert give_iban(student_side, "st-9", IBAN).status_code == 200
    finally:
        student_side.close()
    consumer.wait()
    assert wait_for_status(service, report["placement_id"], rules.PAID).destination["iban"] == IBAN
