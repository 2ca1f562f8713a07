"""Payouts over the real broker and the sandbox bank, through the gateway."""
import logging

from sqlalchemy import func, select

from common.auth import COORDINATOR, MINISTRY
from common.contracts.timesheet import REPORT_ACCEPTED
from services.payments import rules
from services.payments.models import Payout, PayoutChange, PayoutDetailsChange, ProcessedEvent
from tests.harness import eventually
from tests.payments.support import (accept, accepted_report, assert_no_card_number, events_of, give_card,
                                    give_iban, ledger_kinds, operator, payout_of, student, wait_for_status)

CARD = "4111111111111111"
OTHER_CARD = "5555555555554444"
IBAN = rules.kz_iban("722", "S000012345678")


def test_paid_to_a_card_and_seen_only_by_those_allowed(platform, caplog):
    caplog.set_level(logging.DEBUG)
    answer = give_card(platform, "st-1", CARD)
    assert answer.status_code == 200, answer.text
    assert answer.json()["masked"] == "•••• 1111" and answer.json()["method"] == "card"
    placement = accept(platform, "st-1")

    payout = wait_for_status(platform, placement, rules.PAID)
    assert payout.amount_kzt == 20_000 and payout.key == f"{placement}/h20"
    assert payout.destination["card_last4"] == "1111" and payout.destination["card_token"].startswith("tok_")
    assert ledger_kinds(platform, payout.id) == ["accepted", "sent", "paid"]
    eventually(lambda: events_of(platform, payout.id) == ["payout.sent", "payout.paid"])

    mine = platform.http.get("/api/v1/payouts", headers=student(platform, "st-1")).json()
    assert mine["total"] == 1 and mine["items"][0]["destination"]["masked"] == "•••• 1111"
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
    assert CARD not in answer.text + str(mine) + str(everyone.text)
    assert_no_card_number(platform, caplog, [CARD])


def test_a_payout_waits_for_details_and_keeps_those_it_was_sent_with(platform):
    placement = accept(platform, "st-3", voucher_kind="h50", region="KZ-75")
    payout = wait_for_status(platform, placement, rules.AWAITING_DETAILS)
    assert payout.amount_kzt == 50_000 and ledger_kinds(platform, payout.id) == ["accepted"]
    assert platform.http.get("/api/v1/me/payout-details", headers=student(platform, "st-3")).status_code == 404

    bad = [give_card(platform, "st-3", "4111111111111112"), give_card(platform, "st-3", "1234"),
           give_iban(platform, "st-3", IBAN[:-1] + ("0" if IBAN[-1] != "0" else "1")),
           give_iban(platform, "st-3", "DE89370400440532013000"),
           platform.http.put("/api/v1/me/payout-details", headers=student(platform, "st-3"),
                             json={"method": "card", "holder_name": "A S"})]
    assert [r.status_code for r in bad] == [400] * 5
    assert "check digit" in bad[0].json()["error"]["fields"]["card_number"][0]
    assert "mod 97" in bad[2].json()["error"]["fields"]["iban"][0]
    assert "4111111111111112" not in bad[0].text
    assert give_iban(platform, "st-3", IBAN).status_code == 200, "refused after the bad attempts"
    assert platform.http.put("/api/v1/me/payout-details", headers=operator(platform),
                             json={"method": "iban", "iban": IBAN, "holder_name": "X Y"}).status_code == 403

    paid = wait_for_status(platform, placement, rules.PAID)
    assert paid.destination["iban"] == IBAN and paid.destination["bank_name"] == "Kaspi Bank"
    assert give_card(platform, "st-3", OTHER_CARD).status_code == 200
    assert payout_of(platform, placement).destination["iban"] == IBAN
    details = platform.http.get("/api/v1/me/payout-details", headers=student(platform, "st-3")).json()
    assert details["masked"] == "•••• 4444" and details["version"] == 2
    with platform.session("payments") as session:
        audit = session.scalars(select(PayoutDetailsChange.masked).order_by(PayoutDetailsChange.version)).all()
    assert audit == [rules.mask_iban(IBAN), "•••• 4444"]


