"""Timesheet's write side: gets, adds and locks what a change needs, as the domain's objects.

A change to a student's hours locks every placement of the student first (in id order, so two
writers never wait on each other in a cycle): concurrent logs cannot pass the daily cap nor slip past
a submission, and the answer reaching the voucher's hours sees the others. A placement's start and
ending take turns on an advisory lock (`common.db.serialise`); a report's review locks its row.
"""
import datetime as dt
import hashlib
import json
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from common.clock import as_utc, utcnow
from common.db import find, serialise
from common.errors import Conflict, NotFound
from common.unit_of_work import track
from services.timesheet import domain, rules
from services.timesheet.models import (
    Attendance, CheckInCodeUse, HourEntry, IdempotentRequest, Placement, PlacementEnding, Report, ReportFlag,
    ReportSignature,
)


def as_hours(total):
    """A SUM of hours (None for no rows; a float on SQLite) as a Decimal in hundredths."""
    return Decimal(str(total or 0)).quantize(domain.CENT)


def add(session, *rows):
    session.add_all(rows)
    session.flush()


def stage(session, *rows):
    """Rows whose ids the domain gave, written at commit with the transaction's others: a day's sheet
    goes in as one multi-row INSERT rather than one per row."""
    session.add_all(rows)


def found(record, what):
    if record is None:
        raise NotFound(f"no such {what}", {f"{what}_id": ["unknown"]})
    return record


def get(session, model, id_, what, lock=False):
    """The row (read afresh and locked, if `lock`), or NotFound naming `what`'s id."""
    return found(session.get(model, id_, with_for_update=lock, populate_existing=lock), what)


# Placements (the read model)

def placement_and_ending(session, placement_id):
    """The placement and its ending, if heard of, after any other start or ending of it has committed
    (the two may come in either order, in different rows, at the same time)."""
    serialise(session, "timesheet.placement", placement_id)
    return (session.get(Placement, placement_id, with_for_update=True, populate_existing=True),
            session.get(PlacementEnding, placement_id))


def placement_ending(session, placement_id):
    """The placement's ending, if heard of, after any other start or ending of it has committed."""
    serialise(session, "timesheet.placement", placement_id)
    return session.get(PlacementEnding, placement_id)


def find_placement(session, placement_id, lock=False):
    return find(session, Placement, placement_id, lock)


def get_placement(session, placement_id, lock=False):
    return get(session, Placement, placement_id, "placement", lock)


def lock_placements_of(session, student_ids):
    """Locks (in id order) and reads afresh every placement of these students: {placement id: placement}."""
    placements = session.scalars(
        select(Placement).where(Placement.student_id.in_(student_ids)).order_by(Placement.id)
        .with_for_update().execution_options(populate_existing=True)).all()
    return {placement.id: placement for placement in placements}


def day_sheet(session, work_date, placement_ids):
    """The domain's `DaySheet` of `work_date` for these placements (their students' placements locked),
    tracked for the unit of work, in four queries however many there are."""
    student_ids = sorted(set(session.scalars(
        select(Placement.student_id).where(Placement.id.in_(set(placement_ids))))))
    placements = lock_placements_of(session, student_ids) if student_ids else {}
    logged = session.execute(select(HourEntry.student_id, func.sum(HourEntry.hours)).where(
        HourEntry.student_id.in_(student_ids), HourEntry.work_date == work_date,
    ).group_by(HourEntry.student_id)).all()
    return track(session, domain.DaySheet(work_date, placements, report_statuses(session, list(placements)),
                                          {student: as_hours(total) for student, total in logged}))


def answer_sheet(session, student_id, entry_ids):
    """The domain's `AnswerSheet` for these of `student_id`'s entries, tracked, in four queries."""
    wanted = select(HourEntry).where(HourEntry.id.in_(set(entry_ids)), HourEntry.student_id == student_id)
    placement_ids = sorted({entry.placement_id for entry in session.scalars(wanted)})
    placements = {placement.id: placement for placement in session.scalars(
        select(Placement).where(Placement.id.in_(placement_ids)).order_by(Placement.id)
        .with_for_update().execution_options(populate_existing=True))}
    # Read again under the placements' locks: a concurrent answer has committed by now.
    entries = {entry.id: entry for entry in session.scalars(wanted.execution_options(populate_existing=True))}
    return track(session, domain.AnswerSheet(entries, placements, report_statuses(session, placement_ids)))


