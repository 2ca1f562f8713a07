"""Placement's tables: the accredited sites it learns from registry, projects, applications,
interview slots and placements."""
import datetime as dt

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.contracts.placement import ApplicationStatus, OrganisationStatus, PlacementStatus, ProjectStatus
from common.contracts.registry import EnrolmentStatus
from common.db import states_check
from common.outbox import OutboxEventMixin, ProcessedEventMixin


class Base(DeclarativeBase):
    pass


class OutboxEvent(OutboxEventMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class Organisation(Base):
    """Read model fed by registry's organisation events: may its sites publish projects?"""
    __tablename__ = "organisations"
    __table_args__ = (states_check(OrganisationStatus),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    # When registry recorded the event that set `status`, and its id: an older event never overwrites it.
    status_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status_event_id: Mapped[str | None] = mapped_column(String(32))


class Site(Base):
    """Read model fed by `organisation.accredited` and `site.added`."""
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(8))
    directions: Mapped[list] = mapped_column(JSON)
    online: Mapped[bool] = mapped_column(Boolean)


class Enrolment(Base):
    """Read model fed by registry's `student.enrolment_changed`: may the student apply? (No row: never
    confirmed.) The highest `version` wins, whatever order the events arrive in."""
    __tablename__ = "enrolments"
    __table_args__ = (states_check(EnrolmentStatus),)

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    university_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (CheckConstraint("places_held >= 0 AND places_held <= places", name="places_held_in_range"),
                      states_check(ProjectStatus))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    region: Mapped[str] = mapped_column(String(8), index=True)
    city: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)  # title and description, case-folded, for search
    direction: Mapped[str] = mapped_column(String(32))
    voucher_kind: Mapped[str] = mapped_column(String(8))
    places: Mapped[int] = mapped_column(Integer)
    # Places taken by active placements plus places reserved for applications offered from the waitlist.
    places_held: Mapped[int] = mapped_column(Integer, default=0)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    schedule: Mapped[str] = mapped_column(String(500))
    online: Mapped[bool] = mapped_column(Boolean)
    languages: Mapped[str] = mapped_column(String(16))  # comma-separated codes, e.g. "kk,ru"
    status: Mapped[str] = mapped_column(String(8), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (states_check(ApplicationStatus),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    site_id: Mapped[str] = mapped_column(String(32), index=True)
    region: Mapped[str] = mapped_column(String(8), index=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    student_name: Mapped[str] = mapped_column(String(200))
    university_id: Mapped[str] = mapped_column(String(32))
    voucher_kind: Mapped[str] = mapped_column(String(8))
    motivation: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))


class InterviewSlot(Base):
    __tablename__ = "interview_slots"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    online_link: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(300))
    # The booking: one application per slot, one slot per application.
    application_id: Mapped[str | None] = mapped_column(ForeignKey("applications.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))


class Placement(Base):
    __tablename__ = "placements"
    __table_args__ = (
        # Backstop of the voucher rule: one placement per student and voucher kind unless it ended early.
        Index("uq_placements_student_voucher", "student_id", "voucher_kind", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
        states_check(PlacementStatus),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), unique=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    student_name: Mapped[str] = mapped_column(String(200))
    university_id: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    project_title: Mapped[str] = mapped_column(String(200))
    site_id: Mapped[str] = mapped_column(String(32), index=True)
    organisation_id: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(8), index=True)
    direction: Mapped[str] = mapped_column(String(32))
    voucher_kind: Mapped[str] = mapped_column(String(8))
    hours_required: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    end_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str | None] = mapped_column(String(64))
