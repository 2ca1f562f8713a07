"""Payments' queries and writes: each function works inside the caller's transaction."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from common.clock import utcnow
from common.contracts import payments as contracts
from common.db import find, page
from common.ids import new_id
from common.outbox import record_event
from services.payments import iso20022, rules
from services.payments.bank import DUPLICATE
from services.payments.models import (BankFile, BankMessage, BankStatement, LedgerEntry, OutboxEvent, Payout,
                                      PayoutBatch, PayoutChange, PayoutDetails, PayoutDetailsChange,
                                      Reconciliation)

SYSTEM = "payments"
BATCH_REQUESTED, BATCH_SENT = "requested", "sent"
BANK = "bank"


# Payout details


def details_of(session, student_id):
    return session.get(PayoutDetails, student_id)


DETAIL_COLUMNS = ("method", "iban", "bank_code", "bank_name", "bic", "iin", "holder_name")


def save_details(session, student_id, values, by):
    """Replace a student's details with `values` (already checked), audited."""
    details = first_details_row(session, student_id)
    now = utcnow()
    for column in DETAIL_COLUMNS:
        setattr(details, column, values.get(column))
    details.version += 1
    details.updated_at, details.updated_by = now, by
    session.add(PayoutDetailsChange(id=new_id(), student_id=student_id, version=details.version,
                                    method=details.method, masked=masked(details),
                                    bank_name=details.bank_name, holder_name=details.holder_name,
                                    changed_at=now, changed_by=by))
    return details


def first_details_row(session, student_id):
    """The student's details row, locked; made empty first if there is none. Two first saves at once
    (a request retried while its first try still runs) meet on the primary key: the second waits
    for the first and then updates its row."""
    details = session.get(PayoutDetails, student_id, with_for_update=True)
    if details is not None:
        return details
    try:
        with session.begin_nested():
            session.add(PayoutDetails(student_id=student_id, version=0, method=rules.IBAN, holder_name="",
                                      updated_at=utcnow(), updated_by=student_id))
    except IntegrityError:
        pass
    return session.get(PayoutDetails, student_id, with_for_update=True, populate_existing=True)


def masked(details):
    """The IBAN as shown: its ends. `details` is a row or a snapshot."""
    get = details.get if isinstance(details, dict) else lambda name: getattr(details, name)
    return rules.mask_iban(get("iban"))


def details_view(details):
    return {"method": details.method, "masked": masked(details), "bank_code": details.bank_code,
            "bank_name": details.bank_name, "bic": details.bic, "holder_name": details.holder_name,
            "version": details.version, "updated_at": details.updated_at}


def snapshot(details):
    """What a payout is sent with; kept on the payout once it has gone to the bank."""
    return {**{column: getattr(details, column) for column in DETAIL_COLUMNS}, "version": details.version}


def release_awaiting(session, student_id, batched):
    """The student's payouts that waited for details are ready to go."""
    for payout in session.scalars(select(Payout).where(Payout.student_id == student_id,
                                                       Payout.status == rules.AWAITING_DETAILS)):
        payout.batched = batched
        payout.next_attempt_at = None
        change_status(session, payout, rules.READY, by=student_id, note="payout details given")


# Payouts


def find_payout(session, payout_id, lock=False):
    return find(session, Payout, payout_id, lock)


def payout_like(session, report):
    """The payout this report would duplicate: for its placement, or the student's voucher of its kind."""
    return session.scalar(select(Payout).where(or_(
        Payout.placement_id == report["placement_id"],
        (Payout.student_id == report["student_id"]) & (Payout.voucher_kind == report["voucher_kind"]))).limit(1))


def create_payout(session, report, batched):
    """The payout an accepted report earns, with its ledger movement budget → payable."""
    amount = rules.payout_amount(report["voucher_kind"])
    has_details = details_of(session, report["student_id"]) is not None
    payout = Payout(
        id=new_id(), key=rules.payout_key(report["placement_id"], report["voucher_kind"]),
        placement_id=report["placement_id"], report_id=report["report_id"],
        student_id=report["student_id"], student_name=report["student_name"], region=report["region"],
        voucher_kind=report["voucher_kind"], amount_kzt=amount, batched=batched, round=1, attempts=0,
        status=rules.READY if has_details else rules.AWAITING_DETAILS, created_at=utcnow(),
    )
    session.add(payout)
    session.flush()
    audit(session, payout, by=report["accepted_by"], note="report accepted")
    post(session, payout, "accepted")
    return payout


