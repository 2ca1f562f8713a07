"""Payments's tables: payout details, payouts and their history, the ledger, batches, reconciliations.

No card number is ever stored: a card is the bank's token plus its last four digits.
"""
import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.outbox import OutboxEventMixin, ProcessedEventMixin


class Base(DeclarativeBase):
    pass


class OutboxEvent(OutboxEventMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class PayoutDetails(Base):
    """Where a student is paid now: a card (token + last four) or a KZ IBAN."""
    __tablename__ = "payout_details"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    method: Mapped[str] = mapped_column(String(8))
    card_token: Mapped[str | None] = mapped_column(String(64))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    iban: Mapped[str | None] = mapped_column(String(34))
    bank_code: Mapped[str | None] = mapped_column(String(3))
    bank_name: Mapped[str | None] = mapped_column(String(120))
    holder_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))


class PayoutDetailsChange(Base):
    """The audit of payout details: every version, masked."""
    __tablename__ = "payout_details_changes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(8))
    masked: Mapped[str] = mapped_column(String(40))
    bank_name: Mapped[str | None] = mapped_column(String(120))
    holder_name: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[str] = mapped_column(String(64))


class Payout(Base):
    """One student's reward for one placement; `key` is also the bank's idempotency key."""
    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("student_id", "voucher_kind", name="uq_payouts_student_voucher"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    placement_id: Mapped[str] = mapped_column(String(64), unique=True)
    report_id: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    student_name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(8), index=True)
    voucher_kind: Mapped[str] = mapped_column(String(8))
    amount_kzt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    batched: Mapped[bool] = mapped_column(Boolean, default=False)
    destination: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    round: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    claim: Mapped[str | None] = mapped_column(String(32), index=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    bank_ref: Mapped[str | None] = mapped_column(String(64))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PayoutChange(Base):
    """The audit of a payout: each status it took, who or what moved it, and why."""
    __tablename__ = "payout_changes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    payout_id: Mapped[str] = mapped_column(ForeignKey("payouts.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[str] = mapped_column(String(64))


class LedgerEntry(Base):
    """One line of a double-entry transaction; the lines of a transaction balance."""
    __tablename__ = "ledger_entries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(32), index=True)
    payout_id: Mapped[str] = mapped_column(ForeignKey("payouts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(32), index=True)
    debit: Mapped[int] = mapped_column(Integer)
    credit: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PayoutBatch(Base):
    """A day's batch: its payouts are claimed when it is requested, then go in one bank call."""
    __tablename__ = "payout_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)  # requested, then sent
    payouts: Mapped[int] = mapped_column(Integer)
    amount_kzt: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    deferred: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))


class Reconciliation(Base):
    """A run of the ledger against the bank's statement, with every mismatch found."""
    __tablename__ = "reconciliations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    run_by: Mapped[str] = mapped_column(String(64))
    checked: Mapped[int] = mapped_column(Integer)
    clean: Mapped[bool] = mapped_column(Boolean)
    ledger_balanced: Mapped[bool] = mapped_column(Boolean)
    ledger_paid_kzt: Mapped[int] = mapped_column(Integer)
    bank_paid_kzt: Mapped[int] = mapped_column(Integer)
    mismatches: Mapped[list] = mapped_column(JSON)
