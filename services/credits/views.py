"""Credits' read side: the queries behind its queues and lists and the shapes of its answers, each
dumped through its contract once, here; the gateway passes them on as they are."""
from sqlalchemy import and_, or_, select

from common.clock import as_utc
from common.contracts import credits as contracts
from common.contracts.base import shared, values_of
from common.db import page
from common.programme import MAX_CREDITS
from services.credits import rules
from services.credits.models import RecountRequest, Student, University


def dumped(contract, data):
    return shared(contract).dump(data)


# Re-count requests

def request_data(row):
    return values_of(contracts.RecountRequestOut, row, accepted_at=as_utc(row.accepted_at),
                     received_at=as_utc(row.received_at), decided_at=as_utc(row.decided_at),
                     transferred_at=as_utc(row.transferred_at))


def request(row):
    return dumped(contracts.RecountRequestOut, request_data(row))


def requests_page(session, statement, filters):
    rows, total = page(session, statement.order_by(RecountRequest.received_at, RecountRequest.id), filters["limit"],
                       filters["offset"])
    return dumped(contracts.RecountPage, {"items": [request_data(row) for row in rows], "total": total})


def university_queue(session, university_id, filters):
    return requests_page(session, queue_filtered(select(RecountRequest), university_id, filters), filters)


def flagged_requests(session, filters):
    return requests_page(session, select(RecountRequest).where(RecountRequest.flagged.is_(True)), filters)


def queue_filtered(statement, university_id, filters):
    statement = statement.where(RecountRequest.university_id == university_id)
    for field in ("status", "voucher_kind", "direction"):
        if filters.get(field):
            statement = statement.where(getattr(RecountRequest, field) == filters[field])
    start, end = rules.received_window(filters.get("received_from"), filters.get("received_to"))
    if start:
        statement = statement.where(RecountRequest.received_at >= start)
    if end:
        statement = statement.where(RecountRequest.received_at < end)
    return statement


def queue_csv_page(session, university_id, filters, after):
    """One page of the queue as CSV text, with its students' IINs, after the cursor `after` (or from the
    start), in the queue's order; and the next page's cursor."""
    statement = queue_filtered(select(RecountRequest, Student.iin).outerjoin(
        Student, Student.id == RecountRequest.student_id), university_id, filters)
    cursor = rules.read_cursor(after)
    if cursor is not None:
        received_at, request_id = cursor
        statement = statement.where(or_(RecountRequest.received_at > received_at,
                                        and_(RecountRequest.received_at == received_at,
                                             RecountRequest.id > request_id)))
    rows = session.execute(statement.order_by(RecountRequest.received_at, RecountRequest.id)
                           .limit(rules.EXPORT_PAGE)).all()
    last = rows[-1][0] if len(rows) == rules.EXPORT_PAGE else None
    return dumped(contracts.ExportPageOut, {
        "text": rules.export_csv([rules.export_row(row, iin) for row, iin in rows], after is None),
        "after": rules.cursor_of(last) if last is not None else None})


def student_credits(student_id, rows):
    """The student's credits, from their requests (oldest first)."""
    return dumped(contracts.StudentCreditsOut, {
        "student_id": student_id, "total_credits": rules.counted_credits(rows),
        "pending_credits": rules.pending_credits(rows), "max_credits": MAX_CREDITS,
        "requests": [request_data(row) for row in rows]})


# Decisions on many requests at once

def bulk_confirmation(results):
    """Each row's answer (`request`: the row, or None when refused) and the counts."""
    answered = sum(1 for result in results if result["request"] is not None)
    already = sum(1 for result in results if result["already_confirmed"])
    return dumped(contracts.BulkConfirmOut, {
        "confirmed": answered - already, "already_confirmed": already, "refused": len(results) - answered,
        "results": [{**result, "request": result["request"] and request_data(result["request"])}
                    for result in results]})


def decisions_file(results, skipped):
    fresh = [result for result in results if not result["already_decided"]]
    return dumped(contracts.DecisionsFileOut, {
        "confirmed": sum(1 for result in fresh if result["decision"] == contracts.CONFIRM),
        "rejected": sum(1 for result in fresh if result["decision"] == contracts.REJECT),
        "already_decided": len(results) - len(fresh), "skipped": skipped, "results": results})


# Universities and certificates

def universities(session):
    return [{"id": u.id, "code": u.code, "name": u.name, "region": u.region}
            for u in session.scalars(select(University).order_by(University.code))]


def certificate_file(issued, content):
    return dumped(contracts.CertificateFile, {
        "code": issued.code, "filename": f"student-voucher-certificate-{issued.code}.pdf", "content": content})


def verification(issued):
    return dumped(contracts.CertificateVerification, {**issued.facts, "valid": True, "code": issued.code,
                                                      "issued_at": as_utc(issued.issued_at)})
