"""Timesheet's events (hours reaching the voucher, the completion report's life) and RPC payloads."""
import enum

from marshmallow import ValidationError, fields, validate, validates_schema

from common.contracts.base import (Contract, EventType, PageQuery, direction_field, page_of, region_field,
                                   text_field, voucher_kind_field)
from common.domain import State

SOURCE = "timesheet"


# States, declared once: the contracts take their values, timesheet's rules their transitions, its
# tables a CHECK constraint of their values.

class EntryStatus(State):
    """The student's answer to an hour entry; a dispute the site answers goes back to pending."""
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    TRANSITIONS = enum.nonmember({PENDING: {CONFIRMED, DISPUTED}, CONFIRMED: {DISPUTED},
                                  DISPUTED: {CONFIRMED, PENDING}})


class ReportStatus(State):
    """A completion report; a rejected one is submitted again."""
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TRANSITIONS = enum.nonmember({SUBMITTED: {ACCEPTED, REJECTED}, REJECTED: {SUBMITTED}, ACCEPTED: set()})


class PlacementStatus(State):
    """A placement in timesheet's read model: withdrawn is final, whatever order placement's events came in."""
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    TRANSITIONS = enum.nonmember({ACTIVE: {WITHDRAWN}, WITHDRAWN: set()})


class AttendanceStatus(State):
    """A check-in: open until the check-out, then awaiting the coordinator's decision."""
    OPEN = "open"
    AWAITING = "awaiting"
    APPROVED = "approved"
    DECLINED = "declined"
    TRANSITIONS = enum.nonmember({OPEN: {AWAITING}, AWAITING: {APPROVED, DECLINED}})


class HoursCompleted(Contract):
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    voucher_kind = voucher_kind_field(required=True)
    hours = fields.Decimal(required=True, as_string=True)


class ReportSubmitted(Contract):
    report_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    region = region_field(required=True)
    organisation_id = fields.String(required=True)
    site_id = fields.String(required=True)
    voucher_kind = voucher_kind_field(required=True)
    hours = fields.Decimal(required=True, as_string=True)


class ReportAccepted(Contract):
    """The trigger for the payout and the credit re-count: carries all either of them needs."""
    report_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    student_name = fields.String(required=True)
    university_id = fields.String(required=True)
    region = region_field(required=True)
    organisation_id = fields.String(required=True)
    organisation_name = fields.String(required=True)
    site_id = fields.String(required=True)
    site_name = fields.String(required=True)
    direction = direction_field(required=True)
    voucher_kind = voucher_kind_field(required=True)
    hours = fields.Decimal(required=True, as_string=True)
    accepted_at = fields.DateTime(required=True)
    accepted_by = fields.String(required=True)
    starts_on = fields.Date(load_default=None, allow_none=True,
                            metadata={"description": "the placement's first day: the programme year it counts in"})


class ReportRejected(Contract):
    report_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    site_id = fields.String(required=True)
    reason = fields.String(required=True)


class HoursEntryEvent(Contract):
    """One hour entry: logged by the site (the student is to confirm it) or disputed by the student."""
    entry_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    site_id = fields.String(required=True)
    work_date = fields.Date(required=True)
    hours = fields.Decimal(required=True, as_string=True)
    comment = fields.String(load_default=None, allow_none=True,
                            metadata={"description": "the student's reason for a dispute"})


HOURS_LOGGED = EventType(SOURCE, "hours.logged", HoursEntryEvent)
HOURS_DISPUTED = EventType(SOURCE, "hours.disputed", HoursEntryEvent)
HOURS_COMPLETED = EventType(SOURCE, "hours.completed", HoursCompleted)
REPORT_SUBMITTED = EventType(SOURCE, "report.submitted", ReportSubmitted)
REPORT_ACCEPTED = EventType(SOURCE, "report.accepted", ReportAccepted)
REPORT_REJECTED = EventType(SOURCE, "report.rejected", ReportRejected)


# RPC payloads: hours, confirmations, attendance, progress, reports and the Operator's review

