"""Timesheet's tables: placements it learned from placement's events, hour entries, attendance and
the check-in codes used for it, completion reports with their history and signatures, and the answers
kept for idempotent requests."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from common.contracts.timesheet import AttendanceStatus, EntryStatus, PlacementStatus, ReportStatus
from common.db import states_check
from common.outbox import OutboxEventMixin, ProcessedEventMixin

HOURS = Numeric(6, 2)
ID = String(64)
TEXT = String(500)


class Base(DeclarativeBase):
    pass


class OutboxEvent(OutboxEventMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class Placement(Base):
    """Read model fed by `placement.started` / `placement.withdrawn`: the event's facts (its
    `PlacementStarted` contract, `placement_id` as `id`), its status here, and when its hours completed."""
    __tablename__ = "placements"
    __table_args__ = (states_check(PlacementStatus),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    student_id: Mapped[str] = mapped_column(ID, index=True)
    student_name: Mapped[str] = mapped_column(String(200))
    university_id: Mapped[str] = mapped_column(ID)
    project_id: Mapped[str] = mapped_column(ID)
    project_title: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(32))
    site_id: Mapped[str] = mapped_column(ID, index=True)
    site_name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[str] = mapped_column(ID, index=True)
    organisation_name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(8), index=True)
    voucher_kind: Mapped[str] = mapped_column(String(8))
    hours_required: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    # Set once, when confirmed hours first reach the voucher's: guards the one `hours.completed`.
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PlacementEnding(Base):
    """`placement.withdrawn`, kept apart from the placement: it may arrive before `placement.started`,
    and a placement that ended stays ended whichever came first."""
    __tablename__ = "placement_endings"

    placement_id: Mapped[str] = mapped_column(ID, primary_key=True)
    ended_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class HourEntry(Base):
    """Hours worked on one day. Never edited or deleted: a correction is another entry."""
    __tablename__ = "hour_entries"
    __table_args__ = (states_check(EntryStatus),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    placement_id: Mapped[str] = mapped_column(ForeignKey("placements.id"), index=True)
    student_id: Mapped[str] = mapped_column(ID, index=True)
    site_id: Mapped[str] = mapped_column(ID, index=True)
    work_date: Mapped[dt.date] = mapped_column(Date, index=True)
    hours: Mapped[Decimal] = mapped_column(HOURS)
    note: Mapped[str] = mapped_column(TEXT)
    source: Mapped[str] = mapped_column(String(16))
    corrects_id: Mapped[str | None] = mapped_column(ForeignKey("hour_entries.id"), index=True)
    reason: Mapped[str | None] = mapped_column(TEXT)
    status: Mapped[str] = mapped_column(String(16))
    student_comment: Mapped[str | None] = mapped_column(TEXT)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(TEXT)
    resolved_by: Mapped[str | None] = mapped_column(ID)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Attendance(Base):
    """A student's check-in and check-out; the coordinator's approval turns it into an entry."""
    __tablename__ = "attendance"
    __table_args__ = (states_check(AttendanceStatus),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    placement_id: Mapped[str] = mapped_column(ForeignKey("placements.id"), index=True)
    student_id: Mapped[str] = mapped_column(ID, index=True)
    site_id: Mapped[str] = mapped_column(ID, index=True)
    checked_in_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    checked_out_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), index=True)
    entry_id: Mapped[str | None] = mapped_column(ForeignKey("hour_entries.id"))
    note: Mapped[str | None] = mapped_column(TEXT)
    decided_by: Mapped[str | None] = mapped_column(ID)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The site's code each end was made with (screen or sheet); None: the time the student reported.
    checked_in_with: Mapped[str | None] = mapped_column(String(16))
    checked_out_with: Mapped[str | None] = mapped_column(String(16))


class CheckInCodeUse(Base):
    """A site's check-in code used by a student for one action: the same code serves them once for
    check-in and once for check-out, a second scan records nothing."""
    __tablename__ = "check_in_code_uses"

    student_id: Mapped[str] = mapped_column(ID, primary_key=True)
    action: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    site_id: Mapped[str] = mapped_column(ID, primary_key=True)
    window: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    attendance_id: Mapped[str] = mapped_column(ForeignKey("attendance.id"))
    used_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Report(Base):
    """A placement's completion report; one per placement, resubmitted after a rejection."""
    __tablename__ = "reports"
    __table_args__ = (states_check(ReportStatus),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    placement_id: Mapped[str] = mapped_column(ForeignKey("placements.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    hours: Mapped[Decimal] = mapped_column(HOURS)
    submissions: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    submitted_by: Mapped[str] = mapped_column(ID)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(ID)
    reviewer_name: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(TEXT)
    # The verified signer of the current submission (its evidence in report_signatures).
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signer_iin: Mapped[str | None] = mapped_column(String(12))
    signer_role: Mapped[str | None] = mapped_column(String(32))
    signer_bin: Mapped[str | None] = mapped_column(String(12))
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Risk flags of the current submission (report_flags), counted here so the queue sorts cheaply;
    # `sampled`: unflagged, but set aside for manual review by the sample rate.
    flag_count: Mapped[int] = mapped_column(Integer, default=0, index=True)
    sampled: Mapped[bool] = mapped_column(Boolean, default=False)
    flags: Mapped[list["ReportFlag"]] = relationship(order_by="ReportFlag.code", lazy="selectin",
                                                     cascade="all, delete-orphan")


class ReportFlag(Base):
    """One risk flag of a report's current submission, with why it was raised (services/timesheet/risk.py)."""
    __tablename__ = "report_flags"

    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    reason: Mapped[str] = mapped_column(TEXT)


class ReportSignature(Base):
    """One submission of a report as the site signed it: the PDF's exact bytes, the detached CMS over
    them and the evidence of its verification, kept so it can be verified again later."""
    __tablename__ = "report_signatures"
    __table_args__ = (UniqueConstraint("report_id", "submission"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), index=True)
    submission: Mapped[int] = mapped_column(Integer)
    document: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON)


class ReportHistory(Base):
    """Who submitted, accepted or rejected a report, and when: the audit trail."""
    __tablename__ = "report_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    hours: Mapped[Decimal] = mapped_column(HOURS)
    reason: Mapped[str | None] = mapped_column(TEXT)
    actor: Mapped[str] = mapped_column(ID)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class IdempotentRequest(Base):
    """The answer to a creating request, kept under the caller's Idempotency-Key."""
    __tablename__ = "idempotent_requests"

    actor: Mapped[str] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    operation: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
