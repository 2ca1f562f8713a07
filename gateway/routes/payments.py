"""Payouts: the student's payout details and payouts, the Operator's retries, batches, the bank's
files and statements and reconciliation, the Ministry's totals."""

from common.contracts.payments import (BankOverviewOut, BatchIn, BatchOut, LedgerOut, PayoutDetailsIn,
                                       PayoutDetailsOut, PayoutOut, PayoutPage, PayoutQuery, ReconciliationOut,
                                       RegionTotalsOut)
from gateway.http import route
from gateway.routes.step_up import PAYOUT_DETAILS, require_step_up


class PaymentsRoutes:

    @route("PUT", "/api/v1/me/payout-details", summary="Where I am paid: my account's KZ IBAN (student)",
           tag="payments", body=PayoutDetailsIn, response=PayoutDetailsOut, errors=(403,), dumped=True)
    def set_payout_details(self, request, body):
        require_step_up(self, request, PAYOUT_DETAILS, body)  # a fresh EDS signature over exactly these details
        return self.payments.set_payout_details(body)

    @route("GET", "/api/v1/me/payout-details", summary="My payout details, masked (student)", tag="payments",
           response=PayoutDetailsOut, errors=(404,), dumped=True)
    def get_payout_details(self, request):
        return self.payments.get_payout_details()

    @route("GET", "/api/v1/payouts", summary="Payouts: a student's own, or all (Operator)", tag="payments",
           query=PayoutQuery, response=PayoutPage, dumped=True)
    def list_payouts(self, request, query):
        return self.payments.list_payouts(query)

    @route("GET", "/api/v1/payouts/totals", summary="Payout totals by region (Ministry, Operator)",
           tag="payments", response=RegionTotalsOut, many=True, dumped=True)
    def payout_totals(self, request):
        return self.payments.totals_by_region()

    @route("GET", "/api/v1/payouts/<payout_id>", summary="One payout", tag="payments", response=PayoutOut,
           errors=(404,), dumped=True)
    def get_payout(self, request, payout_id):
        return self.payments.get_payout(payout_id)

    @route("POST", "/api/v1/payouts/<payout_id>/retry", summary="Pay a failed or returned payout again (Operator)",
           tag="payments", response=PayoutOut, errors=(404, 409), dumped=True)
    def retry_payout(self, request, payout_id):
        return self.payments.retry_payout(payout_id)

    @route("POST", "/api/v1/payout-batches", summary="Send the day's batch of payouts now (Operator)",
           tag="payments", body=BatchIn, response=BatchOut, status=201, dumped=True)
    def send_payout_batch(self, request, body):
        return self.payments.send_batch(body)

    @route("GET", "/api/v1/ledger", summary="The payments ledger's balances (Operator)", tag="payments",
           response=LedgerOut, dumped=True)
    def ledger(self, request):
        return self.payments.ledger()

    @route("POST", "/api/v1/reconciliations", summary="Reconcile the ledger with the bank's statements (Operator)",
           tag="payments", response=ReconciliationOut, status=201, dumped=True)
    def reconcile(self, request):
        return self.payments.reconcile()

    @route("GET", "/api/v1/bank", summary="The bank: payout files, statements, silence (Operator)",
           tag="payments", response=BankOverviewOut, dumped=True)
    def bank_overview(self, request):
        return self.payments.bank_overview()
