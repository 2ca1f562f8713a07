"""Payouts through the platform against the bank simulator (mock-bank): pain.001 files out; pain.002,
camt.054, camt.053 and pacs.004 back; every case issue 24 lists, and the Operator's retry of a payout
whose first file went unanswered (issue 19, defect 3)."""
from sqlalchemy import func, select

from services.payments import rules
from services.payments.models import BankFile, BankMessage, Payout
from tests.harness import eventually
from tests.payments.support import (accept, give_details, give_iban, ledger_kinds, operator, payout_of, student,
                                    wait_for_status)

IBAN = rules.kz_iban("722", "S000012345678")
CLOSED_IBAN = rules.kz_iban("601", "0000000000777")


def files(platform):
    with platform.session("payments") as session:
        return session.scalars(select(BankFile).order_by(BankFile.created_at)).all()


def reconcile(platform):
    answer = platform.http.post("/api/v1/reconciliations", headers=operator(platform))
    assert answer.status_code == 201, answer.text
    return answer.json()


def bank_view(platform):
    answer = platform.http.get("/api/v1/bank", headers=operator(platform))
    assert answer.status_code == 200, answer.text
    return answer.json()


def statement_day_passes(platform):
    """The bank's day ends: its statement comes, and the platform has read it."""
    before = len(bank_view(platform)["statements"])
    platform.bank.advance(1)
    eventually(lambda: len(bank_view(platform)["statements"]) > before)
    return bank_view(platform)["statements"][0]


def test_paid_in_a_valid_file_settled_and_reconciled_with_the_statement(platform):
    assert give_iban(platform, "st-1", IBAN).status_code == 200
    placement = accept(platform, "st-1")

    paid = wait_for_status(platform, placement, rules.PAID)
    assert paid.bank_status == "ACCP" and paid.booked_on is not None
    assert paid.end_to_end_id == rules.end_to_end_id(paid.id, 1)
    assert ledger_kinds(platform, paid.id) == ["accepted", "sent", "paid"]
    [bank_file] = files(platform)
    assert bank_file.status == "received" and bank_file.problems == [] and bank_file.group_status == "ACCP"
    assert platform.bank.validate(bank_file.document.encode()) == (
        200, f"pain.001.001.09 {bank_file.id}: 1 batch, 1 payment, 0 findings\n")
    at_bank = platform.bank.call("GET", f"/_mock/payments/{paid.end_to_end_id}")
    assert at_bank["amount"] == 20_000_00 and at_bank["currency"] == "KZT"

    statement = statement_day_passes(platform)
    assert statement["clean"] and [entry["end_to_end_id"] for entry in statement["entries"]] == [paid.end_to_end_id]
    run = reconcile(platform)
    assert run["clean"] and run["bank_paid_kzt"] == run["ledger_paid_kzt"] == 20_000
    mine = platform.http.get("/api/v1/payouts", headers=student(platform, "st-1")).json()["items"]
    assert [(item["status"], item["student_must_act"]) for item in mine] == [("paid", False)]


def test_closed_account_rejected_then_the_student_corrects_the_iban_and_is_paid_once(platform):
    platform.bank.add_account("CLOSED", CLOSED_IBAN, behaviour="closed-account")
    assert give_iban(platform, "st-2", CLOSED_IBAN).status_code == 200
    placement = accept(platform, "st-2")

    failed = wait_for_status(platform, placement, rules.FAILED)
    assert failed.reason_code == "AC04" and "the account is closed: enter another IBAN" in failed.reason
    assert ledger_kinds(platform, failed.id) == ["accepted", "sent", "returned"]
    shown = platform.http.get(f"/api/v1/payouts/{failed.id}", headers=student(platform, "st-2")).json()
    assert shown["student_must_act"] and shown["reason_code"] == "AC04"
    early = platform.http.post(f"/api/v1/payouts/{failed.id}/retry", headers=operator(platform))
    assert early.status_code == 409 and "new payout details" in early.text

    assert give_iban(platform, "st-2", IBAN).status_code == 200
    assert platform.http.post(f"/api/v1/payouts/{failed.id}/retry", headers=operator(platform)).status_code == 200
    paid = wait_for_status(platform, placement, rules.PAID)
    assert paid.round == 2 and paid.destination["iban"] == IBAN
    assert ledger_kinds(platform, paid.id) == ["accepted", "sent", "returned", "sent", "paid"]
    assert platform.http.post(f"/api/v1/payouts/{paid.id}/retry", headers=operator(platform)).status_code == 409
    statement_day_passes(platform)
    run = reconcile(platform)
    assert run["clean"] and run["bank_paid_kzt"] == 20_000


