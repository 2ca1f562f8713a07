"""Credits' domain: a re-count request is opened for a completed voucher, decided by the student's
university (confirmed, rejected) or refused past the programme's yearly maximum, by credits' pure
rules, and records the `credits.recounted` it causes.

Nothing here knows of sessions, transactions or nameko: the repository loads (and locks) what a
change needs, the unit of work in the entrypoint commits the rows and publishes the recorded events.
Rows are the models' instances; a new one is returned for the repository to add.
"""
import datetime as dt

from common.clock import as_utc
from common.contracts import credits as contracts
from common.contracts.base import values_of
from common.domain import Aggregate
from common.errors import RuleViolation
from common.ids import new_id
from services.credits import rules
from services.credits.models import Certificate, Payout
from services.credits.models import RecountRequest as RequestRow
from services.credits.models import Student


class RecountRequest(Aggregate):
    """One placement's request (`row`), with the student's other requests of its programme year
    (`others`, locked with it): the yearly cap weighs them."""

    def __init__(self, row, others=()):
        self.row = row
        self.others = list(others)

    @classmethod
    def open(cls, report, university_id, earlier, now):
        """The request for an accepted `report`, at the student's current university; `earlier`: the
        student's requests. One that would take the student past the yearly cap is refused and flagged."""
        year = rules.request_year(report.get("starts_on"), report["accepted_at"])
        row = RequestRow(
            id=new_id(), placement_id=report["placement_id"], programme_year=year, report_id=report["report_id"],
            student_id=report["student_id"], student_name=report["student_name"], university_id=university_id,
            region=report["region"], organisation_id=report["organisation_id"],
            organisation_name=report["organisation_name"], site_id=report["site_id"], site_name=report["site_name"],
            direction=report["direction"], voucher_kind=report["voucher_kind"], hours=report["hours"],
            credits=rules.credits_due(report["voucher_kind"]), status=contracts.PENDING, flagged=False,
            accepted_at=report["accepted_at"], received_at=now)
        request = cls(row, rules.of_year(earlier, year))
        try:
            rules.check_within_cap(rules.claimed_credits(request.others), row.credits)
        except RuleViolation as refusal:
            request.refuse(refusal.message, now)
        return request

    def confirm(self, decision, actor, now):
        """Confirmed under the university's order: `credits.recounted` with the student's new total for
        the year. Two reports accepted at once can both pass the cap on arrival; the second to be
        confirmed cannot: it is refused (and flagged), and the refusal raised for the caller to answer
        once the refusal is kept."""
        rules.check_decidable(self.row.status, contracts.CONFIRMED)
        counted = rules.counted_credits(self.others)
        try:
            rules.check_within_cap(counted, self.row.credits)
        except RuleViolation as refusal:
            self.refuse(refusal.message, now)
            raise
        row = self.row
        row.status, row.discipline, row.order_number = (
            contracts.CONFIRMED, decision["discipline"].strip(), decision["order_number"].strip())
        row.order_date, row.decided_by, row.decided_at = decision.get("order_date"), actor, now
        self.record(contracts.CREDITS_RECOUNTED, values_of(contracts.CreditsRecounted, row, request_id=row.id,
                                                           total_credits=counted + row.credits))

    def reject(self, reason, actor, now):
        rules.check_decidable(self.row.status, contracts.REJECTED)
        self.row.status, self.row.reason, self.row.decided_by, self.row.decided_at = (
            contracts.REJECTED, reason.strip(), actor, now)

    def refuse(self, reason, now):
        rules.check_decidable(self.row.status, contracts.REFUSED)
        self.row.status, self.row.reason, self.row.flagged, self.row.decided_at = contracts.REFUSED, reason, True, now

    def decide(self, decision, actor, now):
        """One decision of a batch (a row of a bulk confirmation or of a CSV), as one by one; whether the
        request already stood so (then nothing changes)."""
        if rules.decided_so(self.row, decision):
            return True
        if decision["decision"] == contracts.REJECT:
            self.reject(decision["reason"], actor, now)
        else:
            self.confirm(decision, actor, now)
        return False


# Registry's students and payments' payouts, as credits hears of them

def learn_student(student, student_id, iin, university_id, occurred_at):
    """A newly registered student (a new row to add, if any); a transfer already applied (events out of
    order) is kept."""
    if student is None:
        return Student(id=student_id, iin=iin, university_id=university_id, updated_at=occurred_at)
    if student.iin is None:
        student.iin = iin
    return None


def transfer(student, student_id, requests, to_university_id, occurred_at, now):
    """The student now studies at `to_university_id`; their open requests (`requests`: all of theirs) go
    there too. A transfer older than the one already applied (`updated_at`: when registry recorded it)
    changes nothing. Returns a new row to add, if any."""
    added = None
    if student is None:
        student = added = Student(id=student_id, university_id=to_university_id, updated_at=occurred_at)
    elif as_utc(student.updated_at) > occurred_at:
        return None
    student.university_id, student.updated_at = to_university_id, occurred_at
    for request in requests:
        if rules.moves_with_student(request.status) and request.university_id != to_university_id:
            request.transferred_from_university_id, request.transferred_at = request.university_id, now
            request.university_id = to_university_id
    return added


def learn_payout(payout, data, status, occurred_at):
    """Payments' latest word on a placement's payout, unless a later one is known (a new row to add, if any)."""
    added = None
    if payout is None:
        payout = added = Payout(placement_id=data["placement_id"])
    elif not rules.payout_supersedes(payout.status, as_utc(payout.changed_at), status, occurred_at):
        return None
    payout.payout_id, payout.amount_kzt, payout.status = data["payout_id"], data["amount_kzt"], status
    payout.changed_at = occurred_at.astimezone(dt.timezone.utc)
    return added


def issue_certificate(student_id, certificate_facts, facts_digest, random_bytes, now):
    """A new certificate stating these facts, its code from `random_bytes`."""
    return Certificate(code=rules.verification_code(random_bytes), student_id=student_id, facts=certificate_facts,
                       facts_digest=facts_digest, issued_at=now)
