"""Payments' pure rules: IBAN checks and banks, amounts, payout states, the bank's reason codes,
the ledger, and reconciliation with the bank's statements.

One convention for failure: a check (`check_*`) raises the platform's error (`ValidationFailed` 400
for bad details, `Conflict` 409 for a payout that cannot be retried), naming the field."""
import datetime as dt
import re
from collections import defaultdict

from common import programme
from common.contracts.payments import PayoutStatus
from common.errors import Conflict, ValidationFailed
from common.iin import iin_problem

# Payout states (common/contracts/payments.py declares them and their transitions)
AWAITING_DETAILS, READY, SENDING, SENT, PAID, FAILED, RETURNED = PayoutStatus

IBAN = "iban"

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
    "reversed": (PAID_OUT, PAYABLE),  # paid, then returned by the student's bank: owed again
}

# The three digits after a KZ IBAN's check digits name the bank: the National Bank's bank codes and
# the banks' BICs (its directory of banks, "Справочник банков", under the instruction of 27 October
# 2020 No. 128 on bank identification codes).
KZ_BANKS = {
    "125": ("National Bank of Kazakhstan", "NBRKKZKX"),
    "551": ("Freedom Bank Kazakhstan", "KSNVKZKA"),
    "563": ("Kazpost", "KPSTKZKA"),
    "601": ("Halyk Bank", "HSBKKZKX"),
    "722": ("Kaspi Bank", "CASPKZKA"),
    "821": ("Bank RBK", "KINCKZKA"),
    "826": ("Bank CenterCredit", "KCJBKZKX"),
    "832": ("Citibank Kazakhstan", "CITIKZKA"),
    "849": ("Nurbank", "NURSKZKX"),
    "886": ("Home Credit Bank", "INLMKZKA"),
    "914": ("Bereke Bank", "BRKEKZKA"),
    "948": ("Eurasian Bank", "EURIKZKA"),
    "965": ("ForteBank", "IRTYKZKA"),
    "998": ("First Heartland Jusan Bank", "TSESKZKA"),
}

KZ_IBAN_LENGTH = 20

def normalise_iban(raw):
    return re.sub(r"\s", "", raw or "").upper()


def iban_mod97_valid(iban):
    """ISO 13616: the first four characters moved to the end, letters as 10..35, mod 97 == 1."""
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+", iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def check_iban(raw):
    """A KZ IBAN the bank can pay to, normalised; `ValidationFailed` on `iban` says why not."""
    iban = normalise_iban(raw)
    if not iban.startswith("KZ"):
        problem = "a Kazakh IBAN starts with KZ"
    elif len(iban) != KZ_IBAN_LENGTH or not re.fullmatch(r"KZ[0-9]{2}[0-9]{3}[A-Z0-9]{13}", iban):
        problem = "a Kazakh IBAN is KZ, two check digits, a three-digit bank code and 13 characters"
    elif not iban_mod97_valid(iban):
        problem = "the IBAN's check digits do not match (mod 97)"
    elif bank_of_iban(iban) is None:
        problem = "the IBAN's bank code is not a known Kazakh bank"
    else:
        return iban
    raise ValidationFailed("the IBAN is not valid", {"iban": [problem]})


def checked_details(data):
    """The payout details to store from what the student gave (`PayoutDetailsIn`): a checked KZ IBAN
    with its bank and BIC, the holder's name and IIN; `ValidationFailed` naming the field otherwise."""
    if data.get("card_number"):
        raise ValidationFailed("a card number cannot receive a bank transfer", {"card_number": [
            "give the IBAN of your card's account instead (KZ…, shown in your bank's app)"]})
    iban = check_iban(data["iban"])
    problem = iin_problem(data["iin"])
    if problem:
        raise ValidationFailed("the IIN is not valid", {"iin": [problem]})
    code, bank_name, bic = bank_of_iban(iban)
    return {"method": IBAN, "iban": iban, "bank_code": code, "bank_name": bank_name, "bic": bic,
            "iin": data["iin"], "holder_name": data["holder_name"]}


def bank_of_iban(iban):
    """(code, bank name, BIC) of a KZ IBAN, or None for an unknown code."""
    code = iban[4:7]
    return (code, *KZ_BANKS[code]) if code in KZ_BANKS else None


def kz_iban(bank_code, account):
    """A KZ IBAN with its check digits computed: for seed data and tests."""
    bban = bank_code + account
    number = int("".join(str(int(char, 36)) for char in bban + "KZ00"))
    return f"KZ{98 - number % 97:02d}{bban}"


def check_retryable(status, student_must_act_first, details_changed):
    """The Operator may pay again a failed or returned payout; not one whose bank refused the student's
    details until the student gave new ones."""
    if status not in (FAILED, RETURNED):
        raise Conflict(f"only a failed or returned payout can be paid again; this one is {status}",
                       {"status": [status]})
    if student_must_act_first and not details_changed:
        raise Conflict("the student has not given new payout details since the bank refused these",
                       {"status": ["waiting for the student's new details"]})


def mask_iban(iban):
    return iban[:4] + "•" * (len(iban) - 8) + iban[-4:]


def payout_amount(voucher_kind):
    """The reward for a voucher, in whole tenge."""
    return programme.voucher(voucher_kind).reward_kzt


def payout_key(placement_id, voucher_kind):
    """The payout's identity, and the bank's idempotency key: one payout per placement, ever."""
    return f"{placement_id}/{voucher_kind}"