def change_status(session, payout, status, by, note=None):
    payout.status = status
    audit(session, payout, by, note)


def audit(session, payout, by, note=None):
    session.add(PayoutChange(id=new_id(), payout_id=payout.id, status=payout.status, note=note,
                             changed_at=utcnow(), changed_by=by))


def emit(session, event_type, payout):
    record_event(session, OutboxEvent, event_type, {
        "payout_id": payout.id, "key": payout.key, "placement_id": payout.placement_id,
        "student_id": payout.student_id, "region": payout.region, "voucher_kind": payout.voucher_kind,
        "amount_kzt": payout.amount_kzt, "reason": payout.reason,
    })


def payout_view(payout):
    destination = payout.destination
    shown = None
    if destination:
        shown = {"method": destination["method"], "masked": masked(destination),
                 "bank_name": destination.get("bank_name"), "holder_name": destination["holder_name"]}
    return {**{column: getattr(payout, column) for column in (
        "id", "key", "placement_id", "report_id", "student_id", "student_name", "region", "voucher_kind",
        "amount_kzt", "status", "reason", "reason_code", "bank_status", "end_to_end_id", "file_id", "attempts",
        "round", "batch_id", "created_at", "sent_at", "paid_at", "booked_on", "failed_at", "returned_at")},
        "destination": shown, "student_must_act": waits_for_student(payout)}


def waits_for_student(payout):
    """Whether the bank refused or returned it for a reason only new details can cure."""
    return payout.status in (rules.FAILED, rules.RETURNED) and rules.student_must_act(payout.reason_code)


def row_view(row):
    """A row's columns as a dict, for the RPC answer."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def list_payouts(session, filters, limit, offset):
    query = select(Payout)
    for name in ("status", "student_id", "placement_id", "region"):
        if filters.get(name):
            query = query.where(getattr(Payout, name) == filters[name])
    return page(session, query.order_by(Payout.created_at, Payout.id), limit, offset)


def totals_by_region(session):
    paid = Payout.status == rules.PAID
    rows = session.execute(
        select(Payout.region, func.count(), func.sum(Payout.amount_kzt),
               func.sum(case((paid, 1), else_=0)), func.sum(case((paid, Payout.amount_kzt), else_=0)),
               func.sum(case((Payout.status == rules.FAILED, 1), else_=0)))
        .group_by(Payout.region).order_by(Payout.region)
    ).all()
    return [{"region": region, "payouts": count, "amount_kzt": int(amount or 0), "paid": int(paid_count or 0),
             "paid_kzt": int(paid_kzt or 0), "failed": int(failed or 0)}
            for region, count, amount, paid_count, paid_kzt, failed in rows]


def retry(session, payout, by):
    """The Operator sends a failed or returned payout again. When the bank never answered about its
    file, the outcome is unknown: the same file goes again, byte for byte, so the bank recognises it
    (DUPL) and its answers about that file, whenever they come, settle this payout. Otherwise a new
    round goes to the student's current details under a new EndToEndId."""
    bank_file = session.get(BankFile, payout.file_id, with_for_update=True) if payout.file_id else None
    if payout.status == rules.FAILED and bank_file is not None and bank_file.status == FILE_UNANSWERED:
        bank_file.status, bank_file.attempts, bank_file.next_attempt_at = FILE_SENDING, 0, None
        for member in session.scalars(select(Payout).where(Payout.file_id == bank_file.id,
                                                           Payout.status == rules.FAILED,
                                                           Payout.reason_code.is_(None))):
            member.reason, member.failed_at, member.claim = None, None, bank_file.id
            change_status(session, member, rules.SENDING, by,
                          note=f"retried by the Operator: file {bank_file.id} again, its outcome was unknown")
        return
    payout.earlier_rounds = (payout.earlier_rounds or []) + [{
        "end_to_end_id": payout.end_to_end_id, "file_id": payout.file_id, "status": payout.status,
        "reason_code": payout.reason_code, "booked_on": _iso(payout.booked_on),
        "returned_on": _iso(payout.returned_on)}]
    payout.round += 1
    payout.attempts = 0
    payout.next_attempt_at = None
    payout.batched = False
    payout.reason = payout.reason_code = payout.bank_status = None
    payout.end_to_end_id = payout.file_id = None
    payout.booked_on = payout.returned_on = None
    has_details = details_of(session, payout.student_id) is not None
    change_status(session, payout, rules.READY if has_details else rules.AWAITING_DETAILS, by,
                  note=f"retried by the Operator (round {payout.round})")


