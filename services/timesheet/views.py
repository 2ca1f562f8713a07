"""Timesheet's read side: the queries behind its lists and the shapes of its answers, each dumped
through its contract once, here; the gateway passes them on as they are."""
import base64
import datetime as dt

from sqlalchemy import select

from common.clock import as_utc
from common.contracts import timesheet as contracts
from common.contracts.base import shared, values_of
from common.db import page
from common.errors import NotFound
from services.timesheet import access, checkin, repository
from services.timesheet.domain import facts_of
from services.timesheet.models import Attendance, HourEntry, Placement, Report


def dumped(contract, data):
    return shared(contract).dump(data)


def a_page(contract, items, total):
    return dumped(contract, {"items": items, "total": total})


# Hour entries

def entry_data(entry):
    return values_of(contracts.EntryOut, entry)


def entry(entry):
    return dumped(contracts.EntryOut, entry_data(entry))


def list_entries(session, principal, filters):
    query = select(HourEntry).where(*access.visibility(principal, HourEntry))
    for name in ("placement_id", "student_id", "status"):
        if filters.get(name):
            query = query.where(getattr(HourEntry, name) == filters[name])
    if filters.get("date_from"):
        query = query.where(HourEntry.work_date >= filters["date_from"])
    if filters.get("date_to"):
        query = query.where(HourEntry.work_date <= filters["date_to"])
    items, total = page(session, query.order_by(HourEntry.work_date, HourEntry.created_at), filters["limit"],
                        filters["offset"])
    return a_page(contracts.EntryPage, [entry_data(e) for e in items], total)


def rows(contract, counted, results):
    """A many-rows answer: how many rows `counted` (done) and refused, and each row's result."""
    done = sum(1 for result in results if result["error"] is None)
    return dumped(contract, {counted: done, "refused": len(results) - done, "results": results})


# Progress

def progress(session, principal, filters):
    """Hours logged and confirmed against the voucher's, per placement in the caller's scope."""
    query = select(Placement).where(*access.visibility(principal, Placement))
    if filters.get("placement_id"):
        query = query.where(Placement.id == filters["placement_id"])
    if filters.get("student_id"):
        query = query.where(Placement.student_id == filters["student_id"])
    placements, total = page(session, query.order_by(Placement.student_name, Placement.id), filters["limit"],
                             filters["offset"])
    counts = repository.tallies(session, [p.id for p in placements])
    reports = {r.placement_id: r for r in session.scalars(
        select(Report).where(Report.placement_id.in_([p.id for p in placements])))}
    return a_page(contracts.ProgressPage, [progress_data(p, counts[p.id], reports.get(p.id)) for p in placements],
                  total)


def progress_data(placement, counts, report):
    logged, confirmed, disputes = counts
    return facts_of(contracts.ProgressOut, placement, hours_logged=logged, hours_confirmed=confirmed,
                    open_disputes=disputes, placement_status=placement.status,
                    report_id=report.id if report else None, report_status=report.status if report else None)


# Attendance

def attendance_data(session, attendance):
    return values_of(contracts.AttendanceOut, attendance,
                     student_name=session.get(Placement, attendance.placement_id).student_name)


def attendance(session, attendance):
    return dumped(contracts.AttendanceOut, attendance_data(session, attendance))


def list_attendance(session, principal, filters):
    query = select(Attendance).where(*access.visibility(principal, Attendance))
    for name in ("placement_id", "status"):
        if filters.get(name):
            query = query.where(getattr(Attendance, name) == filters[name])
    if filters.get("work_date"):
        start = repository.day_start(filters["work_date"])
        query = query.where(Attendance.checked_in_at >= start,
                            Attendance.checked_in_at < start + dt.timedelta(days=1))
    items, total = page(session, query.order_by(Attendance.checked_in_at), filters["limit"], filters["offset"])
    return a_page(contracts.AttendancePage, [attendance_data(session, a) for a in items], total)


# Check-in codes

def code(settings, code):
    """A code's answer; the gateway draws its QR code (`qr_svg`)."""
    seconds = settings.windows[code.kind]
    start = checkin.window_start(code.window, seconds)
    return {"site_id": code.site_id, "kind": code.kind, "window_seconds": seconds, "valid_from": start,
            "valid_until": start + dt.timedelta(seconds=seconds),
            "accepted_until": start + dt.timedelta(seconds=2 * seconds),
            "value": checkin.scanned_value(settings.key, code), "short_code": checkin.short_code(settings.key, code)}


# Reports

def report_data(report, placement, entries=None):
    """The report's own fields, its placement's facts from the read model, its signer and its flags."""
    signer = None if report.signed_at is None else {
        "name": report.signer_name, "iin": report.signer_iin, "role": report.signer_role, "bin": report.signer_bin,
        "signed_at": as_utc(report.signed_at)}
    data = values_of(contracts.ReportOut, report, signature=signer,
                     flags=[{"code": item.code, "reason": item.reason} for item in report.flags],
                     **facts_of(contracts.ReportOut, placement))
    if entries is not None:
        data["entries"] = [entry_data(e) for e in entries]
    return data


def report(report, placement, entries=None):
    contract = contracts.ReportOut if entries is None else contracts.ReportDetailOut
    return dumped(contract, report_data(report, placement, entries))


def visible_report(session, principal, report_id):
    """The report and its placement, if in the caller's scope; else not found."""
    found = repository.get(session, Report, report_id, "report")
    placement = session.scalar(select(Placement).where(Placement.id == found.placement_id,
                                                       *access.visibility(principal, Placement)))
    if placement is None:
        raise NotFound("no such report", {"report_id": ["unknown"]})
    return found, placement


def list_reports(session, principal, filters):
    """The Operator's queue (filter by status, region, organisation, submission date)."""
    order = (Report.submitted_at, Report.id)
    if filters.get("sort") == "flags":  # the most flags first
        order = (Report.flag_count.desc(), *order)
    query = repository.report_query(filters, access.visibility(principal, Placement))
    found, total = page(session, query.order_by(*order), filters["limit"], filters["offset"], rows=True)
    return a_page(contracts.ReportPage, [report_data(r, p) for r, p in found], total)


def signature(report, kept):
    """The current submission's signed PDF, its CMS and the evidence of its verification."""
    return {"report_id": report.id, "submission": kept.submission, "signature": kept.signature,
            "document_base64": base64.b64encode(kept.document).decode(), "evidence": kept.evidence}
