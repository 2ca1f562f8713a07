"""Payments' events (a payout's way to the student's account) and RPC payloads."""
import enum

from marshmallow import fields, validate

from common.contracts.base import (Contract, EventType, PageQuery, page_of, region_field, text_field,
                                   voucher_kind_field)
from common.domain import State

SOURCE = "payments"



# States, declared once: the contracts take their values, payments' domain their transitions, its
# tables a CHECK constraint of their values.

class PayoutStatus(State):
    AWAITING_DETAILS = "awaiting_details"  # accepted, the student has not said where to be paid
    READY = "ready"  # details known, waiting to be sent (now, or in the day's batch)
    SENDING = "sending"  # claimed into a payout file; the bank has not taken it yet
    SENT = "sent"  # the bank received its file; its status and settlement come later
    PAID = "paid"  # the bank debited the Operator's account for it (camt.054)
    FAILED = "failed"  # rejected by the bank, or the bank never answered: the Operator may retry
    RETURNED = "returned"  # paid, then sent back by the student's bank (pacs.004): the Operator may retry
    TRANSITIONS = enum.nonmember({
        AWAITING_DETAILS: {READY},
        READY: {SENDING, SENT},  # sent: the bank's news of the file came before its answer to it
        SENDING: {SENT, FAILED},
        SENT: {PAID, FAILED},
        # paid late; or retried: its unanswered file again (sending), or a new round
        FAILED: {PAID, SENDING, READY, AWAITING_DETAILS},
        PAID: {RETURNED},
        RETURNED: {READY, AWAITING_DETAILS},  # a new round
    })


class BatchStatus(State):
    REQUESTED = "requested"  # its payouts claimed
    SENT = "sent"  # its file went to the bank (or it had no payouts)
    TRANSITIONS = enum.nonmember({REQUESTED: {SENT}})


class FileStatus(State):
    SENDING = "sending"  # written and valid; sent again until the bank answers
    RECEIVED = "received"
    REJECTED = "rejected"  # refused whole, when offered or by a pain.002
    UNANSWERED = "unanswered"  # no answer after the last attempt: the bank may still pay it
    INVALID = "invalid"  # did not validate against the XSD: never sent
    TRANSITIONS = enum.nonmember({
        SENDING: {RECEIVED, REJECTED, UNANSWERED, INVALID},
        RECEIVED: {REJECTED},
        UNANSWERED: {SENDING, REJECTED},  # the Operator's retry sends it again
    })


PAYOUT_STATUSES = tuple(PayoutStatus)
ID = validate.Regexp(r"^[A-Za-z0-9_.:/-]{1,64}$", error="letters, digits and _ . : / - only")
DETAIL_METHODS = ("iban",)


# Events

class PayoutFacts(Contract):
    """What a payout is, declared once: its API answer and its events (`payout.*`) both carry these."""
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    amount_kzt = fields.Integer(required=True)
    # Added to the events later, so optional for consumers; payments always sends them.
    key = fields.String(load_default=None, allow_none=True, metadata={"description": "placement/voucher kind"})
    region = region_field(load_default=None, allow_none=True)
    voucher_kind = voucher_kind_field(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True, metadata={
        "description": "the bank's reason when it failed or came back, and what to do"})


class PayoutChanged(PayoutFacts):
    payout_id = fields.String(required=True)


PAYOUT_SENT = EventType(SOURCE, "payout.sent", PayoutChanged)
PAYOUT_PAID = EventType(SOURCE, "payout.paid", PayoutChanged)
PAYOUT_FAILED = EventType(SOURCE, "payout.failed", PayoutChanged)
PAYOUT_RETURNED = EventType(SOURCE, "payout.returned", PayoutChanged)


# RPC payloads

# What the API documents of a KZ IBAN; the rules themselves are services/payments/rules.py's (a test keeps
# this list the same as KZ_BANKS).
IBAN_RULES = ("a Kazakh IBAN, 20 characters (spaces allowed): KZ, two check digits (ISO 13616, "
              "mod 97), a three-digit bank code and 13 characters of account. Accepted bank codes: 125 National "
              "Bank of Kazakhstan, 551 Freedom Bank Kazakhstan, 563 Kazpost, 601 Halyk Bank, 722 Kaspi Bank, "
              "821 Bank RBK, 826 Bank CenterCredit, 832 Citibank Kazakhstan, 849 Nurbank, 886 Home Credit Bank, "
              "914 Bereke Bank, 948 Eurasian Bank, 965 ForteBank, 998 First Heartland Jusan Bank")


class PayoutDetailsIn(Contract):
    method = fields.String(load_default="iban", validate=validate.OneOf(DETAIL_METHODS))
    card_number = fields.String(validate=validate.Length(max=40), load_only=True,
                                metadata={"description": "refused: a card number is no account a transfer reaches"})
    iban = fields.String(required=True, validate=validate.Length(max=40),
                         metadata={"description": "the KZ IBAN of the student's (card) account; " + IBAN_RULES})
    iin = fields.String(required=True, validate=validate.Length(max=12),
                        metadata={"description": "the account holder's IIN, for the beneficiary's details"})
    holder_name = text_field(2, 140, required=True)


class PayoutDetailsOut(Contract):
    method = fields.String()
    masked = fields.String(metadata={"description": "KZ12••••••••••••3456"})
    bank_code = fields.String(allow_none=True)
    bank_name = fields.String(allow_none=True)
    bic = fields.String(allow_none=True)
    holder_name = fields.String()
    version = fields.Integer()
    updated_at = fields.DateTime()