ENTRY_STATUSES = tuple(EntryStatus)
ENTRY_SOURCES = ("coordinator", "attendance")
ATTENDANCE_STATUSES = tuple(AttendanceStatus)
CODE_ACTIONS = ("check_in", "check_out")
REPORT_STATUSES = tuple(ReportStatus)
# services/timesheet/risk.py raises these; what each means is in docs/api.md.
RISK_FLAGS = ("few_logging_days", "same_minute", "corrected_after_dispute", "same_surname", "minimum_time_site")
MAX_BULK_REVIEW = 500


def note_field(**kwargs):
    return text_field(1, 500, multiline=True, **kwargs)


def hours_field(**kwargs):
    """Hours as a decimal; quarter-hour steps and the daily bound are rules the service checks per row."""
    return fields.Decimal(as_string=True, **kwargs)


class HoursIn(Contract):
    placement_id = text_field(1, 64, required=True)
    work_date = fields.Date(required=True)
    hours = hours_field(required=True)
    note = note_field(required=True)


class DayRow(Contract):
    placement_id = text_field(1, 64, required=True)
    hours = hours_field(required=True)
    note = note_field(required=True)


class DayIn(Contract):
    """A whole day's attendance at one site: one row per placed student."""
    work_date = fields.Date(required=True)
    rows = fields.List(fields.Nested(DayRow), required=True, validate=validate.Length(min=1, max=500))


class CorrectionIn(Contract):
    hours = hours_field(required=True, metadata={"description": "may be negative"})
    reason = note_field(required=True)


class ConfirmIn(Contract):
    comment = note_field(load_default=None)


class ConfirmManyIn(Contract):
    """The student confirms many of their own entries at once; each is confirmed or refused on its own."""
    entry_ids = fields.List(text_field(1, 64), required=True,
                            validate=validate.Length(min=1, max=500))
    comment = note_field(load_default=None)


class DisputeIn(Contract):
    comment = note_field(required=True)


class ResolveIn(Contract):
    note = note_field(required=True)


class EntryQuery(PageQuery):
    placement_id = text_field(1, 64)
    student_id = text_field(1, 64)
    status = fields.String(validate=validate.OneOf(ENTRY_STATUSES))
    date_from = fields.Date()
    date_to = fields.Date()


class EntryOut(Contract):
    id = fields.String()
    placement_id = fields.String()
    student_id = fields.String()
    site_id = fields.String()
    work_date = fields.Date()
    hours = fields.Decimal(as_string=True)
    note = fields.String()
    source = fields.String(metadata={"description": "coordinator or attendance"})
    corrects_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "pending, confirmed or disputed"})
    student_comment = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()


EntryPage = page_of(EntryOut)


class DayRowResult(Contract):
    index = fields.Integer()
    placement_id = fields.String()
    status = fields.Integer(metadata={"description": "201 when logged, else the 4xx the row got"})
    entry = fields.Nested(EntryOut, allow_none=True)
    error = fields.Dict(allow_none=True, metadata={"description": "the error body: code, message, fields"})


class DayOut(Contract):
    work_date = fields.Date()
    logged = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(DayRowResult))


class ConfirmRowResult(Contract):
    index = fields.Integer()
    entry_id = fields.String()
    status = fields.Integer(metadata={"description": "200 when confirmed, else the 4xx the row got"})
    entry = fields.Nested(EntryOut, allow_none=True)
    error = fields.Dict(allow_none=True, metadata={"description": "the error body: code, message, fields"})


class ConfirmManyOut(Contract):
    confirmed = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(ConfirmRowResult))


class CheckInIn(Contract):
    placement_id = text_field(1, 64, required=True)
    at = fields.AwareDateTime(metadata={"description": "default: now"})


class CheckOutIn(Contract):
    at = fields.AwareDateTime(metadata={"description": "default: now"})


class AttendanceDecisionIn(Contract):
    approve = fields.Boolean(required=True)
    note = note_field(load_default=None)


class AttendanceQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(ATTENDANCE_STATUSES))
    placement_id = text_field(1, 64)
    work_date = fields.Date(metadata={"description": "check-ins of this day (Asia/Almaty)"})


class AttendanceOut(Contract):
    id = fields.String()
    placement_id = fields.String()
    student_id = fields.String()
    site_id = fields.String()
    checked_in_at = fields.DateTime()
    checked_out_at = fields.DateTime(allow_none=True)
    status = fields.String()
    entry_id = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    student_name = fields.String()
    checked_in_with = fields.String(allow_none=True, metadata={
        "description": "screen or sheet: the site's code the check-in was made with; null: the time the student gave"})
    checked_out_with = fields.String(allow_none=True)


AttendancePage = page_of(AttendanceOut)


class CodeCheckInIn(Contract):
    """A check-in or check-out with the site's code: scanned from its QR code or typed."""
    code = text_field(1, 300, required=True, metadata={
        "description": "the QR code's text (SV1.…) or its six-character short code"})
    action = fields.String(required=True, validate=validate.OneOf(CODE_ACTIONS))


class CheckInCodeOut(Contract):
    """One of the site's check-in codes: its QR text, short code and when it is taken."""
    site_id = fields.String()
    kind = fields.String(metadata={"description": "screen (renewed every window) or sheet (printed)"})
    window_seconds = fields.Integer()
    valid_from = fields.DateTime()
    valid_until = fields.DateTime(metadata={"description": "the end of its own window"})
    accepted_until = fields.DateTime(metadata={"description": "the end of its window of grace"})
    value = fields.String(metadata={"description": "the text the QR code carries"})
    short_code = fields.String()
    qr_svg = fields.String(metadata={"description": "the QR code as an SVG document"})


class CodeSheetQuery(Contract):
    date = fields.Date(metadata={"description": "default: today (Asia/Almaty)"})


class CodeSheetOut(Contract):
    site_id = fields.String()
    date = fields.Date()
    window_seconds = fields.Integer()
    codes = fields.List(fields.Nested(CheckInCodeOut))


class AttendanceDecisionRow(AttendanceDecisionIn):
    attendance_id = text_field(1, 64, required=True)


class AttendanceDecisionsIn(Contract):
    """A day's check-ins approved (or declined) at once; each row decided or refused on its own."""
    rows = fields.List(fields.Nested(AttendanceDecisionRow), required=True, validate=validate.Length(min=1, max=500))


class AttendanceDecisionResult(Contract):
    index = fields.Integer()
    attendance_id = fields.String()
    status = fields.Integer(metadata={"description": "200 when decided, else the 4xx the row got"})
    attendance = fields.Nested(AttendanceOut, allow_none=True)
    error = fields.Dict(allow_none=True, metadata={"description": "the error body: code, message, fields"})


class AttendanceDecisionsOut(Contract):
    decided = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(AttendanceDecisionResult))


class ProgressQuery(PageQuery):
    placement_id = text_field(1, 64)
    student_id = text_field(1, 64)


class ProgressOut(Contract):
    placement_id = fields.String()
    student_id = fields.String()
    student_name = fields.String()
    site_id = fields.String()
    site_name = fields.String()
    project_title = fields.String()
    voucher_kind = fields.String()
    hours_required = fields.Integer()
    hours_logged = fields.Decimal(as_string=True)
    hours_confirmed = fields.Decimal(as_string=True)
    open_disputes = fields.Integer()
    placement_status = fields.String(metadata={"description": "active or withdrawn"})
    report_id = fields.String(allow_none=True)
    report_status = fields.String(allow_none=True)


ProgressPage = page_of(ProgressOut)


class ReportIn(Contract):
    placement_id = text_field(1, 64, required=True)
    signature = fields.String(required=True, validate=validate.Length(min=1, max=65536), metadata={
        "description": "detached CMS SignedData over the report's PDF (GET /placements/<id>/report-document), "
                       "by an EDS of the organisation's BIN (head, signing right, employee) or the "
                       "coordinator's own: base64 DER/BER, or PEM-armoured as NCALayer answers"})


