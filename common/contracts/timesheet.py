"""Events timesheet publishes: hours reaching the voucher, and the completion report's life."""
from marshmallow import fields

from common.contracts.base import Contract, EventType, direction_field, region_field, voucher_kind_field

SOURCE = "timesheet"


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


class ReportRejected(Contract):
    report_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    site_id = fields.String(required=True)
    reason = fields.String(required=True)


HOURS_COMPLETED = EventType(SOURCE, "hours.completed", HoursCompleted)
REPORT_SUBMITTED = EventType(SOURCE, "report.submitted", ReportSubmitted)
REPORT_ACCEPTED = EventType(SOURCE, "report.accepted", ReportAccepted)
REPORT_REJECTED = EventType(SOURCE, "report.rejected", ReportRejected)
