"""Timesheet's rules: pure functions over values, no I/O.

One convention: each `check_*` raises the `common.errors` type the caller should see (RuleViolation
422 for what the programme forbids, Conflict 409 for what the current state forbids, NotFound for
what is not the caller's), naming the field at fault. States are the enums of
`common/contracts/timesheet.py`. Hours are `Decimal` in quarter-hour steps; "today" is the calendar
day in Asia/Almaty.
"""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from common import programme
from common.contracts.timesheet import AttendanceStatus, EntryStatus, PlacementStatus, ReportStatus
from common.errors import Conflict, NotFound, RuleViolation

QUARTER_HOUR = Decimal("0.25")
MAX_HOURS_PER_DAY = Decimal(programme.MAX_HOURS_PER_DAY)
LOCAL_TIME = ZoneInfo(programme.TIMEZONE)

PENDING, CONFIRMED, DISPUTED = EntryStatus
SUBMITTED, ACCEPTED, REJECTED = ReportStatus
FROZEN = (SUBMITTED, ACCEPTED)  # a submitted or accepted report freezes its placement's entries
ACTIVE, WITHDRAWN = PlacementStatus
OPEN, AWAITING, APPROVED, DECLINED = AttendanceStatus


def local_today(now):
    """The calendar day in Asia/Almaty at the aware instant `now`."""
    return now.astimezone(LOCAL_TIME).date()


def check_at_site(placement_site_id, coordinator_site_id):
    """Coordinators log only for students placed at their own site; others' placements do not exist."""
    if not coordinator_site_id or placement_site_id != coordinator_site_id:
        raise NotFound("no such placement at your site", {"placement_id": ["not placed at your site"]})


def placement_status(ended):
    """The status of a placement as timesheet first learns of it: withdrawn is final, whatever order
    placement's events arrived in."""
    return WITHDRAWN if ended else ACTIVE


def check_active(placement_status):
    if placement_status != ACTIVE:
        raise RuleViolation("the student has left this placement", {"placement_id": ["withdrawn"]})


def check_not_frozen(report_status):
    if report_status in FROZEN:
        raise Conflict(f"the completion report is {report_status}; its entries are frozen",
                       {"placement_id": [f"report {report_status}"]})


def check_hours(hours, correction=False):
    """Quarter-hour steps; positive for a logged entry, non-zero (either sign) for a correction."""
    if abs(hours) > MAX_HOURS_PER_DAY:
        raise RuleViolation(f"at most {MAX_HOURS_PER_DAY} hours a day", {"hours": ["too many hours"]})
    if hours % QUARTER_HOUR != 0:
        raise RuleViolation("hours go in quarter-hour steps", {"hours": ["not a multiple of 0.25"]})
    if correction and hours == 0:
        raise RuleViolation("a correction changes the hours", {"hours": ["must not be zero"]})
    if not correction and hours <= 0:
        raise RuleViolation("logged hours are positive; reduce hours with a correction",
                            {"hours": ["must be positive"]})


def check_work_date(work_date, starts_on, ends_on, today):
    """Inside the placement's window and not after today (Asia/Almaty)."""
    if work_date > today:
        raise RuleViolation("the date is in the future", {"work_date": [f"after today ({today})"]})
    if not starts_on <= work_date <= ends_on:
        raise RuleViolation("the date is outside the placement's window",
                            {"work_date": [f"not within {starts_on} .. {ends_on}"]})


def check_day_total(logged_that_day, hours):
    """At most 8 hours a student a day across all placements, and never below zero."""
    total = logged_that_day + hours
    if total > MAX_HOURS_PER_DAY:
        raise RuleViolation(f"more than {MAX_HOURS_PER_DAY} hours that day for the student",
                            {"hours": [f"{logged_that_day} already logged that day"]})
    if total < 0:
        raise RuleViolation("the day's hours would go below zero", {"hours": ["too large a reduction"]})


def check_correction(entry_total, hours):
    """An entry with its corrections never goes below zero hours."""
    if entry_total + hours < 0:
        raise RuleViolation("the correction takes the entry below zero",
                            {"hours": [f"the entry stands at {entry_total}"]})


