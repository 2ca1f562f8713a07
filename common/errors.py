"""Errors that cross the bus and become HTTP answers.

A service raises one of these; nameko serialises it, the gateway gets the same type back (they are
registered with `deserialize_to_instance`) and answers with its status and the uniform JSON body
``{"error": {"code", "message", "fields"}}``.
"""
from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message, fields=None):
        super().__init__(message, fields or {})
        self.message = message
        self.fields = fields or {}

    def to_body(self):
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


@deserialize_to_instance
class ValidationFailed(DomainError):
    status = 400
    code = "validation_failed"


@deserialize_to_instance
class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


@deserialize_to_instance
class Forbidden(DomainError):
    status = 403
    code = "forbidden"


@deserialize_to_instance
class NotFound(DomainError):
    status = 404
    code = "not_found"


@deserialize_to_instance
class Conflict(DomainError):
    status = 409
    code = "conflict"


@deserialize_to_instance
class Gone(DomainError):
    """What was good for a while (a signing link) and no longer is."""
    status = 410
    code = "gone"


@deserialize_to_instance
class RuleViolation(DomainError):
    """A well-formed request that the programme's rules refuse."""
    status = 422
    code = "rule_violation"


@deserialize_to_instance
class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"


@deserialize_to_instance
class ServiceUnavailable(DomainError):
    status = 503
    code = "service_unavailable"


def row_result(index, keys, item_name, act, status=200):
    """One row of a request made of many: `act()`'s answer under `item_name` with `status`, or the
    domain error it raised (the row refused, as a single request would have been), beside the row's
    `index` and identifying `keys`."""
    result = {"index": index, **keys, item_name: None, "error": None}
    try:
        item = act()
    except DomainError as exc:
        return {**result, "status": exc.status, "error": exc.to_body()["error"]}
    return {**result, "status": status, item_name: item}
