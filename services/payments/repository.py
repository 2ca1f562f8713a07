"""Payments' write side: gets, adds and locks what a change needs, payouts as the domain's `Payout`
(tracked for the unit of work, which publishes what they record). Each function works inside the
caller's transaction."""
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from common.clock import utcnow
from common.contracts.payments import BatchStatus, FileStatus, PayoutStatus
from common.db import find, serialise
from common.unit_of_work import track
from services.payments import domain, rules
from services.payments.models import (BankFile, BankMessage, BankStatement, LedgerEntry, Payout, PayoutBatch,
                                      PayoutDetails)


def add(session, *rows):
    session.add_all(rows)
    session.flush()


def tracked(session, rows):
    return [track(session, domain.Payout(row)) for row in rows]


# Payout details

def details_of(session, student_id):
    return session.get(PayoutDetails, student_id)


def details_for_payout(session, student_id):
    """The student's details, if any, once a save of them under way has committed. A payout made (or
    retried) without this, while the student saves details, would see none, and that save would not
    see the payout yet: the payout would wait for details that came (`details_row` takes turns too)."""
    details_turn(session, student_id)
    return details_of(session, student_id)


def details_turn(session, student_id):
    """Payouts made or retried, and saves of the student's details, one at a time per student."""
    serialise(session, "payments.details", student_id)


def details_row(session, student_id):
    """The student's details row, locked; made empty first if there is none. Two first saves at once
    (a request retried while its first try still runs) meet on the primary key: the second waits
    for the first and then updates its row."""
    details_turn(session, student_id)
    details = session.get(PayoutDetails, student_id, with_for_update=True)
    if details is not None:
        return details
    try:
        with session.begin_nested():
            session.add(domain.empty_details(student_id, utcnow()))
    except IntegrityError:
        pass
    return session.get(PayoutDetails, student_id, with_for_update=True, populate_existing=True)


def details_by_student(session, student_ids):
    """The details of these students, by student id: one query for a whole claim."""
    return {row.student_id: row for row in session.scalars(
        select(PayoutDetails).where(PayoutDetails.student_id.in_(set(student_ids))))}


# Payouts

def payout(session, payout_id, lock=False):
    """The payout as the domain's `Payout`, or None; `lock` locks it and tracks it for the unit of work."""
    row = find(session, Payout, payout_id, lock)
    if row is None:
        return None
    return track(session, domain.Payout(row)) if lock else domain.Payout(row)


def payout_like(session, report):
    """The payout this report would duplicate: for its placement, or the student's voucher of its kind."""
    return session.scalar(select(Payout).where(or_(
        Payout.placement_id == report["placement_id"],
        (Payout.student_id == report["student_id"]) & (Payout.voucher_kind == report["voucher_kind"]))).limit(1))


def add_payout(session, payout):
    add(session, track(session, payout).row)


def awaiting_details(session, student_id):
    """The student's payouts that waited for details, locked."""
    return tracked(session, session.scalars(select(Payout).where(
        Payout.student_id == student_id, Payout.status == PayoutStatus.AWAITING_DETAILS).with_for_update()))


def due(session, batched, limit):
    """Up to `limit` payouts due to go now (or in the day's batch), oldest first, locked; those another
    sender has locked are skipped."""
    condition = ((Payout.status == PayoutStatus.READY) & (Payout.batched == batched)
                 & or_(Payout.next_attempt_at.is_(None), Payout.next_attempt_at <= utcnow()))
    return tracked(session, session.scalars(select(Payout).where(condition).order_by(Payout.created_at, Payout.id)
                                            .limit(limit).with_for_update(skip_locked=True)).all())


def claimed(session, claim):
    """The payouts claimed under `claim` (a batch's id) and still to be written, locked."""
    return tracked(session, session.scalars(select(Payout).where(
        Payout.claim == claim, Payout.status == PayoutStatus.SENDING)
        .order_by(Payout.created_at, Payout.id).with_for_update()).all())


def file_members(session, bank_file, *statuses, lock=True):
    """The file's payouts in these states (locked unless told)."""
    statement = select(Payout).where(Payout.file_id == bank_file.id, Payout.status.in_(statuses)).order_by(Payout.id)
    return tracked(session, session.scalars(statement.with_for_update() if lock else statement).all())


def named_by(session, end_to_end_ids):
    """The payouts whose current round these EndToEndIds are, locked, by EndToEndId; another's or an
    earlier round's are left out (the statement shows those to the Operator)."""
    ids = {parsed[0] for parsed in map(rules.parse_end_to_end_id, end_to_end_ids) if parsed}
    if not ids:
        return {}
    rows = session.scalars(select(Payout).where(Payout.id.in_(ids)).order_by(Payout.id).with_for_update()).all()
    return {payout.row.end_to_end_id: payout for payout in tracked(session, rows)
            if payout.row.end_to_end_id in end_to_end_ids}


# Payout files and batches

def bank_file(session, file_id, lock=True):
    return session.get(BankFile, file_id, with_for_update=lock) if file_id else None


def files_due(session):
    return session.scalars(select(BankFile.id).where(
        BankFile.status == FileStatus.SENDING,
        or_(BankFile.next_attempt_at.is_(None), BankFile.next_attempt_at <= utcnow()))
        .order_by(BankFile.created_at)).all()


def batch_sent_on(session, day):
    return session.scalar(select(PayoutBatch.id).where(PayoutBatch.day == day).limit(1)) is not None


def batch(session, batch_id):
    return session.get(PayoutBatch, batch_id, with_for_update=True)


def batch_of_file(session, file_id):
    return session.scalar(select(PayoutBatch).where(PayoutBatch.file_id == file_id))


def batches_to_write(session):
    return session.scalars(select(PayoutBatch.id).where(PayoutBatch.status == BatchStatus.REQUESTED,
                                                        PayoutBatch.file_id.is_(None))).all()


# The bank's messages and statements

def first_sight(session, message):
    """Record the message's MsgId; False when it was applied before."""
    if session.get(BankMessage, message["msg_id"]) is not None:
        return False
    add(session, BankMessage(id=message["msg_id"], type=message["type"], received_at=utcnow(), summary=""))
    return True


def message(session, msg_id):
    return session.get(BankMessage, msg_id)


def statements(session):
    return session.scalars(select(BankStatement).order_by(BankStatement.day)).all()


def statement_payouts(session, row):
    """The payouts a stored statement names, or that were booked or returned on its day."""
    parsed = (rules.parse_end_to_end_id(entry["end_to_end_id"]) for entry in row.entries)
    ids = {found[0] for found in parsed if found}
    return session.scalars(select(Payout).where(
        or_(Payout.id.in_(ids), Payout.booked_on == row.day, Payout.returned_on == row.day))).all()


# The ledger and reconciliation

def ledger_lines(session):
    """Each account's (account, debits, credits)."""
    return [tuple(row) for row in session.execute(
        select(LedgerEntry.account, func.sum(LedgerEntry.debit), func.sum(LedgerEntry.credit))
        .group_by(LedgerEntry.account))]


def paid_after(session, day):
    """What was paid and booked after `day` (everything paid, for None)."""
    statement = select(func.coalesce(func.sum(Payout.amount_kzt), 0)).where(Payout.status == PayoutStatus.PAID)
    if day is not None:
        statement = statement.where(Payout.booked_on > day)
    return int(session.scalar(statement) or 0)


def payouts_sent(session):
    """How many payouts have gone in a file."""
    return session.scalar(select(func.count()).select_from(Payout).where(Payout.file_id.is_not(None)))

