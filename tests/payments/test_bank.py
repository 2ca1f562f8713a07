"""Payouts through payments on its own, its sender running, against the bank simulator (mock-bank):
pain.001 files out; pain.002, camt.054, camt.053 and pacs.004 back; every case issue 24 lists, and the
Operator's retry of a payout whose first file went unanswered (issue 19, defect 3)."""
from sqlalchemy import func, select

from services.payments import rules
from services.payments.models import BankFile, BankMessage, Payout
from tests.harness import eventually
from tests.payments.support import (accept, give_details, give_iban, ledger_kinds, operator, payout_of, student,
                                    wait_for_status)

IBAN = rules.kz_iban("722", "S000012345678")
CLOSED_IBAN = rules.kz_iban("601", "0000000000777")


def files(service):
    with service.session("payments") as session:
        return session.scalars(select(BankFile).order_by(BankFile.created_at)).all()


def reconcile(service):
    answer = service.http.post("/api/v1/reconciliations", headers=operator(service))
    assert answer.status_code == 201, answer.text
    return answer.json()


def bank_view(service):
    answer = service.http.get("/api/v1/bank", headers=operator(service))
    assert answer.status_code == 200, answer.text
    return answer.json()


def statement_day_passes(service):
    """The bank's day ends: its statement comes, and the service has read it."""
    before = len(bank_view(service)["statements"])
    service.bank.advance(1)
    eventually(lambda: len(bank_view(service)["statements"]) > before)
    return bank_view(service)["statements"][0]


def test_paid_in_a_valid_file_settled_and_reconciled_with_the_statement(service):
    assert give_iban(service, "st-1", IBAN).status_code == 200
    placement = accept(service, "st-1")

    paid = wait_for_status(service, placement, rules.PAID)
    assert paid.bank_status == "ACCP" and paid.booked_on is not None
    assert paid.end_to_end_id == rules.end_to_end_id(paid.id, 1)
    assert ledger_kinds(service, paid.id) == ["accepted", "sent", "paid"]
    [bank_file] = files(service)
    assert bank_file.status == "received" and bank_file.problems == [] and bank_file.group_status == "ACCP"
    assert service.bank.validate(bank_file.document.encode()) == (
        200, f"pain.001.001.09 {bank_file.id}: 1 batch, 1 payment, 0 findings\n")
    at_bank = service.bank.call("GET", f"/_mock/payments/{paid.end_to_end_id}")
    assert at_bank["amount"] == 20_000_00 and at_bank["currency"] == "KZT"

    statement = statement_day_passes(service)
    assert statement["clean"] and [entry["end_to_end_id"] for entry in statement["entries"]] == [paid.end_to_end_id]
    run = reconcile(service)
    assert run["clean"] and run["bank_paid_kzt"] == run["ledger_paid_kzt"] == 20_000
    mine = service.http.get("/api/v1/payouts", headers=student(service, "st-1")).json()["items"]
    assert [(item["status"], item["student_must_act"]) for item in mine] == [("paid", False)]


def test_closed_account_rejected_then_the_student_corrects_the_iban_and_is_paid_once(service):
    service.bank.add_account("CLOSED", CLOSED_IBAN, behaviour="closed-account")
    assert give_iban(service, "st-2", CLOSED_IBAN).status_code == 200
    placement = accept(service, "st-2")

    failed = wait_for_status(service, placement, rules.FAILED)
    assert failed.reason_code == "AC04" and "the account is closed: enter another IBAN" in failed.reason
    assert ledger_kinds(service, failed.id) == ["accepted", "sent", "returned"]
    shown = service.http.get(f"/api/v1/payouts/{failed.id}", headers=student(service, "st-2")).json()
    assert shown["student_must_act"] and shown["reason_code"] == "AC04"
    early = service.http.post(f"/api/v1/payouts/{failed.id}/retry", headers=operator(service))
    assert early.status_code == 409 and "new payout details" in early.text

    assert give_iban(service, "st-2", IBAN).status_code == 200
    assert service.http.post(f"/api/v1/payouts/{failed.id}/retry", headers=operator(service)).status_code == 200
    paid = wait_for_status(service, placement, rules.PAID)
    assert paid.round == 2 and paid.destination["iban"] == IBAN
    assert ledger_kinds(service, paid.id) == ["accepted", "sent", "returned", "sent", "paid"]
    assert service.http.post(f"/api/v1/payouts/{paid.id}/retry", headers=operator(service)).status_code == 409
    statement_day_passes(service)
    run = reconcile(service)
    assert run["clean"] and run["bank_paid_kzt"] == 20_000