def report_statuses(session, placement_ids):
    return dict(session.execute(select(Report.placement_id, Report.status)
                                .where(Report.placement_id.in_(placement_ids))).all())


# Hours

def report_of(session, placement_id):
    return session.scalar(select(Report).where(Report.placement_id == placement_id))


def report_status(session, placement_id):
    return session.scalar(select(Report.status).where(Report.placement_id == placement_id))


def hours_on(session, student_id, work_date):
    """Everything logged for the student that day, across all placements, corrections included."""
    return as_hours(session.scalar(select(func.sum(HourEntry.hours)).where(
        HourEntry.student_id == student_id, HourEntry.work_date == work_date)))


def entry_total(session, entry):
    """The entry's hours with its corrections."""
    corrections = session.scalar(select(func.sum(HourEntry.hours)).where(HourEntry.corrects_id == entry.id))
    return entry.hours + as_hours(corrections)


def get_entry(session, entry_id, lock=False):
    return get(session, HourEntry, entry_id, "entry", lock)


def confirmed_entries(session, placement_id):
    return session.scalars(select(HourEntry).where(
        HourEntry.placement_id == placement_id, HourEntry.status == rules.CONFIRMED,
    ).order_by(HourEntry.work_date, HourEntry.created_at)).all()


def tallies(session, placement_ids):
    """Per placement: hours logged, hours confirmed and open disputes."""
    rows = session.execute(select(
        HourEntry.placement_id,
        func.sum(HourEntry.hours),
        func.sum(case((HourEntry.status == rules.CONFIRMED, HourEntry.hours), else_=0)),
        func.sum(case((HourEntry.status == rules.DISPUTED, 1), else_=0)),
    ).where(HourEntry.placement_id.in_(placement_ids)).group_by(HourEntry.placement_id)).all()
    counted = {pid: (as_hours(logged), as_hours(confirmed), int(disputes or 0))
               for pid, logged, confirmed, disputes in rows}
    return {pid: counted.get(pid, (domain.ZERO, domain.ZERO, 0)) for pid in placement_ids}


def tally(session, placement_id):
    return tallies(session, [placement_id])[placement_id]


def settled_at(session, placement_id, report):
    """When a placement's report content was last settled: its latest entry or answer, or the
    review that returned it to the site; a signature dated earlier cannot be over this content."""
    entries = session.execute(select(func.max(HourEntry.created_at), func.max(HourEntry.answered_at))
                              .where(HourEntry.placement_id == placement_id)).one()
    moments = [m for m in (*entries, report and report.reviewed_at) if m is not None]
    return max(as_utc(m) for m in moments).replace(microsecond=0) if moments else None


# Attendance

def open_attendance(session, student_id, since=None):
    """The student's attendance not checked out yet (checked in at `since` or later, if given)."""
    query = select(Attendance).where(Attendance.student_id == student_id, Attendance.status == rules.OPEN)
    if since is not None:
        query = query.where(Attendance.checked_in_at >= since)
    return session.scalar(query.order_by(Attendance.checked_in_at.desc()).limit(1))


def get_attendance(session, attendance_id, lock=False):
    return get(session, Attendance, attendance_id, "attendance", lock)


def code_used(session, student_id, action, code):
    return session.get(CheckInCodeUse, (student_id, action, code.kind, code.site_id, code.window)) is not None


def add_code_use(session, student_id, action, code, attendance_id, at):
    session.add(CheckInCodeUse(student_id=student_id, action=action, kind=code.kind, site_id=code.site_id,
                               window=code.window, attendance_id=attendance_id, used_at=at))


def day_start(day):
    """The start of a calendar day in Asia/Almaty (the day the Operator filters by), in UTC as stored;
    days at the ends of the calendar are clamped so the arithmetic stays in range."""
    day = min(max(day, dt.date.min + dt.timedelta(days=1)), dt.date.max - dt.timedelta(days=1))
    return dt.datetime.combine(day, dt.time(), tzinfo=rules.LOCAL_TIME).astimezone(dt.timezone.utc)