def test_a_refused_payout_is_retried_by_the_operator_after_new_details(platform, caplog):
    caplog.set_level(logging.DEBUG)
    platform.bank.control("fail", account="1111", times=None, reason="card blocked by the issuer")
    assert give_card(platform, "st-4", CARD).status_code == 200
    placement = accept(platform, "st-4")

    failed = wait_for_status(platform, placement, rules.FAILED)
    assert failed.reason == "card blocked by the issuer"
    assert ledger_kinds(platform, failed.id) == ["accepted", "sent", "returned"]
    eventually(lambda: events_of(platform, failed.id) == ["payout.sent", "payout.failed"])
    assert platform.http.post(f"/api/v1/payouts/{failed.id}/retry",
                              headers=student(platform, "st-4")).status_code == 403

    assert give_card(platform, "st-4", OTHER_CARD).status_code == 200
    retried = platform.http.post(f"/api/v1/payouts/{failed.id}/retry", headers=operator(platform))
    assert retried.status_code == 200, retried.text
    paid = wait_for_status(platform, placement, rules.PAID)
    assert paid.round == 2 and paid.destination["card_last4"] == "4444"
    assert ledger_kinds(platform, paid.id) == ["accepted", "sent", "returned", "sent", "paid"]
    again = platform.http.post(f"/api/v1/payouts/{failed.id}/retry", headers=operator(platform))
    assert again.status_code == 409
    assert [entry["key"] for entry in platform.bank.statement()] == [paid.key]

    run = platform.http.post("/api/v1/reconciliations", headers=operator(platform)).json()
    assert run["clean"] and run["mismatches"] == [] and run["bank_paid_kzt"] == run["ledger_paid_kzt"] == 20_000
    assert_no_card_number(platform, caplog, [CARD, OTHER_CARD])


def test_bank_timeouts_and_errors_are_retried_without_paying_twice(platform):
    platform.bank.control("error", times=1)
    platform.bank.control("timeout", times=1, delay=1.0, process=False)
    platform.bank.control("timeout", times=1, delay=1.0)
    assert give_iban(platform, "st-5", IBAN).status_code == 200
    placement = accept(platform, "st-5")
    paid = wait_for_status(platform, placement, rules.PAID)
    # 503; no answer; accepted but answered too late: then a replay, or the bank's notification first
    assert paid.attempts >= 3
    assert [entry["key"] for entry in platform.bank.statement()] == [paid.key]
    assert ledger_kinds(platform, paid.id) == ["accepted", "sent", "paid"]
    with platform.session("payments") as session:
        notes = session.scalars(select(PayoutChange.note).where(PayoutChange.payout_id == paid.id)).all()
    assert any("503" in (note or "") for note in notes) and any("Timeout" in (note or "") for note in notes)

    platform.bank.control("error", times=None)
    other = accept(platform, "st-5", voucher_kind="h50")
    gave_up = wait_for_status(platform, other, rules.FAILED)
    assert gave_up.attempts == 5 and "did not answer after 5 attempts" in gave_up.reason
    assert ledger_kinds(platform, gave_up.id) == ["accepted"]
    platform.bank.reset()
    assert platform.http.post(f"/api/v1/payouts/{gave_up.id}/retry", headers=operator(platform)).status_code == 200
    wait_for_status(platform, other, rules.PAID)


def test_one_payout_however_often_the_report_or_the_bank_repeats_itself(platform):
    platform.bank.control("duplicate", times=None)
    assert give_iban(platform, "st-6", IBAN).status_code == 200
    report = accepted_report("st-6")
    first = platform.publish(REPORT_ACCEPTED, report)
    for _ in range(2):
        platform.publish(REPORT_ACCEPTED, report, event_id=first["event_id"])
    platform.publish(REPORT_ACCEPTED, report)  # the same acceptance under another event id

    def both_events_seen():
        with platform.session("payments") as session:
            return session.scalar(select(func.count()).select_from(ProcessedEvent)) == 2

    eventually(both_events_seen)
    paid = wait_for_status(platform, report["placement_id"], rules.PAID)

    def notified_twice():
        return platform.http.post("/api/v1/bank/notifications", json={"results": [{
            "key": paid.key, "reference": rules.bank_reference(paid.key, 1), "status": "failed",
            "bank_ref": paid.bank_ref, "amount": 20_000, "reason": "forged"}]}).status_code == 401

    assert notified_twice(), "an unsigned notification is refused"
    with platform.session("payments") as session:
        assert session.scalar(select(func.count()).select_from(Payout)) == 1
    assert ledger_kinds(platform, paid.id) == ["accepted", "sent", "paid"]
    assert events_of(platform, paid.id).count("payout.paid") == 1
    assert payout_of(platform, report["placement_id"]).status == rules.PAID
