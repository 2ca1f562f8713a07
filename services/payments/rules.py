"""Payments' pure rules: card and IBAN checks, amounts, payout states, the ledger, reconciliation."""
import datetime as dt
import re
from collections import Counter, defaultdict

from common import programme

# Payout states
AWAITING_DETAILS = "awaiting_details"  # accepted, the student has not said where to be paid
READY = "ready"  # details known, waiting to be sent (now, or in the day's batch)
SENDING = "sending"  # claimed by a sender, the bank call is in flight
SENT = "sent"  # the bank accepted it; its final answer comes later
PAID = "paid"
FAILED = "failed"

CARD, IBAN = "card", "iban"

# Sending schedules
IMMEDIATE, DAILY = "immediate", "daily"

# Ledger accounts and the movements between them (from, to)
BUDGET = "programme_budget"
PAYABLE = "student_payable"
AT_BANK = "at_bank"
PAID_OUT = "paid_out"
ACCOUNTS = (BUDGET, PAYABLE, AT_BANK, PAID_OUT)
MOVEMENTS = {
    "accepted": (BUDGET, PAYABLE),  # the Operator accepted the report: the student is owed
    "sent": (PAYABLE, AT_BANK),  # the bank accepted the payout
    "paid": (AT_BANK, PAID_OUT),  # the bank paid it
    "returned": (AT_BANK, PAYABLE),  # the bank refused it: owed again
    "paid_late": (PAYABLE, PAID_OUT),  # the bank paid one we had given up on
}

# The first three characters of a KZ IBAN's account part name the bank (National Bank's codes).
KZ_BANK_CODES = {
    "125": "National Bank of Kazakhstan",
    "551": "Freedom Bank Kazakhstan",
    "563": "Kazpost",
    "601": "Halyk Bank",
    "722": "Kaspi Bank",
    "821": "Bank RBK",
    "826": "Bank CenterCredit",
    "832": "Citibank Kazakhstan",
    "849": "Nurbank",
    "886": "Home Credit Bank",
    "914": "Bereke Bank",
    "948": "Eurasian Bank",
    "965": "ForteBank",
    "998": "First Heartland Jusan Bank",
}

KZ_IBAN_LENGTH = 20
PAN_PATTERN = re.compile(r"^[0-9]{13,19}$")


def normalise_pan(raw):
    """The digits of a card number as typed (spaces and dashes allowed between groups)."""
    return re.sub(r"[ -]", "", raw or "")


