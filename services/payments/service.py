"""Payments: payout details, payouts, the ledger and reconciliation (nameko entrypoints only)."""
import logging

from nameko.extensions import DependencyProvider

from common.auth import MINISTRY, OPERATOR, STUDENT, Caller
from common.contracts import payments as contracts
from common.contracts.timesheet import REPORT_ACCEPTED
from common.db import Database
from common.errors import Conflict, NotFound, ServiceUnavailable, Unauthenticated, ValidationFailed
from common.outbox import OutboxRelay, handles
from common.rpc import rpc
from common.service import HealthMixin
from common.validation import load
from services.payments import repository, rules
from services.payments.bank import BankRefused, BankUnavailable, adapter_from_config
from services.payments.models import OutboxEvent
from services.payments.sender import PayoutSender, today_local

log = logging.getLogger(__name__)


class Bank(DependencyProvider):
    """`self.bank`: a bank adapter for this worker."""

    def get_dependency(self, worker_ctx):
        return adapter_from_config(self.container.config)


class PaymentsService(HealthMixin):
    name = "payments"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)
    bank = Bank()
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
        """The details to store: a card tokenised by the bank, or a checked IBAN with its bank."""
        values = {"method": data["method"], "holder_name": data["holder_name"]}
        if data["method"] == rules.CARD:
            if data.get("iban") or not data.get("card_number"):
                raise ValidationFailed("a card needs card_number (and no iban)",
                                       {"card_number": ["required for a card"]})
            problem = rules.card_problem(data["card_number"])
            if problem:
                raise ValidationFailed("the card number is not valid", {"card_number": [problem]})
            values["card_token"], values["card_last4"] = self._tokenise(rules.normalise_pan(data["card_number"]),
                                                                        data["holder_name"])
            return values
        if data.get("card_number") or not data.get("iban"):
            raise ValidationFailed("an account needs iban (and no card_number)", {"iban": ["required for iban"]})
        problem = rules.iban_problem(data["iban"])
        if problem:
            raise ValidationFailed("the IBAN is not valid", {"iban": [problem]})
        values["iban"] = rules.normalise_iban(data["iban"])
        values["bank_code"], values["bank_name"] = rules.bank_of_iban(values["iban"])
        return values

    def _tokenise(self, pan, holder_name):
        try:
            return self.bank.tokenise_card(pan, holder_name)
        except BankRefused as exc:
            raise ValidationFailed("the bank does not accept this card", {"card_number": [exc.reason]})
        except BankUnavailable:
            raise ServiceUnavailable("the bank did not answer; try again shortly", {"service": ["bank"]})

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
            if payout.status != rules.FAILED:
                raise Conflict(f"only a failed payout can be retried; this one is {payout.status}",
                               {"status": [payout.status]})
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

    # The bank's answers, the ledger and reconciliation

    @rpc
    def bank_notification(self, payload, signature):
        """The bank's signed answers about payouts it settled; repeats change nothing."""
        if not self.bank.verify_notification(payload, signature):
            raise Unauthenticated("the notification's signature does not match")
        data = load(contracts.BankNotificationIn, payload)
        applied = 0
        with self.db.begin():
            payouts = repository.payouts_by_key(self.db, {result["key"] for result in data["results"]})
            for result in data["results"]:
                payout = payouts.get(result["key"])
                if payout is not None and repository.apply_bank_result(self.db, payout, result):
                    applied += 1
        return {"applied": applied, "ignored": len(data["results"]) - applied}

    @rpc
    def ledger(self):
        self.caller().require(OPERATOR)
        return repository.ledger_view(self.db)

    @rpc
    def reconcile(self):
        operator = self.caller().require(OPERATOR)
        try:
            statement = self.bank.statement()
        except (BankUnavailable, BankRefused) as exc:
            raise ServiceUnavailable(f"the bank's statement could not be read: {exc}", {"service": ["bank"]})
        with self.db.begin():
            ours = repository.payouts_seen_by_bank(self.db)
            run = repository.save_reconciliation(self.db, operator.user_id, ours, statement)
        return repository.row_view(run)
