"""Payments' events (a payout's way to the student's card or account) and RPC payloads."""
from marshmallow import fields, validate

from common.contracts.base import (Contract, EventType, PageQuery, page_of, region_field, text_field,
                                   voucher_kind_field)

SOURCE = "payments"

PAYOUT_STATUSES = ("awaiting_details", "ready", "sending", "sent", "paid", "failed")
ID = validate.Regexp(r"^[A-Za-z0-9_.:/-]{1,64}$", error="letters, digits and _ . : / - only")
DETAIL_METHODS = ("card", "iban")


# Events

class PayoutChanged(Contract):
    payout_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    amount_kzt = fields.Integer(required=True)
    # Added later, so optional for consumers; payments always sends them.
    key = fields.String(load_default=None, allow_none=True, metadata={"description": "placement/voucher kind"})
    region = region_field(load_default=None, allow_none=True)
    voucher_kind = voucher_kind_field(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "the bank's reason when it failed"})


PAYOUT_SENT = EventType(SOURCE, "payout.sent", PayoutChanged)
PAYOUT_PAID = EventType(SOURCE, "payout.paid", PayoutChanged)
PAYOUT_FAILED = EventType(SOURCE, "payout.failed", PayoutChanged)


# RPC payloads

# What the API documents of a KZ IBAN; the rules themselves are services/payments/rules.py's (a test keeps
# this list the same as KZ_BANK_CODES).
IBAN_RULES = ("for an account: a Kazakh IBAN, 20 characters (spaces allowed): KZ, two check digits (ISO 13616, "
              "mod 97), a three-digit bank code and 13 characters of account. Accepted bank codes: 125 National "
              "Bank of Kazakhstan, 551 Freedom Bank Kazakhstan, 563 Kazpost, 601 Halyk Bank, 722 Kaspi Bank, "
              "821 Bank RBK, 826 Bank CenterCredit, 832 Citibank Kazakhstan, 849 Nurbank, 886 Home Credit Bank, "
              "914 Bereke Bank, 948 Eurasian Bank, 965 ForteBank, 998 First Heartland Jusan Bank")


class PayoutDetailsIn(Contract):
    method = fields.String(required=True, validate=validate.OneOf(DETAIL_METHODS))
    card_number = fields.String(validate=validate.Length(max=40), load_only=True,
                                metadata={"description": "for a card; kept by the bank, never stored here"})
    iban = fields.String(validate=validate.Length(max=40), metadata={"description": IBAN_RULES})
    holder_name = text_field(2, 200, required=True)


class PayoutDetailsOut(Contract):
    method = fields.String()
    masked = fields.String(metadata={"description": "•••• 1234 or KZ12••••••••••••3456"})
    card_last4 = fields.String(allow_none=True)
    bank_code = fields.String(allow_none=True)
    bank_name = fields.String(allow_none=True)
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


class PayoutOut(Contract):
    id = fields.String()
    key = fields.String()
    placement_id = fields.String()
    report_id = fields.String()
    student_id = fields.String()
    student_name = fields.String()
    region = fields.String()
    voucher_kind = fields.String()
    amount_kzt = fields.Integer()
    status = fields.String(metadata={"description": ", ".join(PAYOUT_STATUSES)})
    reason = fields.String(allow_none=True)
    destination = fields.Nested(DestinationOut, allow_none=True)
    attempts = fields.Integer()
    round = fields.Integer(metadata={"description": "sending rounds: 1, plus one per Operator retry"})
    bank_ref = fields.String(allow_none=True)
    batch_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    failed_at = fields.DateTime(allow_none=True)


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
    status = fields.String(metadata={"description": "requested (its payouts claimed), then sent"})
    payouts = fields.Integer()
    amount_kzt = fields.Integer()
    accepted = fields.Integer()
    refused = fields.Integer()
    deferred = fields.Integer(metadata={"description": "the bank did not answer; sent one by one later"})
    created_at = fields.DateTime()
    created_by = fields.String()


class MismatchOut(Contract):
    key = fields.String()
    kind = fields.String(metadata={"description": "paid_twice_at_bank, unknown_payout, paid_at_bank_only, "
                                                  "amount_differs, missing_at_bank or totals_differ"})
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


class BankResult(Contract):
    key = fields.String(required=True, validate=validate.Length(max=200))
    reference = fields.String(required=True, validate=validate.Length(max=200))
    status = fields.String(required=True, validate=validate.OneOf(("paid", "failed")))
    bank_ref = fields.String(required=True, validate=validate.Length(max=64))
    amount = fields.Integer(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class BankNotificationIn(Contract):
    """The bank's signed answer about payouts it settled (header X-Bank-Signature)."""
    results = fields.List(fields.Nested(BankResult), required=True, validate=validate.Length(min=1, max=1000))


class BankNotificationOut(Contract):
    applied = fields.Integer()
    ignored = fields.Integer()
