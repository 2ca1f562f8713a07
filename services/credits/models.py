"""Credits' tables: re-count requests, certificates, the read models it keeps from other services'
events (universities, students' current university, payouts), its outbox and the events it applied."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, DateTime, Index, Integer, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.contracts.credits import RequestStatus
from common.db import states_check
from common.outbox import OutboxEventMixin, ProcessedEventMixin


class Base(DeclarativeBase):
    pass


class OutboxEvent(OutboxEventMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class University(Base):
    """Read model fed by registry's `university.added`: the registrars' universities."""
    __tablename__ = "universities"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(8))


class Student(Base):
    """Read model fed by registry's `student.registered` and `student.transferred`: where a student
    studies now, so a request goes to the current university even if the report names an old one."""
    __tablename__ = "students"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # For the registrar's CSV; null for a student registered before events carried it.
    iin: Mapped[str | None] = mapped_column(String(12))
    university_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Payout(Base):
    """Read model fed by payments' `payout.*`: the latest known state of each placement's payout."""
    __tablename__ = "payouts"

    placement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    payout_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    amount_kzt: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class RecountRequest(Base):
    """One per placement, ever: a completed voucher's credits awaiting, or given, a university's decision."""
    __tablename__ = "recount_requests"
    __table_args__ = (Index("ix_recount_requests_queue", "university_id", "status", "received_at"),
                      states_check(RequestStatus),
                      # Refused for the yearly cap is what the Operator is shown as flagged, and only that.
                      CheckConstraint("flagged = (status = 'refused')", name="flagged_when_refused"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    placement_id: Mapped[str] = mapped_column(String(64), unique=True)
    # The programme year the placement started in: the 7-credit cap is per year (null: before it was kept).
    programme_year: Mapped[int | None] = mapped_column(Integer)
    report_id: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    student_name: Mapped[str] = mapped_column(String(200))
    university_id: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(8))
    organisation_id: Mapped[str] = mapped_column(String(64))
    organisation_name: Mapped[str] = mapped_column(String(200))
    site_id: Mapped[str] = mapped_column(String(64))
    site_name: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(32))
    voucher_kind: Mapped[str] = mapped_column(String(8))
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    credits: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    discipline: Mapped[str | None] = mapped_column(String(200))
    order_number: Mapped[str | None] = mapped_column(String(64))
    order_date: Mapped[dt.date | None] = mapped_column(Date)
    accepted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    transferred_from_university_id: Mapped[str | None] = mapped_column(String(64))
    transferred_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Certificate(Base):
    """A certificate as issued: its verification code and the facts it states, frozen."""
    __tablename__ = "certificates"
    __table_args__ = (Index("ix_certificates_student_facts", "student_id", "facts_digest"),)

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64))
    facts: Mapped[dict] = mapped_column(JSON)
    facts_digest: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
