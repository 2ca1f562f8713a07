"""Credits' RPC payloads and the events it publishes: a university's re-count of the programme's credits."""
from marshmallow import ValidationError, fields, validate, validates_schema

from common.contracts.base import (Contract, EventType, PageQuery, direction_field, page_of, text_field,
                                   voucher_kind_field)

SOURCE = "credits"

# A re-count request's life: the university's queue holds `pending` ones; the registrar confirms or
# rejects them; `refused` ones would have taken the student past the programme's maximum.
PENDING = "pending"
CONFIRMED = "confirmed"
REJECTED = "rejected"
REFUSED = "refused"
REQUEST_STATUSES = (PENDING, CONFIRMED, REJECTED, REFUSED)

# A payout's state as payments reports it; `awaiting` until payments says anything.
PAYMENT_STATUSES = ("awaiting", "sent", "paid", "failed")

# RPC payloads


class RecountQuery(PageQuery):
    """A university's queue, filtered; dates are the days the requests arrived (Asia/Almaty)."""
    status = fields.String(validate=validate.OneOf(REQUEST_STATUSES))
    voucher_kind = voucher_kind_field()
    direction = direction_field()
    received_from = fields.Date()
    received_to = fields.Date()

    @validates_schema
    def dates_in_order(self, data, **kwargs):
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            raise ValidationError("must not be before received_from", "received_to")


class ConfirmRecountIn(Contract):
    discipline = text_field(1, 200, required=True,
                            metadata={"description": "the course or discipline the credits count against"})
    order_number = text_field(1, 64, required=True, metadata={"description": "the order or decree number"})
    order_date = fields.Date(metadata={"description": "the date of the order or decree"})


class RejectRecountIn(Contract):
    reason = text_field(1, 500, required=True)


class RecountRequestOut(Contract):
    id = fields.String()
    placement_id = fields.String()
    programme_year = fields.Integer(allow_none=True,
                                    metadata={"description": "the programme year its credits count in"})
    report_id = fields.String()
    student_id = fields.String()
    student_name = fields.String()
    university_id = fields.String()
    region = fields.String()
    organisation_id = fields.String()
    organisation_name = fields.String()
    site_id = fields.String()
    site_name = fields.String()
    direction = fields.String()
    voucher_kind = fields.String()
    hours = fields.Decimal(as_string=True)
    credits = fields.Integer(metadata={"description": "credits due for the voucher"})
    status = fields.String(metadata={"enum": list(REQUEST_STATUSES)})
    reason = fields.String(allow_none=True, metadata={"description": "why it was rejected or refused"})
    flagged = fields.Boolean(metadata={"description": "refused and flagged to the Operator"})
    discipline = fields.String(allow_none=True)
    order_number = fields.String(allow_none=True)
    order_date = fields.Date(allow_none=True)
    accepted_at = fields.DateTime(metadata={"description": "when the Operator accepted the report"})
    received_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    transferred_from_university_id = fields.String(allow_none=True)
    transferred_at = fields.DateTime(allow_none=True)


RecountPage = page_of(RecountRequestOut)


class StudentCreditsOut(Contract):
    student_id = fields.String()
    total_credits = fields.Integer(metadata={"description": "credits the universities confirmed"})
    pending_credits = fields.Integer(metadata={"description": "credits awaiting a university's decision"})
    max_credits = fields.Integer()
    requests = fields.List(fields.Nested(RecountRequestOut))


class CertificateVoucher(Contract):
    voucher_kind = fields.String()
    hours = fields.String()
    organisation_name = fields.String()
    site_name = fields.String()
    direction = fields.String()
    direction_name = fields.String()
    university_name = fields.String()
    payment_status = fields.String(metadata={"enum": list(PAYMENT_STATUSES)})
    credits_status = fields.String(metadata={"enum": list(REQUEST_STATUSES)})
    credits = fields.Integer(metadata={"description": "credits re-counted (0 until confirmed)"})


class CertificateFacts(Contract):
    """What a certificate states, frozen when it is issued."""
    student_name = fields.String()
    total_credits = fields.Integer()
    max_credits = fields.Integer()
    vouchers = fields.List(fields.Nested(CertificateVoucher))


class CertificateVerification(CertificateFacts):
    valid = fields.Boolean()
    code = fields.String()
    issued_at = fields.DateTime()


class CertificateFile(Contract):
    code = fields.String()
    filename = fields.String()
    content = fields.Raw(metadata={"description": "the PDF's bytes"})


# Events


class CreditsRecounted(Contract):
    request_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    university_id = fields.String(required=True)
    credits = fields.Integer(required=True)
    total_credits = fields.Integer(required=True)


CREDITS_RECOUNTED = EventType(SOURCE, "credits.recounted", CreditsRecounted)
