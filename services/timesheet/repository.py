"""Timesheet's queries and writes, so the service stays thin."""
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from common.clock import as_utc, utcnow
from common.contracts import timesheet as contracts
from common.db import page, serialise
from common.errors import Conflict, NotFound
from common.ids import new_id
from common.outbox import record_event
from services.timesheet import risk, rules
from services.timesheet.models import (
    Attendance, CheckInCodeUse, HourEntry, IdempotentRequest, OutboxEvent, Placement, PlacementEnding, Report,
    ReportFlag, ReportHistory, ReportSignature,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def as_hours(total):
    """A SUM of hours (None for no rows; a float on SQLite) as a Decimal in hundredths."""
    return Decimal(str(total or 0)).quantize(CENT)


# Placements (the read model)

def save_started_placement(session, data):
    """A placement starts active, unless it was already heard to have ended; a copy heard again keeps
    its status."""
    placement_id = data.pop("placement_id")
    serialise(session, "timesheet.placement", placement_id)
    placement = session.get(Placement, placement_id, with_for_update=True)
    if placement is None:
        ended = session.get(PlacementEnding, placement_id) is not None
        session.add(Placement(id=placement_id, status=rules.placement_status(ended), **data))
    else:
        for name, value in data.items():
            setattr(placement, name, value)


def mark_withdrawn(session, placement_id, ended_at):
    """Ends the placement for good: whether or not its start has arrived yet, it is never active again."""
    serialise(session, "timesheet.placement", placement_id)
    if session.get(PlacementEnding, placement_id) is None:
        session.add(PlacementEnding(placement_id=placement_id, ended_at=ended_at))
        session.flush()
    session.execute(update(Placement).where(Placement.id == placement_id).values(status=rules.WITHDRAWN))


def get_placement(session, placement_id, lock=False):
    query = select(Placement).where(Placement.id == placement_id)
    placement = session.scalar(query.with_for_update() if lock else query)
    if placement is None:
        raise NotFound("no such placement", {"placement_id": ["unknown"]})
    return placement


def lock_student_placements(session, student_id):
    """Serialises writes of one student's hours (so concurrent logs cannot pass the daily cap, nor slip
    past a submission); always in id order, so two writers never wait on each other in a cycle."""
    lock_placements_of(session, [student_id])


def lock_placements_of(session, student_ids):
    """Locks (in id order) and reads afresh every placement of these students: {placement id: placement}."""
    placements = session.scalars(
        select(Placement).where(Placement.student_id.in_(student_ids)).order_by(Placement.id)
        .with_for_update().execution_options(populate_existing=True)).all()
    return {placement.id: placement for placement in placements}


@dataclass
class DaySheet:
    """What logging hours on one day checks, for many placements read at once: the placements (their
    students' placements locked), their reports' statuses, and each student's hours logged that day,
    kept up to date as rows are added."""
    work_date: dt.date
    placements: dict
    report_statuses: dict
    logged: dict

    def placement(self, placement_id):
        placement = self.placements.get(placement_id)
        if placement is None:
            raise NotFound("no such placement", {"placement_id": ["unknown"]})
        return placement

    def logged_by(self, student_id):
        return self.logged.get(student_id, ZERO)

    def add(self, student_id, hours):
        self.logged[student_id] = self.logged_by(student_id) + hours


def day_sheet(session, work_date, placement_ids):
    """The `DaySheet` of `work_date` for these placements, in four queries however many there are."""
    student_ids = sorted(set(session.scalars(
        select(Placement.student_id).where(Placement.id.in_(set(placement_ids))))))
    placements = lock_placements_of(session, student_ids) if student_ids else {}
    statuses = report_statuses(session, list(placements))
    logged = session.execute(select(HourEntry.student_id, func.sum(HourEntry.hours)).where(
        HourEntry.student_id.in_(student_ids), HourEntry.work_date == work_date,
    ).group_by(HourEntry.student_id)).all()
    return DaySheet(work_date, placements, statuses, {student: as_hours(total) for student, total in logged})


@dataclass
class AnswerSheet:
    """What a student's answers to entries check, read at once: the student's entries among those
    asked for, their placements (locked, so the answer reaching the voucher's hours sees the others),
    their reports' statuses, and which placements got a confirmation."""
    entries: dict
    placements: dict
    report_statuses: dict
    confirmed_in: set = field(default_factory=set)

    def entry(self, entry_id):
        entry = self.entries.get(entry_id)
        if entry is None:  # also someone else's entry: it does not exist for this student
            raise NotFound("no such entry", {"entry_id": ["unknown"]})
        return entry


def answer_sheet(session, student_id, entry_ids):
    """The `AnswerSheet` for these of `student_id`'s entries, in four queries however many there are."""
    wanted = select(HourEntry).where(HourEntry.id.in_(set(entry_ids)), HourEntry.student_id == student_id)
    placement_ids = sorted({entry.placement_id for entry in session.scalars(wanted)})
    placements = {placement.id: placement for placement in session.scalars(
        select(Placement).where(Placement.id.in_(placement_ids)).order_by(Placement.id)
        .with_for_update().execution_options(populate_existing=True))}
    # Read again under the placements' locks: a concurrent answer has committed by now.
    entries = {entry.id: entry for entry in session.scalars(wanted.execution_options(populate_existing=True))}
    return AnswerSheet(entries, placements, report_statuses(session, placement_ids))


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
    total = session.scalar(select(func.sum(HourEntry.hours)).where(
        HourEntry.student_id == student_id, HourEntry.work_date == work_date))
    return as_hours(total)


def entry_total(session, entry):
    """The entry's hours with its corrections."""
    corrections = session.scalar(select(func.sum(HourEntry.hours)).where(HourEntry.corrects_id == entry.id))
    return entry.hours + as_hours(corrections)


def add_entry(session, placement, actor, work_date, hours, note, source="coordinator", corrects=None,
              reason=None):
    entry = HourEntry(
        id=new_id(), placement_id=placement.id, student_id=placement.student_id, site_id=placement.site_id,
        work_date=work_date, hours=hours.quantize(CENT), note=note, source=source, corrects_id=corrects,
        reason=reason, status=rules.PENDING, created_by=actor, created_at=utcnow(),
    )
    session.add(entry)
    return entry


def get_entry(session, entry_id, lock=False):
    query = select(HourEntry).where(HourEntry.id == entry_id)
    entry = session.scalar(query.with_for_update() if lock else query)
    if entry is None:
        raise NotFound("no such entry", {"entry_id": ["unknown"]})
    return entry


def list_entries(session, filters, limit, offset, scope):
    query = select(HourEntry).where(*scope)
    for name in ("placement_id", "student_id", "status"):
        if filters.get(name):
            query = query.where(getattr(HourEntry, name) == filters[name])
    if filters.get("date_from"):
        query = query.where(HourEntry.work_date >= filters["date_from"])
    if filters.get("date_to"):
        query = query.where(HourEntry.work_date <= filters["date_to"])
    return page(session, query.order_by(HourEntry.work_date, HourEntry.created_at), limit, offset)


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
    found = {pid: (as_hours(logged), as_hours(confirmed), int(disputes or 0))
             for pid, logged, confirmed, disputes in rows}
    return {pid: found.get(pid, (ZERO, ZERO, 0)) for pid in placement_ids}


def tally(session, placement_id):
    return tallies(session, [placement_id])[placement_id]


def claim_completion(session, placement_id):
    """True exactly once per placement: the conditional update only one transaction can win."""
    result = session.execute(update(Placement).where(
        Placement.id == placement_id, Placement.completed_at.is_(None)).values(completed_at=utcnow()))
    return result.rowcount == 1


def record_hours_completed(session, placement, hours):
    record_event(session, OutboxEvent, contracts.HOURS_COMPLETED, {
        "placement_id": placement.id, "student_id": placement.student_id,
        "voucher_kind": placement.voucher_kind, "hours": hours,
    })


def record_entry_event(session, event_type, entry, comment=None):
    """`hours.logged` (the student is to confirm the entry) or `hours.disputed` (with their comment)."""
    record_event(session, OutboxEvent, event_type, {
        "entry_id": entry.id, "placement_id": entry.placement_id, "student_id": entry.student_id,
        "site_id": entry.site_id, "work_date": entry.work_date, "hours": entry.hours, "comment": comment,
    })


# Progress

def list_progress(session, filters, limit, offset, scope):
    query = select(Placement).where(*scope)
    if filters.get("placement_id"):
        query = query.where(Placement.id == filters["placement_id"])
    if filters.get("student_id"):
        query = query.where(Placement.student_id == filters["student_id"])
    placements, total = page(session, query.order_by(Placement.student_name, Placement.id), limit, offset)
    counts = tallies(session, [p.id for p in placements])
    reports = {r.placement_id: r for r in session.scalars(
        select(Report).where(Report.placement_id.in_([p.id for p in placements])))}
    return [progress_view(p, counts[p.id], reports.get(p.id)) for p in placements], total


def progress_view(placement, counts, report):
    logged, confirmed, disputes = counts
    return {
        "placement_id": placement.id, "student_id": placement.student_id,
        "student_name": placement.student_name, "site_id": placement.site_id,
        "site_name": placement.site_name, "project_title": placement.project_title,
        "voucher_kind": placement.voucher_kind, "hours_required": placement.hours_required,
        "hours_logged": logged, "hours_confirmed": confirmed, "open_disputes": disputes,
        "placement_status": placement.status,
        "report_id": report.id if report else None, "report_status": report.status if report else None,
    }


# Attendance

def open_attendance(session, student_id, since=None):
    """The student's attendance not checked out yet (checked in at `since` or later, if given)."""
    query = select(Attendance).where(Attendance.student_id == student_id, Attendance.status == rules.OPEN)
    if since is not None:
        query = query.where(Attendance.checked_in_at >= since)
    return session.scalar(query.order_by(Attendance.checked_in_at.desc()).limit(1))


def code_used(session, student_id, action, code):
    return session.get(CheckInCodeUse, (student_id, action, code.kind, code.site_id, code.window)) is not None


def record_code_use(session, student_id, action, code, attendance_id, at):
    session.add(CheckInCodeUse(student_id=student_id, action=action, kind=code.kind, site_id=code.site_id,
                               window=code.window, attendance_id=attendance_id, used_at=at))


def get_attendance(session, attendance_id, lock=False):
    query = select(Attendance).where(Attendance.id == attendance_id)
    attendance = session.scalar(query.with_for_update() if lock else query)
    if attendance is None:
        raise NotFound("no such attendance", {"attendance_id": ["unknown"]})
    return attendance


def list_attendance(session, filters, limit, offset, scope):
    query = select(Attendance).where(*scope)
    for name in ("placement_id", "status"):
        if filters.get(name):
            query = query.where(getattr(Attendance, name) == filters[name])
    if filters.get("work_date"):
        start = day_start(filters["work_date"])
        query = query.where(Attendance.checked_in_at >= start,
                            Attendance.checked_in_at < start + dt.timedelta(days=1))
    return page(session, query.order_by(Attendance.checked_in_at), limit, offset)


# Reports

def submit_report(session, placement, actor, hours):
    """A new report, or the rejected one again; the history keeps every submission."""
    now = utcnow()
    report = report_of(session, placement.id)
    if report is None:
        report = Report(id=new_id(), placement_id=placement.id, submissions=0)
        session.add(report)
    report.status, report.hours, report.submitted_at, report.submitted_by = rules.SUBMITTED, hours, now, actor
    report.submissions += 1
    report.reviewed_at = report.reviewed_by = report.reviewer_name = None
    try:
        session.flush()
    except IntegrityError:  # another submission of this placement won the race
        raise Conflict("the report is already submitted", {"placement_id": ["report exists"]})
    add_history(session, report, "submitted", actor, now)
    record_event(session, OutboxEvent, contracts.REPORT_SUBMITTED, {
        "report_id": report.id, "placement_id": placement.id, "student_id": placement.student_id,
        "region": placement.region, "organisation_id": placement.organisation_id,
        "site_id": placement.site_id, "voucher_kind": placement.voucher_kind, "hours": hours,
    })
    return report


def settled_at(session, placement_id, report):
    """When a placement's report content was last settled: its latest entry or answer, or the
    review that returned it to the site; a signature dated earlier cannot be over this content."""
    entries = session.execute(select(func.max(HourEntry.created_at), func.max(HourEntry.answered_at))
                              .where(HourEntry.placement_id == placement_id)).one()
    moments = [m for m in (*entries, report and report.reviewed_at) if m is not None]
    return max(as_utc(m) for m in moments).replace(microsecond=0) if moments else None


def add_signature(session, report, document, signature, evidence):
    """The submission's signed PDF, its CMS and evidence; the verified signer on the report."""
    signer = evidence["signer"]
    report.signer_name, report.signer_iin = signer["name"], signer["iin"]
    report.signer_role, report.signer_bin = signer["role"], signer["bin"]
    report.signed_at = dt.datetime.fromisoformat(evidence["signed_at"])
    session.add(ReportSignature(report_id=report.id, submission=report.submissions, document=document,
                                signature=signature, evidence=evidence))


def assess(session, report, placement, sample_rate):
    """The risk flags of the report's current submission (its entries, its signer, its site), stored
    with it; an unflagged one may be sampled for manual review."""
    entries = session.scalars(select(HourEntry).where(HourEntry.placement_id == placement.id)).all()
    site_placements = session.scalar(select(func.count()).select_from(Placement)
                                     .where(Placement.site_id == placement.site_id))
    found = risk.flags_of(entries, placement.student_name, report.signer_name, site_placements,
                          [(placement.hours_required, risk.days_worked(entries)), *site_reports(session, placement)])
    report.flags = [ReportFlag(code=item["code"], reason=item["reason"]) for item in found]
    report.flag_count = len(found)
    report.sampled = not found and risk.sampled(report.id, report.submissions, sample_rate)
    session.flush()
    return found


def site_reports(session, placement):
    """(hours required, days worked) for every other report of the placement's site under review or
    accepted."""
    net = (select(HourEntry.placement_id, HourEntry.work_date)
           .join(Report, Report.placement_id == HourEntry.placement_id)
           .where(HourEntry.site_id == placement.site_id, HourEntry.placement_id != placement.id,
                  Report.status.in_(rules.FROZEN))
           .group_by(HourEntry.placement_id, HourEntry.work_date).having(func.sum(HourEntry.hours) > 0)
           .subquery())
    days = select(net.c.placement_id, func.count().label("days")).group_by(net.c.placement_id).subquery()
    return session.execute(select(Placement.hours_required, days.c.days)
                           .join(days, days.c.placement_id == Placement.id)).all()


def current_signature(session, report):
    return session.scalar(select(ReportSignature).where(ReportSignature.report_id == report.id,
                                                        ReportSignature.submission == report.submissions))


def add_history(session, report, action, actor, at, reason=None):
    session.add(ReportHistory(report_id=report.id, action=action, hours=report.hours, reason=reason,
                              actor=actor, at=at))


def get_report(session, report_id):
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound("no such report", {"report_id": ["unknown"]})
    return report


def review_report(session, report, decision, reason, actor):
    """Moves a submitted report on, in one conditional update: of two reviews sent at once only
    one changes the row, so the event is recorded once."""
    now = utcnow()
    status = rules.ACCEPTED if decision == "accept" else rules.REJECTED
    values = {"status": status, "reviewed_at": now, "reviewed_by": actor.user_id,
              "reviewer_name": actor.name}
    if status == rules.REJECTED:
        values["reason"] = reason
    changed = session.execute(update(Report).where(Report.id == report.id, Report.status == rules.SUBMITTED)
                              .values(**values))
    if changed.rowcount != 1:
        raise Conflict("the report has already been reviewed", {"status": ["not awaiting review"]})
    session.refresh(report)
    add_history(session, report, status, actor.user_id, now, reason)
    placement = session.get(Placement, report.placement_id)
    if status == rules.ACCEPTED:
        record_event(session, OutboxEvent, contracts.REPORT_ACCEPTED, accepted_event(report, placement))
    else:
        record_event(session, OutboxEvent, contracts.REPORT_REJECTED, {
            "report_id": report.id, "placement_id": placement.id, "student_id": placement.student_id,
            "site_id": placement.site_id, "reason": reason,
        })
    return report


def accepted_event(report, placement):
    return {
        "report_id": report.id, "placement_id": placement.id, "student_id": placement.student_id,
        "student_name": placement.student_name, "university_id": placement.university_id,
        "region": placement.region, "organisation_id": placement.organisation_id,
        "organisation_name": placement.organisation_name, "site_id": placement.site_id,
        "site_name": placement.site_name, "direction": placement.direction,
        "voucher_kind": placement.voucher_kind, "hours": report.hours,
        "accepted_at": report.reviewed_at, "accepted_by": report.reviewed_by, "starts_on": placement.starts_on,
    }


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


def list_reports(session, filters, limit, offset, scope):
    order = (Report.submitted_at, Report.id)
    if filters.get("sort") == "flags":  # the most flags first
        order = (Report.flag_count.desc(), *order)
    rows, total = page(session, report_query(filters, scope).order_by(*order), limit, offset, rows=True)
    return [report_view(report, placement) for report, placement in rows], total


def bulk_acceptable(session, filters, limit):
    """The ids of the submitted reports of a queue filter that bulk acceptance takes: unflagged and not
    sampled, oldest first."""
    query = report_query({**filters, "status": rules.SUBMITTED, "flagged": False}, []).where(
        Report.sampled.is_(False))
    return session.scalars(query.with_only_columns(Report.id).order_by(Report.submitted_at, Report.id)
                           .limit(limit)).all()


def day_start(day):
    """The start of a calendar day in Asia/Almaty (the day the Operator filters by), in UTC as stored;
    days at the ends of the calendar are clamped so the arithmetic stays in range."""
    day = min(max(day, dt.date.min + dt.timedelta(days=1)), dt.date.max - dt.timedelta(days=1))
    return dt.datetime.combine(day, dt.time(), tzinfo=rules.LOCAL_TIME).astimezone(dt.timezone.utc)


def report_view(report, placement, entries=None):
    view = {
        "id": report.id, "placement_id": placement.id, "status": report.status,
        "student_id": placement.student_id, "student_name": placement.student_name,
        "university_id": placement.university_id, "region": placement.region,
        "organisation_id": placement.organisation_id, "organisation_name": placement.organisation_name,
        "site_id": placement.site_id, "site_name": placement.site_name,
        "project_title": placement.project_title, "direction": placement.direction,
        "voucher_kind": placement.voucher_kind, "hours_required": placement.hours_required,
        "hours": report.hours, "submissions": report.submissions, "submitted_at": report.submitted_at,
        "submitted_by": report.submitted_by, "reviewed_at": report.reviewed_at,
        "reviewed_by": report.reviewed_by, "reviewer_name": report.reviewer_name, "reason": report.reason,
        "signature": None if report.signed_at is None else {
            "name": report.signer_name, "iin": report.signer_iin, "role": report.signer_role,
            "bin": report.signer_bin, "signed_at": as_utc(report.signed_at)},
        "flags": [{"code": item.code, "reason": item.reason} for item in report.flags],
        "sampled": report.sampled,
    }
    if entries is not None:
        view["entries"] = [entry_view(e) for e in entries]
    return view


# Views and paging

def entry_view(entry):
    return {column: getattr(entry, column) for column in (
        "id", "placement_id", "student_id", "site_id", "work_date", "hours", "note", "source",
        "corrects_id", "reason", "status", "student_comment", "resolution", "created_by", "created_at")}


def attendance_view(session, attendance):
    view = {column: getattr(attendance, column) for column in (
        "id", "placement_id", "student_id", "site_id", "checked_in_at", "checked_out_at", "status",
        "entry_id", "note", "checked_in_with", "checked_out_with")}
    return {**view, "student_name": session.get(Placement, attendance.placement_id).student_name}


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