# Reports

def report(session, placement, lock=False):
    """The domain's `Report` of `placement` (its row None before the first submission), tracked."""
    query = select(Report).where(Report.placement_id == placement.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return track(session, domain.Report(session.scalar(query), placement))


def report_by_id(session, report_id):
    """The report, locked for a review, with its placement, as the domain's `Report`, tracked."""
    row = get(session, Report, report_id, "report", lock=True)
    return track(session, domain.Report(row, session.get(Placement, row.placement_id)))


def add_report(session, *rows):
    """The backstop of one report per placement: another submission of it won the race."""
    try:
        add(session, *rows)
    except IntegrityError:
        raise Conflict("the report is already submitted", {"placement_id": ["report exists"]})


def risk_facts(session, placement):
    """What a report's risk flags read: the placement's entries, its site's placements, and (hours
    required, days worked) of every other report of its site under review or accepted."""
    entries = session.scalars(select(HourEntry).where(HourEntry.placement_id == placement.id)).all()
    site_placements = session.scalar(select(func.count()).select_from(Placement)
                                     .where(Placement.site_id == placement.site_id))
    net = (select(HourEntry.placement_id, HourEntry.work_date)
           .join(Report, Report.placement_id == HourEntry.placement_id)
           .where(HourEntry.site_id == placement.site_id, HourEntry.placement_id != placement.id,
                  Report.status.in_(rules.FROZEN))
           .group_by(HourEntry.placement_id, HourEntry.work_date).having(func.sum(HourEntry.hours) > 0)
           .subquery())
    days = select(net.c.placement_id, func.count().label("days")).group_by(net.c.placement_id).subquery()
    site_reports = session.execute(select(Placement.hours_required, days.c.days)
                                   .join(days, days.c.placement_id == Placement.id)).all()
    return entries, site_placements, site_reports


def current_signature(session, report):
    return session.scalar(select(ReportSignature).where(ReportSignature.report_id == report.id,
                                                        ReportSignature.submission == report.submissions))


def report_query(filters, scope):
    """The reports (with their placements) of the Operator's queue filter."""
    query = select(Report, Placement).join(Placement, Placement.id == Report.placement_id).where(*scope)
    if filters.get("flag"):
        query = query.where(select(ReportFlag.code).where(ReportFlag.report_id == Report.id,
                                                          ReportFlag.code == filters["flag"]).exists())
    if filters.get("flagged") is not None:
        query = query.where(Report.flag_count > 0 if filters["flagged"] else Report.flag_count == 0)
    if filters.get("status"):
        query = query.where(Report.status == filters["status"])
    for name in ("region", "organisation_id", "site_id"):
        if filters.get(name):
            query = query.where(getattr(Placement, name) == filters[name])
    if filters.get("submitted_from"):
        query = query.where(Report.submitted_at >= day_start(filters["submitted_from"]))
    if filters.get("submitted_to"):
        query = query.where(Report.submitted_at < day_start(filters["submitted_to"]) + dt.timedelta(days=1))
    return query


def bulk_acceptable(session, filters, limit):
    """The ids of the submitted reports of a queue filter that bulk acceptance takes: unflagged and not
    sampled, oldest first."""
    query = report_query({**filters, "status": rules.SUBMITTED, "flagged": False}, []).where(
        Report.sampled.is_(False))
    return session.scalars(query.with_only_columns(Report.id).order_by(Report.submitted_at, Report.id)
                           .limit(limit)).all()


# Idempotency-Key

def fingerprint(operation, payload):
    text = json.dumps([operation, payload], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def remembered(session, actor, key, operation, payload):
    """The stored answer to an earlier request with this key, or None; 409 if the key was used for
    a different request."""
    stored = session.get(IdempotentRequest, {"actor": actor, "key": key})
    if stored is None:
        return None
    if stored.fingerprint != fingerprint(operation, payload):
        raise Conflict("this Idempotency-Key was used for a different request",
                       {"Idempotency-Key": ["reused"]})
    return stored.response


def remember(session, actor, key, operation, payload, response):
    session.add(IdempotentRequest(actor=actor, key=key, operation=operation,
                                  fingerprint=fingerprint(operation, payload), response=response,
                                  created_at=utcnow()))