def check_answerable(entry_status, answer):
    """A student confirms a pending or disputed entry, and disputes a pending or confirmed one."""
    if answer not in EntryStatus.TRANSITIONS.get(entry_status, ()):
        raise Conflict(f"the entry is already {entry_status}", {"status": [entry_status]})


def check_disputed(entry_status):
    """The site answers a dispute only."""
    if entry_status != DISPUTED:
        raise Conflict("the entry is not disputed", {"status": [entry_status]})


def check_awaiting_decision(attendance_status):
    """The coordinator decides a check-out once."""
    if attendance_status != AWAITING:
        raise Conflict(f"the attendance is {attendance_status}", {"status": [attendance_status]})


def check_checked_in(attendance_status):
    if attendance_status != OPEN:
        raise Conflict("already checked out", {"status": [attendance_status]})


def check_not_checked_in(open_attendance, field):
    """One check-in at a time: the open one is checked out first."""
    if open_attendance is not None:
        raise Conflict("you are already checked in", {field: ["check out first"]})


def check_has_checked_in(open_attendance):
    if open_attendance is None:
        raise Conflict("you are not checked in", {"code": ["check in first"]})


def check_same_site(checked_in_site_id, code_site_id):
    if checked_in_site_id != code_site_id:
        raise RuleViolation("you checked in at another site", {"code": ["another site's code"]})


def reached(hours_confirmed, hours_required):
    return hours_confirmed >= hours_required


def check_submittable(hours_confirmed, hours_required, open_disputes, report_status):
    """A report goes to the Operator only with the voucher's hours confirmed and no open dispute."""
    check_not_frozen(report_status)
    if open_disputes:
        raise RuleViolation(f"{open_disputes} disputed entries must be resolved first",
                            {"placement_id": ["open disputes"]})
    if not reached(hours_confirmed, hours_required):
        raise RuleViolation(f"{hours_confirmed} of {hours_required} hours confirmed",
                            {"placement_id": ["the voucher's hours are not confirmed yet"]})


def same_signature(kept, sent):
    """Whether two base64 CMS texts are the same signature (line breaks and spaces aside)."""
    return "".join(kept.split()) == "".join(sent.split())


def review_status(decision):
    return ACCEPTED if decision == "accept" else REJECTED


def check_review(report_status, decision, reason, signed=True):
    """The Operator reviews a submitted report once; a rejection says why; only a report with a
    verified EDS signature is accepted (one submitted unsigned is rejected, and the site signs it)."""
    if report_status != SUBMITTED:
        raise Conflict(f"the report is {report_status}, not awaiting review", {"status": [report_status]})
    if decision == "reject" and not reason:
        raise RuleViolation("a rejection needs a reason", {"reason": ["required to reject"]})
    if decision == "accept" and not signed:
        raise RuleViolation("the report carries no verified EDS signature: reject it for the site to sign",
                            {"signature": ["missing"]})


def check_bulk_acceptable(flag_codes, sampled):
    """Bulk acceptance takes only routine reports: a flagged or sampled one is reviewed one by one."""
    if flag_codes:
        raise RuleViolation("the report is flagged: review it one by one", {"flags": list(flag_codes)})
    if sampled:
        raise RuleViolation("the report is sampled for manual review: review it one by one",
                            {"sampled": ["manual review"]})


def check_signed_document(signed_sha256, document_sha256):
    """The signature was verified over the report's PDF as it stands now, not an earlier one."""
    if signed_sha256 != document_sha256:
        raise Conflict("the report changed since it was signed: sign its current PDF",
                       {"signature": ["over another version of the report"]})


def check_not_future(moment, now):
    if moment > now:
        raise RuleViolation("the time is in the future", {"at": ["after now"]})


def interval_hours(checked_in_at, checked_out_at, now):
    """Attendance as hours, rounded down to the quarter hour; one local day, not in the future."""
    check_not_future(max(checked_in_at, checked_out_at), now)
    if checked_out_at <= checked_in_at:
        raise RuleViolation("check-out comes after check-in", {"at": ["not after the check-in"]})
    if local_today(checked_in_at) != local_today(checked_out_at):
        raise RuleViolation("check-in and check-out fall on different days", {"at": ["another day"]})
    quarters = int((checked_out_at - checked_in_at) / dt.timedelta(minutes=15))
    return QUARTER_HOUR * quarters
