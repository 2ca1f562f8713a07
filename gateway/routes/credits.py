"""Credits: the universities' re-count queues and decisions, the students' credits and certificates,
and the public check of a certificate's code."""
from werkzeug.wrappers import Response

from common.contracts.credits import (CertificateVerification, ConfirmRecountIn, PageQuery, RecountPage,
                                      RecountQuery, RecountRequestOut, RejectRecountIn, StudentCreditsOut)
from gateway.http import route

PDF_TYPE = "application/pdf"
CERTIFICATE_CODE_HEADER = "X-Certificate-Code"


class CreditsRoutes:

    @route("GET", "/api/v1/credits/requests", summary="The registrar's university's re-count queue",
           tag="credits", query=RecountQuery, response=RecountPage)
    def list_recount_requests(self, request, query):
        return self.credits.university_queue(query)

    @route("GET", "/api/v1/credits/requests/<request_id>", summary="One re-count request", tag="credits",
           response=RecountRequestOut, errors=(404,))
    def get_recount_request(self, request, request_id):
        return self.credits.get_request(request_id)

    @route("POST", "/api/v1/credits/requests/<request_id>/confirm",
           summary="Confirm a re-count: the discipline and the order/decree (registrar)", tag="credits",
           body=ConfirmRecountIn, response=RecountRequestOut, errors=(404, 409, 422))
    def confirm_recount(self, request, request_id, body):
        return self.credits.confirm_recount(request_id, body)

    @route("POST", "/api/v1/credits/requests/<request_id>/reject",
           summary="Reject a re-count with a reason (registrar)", tag="credits",
           body=RejectRecountIn, response=RecountRequestOut, errors=(404, 409))
    def reject_recount(self, request, request_id, body):
        return self.credits.reject_recount(request_id, body)

    @route("GET", "/api/v1/credits/flagged",
           summary="Requests refused for going past the programme's maximum (Operator)", tag="credits",
           query=PageQuery, response=RecountPage)
    def list_flagged_requests(self, request, query):
        return self.credits.flagged_requests(query)

    @route("GET", "/api/v1/students/me/credits", summary="The student's credits and each request's status",
           tag="credits", response=StudentCreditsOut)
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
           tag="credits", public=True, response=CertificateVerification, errors=(404,))
    def verify_certificate(self, request, code):
        return self.credits.verify_certificate(code)