def _iso(day):
    return day.isoformat() if day else None


def _day(text):
    return dt.date.fromisoformat(text) if text else None


def details_changed_since(session, payout):
    """Whether the student gave new details after this payout last went to the bank."""
    details = details_of(session, payout.student_id)
    return details is not None and (payout.destination is None or details.version > payout.destination["version"])


# Payout files

FILE_SENDING, FILE_RECEIVED, FILE_REJECTED, FILE_UNANSWERED, FILE_INVALID = (
    "sending", "received", "rejected", "unanswered", "invalid")


def claim_due(session, batched, limit, claim=None):
    """Mark up to `limit` payouts due to go as this claim's, with the details they go with."""
    now = utcnow()
    due = ((Payout.status == rules.READY) & (Payout.batched == batched)
           & or_(Payout.next_attempt_at.is_(None), Payout.next_attempt_at <= now))
    ids = session.scalars(select(Payout.id).where(due).order_by(Payout.created_at).limit(limit)
                          .with_for_update(skip_locked=True)).all()
    if not ids:
        return []
    claim = claim or new_id()
    session.execute(update(Payout).where(Payout.id.in_(ids), due)
                    .values(status=rules.SENDING, claim=claim, claimed_at=now)
                    .execution_options(synchronize_session=False))
    claimed = session.scalars(select(Payout).where(Payout.claim == claim, Payout.status == rules.SENDING)
                              .order_by(Payout.created_at, Payout.id)).all()
    details = {row.student_id: row for row in session.scalars(  # one query for the whole claim
        select(PayoutDetails).where(PayoutDetails.student_id.in_({payout.student_id for payout in claimed})))}
    for payout in claimed:
        payout.destination = snapshot(details[payout.student_id])
        payout.end_to_end_id = rules.end_to_end_id(payout.id, payout.round)
        payout.attempts += 1
    return claimed


def build_file(session, payouts, bank, execution_date, by=SYSTEM, check=iso20022.pain001_problems):
    """The pain.001 for these claimed payouts, checked against the XSD (`check`) in this transaction.
    A file that does not validate is never sent: it is kept with its problems and its payouts fail
    with them, for the Operator to see. Answers the file."""
    now = utcnow()
    bank_file = BankFile(id=rules.file_id(now, new_id()), status=FILE_SENDING, execution_date=execution_date,
                         payouts=len(payouts), amount_kzt=sum(payout.amount_kzt for payout in payouts),
                         attempts=0, problems=[], created_at=now, document="")
    transfers = [iso20022.Transfer(
        end_to_end_id=payout.end_to_end_id, amount_kzt=payout.amount_kzt,
        name=payout.destination["holder_name"], iban=payout.destination["iban"], bic=payout.destination["bic"],
        iin=payout.destination["iin"],
        remittance=f"{bank.programme}: {payout.voucher_kind} voucher reward, IIN {payout.destination['iin']}",
    ) for payout in payouts]
    document = iso20022.build_pain001(bank_file.id, now, bank.debtor, execution_date, transfers, bank.codes)
    bank_file.document = document.decode("utf-8")
    bank_file.problems = check(document)
    session.add(bank_file)
    session.flush()
    for payout in payouts:
        payout.file_id, payout.claim = bank_file.id, bank_file.id
    if bank_file.problems:
        bank_file.status = FILE_INVALID
        for payout in payouts:
            mark_failed(session, payout, "the payout file did not validate against the ISO 20022 schema: "
                        + bank_file.problems[0], by=by)
    return bank_file


