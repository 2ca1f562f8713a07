"""Payments' read side: the queries behind its lists and overviews and the shapes of its answers, each
dumped through its contract once, here; the gateway passes them on as they are."""
import datetime as dt

from sqlalchemy import case, func, select

from common.clock import utcnow
from common.contracts import payments as contracts
from common.contracts.base import shared
from common.contracts.payments import FileStatus, PayoutStatus
from common.db import page
from services.payments import domain, repository, rules
from services.payments.models import BankFile, BankStatement, Payout


def dumped(contract, data, many=False):
    return shared(contract, many).dump(data)


def columns(row):
    """A row's columns as a dict (its contract picks the fields it shows)."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def masked(iban):
    return rules.mask_iban(iban)


# Payout details

def details(row):
    return dumped(contracts.PayoutDetailsOut, {**columns(row), "masked": masked(row.iban)})


# Payouts

def payout_data(payout):
    """`payout`: a domain `Payout`."""
    row, destination = payout.row, payout.row.destination
    shown = destination and {**destination, "masked": masked(destination["iban"])}
    return {**columns(row), "destination": shown, "student_must_act": payout.waits_for_student}


def payout(payout):
    return dumped(contracts.PayoutOut, payout_data(payout))


def list_payouts(session, filters):
    statement = select(Payout)
    for name in ("status", "student_id", "placement_id", "region"):
        if filters.get(name):
            statement = statement.where(getattr(Payout, name) == filters[name])
    rows, total = page(session, statement.order_by(Payout.created_at, Payout.id), filters["limit"], filters["offset"])
    return dumped(contracts.PayoutPage, {"items": [payout_data(domain.Payout(row)) for row in rows], "total": total})


def totals_by_region(session):
    paid = Payout.status == PayoutStatus.PAID
    rows = session.execute(
        select(Payout.region, func.count(), func.sum(Payout.amount_kzt),
               func.sum(case((paid, 1), else_=0)), func.sum(case((paid, Payout.amount_kzt), else_=0)),
               func.sum(case((Payout.status == PayoutStatus.FAILED, 1), else_=0)))
        .group_by(Payout.region).order_by(Payout.region)
    ).all()
    return dumped(contracts.RegionTotalsOut, [
        {"region": region, "payouts": count, "amount_kzt": int(amount or 0), "paid": int(paid_count or 0),
         "paid_kzt": int(paid_kzt or 0), "failed": int(failed or 0)}
        for region, count, amount, paid_count, paid_kzt, failed in rows], many=True)


def batch(row):
    return dumped(contracts.BatchOut, columns(row))


# The ledger, reconciliation and what the Operator sees of the bank

def ledger(session):
    return dumped(contracts.LedgerOut, domain.ledger(repository.ledger_lines(session)))


def reconciliation(row):
    return dumped(contracts.ReconciliationOut, columns(row))


def bank_overview(session, silence_seconds, today):
    """Recent files and statements, and where the bank is silent: files it took without a status
    within `silence_seconds`, and no statement for a business day before `today`."""
    now = utcnow()
    files = session.scalars(select(BankFile).order_by(BankFile.created_at.desc()).limit(50)).all()
    statements = session.scalars(select(BankStatement).order_by(BankStatement.day.desc()).limit(31)).all()
    silent = session.scalars(select(BankFile.id).where(
        BankFile.status == FileStatus.RECEIVED, BankFile.answered_at.is_(None),
        BankFile.sent_at < now - dt.timedelta(seconds=silence_seconds))).all()
    first_sent = session.scalar(select(func.min(BankFile.sent_at)))
    last_day = statements[0].day if statements else None
    expected = rules.previous_business_day(today)
    overdue = first_sent is not None and expected >= first_sent.date() and (last_day is None or last_day < expected)
    return dumped(contracts.BankOverviewOut, {
        "files": [columns(row) for row in files], "statements": [columns(row) for row in statements],
        "silent_files": silent, "last_statement_day": last_day, "statement_overdue": expected if overdue else None})
