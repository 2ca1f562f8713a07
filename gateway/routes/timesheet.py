"""Hours, the student's confirmations, attendance, progress, completion reports and their review."""
import base64

from werkzeug.wrappers import Response

from common import messages
from common.contracts import timesheet as contracts
from common.contracts.registry import SignatureVerdictOut, SignatureVerifyIn
from common.errors import Conflict
from gateway.http import route, rows_in_language
from gateway.qr import qr_svg
from gateway.rpc import BULK_TIMEOUT_SECONDS

IDEMPOTENCY_HEADER = "Idempotency-Key"
TAG = "timesheet"


def idempotency_key(request):
    return request.headers.get(IDEMPOTENCY_HEADER)


def flags_in_language(reports, request):
    """Reports with their risk flags' reasons in the language of the request (codes unchanged)."""
    language = messages.language_of(request.headers.get("Accept-Language"))
    for report in reports:
        for item in report.get("flags") or ():
            item["reason"] = messages.translate(item["reason"], language)


class TimesheetRoutes:
    """Timesheet answers through each route's response contract itself (`dumped=True`); routes of many
    rows and the report queue put row errors and flag reasons in the caller's language, in place. The
    check-in code routes add the QR code the gateway draws, and the signature route picks its fields
    from the answer the signed-document and verification routes share: those the gateway shapes."""

    @route("POST", "/api/v1/hours", summary="Log a placed student's hours (coordinator; Idempotency-Key)",
           tag=TAG, body=contracts.HoursIn, response=contracts.EntryOut, status=201,
           errors=(404, 409, 422), dumped=True)
    def log_hours(self, request, body):
        return self.timesheet.log_hours(body, idempotency_key(request))

    @route("POST", "/api/v1/hours/days",
           summary="Log a day's attendance for many students; each row logged or refused on its own "
                   "(coordinator; Idempotency-Key)",
           tag=TAG, body=contracts.DayIn, response=contracts.DayOut, dumped=True)
    def log_day(self, request, body):
        return rows_in_language(self.timesheet.log_day.within(BULK_TIMEOUT_SECONDS)(body, idempotency_key(request)), request)

    @route("GET", "/api/v1/hours", summary="Hour entries in the caller's scope", tag=TAG,
           query=contracts.EntryQuery, response=contracts.EntryPage, dumped=True)
    def list_entries(self, request, query):
        return self.timesheet.list_entries(query)

    @route("POST", "/api/v1/hours/<entry_id>/corrections",
           summary="Correct an entry with a new entry and a reason (coordinator; Idempotency-Key)", tag=TAG,
           body=contracts.CorrectionIn, response=contracts.EntryOut, status=201, errors=(404, 409, 422), dumped=True)
    def correct_entry(self, request, entry_id, body):
        return self.timesheet.correct_entry(entry_id, body, idempotency_key(request))

    @route("POST", "/api/v1/hours/confirm",
           summary="Confirm many of the student's own entries; each row confirmed or refused on its own "
                   "(student)",
           tag=TAG, body=contracts.ConfirmManyIn, response=contracts.ConfirmManyOut, dumped=True)
    def confirm_entries(self, request, body):
        return rows_in_language(self.timesheet.confirm_entries.within(BULK_TIMEOUT_SECONDS)(body), request)

    @route("POST", "/api/v1/hours/<entry_id>/confirm", summary="Confirm an entry (student)", tag=TAG,
           body=contracts.ConfirmIn, response=contracts.EntryOut, errors=(404, 409), dumped=True)
    def confirm_entry(self, request, entry_id, body):
        return self.timesheet.confirm_entry(entry_id, body)

    @route("POST", "/api/v1/hours/<entry_id>/dispute", summary="Dispute an entry with a comment (student)",
           tag=TAG, body=contracts.DisputeIn, response=contracts.EntryOut, errors=(404, 409), dumped=True)
    def dispute_entry(self, request, entry_id, body):
        return self.timesheet.dispute_entry(entry_id, body)

    @route("POST", "/api/v1/hours/<entry_id>/resolve",
           summary="Answer a dispute; the entry returns to the student (coordinator)", tag=TAG,
           body=contracts.ResolveIn, response=contracts.EntryOut, errors=(404, 409), dumped=True)
    def resolve_dispute(self, request, entry_id, body):
        return self.timesheet.resolve_dispute(entry_id, body)

    @route("GET", "/api/v1/progress", summary="Hours logged and confirmed against each voucher's", tag=TAG,
           query=contracts.ProgressQuery, response=contracts.ProgressPage, dumped=True)
    def progress(self, request, query):
        return self.timesheet.progress(query)

    @route("POST", "/api/v1/attendance", summary="Check in at the site (student)", tag=TAG,
           body=contracts.CheckInIn, response=contracts.AttendanceOut, status=201, errors=(404, 409, 422), dumped=True)
    def check_in(self, request, body):
        return self.timesheet.check_in(body)

    @route("POST", "/api/v1/attendance/<attendance_id>/check-out", summary="Check out (student)", tag=TAG,
           body=contracts.CheckOutIn, response=contracts.AttendanceOut, errors=(404, 409, 422), dumped=True)
    def check_out(self, request, attendance_id, body):
        return self.timesheet.check_out(attendance_id, body)

    @route("POST", "/api/v1/attendance/<attendance_id>/decision",
           summary="Approve attendance as an entry, or decline it (coordinator)", tag=TAG,
           body=contracts.AttendanceDecisionIn, response=contracts.AttendanceOut, errors=(404, 409, 422), dumped=True)
    def decide_attendance(self, request, attendance_id, body):
        return self.timesheet.decide_attendance(attendance_id, body)

    @route("GET", "/api/v1/attendance", summary="Check-ins in the caller's scope", tag=TAG,
           query=contracts.AttendanceQuery, response=contracts.AttendancePage, dumped=True)
    def list_attendance(self, request, query):
        return self.timesheet.list_attendance(query)

    @route("POST", "/api/v1/attendance/decisions",
           summary="Approve check-ins as entries, or decline them, many at once; each row decided or "
                   "refused on its own (coordinator)",
           tag=TAG, body=contracts.AttendanceDecisionsIn, response=contracts.AttendanceDecisionsOut, dumped=True)
    def decide_attendance_many(self, request, body):
        return rows_in_language(self.timesheet.decide_attendance_many.within(BULK_TIMEOUT_SECONDS)(body), request)

    @route("GET", "/api/v1/attendance/code",
           summary="The site's check-in code for its door screen: a QR code renewed every window, and its "
                   "short code (coordinator)",
           tag=TAG, response=contracts.CheckInCodeOut, errors=(403,))
    def check_in_code(self, request):
        return with_qr(self.timesheet.check_in_code())

    @route("GET", "/api/v1/attendance/code-sheet",
           summary="A day's check-in codes to print for the site, each good for its own hour (coordinator)",
           tag=TAG, query=contracts.CodeSheetQuery, response=contracts.CodeSheetOut, errors=(403, 422))
    def check_in_sheet(self, request, query):
        sheet = self.timesheet.check_in_sheet(query)
        return {**sheet, "codes": [with_qr(code) for code in sheet["codes"]]}

    @route("POST", "/api/v1/attendance/by-code",
           summary="Check in or out at the server's time with the site's code, scanned or typed (student)",
           tag=TAG, body=contracts.CodeCheckInIn, response=contracts.AttendanceOut, errors=(404, 409, 422), dumped=True)
    def check_in_by_code(self, request, body):
        return self.timesheet.check_in_by_code(body)

    @route("GET", "/api/v1/placements/<placement_id>/report-document",
           summary="The completion report's PDF the coordinator signs by EDS (detached) to submit it", tag=TAG,
           errors=(404, 409, 422), produces="application/pdf")
    def report_document(self, request, placement_id):
        document = self.timesheet.report_document(placement_id)
        return pdf(document["document_base64"], "completion-report-to-sign.pdf")

    @route("POST", "/api/v1/reports",
           summary="Submit a placement's completion report signed by EDS (coordinator)",
           tag=TAG, body=contracts.ReportIn, response=contracts.ReportDetailOut, status=201,
           errors=(400, 403, 404, 409, 422), dumped=True)
    def submit_report(self, request, body):
        try:
            return self._submit_signed_report(body)
        except Conflict:
            # the same signed report sent again (its answer lost, or while it was still on its way):
            # the report it made, once that submission has committed
            on_record = self.timesheet.report_submitted_with(body["placement_id"], body["signature"])
            if on_record is None:
                raise
            return on_record

    def _submit_signed_report(self, body):
        # timesheet renders the PDF, registry (which holds the trust store) verifies the signature
        # over it, timesheet keeps it with the report if the PDF is still the same
        document = self.timesheet.report_document(body["placement_id"])
        evidence = self.registry.verify_report_signature({
            "signature": body["signature"], "document_base64": document["document_base64"],
            "organisation_id": document["organisation_id"], "signable_since": document["signable_since"]})
        return self.timesheet.submit_report(body, evidence, {key: document[key] for key in
                                                              ("document_base64", "content_key")})

    @route("POST", "/api/v1/reports/reviews",
           summary="Accept many reports at once: listed ids, or the unflagged, unsampled ones of a queue "
                   "filter; each row accepted or refused on its own, flagged and sampled ones refused "
                   "(Operator)",
           tag=TAG, body=contracts.BulkReviewIn, response=contracts.BulkReviewOut, errors=(403, 422), dumped=True)
    def review_reports(self, request, body):
        return rows_in_language(self.timesheet.review_reports.within(BULK_TIMEOUT_SECONDS)(body), request)

    @route("GET", "/api/v1/reports", summary="Completion reports: the Operator's queue", tag=TAG,
           query=contracts.ReportQuery, response=contracts.ReportPage, dumped=True)
    def list_reports(self, request, query):
        queue = self.timesheet.list_reports(query)
        flags_in_language(queue["items"], request)
        return queue

    @route("GET", "/api/v1/reports/<report_id>", summary="A completion report with its entries", tag=TAG,
           response=contracts.ReportDetailOut, errors=(404,), dumped=True)
    def get_report(self, request, report_id):
        report = self.timesheet.get_report(report_id)
        flags_in_language([report], request)
        return report

    @route("POST", "/api/v1/reports/<report_id>/review",
           summary="Accept or reject a submitted report with a reason (Operator)", tag=TAG,
           body=contracts.ReviewIn, response=contracts.ReportOut, errors=(404, 409, 422), dumped=True)
    def review_report(self, request, report_id, body):
        return self.timesheet.review_report(report_id, body)

    @route("GET", "/api/v1/reports/<report_id>/pdf", summary="A completion report as PDF", tag=TAG,
           errors=(404,), produces="application/pdf")
    def report_pdf(self, request, report_id):
        document = self.timesheet.report_pdf(report_id)
        return Response(document, mimetype="application/pdf",
                        headers={"Content-Disposition": 'attachment; filename="completion-report.pdf"'})

    @route("GET", "/api/v1/reports/<report_id>/signature",
           summary="The report's CMS signature and the evidence of its verification", tag=TAG,
           response=contracts.ReportSignatureOut, errors=(404,))
    def report_signature(self, request, report_id):
        kept = self.timesheet.report_signature(report_id)
        return {key: kept[key] for key in ("report_id", "submission", "signature", "evidence")}

    @route("GET", "/api/v1/reports/<report_id>/signed-document",
           summary="The report's PDF exactly as the site signed it", tag=TAG, errors=(404,),
           produces="application/pdf")
    def signed_report_document(self, request, report_id):
        return pdf(self.timesheet.report_signature(report_id)["document_base64"], "completion-report-signed.pdf")

    @route("POST", "/api/v1/reports/<report_id>/signature/verify",
           summary="Whether a report's signature (and PDF) are the ones on record, who signed and when "
                   "(the Operator and the report's parties)", tag=TAG, body=SignatureVerifyIn,
           response=SignatureVerdictOut, errors=(400, 404))
    def verify_report_signature(self, request, report_id, body):
        kept = self.timesheet.report_signature(report_id)
        return self.registry.check_kept_signature({
            "signature": kept["signature"], "document_base64": kept["document_base64"],
            "evidence": kept["evidence"], "presented": body})


def with_qr(code):
    """The code with its QR code drawn as SVG."""
    return {**code, "qr_svg": qr_svg(code["value"])}


def pdf(document_base64, filename):
    return Response(base64.b64decode(document_base64), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
