"""Coverage's tables: a read model built only from other services' events, and the events it applied.

Each row is keyed by its fact's own identity (a student, a placement, a report, a payout, a re-count),
so an event published twice under two ids still counts once. Days are Asia/Almaty days; `week_start`
is that day's ISO week's Monday, kept so the weekly figures are one GROUP BY.
"""
import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Index, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.outbox import ProcessedEventMixin


class Base(DeclarativeBase):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class Student(Base):
    """From registry's `student.registered`."""
    __tablename__ = "students"
    __table_args__ = (Index("ix_students_day_region", "day", "region"),)

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(8))
    day: Mapped[dt.date] = mapped_column(Date)
    week_start: Mapped[dt.date] = mapped_column(Date)


class Placement(Base):
    """From placement's `placement.started`: where and in which direction every other fact belongs."""
    __tablename__ = "placements"
    __table_args__ = (Index("ix_placements_day_region", "day", "region"),)

    placement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    region: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(32))
    voucher_kind: Mapped[str] = mapped_column(String(8))
    day: Mapped[dt.date] = mapped_column(Date)
    week_start: Mapped[dt.date] = mapped_column(Date)


class Fact(Base):
    """One figure about one placement: its completed hours, its accepted report, its paid reward or its
    re-counted credits (`metric`), keyed by `key` (e.g. the payout's key). Counted once its placement
    is known, whatever order the events came in."""
    __tablename__ = "facts"
    __table_args__ = (Index("ix_facts_metric_day", "metric", "day"),)

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32))
    placement_id: Mapped[str] = mapped_column(String(64), index=True)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    day: Mapped[dt.date] = mapped_column(Date)
    week_start: Mapped[dt.date] = mapped_column(Date)
