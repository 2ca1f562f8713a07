"""Payments: payout details, payouts, the ledger and reconciliation (nameko entrypoints only)."""
from common.auth import Caller
from common.db import Database
from common.outbox import OutboxRelay
from common.service import HealthMixin
from services.payments.models import OutboxEvent


class PaymentsService(HealthMixin):
    name = "payments"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)