def files_due(session):
    now = utcnow()
    return session.scalars(select(BankFile.id).where(
        BankFile.status == FILE_SENDING, or_(BankFile.next_attempt_at.is_(None), BankFile.next_attempt_at <= now))
        .order_by(BankFile.created_at)).all()


def file_members(session, bank_file, *statuses):
    return session.scalars(select(Payout).where(Payout.file_id == bank_file.id, Payout.status.in_(statuses))
                           .order_by(Payout.id).with_for_update()).all()


def record_file_answer(session, file_id, answer, error, settings):
    """Apply the bank's answer to a file (or `error`, no answer) once; answers the counts
    (received, refused, deferred) for a batch."""
    bank_file = session.get(BankFile, file_id, with_for_update=True)
    if bank_file is None or bank_file.status != FILE_SENDING:
        return None
    bank_file.attempts += 1
    members = file_members(session, bank_file, rules.SENDING)
    if answer is not None and answer.received:
        bank_file.status, bank_file.sent_at, bank_file.next_attempt_at = FILE_RECEIVED, utcnow(), None
        for payout in members:
            mark_sent(session, payout, bank_file.id + (" (already there)" if answer.duplicate else ""))
        return len(members), 0, 0
    if answer is not None:
        bank_file.status = FILE_REJECTED
        bank_file.problems = [f"{answer.reason}: {answer.text or ''}".strip()]
        for payout in members:
            mark_failed(session, payout, rules.reason_text(answer.reason, answer.text), code=answer.reason)
        return 0, len(members), 0
    if bank_file.attempts >= settings.max_attempts:
        bank_file.status = FILE_UNANSWERED
        bank_file.problems = [f"no answer after {bank_file.attempts} attempts: {error}"]
        for payout in members:
            mark_failed(session, payout, f"the bank did not answer after {bank_file.attempts} attempts ({error}); "
                        "it may still pay: a retry sends the same file again", by=SYSTEM)
        return 0, 0, len(members)
    bank_file.next_attempt_at = utcnow() + dt.timedelta(
        seconds=rules.retry_delay(bank_file.attempts, settings.retry_base_seconds, settings.retry_cap_seconds))
    for payout in members:
        audit(session, payout, SYSTEM, note=f"file {bank_file.id}, attempt {bank_file.attempts}: {error}")
    return None


def mark_sent(session, payout, file_id, by=BANK):
    """The bank has the payout's file: the money is on its way (payable → at the bank)."""
    payout.bank_ref = file_id
    payout.sent_at = utcnow()
    payout.claim = None
    payout.next_attempt_at = None
    change_status(session, payout, rules.SENT, by, note=f"file {file_id} received by the bank")
    post(session, payout, "sent")
    emit(session, contracts.PAYOUT_SENT, payout)


def mark_failed(session, payout, reason, by=BANK, code=None):
    payout.reason = reason
    payout.reason_code = code
    payout.failed_at = utcnow()
    payout.claim = None
    was_at_bank = payout.status == rules.SENT
    change_status(session, payout, rules.FAILED, by, note=reason)
    if was_at_bank:
        post(session, payout, "returned")
    emit(session, contracts.PAYOUT_FAILED, payout)


def mark_paid(session, payout, booked_on):
    """The bank debited the Operator's account for it; a repeat, or news of an earlier round, changes
    nothing. Answers whether it changed anything."""
    if payout.status in (rules.PAID, rules.RETURNED):
        return False
    if payout.status in (rules.READY, rules.SENDING):
        mark_sent(session, payout, payout.file_id)  # the bank's news overtook its answer to the file
    was_failed = payout.status == rules.FAILED
    payout.paid_at = utcnow()
    payout.booked_on = booked_on
    payout.reason = payout.reason_code = None
    change_status(session, payout, rules.PAID, BANK, note=f"booked by the bank on {booked_on}")
    post(session, payout, "paid_late" if was_failed else "paid")
    emit(session, contracts.PAYOUT_PAID, payout)
    return True


