"""Notifications' tables: the contacts read model, the notifications, the mails waiting to go out, the
hour entries waiting for their daily digest, and the events it applied."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from common.contracts.notifications import MailStatus
from common.db import states_check
from common.outbox import ProcessedEventMixin


class Base(DeclarativeBase):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class Contact(Base):
    """Read model fed by registry's `student.registered` and `student.contacts_changed`: how to reach a
    student and in which language, as of `updated_at` (when the event happened)."""
    __tablename__ = "contacts"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Notification(Base):
    """One event told to one recipient (a student, a site, the Operator), in their language. The unique
    key makes one notification, and so one mail, per event and recipient."""
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "audience", "recipient_id", name="uq_notifications_event_recipient"),
        Index("ix_notifications_inbox", "audience", "recipient_id", "created_at"),
        Index("ix_notifications_unread", "audience", "recipient_id", "read_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    audience: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    read_by: Mapped[str | None] = mapped_column(String(64))


class Mail(Base):
    """A notification's email, written in the notification's transaction and sent after it commits by
    `services.notifications.mailer` (an outbox for SMTP)."""
    __tablename__ = "mails"
    __table_args__ = (Index("ix_mails_due", "status", "next_attempt_at"), states_check(MailStatus))

    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id"), primary_key=True)
    to_address: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[MailStatus] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    notification: Mapped[Notification] = relationship()


class PlacementProject(Base):
    """Read model fed by placement's accepted `application.decided`: the project a placement is for,
    named in the hours digest."""
    __tablename__ = "placement_projects"

    placement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_title: Mapped[str] = mapped_column(String(300))


class HourEntry(Base):
    """An hour entry the site logged (timesheet's `hours.logged`), until its student's daily digest
    tells of it: the digest deletes the entries it lists."""
    __tablename__ = "hour_entries"
    __table_args__ = (Index("ix_hour_entries_day", "day", "student_id"),)

    entry_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(Date)  # the Asia/Almaty day it was logged (rules.digest_day)
    placement_id: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[str] = mapped_column(String(64))
    work_date: Mapped[dt.date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))


class Digest(Base):
    """One student's digest of the hours logged up to a day: its key sends it once, whoever tries."""
    __tablename__ = "digests"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    notification_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