def test_a_wrong_iban_never_reaches_the_bank(platform):
    """AC01 is the bank's word for an IBAN whose check digits fail: the platform refuses it first."""
    wrong = IBAN[:-1] + ("0" if IBAN[-1] != "0" else "1")
    answers = [give_iban(platform, "st-3", wrong), give_iban(platform, "st-3", "DE89370400440532013000"),
               give_iban(platform, "st-3", IBAN, iin="000101500012"),
               give_details(platform, "st-3", {"card_number": "4111111111111111", "iban": IBAN,
                                               "iin": "000101500011", "holder_name": "A S"})]
    assert [answer.status_code for answer in answers] == [400] * 4
    assert "mod 97" in answers[0].json()["error"]["fields"]["iban"][0]
    assert "check digit" in answers[2].json()["error"]["fields"]["iin"][0]
    assert "IBAN of your card's account" in answers[3].json()["error"]["fields"]["card_number"][0]
    assert files(platform) == []


def test_a_file_sent_again_is_recognised_and_nothing_is_paid_twice(platform):
    assert give_iban(platform, "st-4", IBAN).status_code == 200
    paid = wait_for_status(platform, accept(platform, "st-4"), rules.PAID)
    [bank_file] = files(platform)
    with platform.session("payments") as session, session.begin():  # as after a crash before the answer
        session.get(BankFile, bank_file.id).status = "sending"
    eventually(lambda: files(platform)[0].status == "received" and files(platform)[0].attempts == 2)
    eventually(lambda: bank_view(platform) and _messages(platform, "pain.002") == 2)
    assert len(platform.bank.payments()) == 1
    assert ledger_kinds(platform, paid.id) == ["accepted", "sent", "paid"]
    statement_day_passes(platform)
    assert reconcile(platform)["clean"]


def _messages(platform, kind):
    with platform.session("payments") as session:
        return session.scalar(select(func.count()).select_from(BankMessage).where(BankMessage.type == kind))


def test_a_silent_bank_is_shown_to_the_operator_and_nothing_is_guessed(platform):
    platform.bank.behave("OPERATOR", "silent")
    platform.bank.call("POST", "/_mock/advance?days=0")
    assert give_iban(platform, "st-5", IBAN).status_code == 200
    placement = accept(platform, "st-5")
    eventually(lambda: files(platform) and files(platform)[0].status == "received")
    view = eventually(lambda: (lambda v: v if v["silent_files"] else None)(bank_view(platform)), timeout=5)
    assert view["silent_files"] == [files(platform)[0].id]
    sent = payout_of(platform, placement)
    assert sent.bank_status is None and sent.status in (rules.SENT, rules.PAID)
    # The debit notice may still come (the bank books silently); the status report never does.


def test_a_statement_with_a_hole_is_flagged(platform):
    platform.bank.behave("OPERATOR", "statement-gap")
    assert give_iban(platform, "st-6", IBAN).status_code == 200
    paid = wait_for_status(platform, accept(platform, "st-6"), rules.PAID)
    statement = statement_day_passes(platform)
    assert not statement["clean"]
    kinds = {problem["kind"]: problem for problem in statement["problems"]}
    assert kinds["statement_gap"]["amount"] == -20_000 and kinds["statement_gap"]["bank_amount"] == 0
    assert kinds["missing_from_statement"]["key"] == paid.key
    assert not reconcile(platform)["clean"]


def test_returned_three_business_days_later_reversed_and_paid_again_once(platform):
    platform.bank.behave("OPERATOR", "return-later", days=3, reason="AC04")
    assert give_iban(platform, "st-7", IBAN).status_code == 200
    placement = accept(platform, "st-7")
    paid = wait_for_status(platform, placement, rules.PAID)
    platform.bank.behave("OPERATOR", "accept")
    platform.bank.advance(7)

    returned = wait_for_status(platform, placement, rules.RETURNED)
    assert returned.reason_code == "AC04" and returned.returned_on is not None
    assert ledger_kinds(platform, paid.id) == ["accepted", "sent", "paid", "reversed"]
    ledger = platform.http.get("/api/v1/ledger", headers=operator(platform)).json()
    assert ledger["accounts"]["paid_out"] == 0 and ledger["accounts"]["student_payable"] == 20_000
    assert platform.http.get(f"/api/v1/payouts/{paid.id}", headers=student(platform, "st-7")).json()[
        "student_must_act"]
    assert platform.http.post(f"/api/v1/payouts/{paid.id}/retry", headers=operator(platform)).status_code == 409

    assert give_iban(platform, "st-7", rules.kz_iban("601", "0000000000123")).status_code == 200
    assert platform.http.post(f"/api/v1/payouts/{paid.id}/retry", headers=operator(platform)).status_code == 200
    again = wait_for_status(platform, placement, rules.PAID)
    assert again.round == 2
    assert platform.http.post(f"/api/v1/payouts/{paid.id}/retry", headers=operator(platform)).status_code == 409
    assert ledger_kinds(platform, paid.id) == ["accepted", "sent", "paid", "reversed", "sent", "paid"]
    statement_day_passes(platform)
    run = reconcile(platform)
    assert run["clean"], run["mismatches"]
    assert run["bank_paid_kzt"] == run["ledger_paid_kzt"] == 20_000
    with platform.session("payments") as session:
        assert session.scalar(select(func.count()).select_from(Payout)) == 1
