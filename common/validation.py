"""Loading a payload through its marshmallow contract, with errors that name the fields."""
from marshmallow import ValidationError

from common.contracts.base import shared
from common.errors import ValidationFailed


def load(schema_cls, payload):
    try:
        return shared(schema_cls).load(payload if payload is not None else {})
    except ValidationError as exc:
        raise ValidationFailed("the request has invalid fields", _as_field_errors(exc.messages))


def _as_field_errors(messages):
    if isinstance(messages, list):
        return {"_schema": messages}
    return messages