def mark_returned(session, payout, code, returned_on, paid_on=None):
    """Paid, then sent back by the student's bank: owed again, and the student must act."""
    if payout.status == rules.RETURNED:
        return False
    if payout.status != rules.PAID:
        mark_paid(session, payout, paid_on)  # the return is the proof that it was paid
    payout.reason, payout.reason_code = rules.reason_text(code), code
    payout.returned_at, payout.returned_on = utcnow(), returned_on
    change_status(session, payout, rules.RETURNED, BANK, note=f"returned by the bank: {payout.reason}")
    post(session, payout, "reversed")
    emit(session, contracts.PAYOUT_RETURNED, payout)
    return True


# The bank's messages


def payout_for(session, end_to_end_id):
    """The payout whose current round this EndToEndId is, locked; None for another's or an earlier
    round's (the statement shows those to the Operator)."""
    parsed = rules.parse_end_to_end_id(end_to_end_id)
    if parsed is None:
        return None
    payout = session.get(Payout, parsed[0], with_for_update=True)
    return payout if payout is not None and payout.end_to_end_id == end_to_end_id else None


def first_sight(session, message):
    """Record the message's MsgId; False when it was applied before."""
    if session.get(BankMessage, message["msg_id"]) is not None:
        return False
    session.add(BankMessage(id=message["msg_id"], type=message["type"], received_at=utcnow(), summary=""))
    session.flush()
    return True


def apply_message(session, message, account):
    """Apply one message from the bank about `account` (the Operator's IBAN) once; answers a
    one-line summary, kept with its MsgId."""
    summary = APPLIERS[message["type"]](session, message, account)
    session.get(BankMessage, message["msg_id"]).summary = summary
    return summary


def _apply_status_report(session, report, account):
    bank_file = session.get(BankFile, report["original_msg_id"], with_for_update=True)
    if bank_file is None:
        return f"status report about file {report['original_msg_id']}, not one of ours"
    if report["group_reason"] == DUPLICATE:
        return f"file {bank_file.id} sent again, recognised as a duplicate"
    bank_file.group_status = report["group_status"] or bank_file.group_status
    bank_file.answered_at = utcnow()
    rejected = 0
    if report["group_status"] == "RJCT" and not report["transactions"]:
        bank_file.status = FILE_REJECTED
        bank_file.problems = [rules.reason_text(report["group_reason"], report["group_detail"])]
        for payout in file_members(session, bank_file, rules.SENDING, rules.SENT):
            mark_failed(session, payout, bank_file.problems[0], code=report["group_reason"])
            rejected += 1
    for item in report["transactions"]:
        payout = payout_for(session, item["end_to_end_id"])
        if payout is None or payout.file_id != bank_file.id:
            continue
        payout.bank_status = item["status"]
        if item["status"] == "RJCT" and payout.status in (rules.SENDING, rules.SENT):
            mark_failed(session, payout, rules.reason_text(item["reason"], item["detail"]), code=item["reason"])
            rejected += 1
    return f"status {bank_file.group_status} for file {bank_file.id}: {rejected} rejected"


def _apply_notification(session, notification, account):
    paid = 0
    for entry in notification["entries"]:
        if entry["account"] != account or entry["direction"] != "DBIT":
            continue  # a return's credit: the pacs.004 says which payout and why
        payout = payout_for(session, entry["end_to_end_id"])
        if payout is not None and mark_paid(session, payout, entry["booked_on"]):
            paid += 1
    return f"{paid} paid"


def _apply_return(session, message, account):
    returned = 0
    for item in message["returns"]:
        payout = payout_for(session, item["end_to_end_id"])
        if payout is not None and mark_returned(session, payout, item["reason"], item["returned_on"],
                                                item["paid_on"]):
            returned += 1
    return f"{returned} returned"