class ReviewIn(Contract):
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "reject")))
    reason = note_field(load_default=None)


class ReportFilter(Contract):
    """Which reports: the queue's filter, and the one bulk acceptance takes."""
    region = region_field()
    organisation_id = text_field(1, 64)
    site_id = text_field(1, 64)
    submitted_from = fields.Date()
    submitted_to = fields.Date()


class ReportQuery(PageQuery, ReportFilter):
    status = fields.String(validate=validate.OneOf(REPORT_STATUSES))
    flag = fields.String(validate=validate.OneOf(RISK_FLAGS), metadata={"description": "reports with this flag"})
    flagged = fields.Boolean(metadata={"description": "true: reports with any flag; false: with none"})
    sort = fields.String(load_default="submitted", validate=validate.OneOf(("submitted", "flags")),
                         metadata={"description": "submitted: oldest first; flags: the most flags first"})


class BulkReviewIn(Contract):
    """Reports accepted at once: the listed ids, or up to `limit` of the unflagged, unsampled submitted
    reports of `filter` (oldest first). Each row accepted or refused on its own."""
    report_ids = fields.List(text_field(1, 64), validate=validate.Length(min=1, max=MAX_BULK_REVIEW),
                             load_default=None)
    filter = fields.Nested(ReportFilter, load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_BULK_REVIEW))

    @validates_schema
    def one_selection(self, data, **kwargs):
        if (data.get("report_ids") is None) == (data.get("filter") is None):
            raise ValidationError("give report_ids or a filter, not both", "report_ids")


class ReportSignerOut(Contract):
    """Who signed the report's current submission, as registry verified it."""
    name = fields.String()
    iin = fields.String()
    role = fields.String(metadata={"description": "legal_head, legal_signing_right, legal_employee or individual"})
    bin = fields.String(allow_none=True)
    signed_at = fields.DateTime()


class ReportFlagOut(Contract):
    code = fields.String(metadata={"description": ", ".join(RISK_FLAGS)})
    reason = fields.String()


class ReportOut(Contract):
    id = fields.String()
    placement_id = fields.String()
    status = fields.String()
    student_id = fields.String()
    student_name = fields.String()
    university_id = fields.String()
    region = fields.String()
    organisation_id = fields.String()
    organisation_name = fields.String()
    site_id = fields.String()
    site_name = fields.String()
    project_title = fields.String()
    direction = fields.String()
    voucher_kind = fields.String()
    hours_required = fields.Integer()
    hours = fields.Decimal(as_string=True)
    submissions = fields.Integer()
    submitted_at = fields.DateTime()
    submitted_by = fields.String()
    reviewed_at = fields.DateTime(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewer_name = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "why it was last rejected"})
    signature = fields.Nested(ReportSignerOut, allow_none=True)
    flags = fields.List(fields.Nested(ReportFlagOut), metadata={"description": "risk flags: review one by one"})
    sampled = fields.Boolean(metadata={"description": "unflagged, but set aside for manual review"})


class ReportDetailOut(ReportOut):
    entries = fields.List(fields.Nested(EntryOut))


ReportPage = page_of(ReportOut)


class BulkReviewResult(Contract):
    index = fields.Integer()
    report_id = fields.String()
    status = fields.Integer(metadata={"description": "200 when accepted, else the 4xx the row got"})
    report = fields.Nested(ReportOut, allow_none=True)
    error = fields.Dict(allow_none=True, metadata={"description": "the error body: code, message, fields"})


class BulkReviewOut(Contract):
    accepted = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(BulkReviewResult))


class ReportSignatureOut(Contract):
    """A report's current submission as signed: the CMS over the signed PDF and the verification
    evidence (document digest, chain, revocation source and time)."""
    report_id = fields.String(required=True)
    submission = fields.Integer(required=True)
    signature = fields.String(required=True)
    evidence = fields.Dict(required=True)
