"""Credits' write side: gets, adds and locks what a change needs, as the domain's objects.

A decision locks the request and every request of its student (the yearly cap weighs them), so two
registrars deciding the same student's requests queue on them, and each sees what the other left. The
unique placement of a request and the CHECKs on its state are the backstops of the rules.
"""
from sqlalchemy import select

from common.db import find
from common.unit_of_work import track
from services.credits import domain, rules
from services.credits.models import Certificate, Payout, RecountRequest, Student, University


def add(session, *rows):
    session.add_all(rows)
    session.flush()


# Read models of other services' events

def add_university(session, data):
    session.merge(University(id=data["university_id"], code=data["code"], name=data["name"],
                             region=data["region"]))


def student(session, student_id, lock=False):
    return session.get(Student, student_id, with_for_update=lock)


def payout(session, placement_id):
    return session.get(Payout, placement_id, with_for_update=True)


def payment_statuses(session, placement_ids):
    rows = session.execute(select(Payout.placement_id, Payout.status)
                           .where(Payout.placement_id.in_(placement_ids)))
    return dict(rows.all())


def university_names(session, university_ids):
    rows = session.execute(select(University.id, University.name).where(University.id.in_(university_ids)))
    return dict(rows.all())


# Re-count requests: the aggregate

def has_request(session, placement_id):
    return session.scalar(select(RecountRequest.id).where(RecountRequest.placement_id == placement_id)) is not None


def find_request(session, request_id):
    return find(session, RecountRequest, request_id)


def request(session, request_id):
    """The request as the domain's `RecountRequest`, locked with its student's other requests of its
    programme year and tracked for the unit of work; None if there is none."""
    row = find(session, RecountRequest, request_id, lock=True)
    if row is None:
        return None
    others = [r for r in student_requests(session, row.student_id, lock=True) if r.id != row.id]
    return track(session, domain.RecountRequest(row, rules.of_year(others, rules.year_of(row))))


def requests(session, request_ids):
    """The requests asked to decide in one batch, by id, as the domain's `RecountRequest`s, each with its
    student's other requests of its year: every request of their students read and locked at once in id
    order (a few queries for the whole batch, not a few per row). The rows are shared, so each decision
    weighs the ones before it in the batch."""
    wanted = set(request_ids)
    if not wanted:
        return {}
    students = select(RecountRequest.student_id).where(RecountRequest.id.in_(wanted))
    rows = session.scalars(select(RecountRequest).where(RecountRequest.student_id.in_(students))
                           .order_by(RecountRequest.id).with_for_update()).all()
    by_student = {}
    for row in rows:
        by_student.setdefault(row.student_id, []).append(row)
    return {row.id: track(session, domain.RecountRequest(row, rules.of_year(
        [r for r in by_student[row.student_id] if r.id != row.id], rules.year_of(row))))
        for row in rows if row.id in wanted}


def student_requests(session, student_id, lock=False):
    """The student's requests, oldest first."""
    query = (select(RecountRequest).where(RecountRequest.student_id == student_id)
             .order_by(RecountRequest.received_at, RecountRequest.id))
    if lock:
        query = query.with_for_update()
    return session.scalars(query).all()


# Certificates

def certificate(session, student_id, facts_digest):
    """The certificate already issued to the student stating these facts, if any."""
    return session.scalar(select(Certificate).where(Certificate.student_id == student_id,
                                                    Certificate.facts_digest == facts_digest))


def find_certificate(session, code):
    return session.get(Certificate, rules.normalise_code(code))
