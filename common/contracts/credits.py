"""Events credits publishes: a university's re-count of the programme's credits."""
from marshmallow import fields

from common.contracts.base import Contract, EventType

SOURCE = "credits"


class CreditsRecounted(Contract):
    request_id = fields.String(required=True)
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    university_id = fields.String(required=True)
    credits = fields.Integer(required=True)
    total_credits = fields.Integer(required=True)


CREDITS_RECOUNTED = EventType(SOURCE, "credits.recounted", CreditsRecounted)