def _apply_statement(session, statement, account):
    if statement["account"] != account:
        return f"statement of another account ({statement['account']})"
    for entry in statement["entries"]:  # the day a return was booked is on the statement
        payout = payout_for(session, entry["end_to_end_id"]) if entry["direction"] == "CRDT" else None
        if payout is not None and payout.status == rules.RETURNED and payout.returned_on is None:
            payout.returned_on = entry["booked_on"]
    debits = sum(entry["amount"] for entry in statement["entries"] if entry["direction"] == "DBIT")
    credits = sum(entry["amount"] for entry in statement["entries"] if entry["direction"] == "CRDT")
    row = BankStatement(
        id=statement["statement_id"], day=statement["day"],
        sequence=int(statement["sequence"]) if (statement["sequence"] or "").isdigit() else None,
        opening=statement["opening"], closing=statement["closing"], debits_kzt=int(debits), credits_kzt=int(credits),
        entries=[{"end_to_end_id": entry["end_to_end_id"], "amount": str(entry["amount"]),
                  "direction": entry["direction"]} for entry in statement["entries"]],
        problems=[], clean=True, received_at=utcnow())
    session.add(row)
    check_statement(session, row)
    return f"statement of {row.day}: {len(row.entries)} entries, {'clean' if row.clean else 'problems'}"


APPLIERS = {"pain.002": _apply_status_report, "camt.054": _apply_notification, "camt.053": _apply_statement,
            "pacs.004": _apply_return}


def statement_values(row):
    return {"day": row.day, "opening": Decimal(str(row.opening)), "closing": Decimal(str(row.closing)),
            "entries": [{**entry, "amount": Decimal(entry["amount"])} for entry in row.entries]}


def check_statement(session, row):
    """Compare one stored statement with the payouts it names or that were booked on its day."""
    parsed = (rules.parse_end_to_end_id(entry["end_to_end_id"]) for entry in row.entries)
    ids = {found[0] for found in parsed if found}
    query = select(Payout).where(or_(Payout.id.in_(ids), Payout.booked_on == row.day, Payout.returned_on == row.day))
    payouts = {}
    for payout in session.scalars(query):
        for earlier in payout.earlier_rounds or []:
            payouts[earlier["end_to_end_id"]] = (payout.key, earlier["status"], payout.amount_kzt,
                                                 _day(earlier["booked_on"]), _day(earlier["returned_on"]))
        payouts[payout.end_to_end_id] = (payout.key, payout.status, payout.amount_kzt, payout.booked_on,
                                         payout.returned_on)
    row.problems = rules.statement_problems(statement_values(row), payouts)
    row.clean = not row.problems
    return row.problems


# Batches


def batch_sent_on(session, day):
    return session.scalar(select(PayoutBatch.id).where(PayoutBatch.day == day).limit(1)) is not None


def open_batch(session, day, by, limit):
    """The day's batch with every payout waiting for it claimed; the sender writes them into one file."""
    batch = PayoutBatch(id=new_id(), day=day, status=BATCH_REQUESTED, payouts=0, amount_kzt=0, accepted=0,
                        refused=0, deferred=0, created_at=utcnow(), created_by=by)
    session.add(batch)
    session.flush()
    payouts = claim_due(session, batched=True, limit=limit, claim=batch.id)
    for payout in payouts:
        payout.batch_id = batch.id
    batch.payouts, batch.amount_kzt = len(payouts), sum(payout.amount_kzt for payout in payouts)
    if not payouts:
        batch.status = BATCH_SENT
    return batch


def batches_to_write(session):
    return session.scalars(select(PayoutBatch.id).where(PayoutBatch.status == BATCH_REQUESTED,
                                                        PayoutBatch.file_id.is_(None))).all()


def write_batch_file(session, batch_id, bank, check=iso20022.pain001_problems):
    """The requested batch's payouts in one file (in the transaction that locks the batch)."""
    batch = session.get(PayoutBatch, batch_id, with_for_update=True)
    if batch is None or batch.file_id is not None:
        return None
    payouts = session.scalars(select(Payout).where(Payout.claim == batch.id, Payout.status == rules.SENDING)
                              .order_by(Payout.created_at, Payout.id).with_for_update()).all()
    if not payouts:
        batch.status = BATCH_SENT
        return None
    bank_file = build_file(session, payouts, bank, batch.day, by=batch.created_by, check=check)
    batch.file_id = bank_file.id
    return bank_file


def record_batch_answer(session, file_id, counts):
    batch = session.scalar(select(PayoutBatch).where(PayoutBatch.file_id == file_id))
    if batch is not None and counts is not None:
        batch.accepted, batch.refused, batch.deferred = counts
        batch.status = BATCH_SENT


