"""Credits' queries and writes, so the service stays thin."""
import datetime as dt
import secrets

from sqlalchemy import and_, or_, select

from common.clock import as_utc, utcnow
from common.contracts import credits as contract
from common.db import find, page
from common.errors import NotFound
from common.ids import new_id
from common.outbox import record_event
from services.credits import rules
from services.credits.models import Certificate, OutboxEvent, Payout, RecountRequest, Student, University

CODE_BYTES = 15  # 120 random bits: 24 base32 characters


# Read models


def add_university(session, data):
    session.merge(University(id=data["university_id"], code=data["code"], name=data["name"],
                             region=data["region"]))


def list_universities(session):
    return session.scalars(select(University).order_by(University.code)).all()


def university_names(session, university_ids):
    rows = session.execute(select(University.id, University.name).where(University.id.in_(university_ids)))
    return dict(rows.all())


def add_student(session, student_id, iin, university_id, occurred_at):
    """A newly registered student; a transfer already applied (events out of order) is kept."""
    student = session.get(Student, student_id)
    if student is None:
        session.add(Student(id=student_id, iin=iin, university_id=university_id, updated_at=occurred_at))
    elif student.iin is None:
        student.iin = iin


def transfer_student(session, student_id, to_university_id, occurred_at):
    """The student now studies at `to_university_id`; their open requests go there too. A transfer
    older than the one already applied (`updated_at`: when registry recorded it) changes nothing."""
    now = utcnow()
    student = session.get(Student, student_id, with_for_update=True)
    if student is None:
        session.add(Student(id=student_id, university_id=to_university_id, updated_at=occurred_at))
    elif as_utc(student.updated_at) > occurred_at:
        return
    else:
        student.university_id, student.updated_at = to_university_id, occurred_at
    for request in student_requests(session, student_id, lock=True):
        if rules.moves_with_student(request.status) and request.university_id != to_university_id:
            request.transferred_from_university_id = request.university_id
            request.transferred_at = now
            request.university_id = to_university_id


def record_payout(session, data, status, occurred_at):
    payout = session.get(Payout, data["placement_id"], with_for_update=True)
    if payout is None:
        payout = Payout(placement_id=data["placement_id"])
        session.add(payout)
    elif not rules.payout_supersedes(payout.status, as_utc(payout.changed_at), status, occurred_at):
        return
    payout.payout_id = data["payout_id"]
    payout.amount_kzt = data["amount_kzt"]
    payout.status = status
    payout.changed_at = occurred_at.astimezone(dt.timezone.utc)


def payment_statuses(session, placement_ids):
    rows = session.execute(select(Payout.placement_id, Payout.status)
                           .where(Payout.placement_id.in_(placement_ids)))
    return dict(rows.all())


# Re-count requests


def open_request(session, report):
    """The re-count request for an accepted report, or None if its placement already has one.
    A request that would take the student past the programme's maximum is refused and flagged."""
    if session.scalar(select(RecountRequest.id).where(RecountRequest.placement_id == report["placement_id"])):
        return None
    student = session.get(Student, report["student_id"])
    due = rules.credits_due(report["voucher_kind"])
    year = rules.request_year(report.get("starts_on"), report["accepted_at"])
    earlier = rules.of_year(student_requests(session, report["student_id"], lock=True), year)
    reason = rules.refusal_reason(rules.claimed_credits(earlier), due)
    request = RecountRequest(
        id=new_id(), placement_id=report["placement_id"], programme_year=year, report_id=report["report_id"],
        student_id=report["student_id"], student_name=report["student_name"],
        university_id=student.university_id if student else report["university_id"], region=report["region"],
        organisation_id=report["organisation_id"], organisation_name=report["organisation_name"],
        site_id=report["site_id"], site_name=report["site_name"], direction=report["direction"],
        voucher_kind=report["voucher_kind"], hours=report["hours"], credits=due,
        status=contract.PENDING, flagged=False, accepted_at=report["accepted_at"], received_at=utcnow(),
    )
    if reason:
        refuse(request, reason)
    session.add(request)
    return request


def refuse(request, reason):
    request.status = contract.REFUSED
    request.reason = reason
    request.flagged = True
    request.decided_at = utcnow()


