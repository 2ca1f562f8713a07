"""Credits' RPC payloads and the events it publishes: a university's re-count of the programme's credits."""
import enum

from marshmallow import ValidationError, fields, validate, validates_schema

from common.contracts.base import (Contract, EventType, PageQuery, direction_field, page_of, text_field,
                                   voucher_kind_field)
from common.domain import State

SOURCE = "credits"


class RequestStatus(State):
    """A re-count request's life, declared once: the university's queue holds `pending` ones; the
    registrar confirms or rejects them; `refused` ones (flagged to the Operator) would have taken the
    student past the programme's yearly maximum. A decided or refused request stays so."""
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    REFUSED = "refused"
    TRANSITIONS = enum.nonmember({PENDING: {CONFIRMED, REJECTED, REFUSED}})


PENDING, CONFIRMED, REJECTED, REFUSED = RequestStatus
REQUEST_STATUSES = tuple(RequestStatus)

# A payout's state as payments reports it; `awaiting` until payments says anything.
PAYMENT_STATUSES = ("awaiting", "sent", "paid", "failed")

# RPC payloads


class RecountFilter(Contract):
    """A university's queue, filtered (its pages, and its CSV); dates are the days the requests arrived
    (Asia/Almaty)."""
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


class RecountQuery(PageQuery, RecountFilter):
    pass


class ConfirmRecountIn(Contract):
    discipline = text_field(1, 200, required=True,
                            metadata={"description": "the course or discipline the credits count against"})
    order_number = text_field(1, 64, required=True, metadata={"description": "the order or decree number"})
    order_date = fields.Date(metadata={"description": "the date of the order or decree"})


class RejectRecountIn(Contract):
    reason = text_field(1, 500, required=True)


# Many requests at once (docs/api.md, "Credits"): confirmations under one order, and the CSV of the
# queue whose filled-in decisions come back as a file.
MAX_BULK_CONFIRM = 500
MAX_DECISIONS_FILE_BYTES = 4 * 1024 * 1024  # a queue of 10,000 requests exported is about 2.5 MB
MAX_DECISIONS_FILE_ROWS = 10_000
CONFIRM, REJECT = "confirm", "reject"
DECISIONS = (CONFIRM, REJECT)
ORDER_FIELDS = ("discipline", "order_number", "order_date")


class BulkConfirmRow(Contract):
    """One request to confirm; its own discipline and order, where given, win over the ones for all."""
    request_id = text_field(1, 64, required=True)
    discipline = text_field(1, 200)
    order_number = text_field(1, 64)
    order_date = fields.Date()


class BulkConfirmIn(Contract):
    """Requests confirmed under one order: its number and date and the discipline given once for all,
    or per request. Each row confirmed or refused on its own."""
    discipline = text_field(1, 200, metadata={"description": "for every request that gives none"})
    order_number = text_field(1, 64, metadata={"description": "for every request that gives none"})
    order_date = fields.Date(metadata={"description": "for every request that gives none"})
    requests = fields.List(fields.Nested(BulkConfirmRow), required=True,
                           validate=validate.Length(min=1, max=MAX_BULK_CONFIRM))

    @validates_schema
    def every_request_has_its_order(self, data, **kwargs):
        missing = {index: {name: ["give it for the request or once for all"]
                           for name in ("discipline", "order_number") if not row.get(name) and not data.get(name)}
                   for index, row in enumerate(data.get("requests") or ())}
        missing = {index: names for index, names in missing.items() if names}
        if missing:
            raise ValidationError({"requests": missing})


class DecisionRowIn(Contract):
    """One row of the decisions CSV, its empty cells left out (services/credits/rules.py reads the file)."""
    request_id = text_field(1, 64, required=True)
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    discipline = text_field(1, 200)
    order_number = text_field(1, 64)
    order_date = fields.Date(metadata={"description": "YYYY-MM-DD, or DD.MM.YYYY as Excel saves it"})
    reason = text_field(1, 500)


class DecisionsFileIn(Contract):
    """A CSV of the registrar's decisions, in the layout of the queue's export (the gateway reads the
    file's bytes as UTF-8)."""
    text = fields.String(required=True, validate=validate.Length(max=MAX_DECISIONS_FILE_BYTES))


class RecountFacts(Contract):
    """What a re-count is about, declared once: its API answer and its `credits.recounted` event both carry these."""
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    university_id = fields.String(required=True)
    credits = fields.Integer(required=True, metadata={"description": "credits due for the voucher"})


class RecountRequestOut(RecountFacts):
    id = fields.String()
    programme_year = fields.Integer(allow_none=True,
                                    metadata={"description": "the programme year its credits count in"})
    report_id = fields.String()
    student_name = fields.String()
    region = fields.String()
    organisation_id = fields.String()
    organisation_name = fields.String()
    site_id = fields.String()
    site_name = fields.String()
    direction = fields.String()
    voucher_kind = fields.String()
    hours = fields.Decimal(as_string=True)
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


class BulkConfirmResult(Contract):
    index = fields.Integer()
    request_id = fields.String()
    status = fields.Integer(metadata={"description": "200 when confirmed (now or before), else the 4xx the row got"})
    already_confirmed = fields.Boolean(metadata={
        "description": "confirmed before under the same order and discipline: nothing changed"})
    request = fields.Nested(RecountRequestOut, allow_none=True)
    error = fields.Dict(allow_none=True, metadata={"description": "the error body: code, message, fields"})


class BulkConfirmOut(Contract):
    confirmed = fields.Integer(metadata={"description": "rows confirmed by this request"})
    already_confirmed = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(BulkConfirmResult))


class DecisionApplied(Contract):
    row = fields.Integer(metadata={"description": "the row in the file (the header is row 1)"})
    request_id = fields.String()
    decision = fields.String(metadata={"enum": list(DECISIONS)})
    already_decided = fields.Boolean(metadata={"description": "decided so before: nothing changed"})
    status = fields.String(metadata={"enum": list(REQUEST_STATUSES)})


class DecisionsFileOut(Contract):
    confirmed = fields.Integer()
    rejected = fields.Integer()
    already_decided = fields.Integer()
    skipped = fields.Integer(metadata={"description": "rows with no decision filled in"})
    results = fields.List(fields.Nested(DecisionApplied))


class ExportPageOut(Contract):
    text = fields.String()
    after = fields.String(allow_none=True, metadata={"description": "the next page's cursor; none: the last page"})


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


class CreditsRecounted(RecountFacts):
    request_id = fields.String(required=True)
    total_credits = fields.Integer(required=True)


CREDITS_RECOUNTED = EventType(SOURCE, "credits.recounted", CreditsRecounted)