# Ledger


def post(session, payout, kind):
    lines = rules.posting(kind, payout.amount_kzt)
    if not rules.is_balanced(lines):
        raise ValueError(f"an unbalanced {kind} posting")
    transaction_id, now = new_id(), utcnow()
    for account, debit, credit in lines:
        session.add(LedgerEntry(id=new_id(), transaction_id=transaction_id, payout_id=payout.id, kind=kind,
                                account=account, debit=debit, credit=credit, created_at=now))


def ledger_lines(session):
    return [tuple(row) for row in session.execute(
        select(LedgerEntry.account, func.sum(LedgerEntry.debit), func.sum(LedgerEntry.credit))
        .group_by(LedgerEntry.account))]


def ledger_view(session):
    lines = [(account, int(debit), int(credit)) for account, debit, credit in ledger_lines(session)]
    return {"balanced": rules.is_balanced(lines), "debits_kzt": sum(line[1] for line in lines),
            "credits_kzt": sum(line[2] for line in lines), "accounts": rules.balances(lines)}


# Reconciliation


def save_reconciliation(session, by):
    """The ledger against every statement the bank sent: each statement checked again (a
    notification may have come after it), and what the bank paid net of returns against the
    ledger's paid-out balance, less what was booked after the last statement (the next one shows
    it)."""
    statements = session.scalars(select(BankStatement).order_by(BankStatement.day)).all()
    mismatches = []
    for row in statements:
        mismatches += [{**problem, "day": row.day.isoformat()} for problem in check_statement(session, row)]
    bank_paid = sum(row.debits_kzt - row.credits_kzt for row in statements)
    last_day = statements[-1].day if statements else None
    ledger = ledger_view(session)
    ledger_paid = ledger["accounts"][rules.PAID_OUT]
    awaiting = select(func.coalesce(func.sum(Payout.amount_kzt), 0)).where(Payout.status == rules.PAID)
    if last_day is not None:
        awaiting = awaiting.where(Payout.booked_on > last_day)
    ledger_paid -= int(session.scalar(awaiting) or 0)  # booked after the last statement: on the next one
    if ledger_paid != bank_paid and not mismatches:
        mismatches.append({"key": "*", "kind": "totals_differ", "amount": ledger_paid, "bank_amount": bank_paid})
    checked = session.scalar(select(func.count()).select_from(Payout).where(Payout.file_id.is_not(None)))
    run = Reconciliation(id=new_id(), run_at=utcnow(), run_by=by, checked=checked,
                         clean=not mismatches and ledger["balanced"], ledger_balanced=ledger["balanced"],
                         ledger_paid_kzt=ledger_paid, bank_paid_kzt=bank_paid, mismatches=mismatches)
    session.add(run)
    return run


# What the Operator sees of the bank


def bank_view(session, silence_seconds, today):
    """Recent files and statements, and where the bank is silent: files it took without a status
    within `silence_seconds`, and no statement for a business day before `today`."""
    now = utcnow()
    files = session.scalars(select(BankFile).order_by(BankFile.created_at.desc()).limit(50)).all()
    statements = session.scalars(select(BankStatement).order_by(BankStatement.day.desc()).limit(31)).all()
    silent = session.scalars(select(BankFile.id).where(
        BankFile.status == FILE_RECEIVED, BankFile.answered_at.is_(None),
        BankFile.sent_at < now - dt.timedelta(seconds=silence_seconds))).all()
    first_sent = session.scalar(select(func.min(BankFile.sent_at)))
    last_day = statements[0].day if statements else None
    expected = rules.previous_business_day(today)
    overdue = first_sent is not None and expected >= first_sent.date() and (last_day is None or last_day < expected)
    return {"files": [file_view(row) for row in files], "statements": [row_view(row) for row in statements],
            "silent_files": silent, "last_statement_day": last_day,
            "statement_overdue": expected if overdue else None}


def file_view(row):
    return {column: getattr(row, column) for column in (
        "id", "status", "execution_date", "payouts", "amount_kzt", "problems", "attempts", "group_status",
        "created_at", "sent_at", "answered_at")}
