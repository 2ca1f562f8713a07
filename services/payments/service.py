"""Payments: payout details, payouts, the bank's files and statements, the ledger and reconciliation
(nameko entrypoints only)."""
import logging

from common.auth import MINISTRY, OPERATOR, STUDENT, Caller
from common.contracts import payments as contracts
from common.contracts.timesheet import REPORT_ACCEPTED
from common.db import Database
from common.errors import Conflict, NotFound, ValidationFailed
from common.iin import iin_problem
from common.outbox import OutboxRelay, handles
from common.rpc import rpc
from common.service import HealthMixin
from common.validation import load
from services.payments import repository, rules
from services.payments.models import OutboxEvent
from services.payments.sender import PayoutSender, today_local

log = logging.getLogger(__name__)


class PaymentsService(HealthMixin):
    name = "payments"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)
    sender = PayoutSender()

    @handles(REPORT_ACCEPTED)
    def on_report_accepted(self, event):
        report = event.data
        existing = repository.payout_like(self.db, report)
        if existing is not None:
            if existing.placement_id != report["placement_id"]:
                log.warning("placement %s: the student already has a %s payout; not paying twice",
                            report["placement_id"], report["voucher_kind"])
            return None  # else the same acceptance, published again under another event id
        repository.create_payout(self.db, report, batched=self.sender.settings.batched)
        return self.sender.wake  # once the payout is committed

    # Payout details

    @rpc
    def set_payout_details(self, payload):
        student = self.caller().require(STUDENT)
        data = load(contracts.PayoutDetailsIn, payload)
        values = self._checked_details(data)
        with self.db.begin():
            details = repository.save_details(self.db, student.user_id, values, by=student.user_id)
            repository.release_awaiting(self.db, student.user_id, batched=self.sender.settings.batched)
        self.sender.wake()
        return repository.details_view(details)

    def _checked_details(self, data):
        """The details to store: a checked KZ IBAN with its bank and BIC, the holder's name and IIN."""
        if data.get("card_number"):
            raise ValidationFailed("a card number cannot receive a bank transfer", {"card_number": [
                "give the IBAN of your card's account instead (KZ…, shown in your bank's app)"]})
        problem = rules.iban_problem(data["iban"])
        if problem:
            raise ValidationFailed("the IBAN is not valid", {"iban": [problem]})
        problem = iin_problem(data["iin"])
        if problem:
            raise ValidationFailed("the IIN is not valid", {"iin": [problem]})
        iban = rules.normalise_iban(data["iban"])
        code, bank_name, bic = rules.bank_of_iban(iban)
        return {"method": rules.IBAN, "iban": iban, "bank_code": code, "bank_name": bank_name, "bic": bic,
                "iin": data["iin"], "holder_name": data["holder_name"]}

    @rpc
    def get_payout_details(self):
        student = self.caller().require(STUDENT)
        details = repository.details_of(self.db, student.user_id)
        if details is None:
            raise NotFound("no payout details yet")
        return repository.details_view(details)

    # Payouts

    @rpc
    def list_payouts(self, query):
        caller = self.caller().require(STUDENT, OPERATOR)
        filters = load(contracts.PayoutQuery, query)
        if not caller.has(OPERATOR):
            filters["student_id"] = caller.user_id
        items, total = repository.list_payouts(self.db, filters, filters["limit"], filters["offset"])
        return {"items": [repository.payout_view(p) for p in items], "total": total}

    @rpc
    def get_payout(self, payout_id):
        return repository.payout_view(self._visible_payout(payout_id))

    def _visible_payout(self, payout_id):
        caller = self.caller().require(STUDENT, OPERATOR)
        payout = repository.find_payout(self.db, payout_id)
        if payout is None or not (caller.has(OPERATOR) or payout.student_id == caller.user_id):
            raise NotFound("no such payout")
        return payout

    @rpc
    def retry_payout(self, payout_id):
        operator = self.caller().require(OPERATOR)
        with self.db.begin():
            payout = repository.find_payout(self.db, payout_id, lock=True)
            if payout is None:
                raise NotFound("no such payout")
            if payout.status not in (rules.FAILED, rules.RETURNED):
                raise Conflict(f"only a failed or returned payout can be paid again; this one is {payout.status}",
                               {"status": [payout.status]})
            if repository.waits_for_student(payout) and not repository.details_changed_since(self.db, payout):
                raise Conflict("the student has not given new payout details since the bank refused these",
                               {"status": ["waiting for the student's new details"]})
            repository.retry(self.db, payout, by=operator.user_id)
        self.sender.wake()
        return repository.payout_view(payout)

    @rpc
    def totals_by_region(self):
        self.caller().require(MINISTRY, OPERATOR)
        return repository.totals_by_region(self.db)

    @rpc
    def send_batch(self, payload):
        operator = self.caller().require(OPERATOR)
        data = load(contracts.BatchIn, payload)
        batch = self.sender.open_batch(data.get("day") or today_local(), by=operator.user_id)
        return repository.row_view(batch)

    # The bank's files and statements, the ledger and reconciliation

    @rpc
    def bank_overview(self):
        self.caller().require(OPERATOR)
        return repository.bank_view(self.db, self.sender.settings.silence_seconds, today_local())

    @rpc
    def ledger(self):
        self.caller().require(OPERATOR)
        return repository.ledger_view(self.db)

    @rpc
    def reconcile(self):
        operator = self.caller().require(OPERATOR)
        with self.db.begin():
            run = repository.save_reconciliation(self.db, operator.user_id)
        return repository.row_view(run)
