"""How an event is declared and what travels on the bus.

An event is published by one service (its `source`) on that service's events exchange with the
event's name as routing key. Its body is an envelope: ``event_id`` (the outbox row's id, the key
consumers de-duplicate on), ``event_type``, ``occurred_at`` and ``data`` shaped by the event's schema.
"""
from dataclasses import dataclass

from marshmallow import Schema, ValidationError, fields, validate

from common import programme


class Contract(Schema):
    """A strict schema: unknown fields are an error at every boundary."""

    class Meta:
        ordered = True


@dataclass(frozen=True)
class EventType:
    source: str
    name: str
    schema: type

    def dump(self, data):
        """`data` checked against the schema and made JSON-ready; raises ValueError naming the fields."""
        schema = self.schema()
        try:
            loaded = schema.load(data)
        except ValidationError as exc:
            raise ValueError(f"{self.name}: payload does not match its contract: {exc.messages}")
        return schema.dump(loaded)

    def load(self, envelope):
        """The envelope's `data` as Python values (dates, integers) by the schema."""
        return self.schema().load(envelope["data"])


def voucher_kind_field(**kwargs):
    return fields.String(validate=validate.OneOf(programme.VOUCHER_KINDS), **kwargs)


def direction_field(**kwargs):
    return fields.String(validate=validate.OneOf(programme.DIRECTION_CODES), **kwargs)


def region_field(**kwargs):
    return fields.String(validate=validate.OneOf(programme.REGION_CODES), **kwargs)