def confirm(session, request, decision, registrar_id, total_credits):
    request.status = contract.CONFIRMED
    request.discipline = decision["discipline"].strip()
    request.order_number = decision["order_number"].strip()
    request.order_date = decision.get("order_date")
    request.decided_by = registrar_id
    request.decided_at = utcnow()
    record_event(session, OutboxEvent, contract.CREDITS_RECOUNTED, {
        "request_id": request.id, "placement_id": request.placement_id, "student_id": request.student_id,
        "university_id": request.university_id, "credits": request.credits, "total_credits": total_credits,
    })


def reject(request, reason, registrar_id):
    request.status = contract.REJECTED
    request.reason = reason.strip()
    request.decided_by = registrar_id
    request.decided_at = utcnow()


def find_request(session, request_id, lock=False):
    return find(session, RecountRequest, request_id, lock)


def student_requests(session, student_id, lock=False):
    query = (select(RecountRequest).where(RecountRequest.student_id == student_id)
             .order_by(RecountRequest.received_at, RecountRequest.id))
    if lock:
        query = query.with_for_update()
    return session.scalars(query).all()


def university_queue(session, university_id, filters):
    return requests_page(session, queue_filtered(select(RecountRequest), university_id, filters), filters)


def queue_filtered(query, university_id, filters):
    query = query.where(RecountRequest.university_id == university_id)
    for field in ("status", "voucher_kind", "direction"):
        if filters.get(field):
            query = query.where(getattr(RecountRequest, field) == filters[field])
    start, end = rules.received_window(filters.get("received_from"), filters.get("received_to"))
    if start:
        query = query.where(RecountRequest.received_at >= start)
    if end:
        query = query.where(RecountRequest.received_at < end)
    return query


def export_page(session, university_id, filters, after, size):
    """Up to `size` requests of the queue with their student's IIN, after the cursor `after`
    ((received_at, id), or None), in the queue's order."""
    query = queue_filtered(select(RecountRequest, Student.iin).outerjoin(Student, Student.id == RecountRequest.student_id),
                           university_id, filters)
    if after is not None:
        received_at, request_id = after
        query = query.where(or_(RecountRequest.received_at > received_at,
                                and_(RecountRequest.received_at == received_at, RecountRequest.id > request_id)))
    return session.execute(query.order_by(RecountRequest.received_at, RecountRequest.id).limit(size)).all()


class DecisionSheet:
    """The requests asked to decide, and every request of their students (the yearly cap weighs
    them), read and locked at once in id order: a few queries for the whole batch, not a few per row."""

    def __init__(self, session, university_id, request_ids):
        students = select(RecountRequest.student_id).where(RecountRequest.id.in_(set(request_ids)))
        requests = session.scalars(select(RecountRequest).where(RecountRequest.student_id.in_(students))
                                   .order_by(RecountRequest.id).with_for_update()).all() if request_ids else []
        self.university_id = university_id
        self.requests = {request.id: request for request in requests}
        self.by_student = {}
        for request in requests:
            self.by_student.setdefault(request.student_id, []).append(request)

    def request(self, request_id):
        request = self.requests.get(request_id)
        if request is None or request.university_id != self.university_id:
            raise NotFound("no such re-count request")
        return request

    def counted_besides(self, request):
        """Credits confirmed for the request's student in its programme year, itself left out: as
        decided so far in this batch."""
        return rules.counted_credits([r for r in rules.of_year(self.by_student[request.student_id], rules.year_of(request))
                                      if r.id != request.id])


def flagged_requests(session, filters):
    return requests_page(session, select(RecountRequest).where(RecountRequest.flagged.is_(True)), filters)


def requests_page(session, query, filters):
    items, total = page(session, query.order_by(RecountRequest.received_at, RecountRequest.id), filters["limit"],
                        filters["offset"])
    return {"items": [as_dict(r) for r in items], "total": total}


def as_dict(request):
    return {column.key: getattr(request, column.key) for column in RecountRequest.__table__.columns}


# Certificates


def issue_certificate(session, student_id, certificate_facts, facts_digest):
    """The student's certificate stating these facts: the one already issued, or a new one."""
    existing = session.scalar(select(Certificate).where(Certificate.student_id == student_id,
                                                        Certificate.facts_digest == facts_digest))
    if existing:
        return existing
    certificate = Certificate(code=rules.verification_code(secrets.token_bytes(CODE_BYTES)),
                              student_id=student_id, facts=certificate_facts, facts_digest=facts_digest,
                              issued_at=utcnow())
    session.add(certificate)
    return certificate


def find_certificate(session, code):
    return session.get(Certificate, rules.normalise_code(code))
