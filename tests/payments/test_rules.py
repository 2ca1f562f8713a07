"""Payments' pure rules: cards, IBANs, amounts, backoff, the ledger and reconciliation."""
import datetime as dt

import pytest

from services.payments import rules

VISA_TEST_PAN = "4111111111111111"
REGISTRY_EXAMPLE_IBAN = "KZ86125KZT5004100100"  # the SWIFT IBAN registry's example for Kazakhstan


@pytest.mark.parametrize("pan", [VISA_TEST_PAN, "4111 1111 1111 1111", "5500-0000-0000-0004", "4222222222222"])
def test_luhn_valid_card_numbers_pass(pan):
    assert rules.card_problem(pan) is None


@pytest.mark.parametrize("pan, problem", [
    ("4111111111111112", "check digit"),
    ("411111111111", "13 to 19 digits"),
    ("41111111111111111111", "13 to 19 digits"),
    ("4111x11111111111", "13 to 19 digits"),
    ("", "13 to 19 digits"),
])
def test_bad_card_numbers_are_named_without_echoing_them(pan, problem):
    message = rules.card_problem(pan)
    assert problem in message
    assert rules.normalise_pan(pan) not in message or not pan


def test_kz_iban_checks():
    assert rules.iban_problem(REGISTRY_EXAMPLE_IBAN) is None
    assert rules.bank_of_iban(REGISTRY_EXAMPLE_IBAN) == ("125", "National Bank of Kazakhstan")
    kaspi = rules.kz_iban("722", "S000012345678")
    assert rules.iban_problem(kaspi.lower()) is None
    assert rules.iban_problem(" ".join([kaspi[i:i + 4] for i in range(0, 20, 4)])) is None
    assert rules.bank_of_iban(kaspi)[1] == "Kaspi Bank"


@pytest.mark.parametrize("iban, problem", [
    ("KZ87125KZT5004100100", "check digits"),
    ("DE89370400440532013000", "starts with KZ"),
    ("KZ86125KZT500410010", "13 characters"),
    ("KZ86ABCKZT5004100100", "13 characters"),
    (rules.kz_iban("000", "KZT5004100100"), "not a known Kazakh bank"),
])
def test_bad_ibans_are_named(iban, problem):
    assert problem in rules.iban_problem(iban)


def test_masks_show_only_the_ends():
    assert rules.mask_card("1111") == "•••• 1111"
    masked = rules.mask_iban(REGISTRY_EXAMPLE_IBAN)
    assert masked.startswith("KZ86") and masked.endswith("0100") and "5004" not in masked


def test_amounts_and_keys_come_from_the_programme():
    assert rules.payout_amount("h20") == 20_000 and rules.payout_amount("h50") == 50_000
    assert isinstance(rules.payout_amount("h50"), int)
    key = rules.payout_key("p1", "h20")
    assert rules.round_of_reference(rules.bank_reference(key, 3)) == 3
    assert rules.round_of_reference("garbage") is None


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


def test_reconciliation_names_every_mismatch():
    ours = {"a": (rules.PAID, 20_000), "b": (rules.PAID, 50_000), "c": (rules.SENT, 20_000),
            "d": (rules.PAID, 20_000), "e": (rules.PAID, 20_000)}
    statement = [("a", 20_000), ("b", 20_000), ("c", 20_000), ("x", 50_000), ("e", 20_000), ("e", 20_000)]
    kinds = {(m["key"], m["kind"]) for m in rules.reconcile(ours, statement)}
    assert kinds == {("b", "amount_differs"), ("c", "paid_at_bank_only"), ("x", "unknown_payout"),
                     ("d", "missing_at_bank"), ("e", "paid_twice_at_bank")}
    assert rules.reconcile({"a": (rules.PAID, 1)}, [("a", 1)]) == []


def test_the_api_documents_every_accepted_bank_code():
    from common.contracts.payments import IBAN_RULES
    assert all(f"{code} {name}" in IBAN_RULES for code, name in rules.KZ_BANK_CODES.items())
