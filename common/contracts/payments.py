"""Events payments publishes: a payout's way to the student's card."""
from marshmallow import fields

from common.contracts.base import Contract, EventType

SOURCE = "payments"


class PayoutChanged(Contract):
    payout_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    amount_kzt = fields.Integer(required=True)
    reason = fields.String(load_default=None, allow_none=True)


PAYOUT_SENT = EventType(SOURCE, "payout.sent", PayoutChanged)
PAYOUT_PAID = EventType(SOURCE, "payout.paid", PayoutChanged)
PAYOUT_FAILED = EventType(SOURCE, "payout.failed", PayoutChanged)
