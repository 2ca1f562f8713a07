"""Credits: the universities' re-count queues and decisions, the students' credits and certificates,
and the public check of a certificate's code."""
from werkzeug.wrappers import Response

from common.contracts.credits import (MAX_DECISIONS_FILE_BYTES, BulkConfirmIn, BulkConfirmOut,
                                      CertificateVerification, ConfirmRecountIn, DecisionsFileOut, PageQuery,
                                      RecountFilter, RecountPage, RecountQuery, RecountRequestOut, RejectRecountIn,
                                      StudentCreditsOut)
from common.errors import ValidationFailed
from gateway.http import route, rows_in_language
from gateway.rpc import BULK_TIMEOUT_SECONDS

PDF_TYPE = "application/pdf"
CSV_TYPE = "text/csv"
CERTIFICATE_CODE_HEADER = "X-Certificate-Code"


class CreditsRoutes:
    """Credits dumps its JSON answers through their response contracts (`dumped=True`). The queue's CSV
    and the certificate's PDF are files; the import of a CSV of decisions is an upload route."""

    @route("GET", "/api/v1/credits/requests", summary="The registrar's university's re-count queue",
           tag="credits", query=RecountQuery, response=RecountPage, dumped=True)
    def list_recount_requests(self, request, query):
        return self.credits.university_queue(query)

    @route("GET", "/api/v1/credits/requests.csv",
           summary="The registrar's queue as CSV (UTF-8 with BOM, semicolons), with empty decision columns to "
                   "fill in and import", tag="credits", query=RecountFilter, errors=(403,), produces=CSV_TYPE)
    def export_recount_requests(self, request, query):
        first = self.credits.queue_csv_page(query)  # a refusal comes before the answer starts

        def pages():  # one page in memory at a time, however long the queue
            page = first
            yield page["text"].encode("utf-8")
            while page["after"]:
                page = self.credits.queue_csv_page(query, page["after"])
                yield page["text"].encode("utf-8")

        return Response(pages(), mimetype=CSV_TYPE,
                        headers={"Content-Disposition": 'attachment; filename="recount-requests.csv"'})

    @route("POST", "/api/v1/credits/requests/decisions",
           summary="Import decisions as CSV in the export's layout (text/csv, UTF-8): all or nothing, each bad "
                   "row named with its column and reason (registrar)", tag="credits", upload=CSV_TYPE,
           max_upload=MAX_DECISIONS_FILE_BYTES, response=DecisionsFileOut, errors=(403, 422))
    def import_decisions(self, request, body):
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed("the file is not UTF-8 text: save it as CSV UTF-8", {"file": ["not UTF-8"]})
        return self.credits.import_decisions.within(BULK_TIMEOUT_SECONDS)({"text": text})

    @route("POST", "/api/v1/credits/requests/confirmations",
           summary="Confirm many re-counts under one order (its number, date and the discipline for all or "
                   "per request); each row confirmed or refused on its own (registrar)",
           tag="credits", body=BulkConfirmIn, response=BulkConfirmOut, errors=(403,), dumped=True)
    def confirm_recounts(self, request, body):
        return rows_in_language(self.credits.confirm_recounts.within(BULK_TIMEOUT_SECONDS)(body), request)

    @route("GET", "/api/v1/credits/requests/<request_id>", summary="One re-count request", tag="credits",
           response=RecountRequestOut, errors=(404,), dumped=True)
    def get_recount_request(self, request, request_id):
        return self.credits.get_request(request_id)

    @route("POST", "/api/v1/credits/requests/<request_id>/confirm",
           summary="Confirm a re-count: the discipline and the order/decree (registrar)", tag="credits",
           body=ConfirmRecountIn, response=RecountRequestOut, errors=(404, 409, 422), dumped=True)
    def confirm_recount(self, request, request_id, body):
        return self.credits.confirm_recount(request_id, body)

    @route("POST", "/api/v1/credits/requests/<request_id>/reject",
           summary="Reject a re-count with a reason (registrar)", tag="credits",
           body=RejectRecountIn, response=RecountRequestOut, errors=(404, 409), dumped=True)
    def reject_recount(self, request, request_id, body):
        return self.credits.reject_recount(request_id, body)

    @route("GET", "/api/v1/credits/flagged",
           summary="Requests refused for going past the programme's maximum (Operator)", tag="credits",
           query=PageQuery, response=RecountPage, dumped=True)
    def list_flagged_requests(self, request, query):
        return self.credits.flagged_requests(query)

    @route("GET", "/api/v1/students/me/credits", summary="The student's credits and each request's status",
           tag="credits", response=StudentCreditsOut, dumped=True)
    def my_credits(self, request):
        return self.credits.student_credits()

    @route("GET", "/api/v1/students/me/certificate",
           summary="The student's certificate of completed vouchers (PDF) with its verification code",
           tag="credits", errors=(422,), produces=PDF_TYPE)
    def my_certificate(self, request):
        issued = self.credits.student_certificate()
        return Response(issued["content"], mimetype=PDF_TYPE, headers={
            "Content-Disposition": f'attachment; filename="{issued["filename"]}"',
            CERTIFICATE_CODE_HEADER: issued["code"],
        })

    @route("GET", "/api/v1/certificates/<code>", summary="Check a certificate's verification code",
           tag="credits", public=True, response=CertificateVerification, errors=(404,), dumped=True)
    def verify_certificate(self, request, code):
        return self.credits.verify_certificate(code)
