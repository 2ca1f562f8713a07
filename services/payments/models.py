"""Payments's tables: payout details, payouts and their history, the ledger, batches, the payout
files sent to the bank and the messages and statements it sent back, reconciliations."""
import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, WriteOnlyMapped, mapped_column, relationship

from common.contracts.payments import BatchStatus, FileStatus, PayoutStatus
from common.db import states_check
from common.outbox import OutboxEventMixin, ProcessedEventMixin


class Base(DeclarativeBase):
    pass


class OutboxEvent(OutboxEventMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class PayoutDetails(Base):
    """Where a student is paid now: the KZ IBAN of their (card) account, its bank, the holder."""
    __tablename__ = "payout_details"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    method: Mapped[str] = mapped_column(String(8))
    iban: Mapped[str | None] = mapped_column(String(34))
    bank_code: Mapped[str | None] = mapped_column(String(3))
    bank_name: Mapped[str | None] = mapped_column(String(120))
    bic: Mapped[str | None] = mapped_column(String(11))
    iin: Mapped[str | None] = mapped_column(String(12))
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
    """One student's reward for one placement, ever (`key`); each sending round goes to the bank
    as one credit transfer of a payout file, under its own EndToEndId."""
    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("student_id", "voucher_kind", name="uq_payouts_student_voucher"),
                      states_check(PayoutStatus))

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
    end_to_end_id: Mapped[str | None] = mapped_column(String(35), index=True)
    file_id: Mapped[str | None] = mapped_column(ForeignKey("bank_files.id"), index=True)
    bank_status: Mapped[str | None] = mapped_column(String(8))  # the pain.002's: ACCP, RJCT, ...
    reason_code: Mapped[str | None] = mapped_column(String(8))
    booked_on: Mapped[dt.date | None] = mapped_column(Date)  # the bank's booking day (camt.054)
    returned_on: Mapped[dt.date | None] = mapped_column(Date)  # the day its return was booked
    earlier_rounds: Mapped[list | None] = mapped_column(JSON)  # what each earlier round came to, for statements
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    returned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Written with each move, never read through the payout: added without loading what is there.
    changes: WriteOnlyMapped["PayoutChange"] = relationship()
    ledger_entries: WriteOnlyMapped["LedgerEntry"] = relationship()


class PayoutChange(Base):
    """The audit of a payout: each status it took, who or what moved it, and why."""
    __tablename__ = "payout_changes"
    __table_args__ = (states_check(PayoutStatus),)

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
    __table_args__ = (states_check(BatchStatus),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    payouts: Mapped[int] = mapped_column(Integer)
    amount_kzt: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    deferred: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[str | None] = mapped_column(String(35))


class BankFile(Base):
    """A pain.001 payout file: built and checked against the XSD in the transaction that claims its
    payouts, then sent (again, byte for byte, until the bank answers: its MsgId makes a repeat
    harmless)."""
    __tablename__ = "bank_files"
    __table_args__ = (states_check(FileStatus),)

    id: Mapped[str] = mapped_column(String(35), primary_key=True)  # MsgId and PmtInfId
    status: Mapped[str] = mapped_column(String(12), index=True)
    execution_date: Mapped[dt.date] = mapped_column(Date)
    payouts: Mapped[int] = mapped_column(Integer)
    amount_kzt: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    problems: Mapped[list] = mapped_column(JSON)  # why it did not validate, or why the bank refused it
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    group_status: Mapped[str | None] = mapped_column(String(8))  # the pain.002's
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class BankMessage(Base):
    """A message from the bank, applied once: its MsgId is recorded with its effect."""
    __tablename__ = "bank_messages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the bank's MsgId
    type: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    summary: Mapped[str] = mapped_column(Text)


class BankStatement(Base):
    """One day's camt.053 for the Operator's account, and how it reconciled with the payouts."""
    __tablename__ = "bank_statements"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the statement's Id
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    sequence: Mapped[int | None] = mapped_column(Integer)
    opening: Mapped[float] = mapped_column(Numeric(20, 2))
    closing: Mapped[float] = mapped_column(Numeric(20, 2))
    debits_kzt: Mapped[int] = mapped_column(Integer)
    credits_kzt: Mapped[int] = mapped_column(Integer)
    entries: Mapped[list] = mapped_column(JSON)
    problems: Mapped[list] = mapped_column(JSON)
    clean: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


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
