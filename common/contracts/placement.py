"""Events placement publishes: a student placed on a project, or leaving it."""
from marshmallow import fields

from common.contracts.base import Contract, EventType, direction_field, region_field, voucher_kind_field

SOURCE = "placement"


class PlacementStarted(Contract):
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    student_name = fields.String(required=True)
    university_id = fields.String(required=True)
    project_id = fields.String(required=True)
    project_title = fields.String(required=True)
    direction = direction_field(required=True)
    site_id = fields.String(required=True)
    site_name = fields.String(required=True)
    organisation_id = fields.String(required=True)
    organisation_name = fields.String(required=True)
    region = region_field(required=True)
    voucher_kind = voucher_kind_field(required=True)
    hours_required = fields.Integer(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class PlacementEnded(Contract):
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    reason = fields.String(required=True)


PLACEMENT_STARTED = EventType(SOURCE, "placement.started", PlacementStarted)
PLACEMENT_WITHDRAWN = EventType(SOURCE, "placement.withdrawn", PlacementEnded)
