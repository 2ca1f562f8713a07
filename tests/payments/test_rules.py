"""Payments' pure rules: IBANs and banks, amounts, backoff, reason codes, the ledger and statements."""
import datetime as dt
from decimal import Decimal

import pytest

from common.contracts.payments import PayoutStatus
from common.errors import Conflict, RuleViolation, ValidationFailed
from services.payments import rules

REGISTRY_EXAMPLE_IBAN = "KZ86125KZT5004100100"  # the SWIFT IBAN registry's example for Kazakhstan


def test_kz_iban_checks():
    assert rules.check_iban(REGISTRY_EXAMPLE_IBAN) == REGISTRY_EXAMPLE_IBAN
    assert rules.bank_of_iban(REGISTRY_EXAMPLE_IBAN) == ("125", "National Bank of Kazakhstan", "NBRKKZKX")
    kaspi = rules.kz_iban("722", "S000012345678")
    assert rules.check_iban(kaspi.lower()) == kaspi
    assert rules.check_iban(" ".join([kaspi[i:i + 4] for i in range(0, 20, 4)])) == kaspi
    assert rules.bank_of_iban(kaspi)[1:] == ("Kaspi Bank", "CASPKZKA")


@pytest.mark.parametrize("iban, problem", [
    ("KZ87125KZT5004100100", "check digits"),
    ("DE89370400440532013000", "starts with KZ"),
    ("KZ86125KZT500410010", "13 characters"),
    ("KZ86ABCKZT5004100100", "13 characters"),
    (rules.kz_iban("000", "KZT5004100100"), "not a known Kazakh bank"),
])
def test_bad_ibans_are_named(iban, problem):
    with pytest.raises(ValidationFailed) as refused:
        rules.check_iban(iban)
    assert problem in refused.value.fields["iban"][0]


def test_masks_show_only_the_ends():
    masked = rules.mask_iban(REGISTRY_EXAMPLE_IBAN)
    assert masked.startswith("KZ86") and masked.endswith("0100") and "5004" not in masked


def test_amounts_and_keys_come_from_the_programme():
    assert rules.payout_amount("h20") == 20_000 and rules.payout_amount("h50") == 50_000
    assert isinstance(rules.payout_amount("h50"), int)
    payout_id = "0" * 32
    assert len(rules.end_to_end_id(payout_id, 12)) <= 35
    assert rules.parse_end_to_end_id(rules.end_to_end_id(payout_id, 3)) == (payout_id, 3)
    assert rules.parse_end_to_end_id("garbage") is None and rules.parse_end_to_end_id(None) is None
    assert len(rules.file_id(dt.datetime(2026, 9, 1, 10, 0), "a" * 32)) <= 35


def test_backoff_grows_and_is_bounded():
    assert [rules.retry_delay(n, 1, 10) for n in range(1, 6)] == [1, 2, 4, 8, 10]


def test_the_day_batch_is_due_once_after_its_time():
    ten = dt.time(10, 0)
    assert not rules.batch_due(dt.datetime(2026, 9, 1, 9, 59), ten, sent_today=False)
    assert rules.batch_due(dt.datetime(2026, 9, 1, 10, 0), ten, sent_today=False)
    assert not rules.batch_due(dt.datetime(2026, 9, 1, 15, 0), ten, sent_today=True)


def test_postings_balance_and_move_money_along():
    lines = []
    for kind in ("accepted", "sent", "returned", "sent", "paid"):
        posting = rules.posting(kind, 20_000)
        assert rules.is_balanced(posting)
        lines += posting
    assert rules.is_balanced(lines)
    assert rules.balances(lines) == {rules.BUDGET: -20_000, rules.PAYABLE: 0, rules.AT_BANK: 0,
                                     rules.PAID_OUT: 20_000}
    assert not rules.is_balanced([(rules.PAYABLE, 5, 0)])
    with pytest.raises(ValueError):
        rules.posting("paid", 0)
    with pytest.raises(ValueError):
        rules.posting("paid", 10.5)


def test_reason_codes_say_who_acts_and_how():
    assert "enter another IBAN" in rules.reason_text("AC04") and rules.student_must_act("AC04")
    assert rules.student_must_act("AC01") and not rules.student_must_act("AM04")
    assert "ZZ99" in rules.reason_text("ZZ99", "odd") and not rules.student_must_act("ZZ99")


def statement(entries, opening=1_000_000, closing=None):
    moved = sum(amount if direction == "CRDT" else -amount for _, amount, direction in entries)
    return {"day": dt.date(2026, 10, 1), "opening": Decimal(opening),
            "closing": Decimal(opening + moved if closing is None else closing),
            "entries": [{"end_to_end_id": e2e, "amount": Decimal(amount), "direction": direction}
                        for e2e, amount, direction in entries]}


def test_a_statement_is_checked_entry_by_entry_and_by_its_balances():
    day = dt.date(2026, 10, 1)
    payouts = {"aR1": ("a", rules.PAID, 20_000, day, None), "bR1": ("b", rules.PAID, 50_000, day, None),
               "cR1": ("c", rules.SENT, 20_000, None, None), "dR1": ("d", rules.PAID, 20_000, day, None),
               "eR1": ("e", rules.RETURNED, 20_000, dt.date(2026, 9, 28), day)}
    entries = [("aR1", 20_000, "DBIT"), ("bR1", 20_000, "DBIT"), ("cR1", 20_000, "DBIT"), ("xR1", 5, "DBIT"),
               ("eR1", 20_000, "CRDT")]
    kinds = {(m["key"], m["kind"]) for m in rules.statement_problems(statement(entries), payouts)}
    assert kinds == {("b", "amount_differs"), ("c", "not_paid_here"), ("xR1", "unknown_entry"),
                     ("d", "missing_from_statement")}
    gap = rules.statement_problems(statement([("aR1", 20_000, "DBIT")], closing=960_000), payouts)
    assert {"key": "*", "kind": "statement_gap", "amount": -40_000, "bank_amount": -20_000} in gap
    assert rules.statement_problems(statement([("aR1", 20_000, "DBIT")]), {"aR1": payouts["aR1"]}) == []


def test_the_api_documents_every_accepted_bank_code():
    from common.contracts.payments import IBAN_RULES
    assert all(f"{code} {name}" in IBAN_RULES for code, (name, _) in rules.KZ_BANKS.items())


def test_a_payout_moves_only_along_its_table_and_is_retried_only_when_it_may_be():
    PayoutStatus.check_transition(rules.SENT, rules.PAID, "payout")
    PayoutStatus.check_transition(rules.FAILED, rules.PAID, "payout")  # the bank paid one given up on
    for current, new in ((rules.PAID, rules.SENDING), (rules.AWAITING_DETAILS, rules.SENT),
                         (rules.RETURNED, rules.PAID)):
        with pytest.raises(RuleViolation):
            PayoutStatus.check_transition(current, new, "payout")
    rules.check_retryable(rules.FAILED, student_must_act_first=False, details_changed=False)
    rules.check_retryable(rules.RETURNED, student_must_act_first=True, details_changed=True)
    with pytest.raises(Conflict, match="only a failed or returned payout"):
        rules.check_retryable(rules.PAID, student_must_act_first=False, details_changed=True)
    with pytest.raises(Conflict, match="not given new payout details"):
        rules.check_retryable(rules.FAILED, student_must_act_first=True, details_changed=False)