class DestinationOut(Contract):
    method = fields.String()
    masked = fields.String()
    bank_name = fields.String(allow_none=True)
    holder_name = fields.String()


class PayoutQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(PAYOUT_STATUSES))
    student_id = fields.String(validate=ID)
    placement_id = fields.String(validate=ID)
    region = region_field()


class PayoutOut(PayoutFacts):
    id = fields.String()
    report_id = fields.String()
    student_name = fields.String()
    status = fields.String(metadata={"description": ", ".join(PAYOUT_STATUSES)})
    reason_code = fields.String(allow_none=True, metadata={"description": "the bank's ISO 20022 reason code"})
    student_must_act = fields.Boolean(metadata={"description": "new payout details are needed before it is paid again"})
    bank_status = fields.String(allow_none=True, metadata={"description": "the pain.002's: ACCP, RJCT, ..."})
    end_to_end_id = fields.String(allow_none=True)
    file_id = fields.String(allow_none=True, metadata={"description": "the payout file (MsgId) it went in"})
    destination = fields.Nested(DestinationOut, allow_none=True)
    attempts = fields.Integer()
    round = fields.Integer(metadata={"description": "sending rounds: 1, plus one per Operator retry"})
    batch_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    booked_on = fields.Date(allow_none=True, metadata={"description": "the bank's booking day"})
    failed_at = fields.DateTime(allow_none=True)
    returned_at = fields.DateTime(allow_none=True)


PayoutPage = page_of(PayoutOut)


class RegionTotalsOut(Contract):
    region = fields.String()
    payouts = fields.Integer()
    amount_kzt = fields.Integer()
    paid = fields.Integer()
    paid_kzt = fields.Integer()
    failed = fields.Integer()


class BatchIn(Contract):
    day = fields.Date(metadata={"description": "default: today (Asia/Almaty)"})


class BatchOut(Contract):
    id = fields.String()
    day = fields.Date()
    status = fields.String(metadata={"description": "requested (its payouts claimed), then sent as one file"})
    payouts = fields.Integer()
    amount_kzt = fields.Integer()
    accepted = fields.Integer()
    refused = fields.Integer()
    deferred = fields.Integer(metadata={"description": "the bank did not answer its file"})
    created_at = fields.DateTime()
    created_by = fields.String()
    file_id = fields.String(allow_none=True, metadata={"description": "its payout file, once written"})


class MismatchOut(Contract):
    key = fields.String()
    kind = fields.String(metadata={"description": "statement_gap, unknown_entry, not_paid_here, not_returned_here, "
                                                  "amount_differs, missing_from_statement, "
                                                  "return_missing_from_statement or totals_differ"})
    day = fields.String(metadata={"description": "the statement's day"})
    status = fields.String()
    amount = fields.Integer()
    bank_amount = fields.Integer()


class ReconciliationOut(Contract):
    id = fields.String()
    run_at = fields.DateTime()
    run_by = fields.String()
    checked = fields.Integer(metadata={"description": "payouts compared"})
    clean = fields.Boolean()
    ledger_balanced = fields.Boolean()
    ledger_paid_kzt = fields.Integer()
    bank_paid_kzt = fields.Integer()
    mismatches = fields.List(fields.Nested(MismatchOut))


class LedgerOut(Contract):
    balanced = fields.Boolean()
    debits_kzt = fields.Integer()
    credits_kzt = fields.Integer()
    accounts = fields.Dict(keys=fields.String(), values=fields.Integer())


class BankFileOut(Contract):
    id = fields.String(metadata={"description": "MsgId and PmtInfId of the pain.001"})
    status = fields.String(metadata={"description": "sending, received, rejected, unanswered or invalid"})
    execution_date = fields.Date()
    payouts = fields.Integer()
    amount_kzt = fields.Integer()
    problems = fields.List(fields.String(), metadata={"description": "why it did not validate or was refused"})
    attempts = fields.Integer()
    group_status = fields.String(allow_none=True, metadata={"description": "the pain.002's group status"})
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)


class StatementEntryOut(Contract):
    end_to_end_id = fields.String(allow_none=True)
    amount = fields.String()
    direction = fields.String(metadata={"description": "DBIT (paid) or CRDT (returned)"})


class BankStatementOut(Contract):
    id = fields.String()
    day = fields.Date()
    sequence = fields.Integer(allow_none=True)
    opening = fields.Decimal(as_string=True)
    closing = fields.Decimal(as_string=True)
    debits_kzt = fields.Integer()
    credits_kzt = fields.Integer()
    entries = fields.List(fields.Nested(StatementEntryOut))
    problems = fields.List(fields.Nested(MismatchOut))
    clean = fields.Boolean()
    received_at = fields.DateTime()


class BankOverviewOut(Contract):
    files = fields.List(fields.Nested(BankFileOut), metadata={"description": "the newest 50"})
    statements = fields.List(fields.Nested(BankStatementOut), metadata={"description": "the newest 31"})
    silent_files = fields.List(fields.String(), metadata={
        "description": "files the bank took without a status report in time (BANK_SILENCE_SECONDS)"})
    last_statement_day = fields.Date(allow_none=True)
    statement_overdue = fields.Date(allow_none=True, metadata={
        "description": "a business day whose statement has not come"})
