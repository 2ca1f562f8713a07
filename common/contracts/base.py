"""How an event is declared and what travels on the bus.

An event is published by one service (its `source`) on that service's events exchange with the
event's name as routing key. Its body is an envelope: ``event_id`` (the outbox row's id, the key
consumers de-duplicate on), ``event_type``, ``occurred_at`` and ``data`` shaped by the event's schema.
"""
import datetime as dt
import functools
from dataclasses import dataclass

from marshmallow import Schema, ValidationError, fields, validate

from common import programme
from common.ids import ID_PATTERN


class Contract(Schema):
    """A strict schema: unknown fields are an error at every boundary."""

    class Meta:
        ordered = True


@functools.cache
def shared(schema_cls, many=False):
    """One instance of a contract for every load and dump: making one (and its nested schemas) per
    call was a tenth of the gateway's time. Loading and dumping leave the instance as it was."""
    return schema_cls(many=many)


def values_of(contract_cls, record, **given):
    """The values of `contract_cls`'s fields read from `record`'s attributes, but for those `given`:
    a payload built from the one declaration of its fields, not from a list of names beside it."""
    return {name: given[name] if name in given else getattr(record, name) for name in contract_cls._declared_fields}


@dataclass(frozen=True)
class EventType:
    source: str
    name: str
    schema: type

    def dump(self, data):
        """`data` checked against the schema and made JSON-ready; raises ValueError naming the fields."""
        schema = shared(self.schema)
        try:
            loaded = schema.load(data)
        except ValidationError as exc:
            raise ValueError(f"{self.name}: payload does not match its contract: {exc.messages}")
        return schema.dump(loaded)

    def load(self, envelope):
        """The envelope's `data` as Python values (dates, integers) by the schema."""
        return shared(self.schema).load(envelope["data"])


def occurred_at(envelope):
    """When the event happened, as its publisher recorded it (an aware datetime)."""
    return dt.datetime.fromisoformat(envelope["occurred_at"])


# Lists: one page of at most MAX_PAGE items; the offset stays far inside every database's integer.
DEFAULT_PAGE = 50
MAX_PAGE = 200
MAX_OFFSET = 1_000_000_000


class PageQuery(Contract):
    limit = fields.Integer(load_default=DEFAULT_PAGE, validate=validate.Range(min=1, max=MAX_PAGE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


def page_of(item_schema):
    """One page of a list: ``{"items": [...], "total": n}``; `limit` and `offset` echo the query
    where a list sends them back."""
    return type(item_schema.__name__.removesuffix("Out") + "Page", (Contract,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "total": fields.Integer(required=True),
        "limit": fields.Integer(),
        "offset": fields.Integer(),
    })


def row_results(name, key, item_name, item_schema, done, done_status=200):
    """The answer to a request made of many rows, each done or refused on its own: how many were
    `done` and `refused`, and each row's result as `common.errors.row_result` makes it (`index`, the
    row's `key`, its `status`, the `item_name` it made or the `error` it got)."""
    row = type(name + "Row", (Contract,), {
        "index": fields.Integer(),
        key: fields.String(),
        "status": fields.Integer(metadata={"description": f"{done_status} when done, else the 4xx the row got"}),
        item_name: fields.Nested(item_schema, allow_none=True),
        "error": fields.Dict(allow_none=True, metadata={"description": "the error body: code, message, fields"}),
    })
    return type(name, (Contract,), {done: fields.Integer(), "refused": fields.Integer(),
                                    "results": fields.List(fields.Nested(row))})


# Free text: one line holds no control characters and is not blank; several lines may hold tabs and
# line breaks. Neither holds NUL, which PostgreSQL text cannot store.
ONE_LINE = validate.Regexp(r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$",
                           error="must be printable text, not blank")
LINES = validate.Regexp(r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
                        error="must not contain control characters other than tabs and line breaks")


def text_field(min_length=1, max_length=200, *, multiline=False, **kwargs):
    pattern = LINES if multiline else ONE_LINE
    return fields.String(validate=[validate.Length(min=min_length, max=max_length), pattern], **kwargs)


def id_field(**kwargs):
    """An id the platform issued (a uuid4 in hex)."""
    return fields.String(validate=validate.Regexp(ID_PATTERN, error="not an id"), **kwargs)


def voucher_kind_field(**kwargs):
    return fields.String(validate=validate.OneOf(programme.VOUCHER_KINDS), **kwargs)


def direction_field(**kwargs):
    return fields.String(validate=validate.OneOf(programme.DIRECTION_CODES), **kwargs)


def region_field(**kwargs):
    return fields.String(validate=validate.OneOf(programme.REGION_CODES), **kwargs)
