"""Credits: credit re-count requests, the universities' decisions, each student's total and their
certificate (nameko entrypoints only).

Each entrypoint authorises the caller, loads the request once, and asks the domain (`domain.py`)
inside a unit of work, which commits the rows and the `credits.recounted` the domain recorded
together; it answers with a view (`views.py`) dumped through its contract once.
"""
import secrets

from common.auth import ADMIN, OPERATOR, STUDENT, Caller
from common.clock import utcnow
from common.contracts import credits as contracts
from common.contracts import payments as payment_events
from common.contracts import registry as registry_events
from common.contracts import timesheet as timesheet_events
from common.db import Database
from common.errors import DomainError, NotFound, RuleViolation, row_result
from common.outbox import OutboxRelay, handles
from common.rpc import rpc
from common.service import HealthMixin
from common.unit_of_work import UnitOfWork
from common.validation import load
from services.credits import access, certificate, domain, repository, rules, views
from services.credits.models import OutboxEvent

CODE_BYTES = 15  # a certificate's code: 120 random bits, 24 base32 characters


class CreditsService(HealthMixin):
    name = "credits"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)

    def unit_of_work(self):
        return UnitOfWork(self.db, OutboxEvent)

    # Events

    @handles(registry_events.UNIVERSITY_ADDED)
    def on_university_added(self, event):
        repository.add_university(self.db, event.data)

    @handles(registry_events.STUDENT_REGISTERED)
    def on_student_registered(self, event):
        data = event.data
        added = domain.learn_student(repository.student(self.db, data["student_id"]), data["student_id"],
                                     data["iin"], data["university_id"], event.occurred_at)
        if added is not None:
            repository.add(self.db, added)

    @handles(registry_events.STUDENT_TRANSFERRED)
    def on_student_transferred(self, event):
        student_id = event.data["student_id"]
        student = repository.student(self.db, student_id, lock=True)
        added = domain.transfer(student, student_id, repository.student_requests(self.db, student_id, lock=True),
                                event.data["to_university_id"], event.occurred_at, utcnow())
        if added is not None:
            repository.add(self.db, added)

    @handles(timesheet_events.REPORT_ACCEPTED)
    def on_report_accepted(self, event):
        """The re-count request for an accepted report, once per placement."""
        report = event.data
        if repository.has_request(self.db, report["placement_id"]):
            return
        student = repository.student(self.db, report["student_id"])
        request = domain.RecountRequest.open(
            report, student.university_id if student else report["university_id"],
            repository.student_requests(self.db, report["student_id"], lock=True), utcnow())
        repository.add(self.db, request.row)

    @handles(payment_events.PAYOUT_SENT)
    def on_payout_sent(self, event):
        self._payout(event, "sent")

    @handles(payment_events.PAYOUT_PAID)
    def on_payout_paid(self, event):
        self._payout(event, "paid")

    @handles(payment_events.PAYOUT_FAILED)
    def on_payout_failed(self, event):
        self._payout(event, "failed")

    def _payout(self, event, status):
        payout = repository.payout(self.db, event.data["placement_id"])
        added = domain.learn_payout(payout, event.data, status, event.occurred_at)
        if added is not None:
            repository.add(self.db, added)

    # The university's registrar

    @rpc
    def list_universities(self):
        return views.universities(self.db)

    @rpc
    def university_queue(self, query):
        registrar = access.registrar(self.caller())
        return views.university_queue(self.db, registrar.university_id, load(contracts.RecountQuery, query))

    @rpc
    def confirm_recount(self, request_id, payload):
        registrar = access.registrar(self.caller())
        decision = load(contracts.ConfirmRecountIn, payload)
        refusal = None
        with self.unit_of_work():
            request = self._university_request(registrar, request_id)
            try:
                request.confirm(decision, registrar.user_id, utcnow())
            except RuleViolation as past_the_cap:  # the request stays refused (and flagged): answered once kept
                refusal = past_the_cap
        if refusal:
            raise refusal
        return views.request(request.row)

    @rpc
    def reject_recount(self, request_id, payload):
        registrar = access.registrar(self.caller())
        reason = load(contracts.RejectRecountIn, payload)["reason"]
        with self.unit_of_work():
            request = self._university_request(registrar, request_id)
            request.reject(reason, registrar.user_id, utcnow())
            return views.request(request.row)

    @rpc
    def confirm_recounts(self, payload):
        """Many requests confirmed under one order, in one transaction: each row confirmed as one by one
        (its `credits.recounted` once), answered as already confirmed under the same order, or refused
        on its own."""
        registrar = access.registrar(self.caller())
        data = load(contracts.BulkConfirmIn, payload)
        decisions = [rules.bulk_decision(row, data) for row in data["requests"]]
        with self.unit_of_work():
            batch = repository.requests(self.db, [decision["request_id"] for decision in decisions])
            results = [self._confirm_row(batch, registrar, index, decision) for index, decision in enumerate(decisions)]
            return views.bulk_confirmation(results)

    def _confirm_row(self, batch, registrar, index, decision):
        def confirm():
            request = access.university_request(registrar, batch.get(decision["request_id"]))
            return request.row, request.decide(decision, registrar.user_id, utcnow())

        result = row_result(index, {"request_id": decision["request_id"]}, "request", confirm)
        request, already = result["request"] or (None, False)
        return {**result, "request": request, "already_confirmed": already}

    @rpc
    def import_decisions(self, payload):
        """The decisions of a CSV in the export's layout, all or nothing: every row read and checked as
        one by one; any bad row and nothing is applied (the answer names each bad row's problems)."""
        registrar = access.registrar(self.caller())
        decisions, problems, skipped = rules.read_decisions(load(contracts.DecisionsFileIn, payload)["text"])
        results = []
        with self.unit_of_work():
            batch = repository.requests(self.db, [decision["request_id"] for decision in decisions])
            for decision in decisions:
                try:
                    request = access.university_request(registrar, batch.get(decision["request_id"]))
                    already = request.decide(decision, registrar.user_id, utcnow())
                except DomainError as error:
                    problems[decision["row"]] = rules.row_problem(error)
                    continue
                results.append({"row": decision["row"], "request_id": request.row.id, "decision": decision["decision"],
                                "already_decided": already, "status": request.row.status})
            rules.check_no_problems(problems)  # before the commit: nothing of the file stays
        return views.decisions_file(results, skipped)

    @rpc
    def queue_csv_page(self, query, after=None):
        """One page of the queue as CSV text (the gateway streams the pages), and the next page's cursor."""
        registrar = access.registrar(self.caller())
        return views.queue_csv_page(self.db, registrar.university_id, load(contracts.RecountFilter, query), after)

    def _university_request(self, registrar, request_id):
        return access.university_request(registrar, repository.request(self.db, request_id))

    # Anyone concerned

    @rpc
    def get_request(self, request_id):
        principal = self.caller().require(*access.VIEWER_ROLES)
        return views.request(access.readable(principal, repository.find_request(self.db, request_id)))

    @rpc
    def flagged_requests(self, query):
        self.caller().require(OPERATOR, ADMIN)
        return views.flagged_requests(self.db, load(contracts.PageQuery, query))

    # The student

    @rpc
    def student_credits(self):
        student = self.caller().require(STUDENT)
        return views.student_credits(student.user_id, repository.student_requests(self.db, student.user_id))

    @rpc
    def student_certificate(self):
        student = self.caller().require(STUDENT)
        with self.db.begin():
            requests = repository.student_requests(self.db, student.user_id)
            if not requests:
                raise RuleViolation("there is no completed voucher to certify yet")
            facts = certificate.facts(
                requests, repository.payment_statuses(self.db, [r.placement_id for r in requests]),
                repository.university_names(self.db, {r.university_id for r in requests}))
            digest = certificate.digest(facts)
            issued = repository.certificate(self.db, student.user_id, digest)
            if issued is None:
                issued = domain.issue_certificate(student.user_id, facts, digest, secrets.token_bytes(CODE_BYTES),
                                                  utcnow())
                repository.add(self.db, issued)
        return views.certificate_file(issued, certificate.render(issued.code, issued.issued_at, issued.facts))

    # Public

    @rpc
    def verify_certificate(self, code):
        issued = repository.find_certificate(self.db, code)
        if issued is None:
            raise NotFound("no certificate has this code")
        return views.verification(issued)