def luhn_valid(digits):
    if not PAN_PATTERN.match(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_problem(raw):
    """Why a card number cannot be used, or None. Never echoes the number."""
    digits = normalise_pan(raw)
    if not PAN_PATTERN.match(digits):
        return "a card number has 13 to 19 digits"
    if not luhn_valid(digits):
        return "this is not a valid card number (check digit)"
    return None


def normalise_iban(raw):
    return re.sub(r"\s", "", raw or "").upper()


def iban_mod97_valid(iban):
    """ISO 13616: the first four characters moved to the end, letters as 10..35, mod 97 == 1."""
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+", iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def iban_problem(raw):
    """Why a KZ IBAN cannot be used, or None."""
    iban = normalise_iban(raw)
    if not iban.startswith("KZ"):
        return "a Kazakh IBAN starts with KZ"
    if len(iban) != KZ_IBAN_LENGTH or not re.fullmatch(r"KZ[0-9]{2}[0-9]{3}[A-Z0-9]{13}", iban):
        return "a Kazakh IBAN is KZ, two check digits, a three-digit bank code and 13 characters"
    if not iban_mod97_valid(iban):
        return "the IBAN's check digits do not match (mod 97)"
    if bank_of_iban(iban) is None:
        return "the IBAN's bank code is not a known Kazakh bank"
    return None


def bank_of_iban(iban):
    """(code, bank name) of a KZ IBAN, or None for an unknown code."""
    code = iban[4:7]
    return (code, KZ_BANK_CODES[code]) if code in KZ_BANK_CODES else None


def kz_iban(bank_code, account):
    """A KZ IBAN with its check digits computed: for seed data and tests."""
    bban = bank_code + account
    number = int("".join(str(int(char, 36)) for char in bban + "KZ00"))
    return f"KZ{98 - number % 97:02d}{bban}"


def mask_card(last4):
    return "•••• " + last4


def mask_iban(iban):
    return iban[:4] + "•" * (len(iban) - 8) + iban[-4:]


def payout_amount(voucher_kind):
    """The reward for a voucher, in whole tenge."""
    return programme.voucher(voucher_kind).reward_kzt


def payout_key(placement_id, voucher_kind):
    """The payout's identity, and the bank's idempotency key: one payout per placement, ever."""
    return f"{placement_id}/{voucher_kind}"


def bank_reference(key, round_):
    """The reference one sending round carries; the bank echoes it, so late answers to an
    earlier round are recognised."""
    return f"{key}#{round_}"


def round_of_reference(reference):
    try:
        return int(reference.rsplit("#", 1)[1])
    except (IndexError, ValueError, AttributeError):
        return None


def retry_delay(attempt, base_seconds, cap_seconds):
    """Exponential backoff after the `attempt`-th failed call (1-based), bounded by `cap_seconds`."""
    return min(cap_seconds, base_seconds * 2 ** (attempt - 1))


def batch_due(now_local, batch_at, sent_today):
    """Whether the day's batch should go now: past its time of day and not yet sent today."""
    return not sent_today and now_local.time() >= batch_at


def parse_time_of_day(text):
    """"HH:MM" as a time; an empty value as None."""
    if not text.strip():
        return None
    hours, minutes = text.strip().split(":")
    return dt.time(int(hours), int(minutes))


# Ledger


def posting(kind, amount):
    """The lines of one movement: (account, debit, credit), the source credited, the target debited."""
    if not isinstance(amount, int) or amount <= 0:
        raise ValueError("a ledger amount is a positive whole number of tenge")
    source, target = MOVEMENTS[kind]
    return [(source, 0, amount), (target, amount, 0)]


def is_balanced(lines):
    """Double entry: the debits equal the credits."""
    return sum(debit for _, debit, _ in lines) == sum(credit for _, _, credit in lines)


def balances(lines):
    """Each account's balance (debits minus credits)."""
    totals = defaultdict(int)
    for account, debit, credit in lines:
        totals[account] += debit - credit
    return {account: totals.get(account, 0) for account in ACCOUNTS}


# Reconciliation


def reconcile(ours, statement):
    """Every difference between our payouts and the bank's statement.

    `ours`: {key: (status, amount)} for payouts the bank has seen; `statement`: the bank's paid
    entries as (key, amount). Answers a list of {key, kind, ...} mismatches, empty when they agree."""
    mismatches = []
    counts = Counter(key for key, _ in statement)
    paid_at_bank = {key: amount for key, amount in statement}
    for key, times in sorted(counts.items()):
        if times > 1:
            mismatches.append({"key": key, "kind": "paid_twice_at_bank", "bank_amount": paid_at_bank[key]})
    for key, amount in sorted(paid_at_bank.items()):
        if key not in ours:
            mismatches.append({"key": key, "kind": "unknown_payout", "bank_amount": amount})
            continue
        status, our_amount = ours[key]
        if status != PAID:
            mismatches.append({"key": key, "kind": "paid_at_bank_only", "status": status,
                               "amount": our_amount, "bank_amount": amount})
        elif our_amount != amount:
            mismatches.append({"key": key, "kind": "amount_differs", "status": status,
                               "amount": our_amount, "bank_amount": amount})
    for key, (status, amount) in sorted(ours.items()):
        if status == PAID and key not in paid_at_bank:
            mismatches.append({"key": key, "kind": "missing_at_bank", "status": status, "amount": amount})
    return mismatches
