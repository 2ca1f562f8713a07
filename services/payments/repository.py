"""Payments' queries and writes: each function works inside the caller's transaction."""
import datetime as dt

from sqlalchemy import case, func, or_, select, update

from common.contracts import payments as contracts
from common.db import find, page
from common.ids import new_id
from common.outbox import record_event, utcnow
from services.payments import rules
from services.payments.models import (LedgerEntry, OutboxEvent, Payout, PayoutBatch, PayoutChange,
                                      PayoutDetails, PayoutDetailsChange, Reconciliation)

SYSTEM = "payments"
BATCH_REQUESTED, BATCH_SENT = "requested", "sent"
BANK = "bank"


# Payout details


def details_of(session, student_id):
    return session.get(PayoutDetails, student_id)


def save_details(session, student_id, values, by):
    """Replace a student's details with `values` (already checked and tokenised), audited."""
    details = details_of(session, student_id)
    now = utcnow()
    if details is None:
        details = PayoutDetails(student_id=student_id, version=0)
        session.add(details)
    for column in ("method", "card_token", "card_last4", "iban", "bank_code", "bank_name", "holder_name"):
        setattr(details, column, values.get(column))
    details.version += 1
    details.updated_at, details.updated_by = now, by
    session.add(PayoutDetailsChange(id=new_id(), student_id=student_id, version=details.version,
                                    method=details.method, masked=masked(details),
                                    bank_name=details.bank_name, holder_name=details.holder_name,
                                    changed_at=now, changed_by=by))
    return details


def masked(details):
    """The details as shown: a card's last four, an IBAN's ends. `details` is a row or a snapshot."""
    get = details.get if isinstance(details, dict) else lambda name: getattr(details, name)
    if get("method") == rules.CARD:
        return rules.mask_card(get("card_last4"))
    return rules.mask_iban(get("iban"))


def details_view(details):
    return {"method": details.method, "masked": masked(details), "card_last4": details.card_last4,
            "bank_code": details.bank_code, "bank_name": details.bank_name,
            "holder_name": details.holder_name, "version": details.version, "updated_at": details.updated_at}


def snapshot(details):
    """What a payout is sent with; kept on the payout once it has gone to the bank."""
    return {"method": details.method, "card_token": details.card_token, "card_last4": details.card_last4,
            "iban": details.iban, "bank_code": details.bank_code, "bank_name": details.bank_name,
            "holder_name": details.holder_name, "version": details.version}


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


def payouts_by_key(session, keys):
    """The payouts with these keys, locked in id order (as the sender locks them: no deadlock)."""
    return {payout.key: payout for payout in session.scalars(
        select(Payout).where(Payout.key.in_(keys)).order_by(Payout.id).with_for_update())}


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
        "amount_kzt", "status", "reason", "attempts", "round", "bank_ref", "batch_id", "created_at",
        "sent_at", "paid_at", "failed_at")}, "destination": shown}


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
    """A failed payout goes round again with the student's current details."""
    payout.round += 1
    payout.attempts = 0
    payout.next_attempt_at = None
    payout.batched = False
    payout.reason = None
    has_details = details_of(session, payout.student_id) is not None
    change_status(session, payout, rules.READY if has_details else rules.AWAITING_DETAILS, by,
                  note=f"retried by the Operator (round {payout.round})")


# Sending


def claim_due(session, settings, batched, limit, claim=None):
    """Mark up to `limit` payouts due to go as this sender's (or batch's), with the details they go with."""
    now = utcnow()
    stale = now - dt.timedelta(seconds=settings.stale_claim_seconds)
    due = or_(
        (Payout.status == rules.READY) & (Payout.batched == batched)
        & or_(Payout.next_attempt_at.is_(None), Payout.next_attempt_at <= now),
        (Payout.status == rules.SENDING) & (Payout.batched == batched) & (Payout.claimed_at < stale),
    )
    ids = session.scalars(select(Payout.id).where(due).order_by(Payout.created_at).limit(limit)).all()
    if not ids:
        return []
    claim = claim or new_id()
    session.execute(update(Payout).where(Payout.id.in_(ids), due)
                    .values(status=rules.SENDING, claim=claim, claimed_at=now)
                    .execution_options(synchronize_session=False))
    claimed = session.scalars(select(Payout).where(Payout.claim == claim)).all()
    details = {row.student_id: row for row in session.scalars(  # one query for the whole claim
        select(PayoutDetails).where(PayoutDetails.student_id.in_({payout.student_id for payout in claimed})))}
    for payout in claimed:
        payout.destination = snapshot(details[payout.student_id])
        payout.attempts += 1
    return claimed


def bank_order(payout):
    """What the bank is asked to pay."""
    destination = {name: payout.destination[name] for name in ("method", "card_token", "card_last4", "iban",
                                                                "bank_code", "holder_name")}
    return {"key": payout.key, "reference": rules.bank_reference(payout.key, payout.round),
            "amount": payout.amount_kzt, "currency": "KZT", "destination": destination}


def claimed(session, payout_id, claim):
    """The payout, if this claim still holds it (a late sender finds it moved on)."""
    payout = session.get(Payout, payout_id, with_for_update=True)
    return payout if payout is not None and payout.claim == claim and payout.status == rules.SENDING else None


