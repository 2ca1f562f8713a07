"""Credits: credit re-count requests, the universities' decisions, each student's total and their
certificate (nameko entrypoints only)."""

from common.auth import ADMIN, OPERATOR, REGISTRAR, STUDENT, Caller
from common.clock import as_utc
from common.contracts import payments as payment_events
from common.contracts import registry as registry_events
from common.contracts import timesheet as timesheet_events
from common.contracts.credits import (CONFIRM, REJECT, BulkConfirmIn, CertificateFile, ConfirmRecountIn,
                                      DecisionsFileIn, PageQuery, RecountFilter, RecountQuery, RejectRecountIn)
from common.db import Database
from common.errors import DomainError, Forbidden, NotFound, RuleViolation, row_result
from common.outbox import OutboxRelay, handles
from common.programme import MAX_CREDITS
from common.rpc import rpc
from common.service import HealthMixin
from common.validation import load
from services.credits import certificate, repository, rules
from services.credits.models import OutboxEvent

class CreditsService(HealthMixin):
    name = "credits"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)

    # Events

    @handles(registry_events.UNIVERSITY_ADDED)
    def on_university_added(self, event):
        repository.add_university(self.db, event.data)

    @handles(registry_events.STUDENT_REGISTERED)
    def on_student_registered(self, event):
        repository.add_student(self.db, event.data["student_id"], event.data["iin"], event.data["university_id"],
                               event.occurred_at)

    @handles(registry_events.STUDENT_TRANSFERRED)
    def on_student_transferred(self, event):
        repository.transfer_student(self.db, event.data["student_id"], event.data["to_university_id"],
                                    event.occurred_at)

    @handles(timesheet_events.REPORT_ACCEPTED)
    def on_report_accepted(self, event):
        repository.open_request(self.db, event.data)

    @handles(payment_events.PAYOUT_SENT)
    def on_payout_sent(self, event):
        repository.record_payout(self.db, event.data, "sent", event.occurred_at)

    @handles(payment_events.PAYOUT_PAID)
    def on_payout_paid(self, event):
        repository.record_payout(self.db, event.data, "paid", event.occurred_at)

    @handles(payment_events.PAYOUT_FAILED)
    def on_payout_failed(self, event):
        repository.record_payout(self.db, event.data, "failed", event.occurred_at)

    # The university's registrar

    @rpc
    def list_universities(self):
        return [{"id": u.id, "code": u.code, "name": u.name, "region": u.region}
                for u in repository.list_universities(self.db)]

    @rpc
    def university_queue(self, query):
        registrar = self._registrar()
        filters = load(RecountQuery, query)
        return repository.university_queue(self.db, registrar.university_id, filters)

    @rpc
    def confirm_recount(self, request_id, payload):
        registrar = self._registrar()
        decision = load(ConfirmRecountIn, payload)
        with self.db.begin():
            request = self._university_request(request_id, registrar)
            rules.ensure_pending(request.status)
            others = [r for r in rules.of_year(repository.student_requests(self.db, request.student_id, lock=True),
                                               rules.year_of(request)) if r.id != request.id]
            counted = rules.counted_credits(others)
            # Two reports accepted at once can both pass the check on arrival; this one cannot.
            reason = rules.refusal_reason(counted, request.credits)
            if reason:
                repository.refuse(request, reason)
            else:
                repository.confirm(self.db, request, decision, registrar.user_id, counted + request.credits)
        if reason:
            raise RuleViolation(reason, {"credits": [reason]})
        return repository.as_dict(request)

    @rpc
    def reject_recount(self, request_id, payload):
        registrar = self._registrar()
        decision = load(RejectRecountIn, payload)
        with self.db.begin():
            request = self._university_request(request_id, registrar)
            rules.ensure_pending(request.status)
            repository.reject(request, decision["reason"], registrar.user_id)
        return repository.as_dict(request)

    @rpc
    def confirm_recounts(self, payload):
        """Many requests confirmed under one order, in one transaction: each row confirmed as one by one
        (its `credits.recounted` once), answered as already confirmed under the same order, or refused
        on its own."""
        registrar = self._registrar()
        data = load(BulkConfirmIn, payload)
        decisions = [rules.bulk_decision(row, data) for row in data["requests"]]
        with self.db.begin():
            sheet = repository.DecisionSheet(self.db, registrar.university_id, [d["request_id"] for d in decisions])
            results = [self._confirm_row(sheet, registrar, index, decision) for index, decision in enumerate(decisions)]
        answered = sum(1 for result in results if result["request"] is not None)
        already = sum(1 for result in results if result["already_confirmed"])
        return {"confirmed": answered - already, "already_confirmed": already, "refused": len(results) - answered,
                "results": results}

    def _confirm_row(self, sheet, registrar, index, decision):
        result = row_result(index, {"request_id": decision["request_id"]}, "request",
                            lambda: self._decide(sheet, registrar, decision))
        request, already = result["request"] or (None, False)
        return {**result, "request": request and repository.as_dict(request), "already_confirmed": already}

    @rpc
    def import_decisions(self, payload):
        """The decisions of a CSV in the export's layout, all or nothing: every row read and checked as
        one by one; any bad row and nothing is applied (the answer names each bad row's problems)."""
        registrar = self._registrar()
        decisions, problems, skipped = rules.read_decisions(load(DecisionsFileIn, payload)["text"])
        results = []
        with self.db.begin():
            sheet = repository.DecisionSheet(self.db, registrar.university_id, [d["request_id"] for d in decisions])
            for decision in decisions:
                try:
                    request, decided_before = self._decide(sheet, registrar, decision)
                except DomainError as error:
                    problems[decision["row"]] = rules.row_problem(error)
                    continue
                results.append({"row": decision["row"], "request_id": request.id, "decision": decision["decision"],
                                "already_decided": decided_before, "status": request.status})
            if problems:
                raise rules.file_refused(problems)  # before the commit: nothing of the file stays
        fresh = [result for result in results if not result["already_decided"]]
        return {"confirmed": sum(1 for result in fresh if result["decision"] == CONFIRM),
                "rejected": sum(1 for result in fresh if result["decision"] == REJECT),
                "already_decided": len(results) - len(fresh), "skipped": skipped, "results": results}

    def _decide(self, sheet, registrar, decision):
        """One decision of a batch, as one by one, and whether the request already stood so. Every check
        runs before the change; a confirmation past the yearly cap refuses the request, as one by one."""
        request = sheet.request(decision["request_id"])
        if rules.decided_so(request, decision):
            return request, True
        rules.ensure_pending(request.status)
        if decision["decision"] == REJECT:
            repository.reject(request, decision["reason"], registrar.user_id)
            return request, False
        counted = sheet.counted_besides(request)
        reason = rules.refusal_reason(counted, request.credits)
        if reason:
            repository.refuse(request, reason)
            raise RuleViolation(reason, {"credits": [reason]})
        repository.confirm(self.db, request, decision, registrar.user_id, counted + request.credits)
        return request, False

    @rpc
    def queue_csv_page(self, query, after=None):
        """One page of the queue as CSV text (the gateway streams the pages), and the next page's cursor."""
        registrar = self._registrar()
        filters = load(RecountFilter, query)
        rows = repository.export_page(self.db, registrar.university_id, filters, rules.read_cursor(after),
                                      rules.EXPORT_PAGE)
        last = rows[-1][0] if len(rows) == rules.EXPORT_PAGE else None
        return {"text": rules.export_csv([rules.export_row(request, iin) for request, iin in rows], after is None),
                "after": rules.cursor_of(last) if last is not None else None}

    def _registrar(self):
        registrar = self.caller().require(REGISTRAR)
        if not registrar.university_id:
            raise Forbidden("a registrar's token must name their university")
        return registrar

    def _university_request(self, request_id, registrar):
        request = repository.find_request(self.db, request_id, lock=True)
        if request is None or request.university_id != registrar.university_id:
            raise NotFound("no such re-count request")
        return request

    # Anyone concerned

    @rpc
    def get_request(self, request_id):
        principal = self.caller().require(*rules.VIEWER_ROLES)
        request = repository.find_request(self.db, request_id)
        if request is None or not rules.can_see(principal, request):
            raise NotFound("no such re-count request")
        return repository.as_dict(request)

    @rpc
    def flagged_requests(self, query):
        self.caller().require(OPERATOR, ADMIN)
        return repository.flagged_requests(self.db, load(PageQuery, query))

    # The student

    @rpc
    def student_credits(self):
        student = self.caller().require(STUDENT)
        requests = repository.student_requests(self.db, student.user_id)
        return {
            "student_id": student.user_id,
            "total_credits": rules.counted_credits(requests),
            "pending_credits": rules.pending_credits(requests),
            "max_credits": MAX_CREDITS,
            "requests": [repository.as_dict(r) for r in requests],
        }

    @rpc
    def student_certificate(self):
        student = self.caller().require(STUDENT)
        with self.db.begin():
            requests = repository.student_requests(self.db, student.user_id)
            if not requests:
                raise RuleViolation("there is no completed voucher to certify yet")
            payments = repository.payment_statuses(self.db, [r.placement_id for r in requests])
            universities = repository.university_names(self.db, {r.university_id for r in requests})
            facts = certificate.facts(requests, payments, universities)
            issued = repository.issue_certificate(self.db, student.user_id, facts, certificate.digest(facts))
        return CertificateFile().dump({
            "code": issued.code,
            "filename": f"student-voucher-certificate-{issued.code}.pdf",
            "content": certificate.render(issued.code, issued.issued_at, issued.facts),
        })

    # Public

    @rpc
    def verify_certificate(self, code):
        issued = repository.find_certificate(self.db, code)
        if issued is None:
            raise NotFound("no certificate has this code")
        return {**issued.facts, "valid": True, "code": issued.code,
                "issued_at": as_utc(issued.issued_at)}
