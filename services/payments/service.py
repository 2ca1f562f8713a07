"""Payments: payout details, payouts, the bank's files and statements, the ledger and reconciliation
(nameko entrypoints only).

Each entrypoint authorises the caller, loads the request once, and asks the domain (`domain.py`)
inside a unit of work, which commits the rows and the events the domain recorded together; it
answers with a view (`views.py`) dumped through its contract once. The sender (`sender.py`) moves
payouts to the bank and back the same way, in a loop of its own.
"""
import logging

from common.auth import MINISTRY, OPERATOR, STUDENT, Caller
from common.clock import utcnow
from common.contracts import payments as contracts
from common.contracts.timesheet import REPORT_ACCEPTED
from common.db import Database
from common.errors import NotFound
from common.outbox import OutboxRelay, handles
from common.rpc import rpc
from common.service import HealthMixin
from common.unit_of_work import UnitOfWork
from common.validation import load
from services.payments import domain, repository, rules, views
from services.payments.models import OutboxEvent
from services.payments.sender import PayoutSender, today_local

log = logging.getLogger(__name__)


class PaymentsService(HealthMixin):
    name = "payments"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)
    sender = PayoutSender()

    def unit_of_work(self):
        return UnitOfWork(self.db, OutboxEvent)

    @handles(REPORT_ACCEPTED)
    def on_report_accepted(self, event):
        report = event.data
        existing = repository.payout_like(self.db, report)
        if existing is not None:
            if existing.placement_id != report["placement_id"]:
                log.warning("placement %s: the student already has a %s payout; not paying twice",
                            report["placement_id"], report["voucher_kind"])
            return None  # else the same acceptance, published again under another event id
        has_details = repository.details_for_payout(self.db, report["student_id"]) is not None
        repository.add_payout(self.db, domain.Payout.earn(report, has_details, self.sender.settings.batched))
        return self.sender.wake  # once the payout is committed

    # Payout details

    @rpc
    def set_payout_details(self, payload):
        student = self.caller().require(STUDENT)
        values = rules.checked_details(load(contracts.PayoutDetailsIn, payload))
        with self.unit_of_work():
            details = repository.details_row(self.db, student.user_id)
            repository.add(self.db, domain.set_details(details, values, student.user_id, utcnow()))
            for payout in repository.awaiting_details(self.db, student.user_id):
                payout.release(self.sender.settings.batched, by=student.user_id)
        self.sender.wake()
        return views.details(details)

    @rpc
    def get_payout_details(self):
        student = self.caller().require(STUDENT)
        details = repository.details_of(self.db, student.user_id)
        if details is None:
            raise NotFound("no payout details yet")
        return views.details(details)

    # Payouts

    @rpc
    def list_payouts(self, query):
        caller = self.caller().require(STUDENT, OPERATOR)
        filters = load(contracts.PayoutQuery, query)
        if not caller.has(OPERATOR):
            filters["student_id"] = caller.user_id  # a student sees their own only
        return views.list_payouts(self.db, filters)

    @rpc
    def get_payout(self, payout_id):
        caller = self.caller().require(STUDENT, OPERATOR)
        payout = repository.payout(self.db, payout_id)
        if payout is None or not (caller.has(OPERATOR) or payout.row.student_id == caller.user_id):
            raise NotFound("no such payout")
        return views.payout(payout)

    @rpc
    def retry_payout(self, payout_id):
        operator = self.caller().require(OPERATOR)
        with self.unit_of_work():
            payout = repository.payout(self.db, payout_id, lock=True)
            if payout is None:
                raise NotFound("no such payout")
            bank_file = repository.bank_file(self.db, payout.row.file_id)
            failures = repository.file_members(self.db, bank_file, rules.FAILED, lock=False) if bank_file else []
            payout.retry(repository.details_for_payout(self.db, payout.row.student_id), bank_file, failures,
                         by=operator.user_id)
        self.sender.wake()
        return views.payout(payout)

    @rpc
    def totals_by_region(self):
        self.caller().require(MINISTRY, OPERATOR)
        return views.totals_by_region(self.db)

    @rpc
    def send_batch(self, payload):
        operator = self.caller().require(OPERATOR)
        data = load(contracts.BatchIn, payload)
        return views.batch(self.sender.open_batch(data.get("day") or today_local(), by=operator.user_id))

    # The bank's files and statements, the ledger and reconciliation

    @rpc
    def bank_overview(self):
        self.caller().require(OPERATOR)
        return views.bank_overview(self.db, self.sender.settings.silence_seconds, today_local())

    @rpc
    def ledger(self):
        self.caller().require(OPERATOR)
        return views.ledger(self.db)

    @rpc
    def reconcile(self):
        operator = self.caller().require(OPERATOR)
        with self.unit_of_work():
            statements = repository.statements(self.db)
            run = domain.reconcile(
                statements, lambda row: repository.statement_payouts(self.db, row), repository.ledger_lines(self.db),
                repository.paid_after(self.db, statements[-1].day if statements else None),
                repository.payouts_sent(self.db), operator.user_id)
            repository.add(self.db, run)
        return views.reconciliation(run)