def mark_sent(session, payout, bank_ref, by=BANK, check_after=None):
    """The bank accepted the payout; if no answer comes within `check_after` seconds, ask it."""
    now = utcnow()
    payout.bank_ref = bank_ref
    payout.sent_at = now
    payout.claim = None
    payout.next_attempt_at = now + dt.timedelta(seconds=check_after) if check_after else None
    change_status(session, payout, rules.SENT, by, note=f"accepted by the bank as {bank_ref}")
    post(session, payout, "sent")
    emit(session, contracts.PAYOUT_SENT, payout)


def mark_failed(session, payout, reason, by=BANK):
    payout.reason = reason
    payout.failed_at = utcnow()
    payout.claim = None
    was_at_bank = payout.status == rules.SENT
    change_status(session, payout, rules.FAILED, by, note=reason)
    if was_at_bank:
        post(session, payout, "returned")
    emit(session, contracts.PAYOUT_FAILED, payout)


def mark_unanswered(session, payout, error, settings):
    """The bank gave no answer: try again later, alone, or give up after the last attempt."""
    if payout.attempts >= settings.max_attempts:
        mark_failed(session, payout, f"the bank did not answer after {payout.attempts} attempts ({error})",
                    by=SYSTEM)
        return
    payout.claim = None
    payout.batched = False
    payout.next_attempt_at = utcnow() + dt.timedelta(
        seconds=rules.retry_delay(payout.attempts, settings.retry_base_seconds, settings.retry_cap_seconds))
    change_status(session, payout, rules.READY, SYSTEM, note=f"attempt {payout.attempts}: {error}")


def mark_paid(session, payout, bank_ref):
    was_failed = payout.status == rules.FAILED
    payout.bank_ref = bank_ref
    payout.paid_at = utcnow()
    payout.reason = None
    change_status(session, payout, rules.PAID, BANK, note=f"paid by the bank ({bank_ref})")
    post(session, payout, "paid_late" if was_failed else "paid")
    emit(session, contracts.PAYOUT_PAID, payout)


def apply_bank_result(session, payout, result):
    """The bank's final word on a payout; True if it changed anything. Answers about an earlier
    round, and repeats of an answer already applied, change nothing."""
    if rules.round_of_reference(result["reference"]) != payout.round:
        return False
    if payout.status in (rules.READY, rules.SENDING):
        mark_sent(session, payout, result["bank_ref"])  # the answer overtook the send's own reply
    if result["status"] == rules.PAID and payout.status in (rules.SENT, rules.FAILED):
        mark_paid(session, payout, result["bank_ref"])
        return True
    if result["status"] == rules.FAILED and payout.status == rules.SENT:
        mark_failed(session, payout, result.get("reason") or "refused by the bank")
        return True
    return False


def due_for_status_check(session, limit):
    """Keys of payouts the bank accepted long ago without telling us the outcome: worth asking."""
    return session.scalars(select(Payout.key).where(Payout.status == rules.SENT,
                                                    Payout.next_attempt_at <= utcnow())
                           .order_by(Payout.next_attempt_at).limit(limit)).all()


# Batches


def batch_sent_on(session, day):
    return session.scalar(select(PayoutBatch.id).where(PayoutBatch.day == day).limit(1)) is not None


def open_batch(session, settings, day, by, limit):
    """The day's batch with every payout waiting for it claimed; the sender sends it."""
    batch = PayoutBatch(id=new_id(), day=day, status=BATCH_REQUESTED, payouts=0, amount_kzt=0, accepted=0,
                        refused=0, deferred=0, created_at=utcnow(), created_by=by)
    session.add(batch)
    session.flush()
    payouts = claim_due(session, settings, batched=True, limit=limit, claim=batch.id)
    for payout in payouts:
        payout.batch_id = batch.id
    batch.payouts, batch.amount_kzt = len(payouts), sum(payout.amount_kzt for payout in payouts)
    return batch


def requested_batches(session):
    return session.scalars(select(PayoutBatch).where(PayoutBatch.status == BATCH_REQUESTED)
                           .order_by(PayoutBatch.created_at)).all()


def batch_orders(session, batch_id):
    return [bank_order(payout) for payout in session.scalars(
        select(Payout).where(Payout.claim == batch_id, Payout.status == rules.SENDING))]


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


def payouts_seen_by_bank(session):
    rows = session.execute(select(Payout.key, Payout.status, Payout.amount_kzt)
                           .where(Payout.status.in_((rules.SENDING, rules.SENT, rules.PAID, rules.FAILED))))
    return {key: (status, amount) for key, status, amount in rows}


def save_reconciliation(session, by, ours, statement):
    mismatches = rules.reconcile(ours, [(entry["key"], entry["amount"]) for entry in statement])
    ledger = ledger_view(session)
    bank_paid = sum(entry["amount"] for entry in statement)
    ledger_paid = ledger["accounts"][rules.PAID_OUT]
    if ledger_paid != bank_paid and not mismatches:
        mismatches.append({"key": "*", "kind": "totals_differ", "amount": ledger_paid, "bank_amount": bank_paid})
    run = Reconciliation(id=new_id(), run_at=utcnow(), run_by=by, checked=len(ours),
                         clean=not mismatches and ledger["balanced"], ledger_balanced=ledger["balanced"],
                         ledger_paid_kzt=ledger_paid, bank_paid_kzt=bank_paid, mismatches=mismatches)
    session.add(run)
    return run