def test_a_wrong_iban_never_reaches_the_bank(service):
    """AC01 is the bank's word for an IBAN whose check digits fail: the service refuses it first."""
    wrong = IBAN[:-1] + ("0" if IBAN[-1] != "0" else "1")
    answers = [give_iban(service, "st-3", wrong), give_iban(service, "st-3", "DE89370400440532013000"),
               give_iban(service, "st-3", IBAN, iin="000101500012"),
               give_details(service, "st-3", {"card_number": "4111111111111111", "iban": IBAN,
                                               "iin": "000101500011", "holder_name": "A S"})]
    assert [answer.status_code for answer in answers] == [400] * 4
    assert "mod 97" in answers[0].json()["error"]["fields"]["iban"][0]
    assert "check digit" in answers[2].json()["error"]["fields"]["iin"][0]
    assert "IBAN of your card's account" in answers[3].json()["error"]["fields"]["card_number"][0]
    assert files(service) == []


def test_a_file_sent_again_is_recognised_and_nothing_is_paid_twice(service):
    assert give_iban(service, "st-4", IBAN).status_code == 200
    paid = wait_for_status(service, accept(service, "st-4"), rules.PAID)
    [bank_file] = files(service)
    with service.session("payments") as session, session.begin():  # as after a crash before the answer
        session.get(BankFile, bank_file.id).status = "sending"
    eventually(lambda: files(service)[0].status == "received" and files(service)[0].attempts == 2)
    eventually(lambda: bank_view(service) and _messages(service, "pain.002") == 2)
    assert len(service.bank.payments()) == 1
    assert ledger_kinds(service, paid.id) == ["accepted", "sent", "paid"]
    statement_day_passes(service)
    assert reconcile(service)["clean"]


def _messages(service, kind):
    with service.session("payments") as session:
        return session.scalar(select(func.count()).select_from(BankMessage).where(BankMessage.type == kind))


def test_a_silent_bank_is_shown_to_the_operator_and_nothing_is_guessed(service):
    service.bank.behave("OPERATOR", "silent")
    service.bank.call("POST", "/_mock/advance?days=0")
    assert give_iban(service, "st-5", IBAN).status_code == 200
    placement = accept(service, "st-5")
    eventually(lambda: files(service) and files(service)[0].status == "received")
    view = eventually(lambda: (lambda v: v if v["silent_files"] else None)(bank_view(service)), timeout=5)
    assert view["silent_files"] == [files(service)[0].id]
    sent = payout_of(service, placement)
    assert sent.bank_status is None and sent.status in (rules.SENT, rules.PAID)
    # The debit notice may still come (the bank books silently); the status report never does.


def test_a_statement_with_a_hole_is_flagged(service):
    service.bank.behave("OPERATOR", "statement-gap")
    assert give_iban(service, "st-6", IBAN).status_code == 200
    paid = wait_for_status(service, accept(service, "st-6"), rules.PAID)
    statement = statement_day_passes(service)
    assert not statement["clean"]
    kinds = {problem["kind"]: problem for problem in statement["problems"]}
    assert kinds["statement_gap"]["amount"] == -20_000 and kinds["statement_gap"]["bank_amount"] == 0
    assert kinds["missing_from_statement"]["key"] == paid.key
    assert not reconcile(service)["clean"]


def test_returned_three_business_days_later_reversed_and_paid_again_once(service):
    service.bank.behave("OPERATOR", "return-later", days=3, reason="AC04")
    assert give_iban(service, "st-7", IBAN).status_code == 200
    placement = accept(service, "st-7")
    paid = wait_for_status(service, placement, rules.PAID)
    service.bank.behave("OPERATOR", "accept")
    service.bank.advance(7)

    returned = wait_for_status(service, placement, rules.RETURNED)
    assert returned.reason_code == "AC04" and returned.returned_on is not None
    assert ledger_kinds(service, paid.id) == ["accepted", "sent", "paid", "reversed"]
    ledger = service.http.get("/api/v1/ledger", headers=operator(service)).json()
    assert ledger["accounts"]["paid_out"] == 0 and ledger["accounts"]["student_payable"] == 20_000
    assert service.http.get(f"/api/v1/payouts/{paid.id}", headers=student(service, "st-7")).json()[
        "student_must_act"]
    assert service.http.post(f"/api/v1/payouts/{paid.id}/retry", headers=operator(service)).status_code == 409

    assert give_iban(service, "st-7", rules.kz_iban("601", "0000000000123")).status_code == 200
    assert service.http.post(f"/api/v1/payouts/{paid.id}/retry", headers=operator(service)).status_code == 200
    again = wait_for_status(service, placement, rules.PAID)
    assert again.round == 2
    assert service.http.post(f"/api/v1/payouts/{paid.id}/retry", headers=operator(service)).status_code == 409
    assert ledger_kinds(service, paid.id) == ["accepted", "sent", "paid", "reversed", "sent", "paid"]
    statement_day_passes(service)
    run = reconcile(service)
    assert run["clean"], run["mismatches"]
    assert run["bank_paid_kzt"] == run["ledger_paid_kzt"] == 20_000
    with service.session("payments") as session:
        assert session.scalar(select(func.count()).select_from(Payout)) == 1