def end_to_end_id(payout_id, round_):
    """The EndToEndId of one sending round of a payout (at most 35 characters): the bank echoes it in
    every status, notification, statement line and return, so each answer finds its payout and
    round."""
    return f"{payout_id}R{round_}"


def parse_end_to_end_id(end_to_end_id):
    """(payout id, round) of an EndToEndId this platform wrote, or None."""
    payout_id, _, round_ = (end_to_end_id or "").rpartition("R")
    return (payout_id, int(round_)) if payout_id and round_.isdigit() else None


def file_id(created_at, serial):
    """A payout file's MsgId (and PmtInfId): unique, at most 35 characters."""
    return f"SV{created_at:%Y%m%d%H%M%S}{serial[:16].upper()}"


def retry_delay(attempt, base_seconds, cap_seconds):
    """Exponential backoff after the `attempt`-th failed call (1-based), bounded by `cap_seconds`."""
    return min(cap_seconds, base_seconds * 2 ** (attempt - 1))


def batch_due(now_local, batch_at, sent_today):
    """Whether the day's batch should go now: past its time of day and not yet sent today."""
    return not sent_today and now_local.time() >= batch_at


def previous_business_day(day):
    """The weekday before `day`: the last day a statement is due for by `day`."""
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


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


# The bank's reason codes (ISO 20022 external status and return reason codes), as the student or the
# Operator can act on them. `STUDENT` codes wait for the student's new details before a retry.
STUDENT, OPERATOR = "student", "operator"
REASONS = {
    "AC01": (STUDENT, "the account number (IBAN) is wrong: check it in your bank's app and enter it again"),
    "AC03": (STUDENT, "the bank does not know this account: check the IBAN and enter it again"),
    "AC04": (STUDENT, "the account is closed: enter another IBAN"),
    "AC06": (STUDENT, "the account is blocked: ask your bank, or enter another IBAN"),
    "AC13": (STUDENT, "the account cannot receive this payment: enter your card account's IBAN"),
    "AG01": (STUDENT, "the account cannot receive this payment: enter another IBAN"),
    "BE01": (STUDENT, "the account holder's name does not match the account: check the name and the IBAN"),
    "MD07": (STUDENT, "the account holder is deceased"),
    "RC01": (STUDENT, "the bank code in the IBAN is not valid: check the IBAN and enter it again"),
    "AM04": (OPERATOR, "the Operator's account did not have the funds; the Operator pays again"),
    "AM05": (OPERATOR, "the bank saw this payment twice in one file"),
    "AM02": (OPERATOR, "the amount is more than the bank allows"),
    "AM03": (OPERATOR, "the currency is not the Operator's account's"),
    "AC02": (OPERATOR, "the bank does not hold the Operator's account"),
    "FF01": (OPERATOR, "the bank could not read the payout file"),
    "DT01": (OPERATOR, "the execution date was refused"),
}


def reason_text(code, detail=None):
    """What a bank's reason code means to the person who must act on it."""
    if code in REASONS:
        return f"{REASONS[code][1]} ({code})"
    return f"refused by the bank ({code or 'no code'}{': ' + detail if detail else ''})"


def student_must_act(code):
    return REASONS.get(code, (OPERATOR,))[0] == STUDENT


def waits_for_student(status, reason_code):
    """Whether the bank refused or returned it for a reason only new details can cure."""
    return status in (FAILED, RETURNED) and student_must_act(reason_code)


# Reconciliation with the bank's statements


def statement_problems(statement, payouts):
    """Every way one day's camt.053 disagrees with the platform's payouts, as {key, kind, ...}.

    `statement`: day, opening, closing (tenge, signed) and entries (end_to_end_id, amount, direction);
    `payouts`: {EndToEndId: (key, status, amount, booked_on, returned_on)} for every payout the
    statement mentions or that the bank reported booked or returned that day. A hole shows twice: the
    balances do not follow from the entries, and a payout booked that day is not among them."""
    problems = []
    moved = sum(entry["amount"] if entry["direction"] == "CRDT" else -entry["amount"]
                for entry in statement["entries"])
    if statement["opening"] + moved != statement["closing"]:
        problems.append({"key": "*", "kind": "statement_gap",
                         "amount": int(statement["closing"] - statement["opening"]), "bank_amount": int(moved)})
    listed = set()
    for entry in statement["entries"]:
        e2e, amount = entry["end_to_end_id"], int(entry["amount"])
        listed.add((e2e, entry["direction"]))
        if e2e not in payouts:
            problems.append({"key": e2e or "?", "kind": "unknown_entry", "bank_amount": amount})
            continue
        key, status, our_amount, _, _ = payouts[e2e]
        expected = (PAID,) if entry["direction"] == "DBIT" else (RETURNED,)
        if status not in expected + ((RETURNED,) if entry["direction"] == "DBIT" else ()):
            problems.append({"key": key, "kind": "not_paid_here" if entry["direction"] == "DBIT" else
                             "not_returned_here", "status": status, "amount": our_amount, "bank_amount": amount})
        elif our_amount != amount:
            problems.append({"key": key, "kind": "amount_differs", "status": status, "amount": our_amount,
                             "bank_amount": amount})
    for e2e, (key, status, amount, booked_on, returned_on) in sorted(payouts.items()):
        if booked_on == statement["day"] and (e2e, "DBIT") not in listed:
            problems.append({"key": key, "kind": "missing_from_statement", "status": status, "amount": amount})
        if returned_on == statement["day"] and (e2e, "CRDT") not in listed:
            problems.append({"key": key, "kind": "return_missing_from_statement", "status": status,
                             "amount": amount})
    return problems
