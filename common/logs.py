"""One JSON object per log line, so ops can grep and ship logs as they are.

Lines written while a worker runs carry its service and request id (`bind`, called by
`common.observability`), so one request can be followed across services with one grep. Digit runs
that look like an IIN or a card number are masked, whatever code wrote them.
"""
import json
import logging
import re
import threading

FIELDS = ("service", "request_id", "kind", "entrypoint", "outcome", "duration_ms")
# 12 digits (an IIN) up to 19 (a card number), or a card number printed in groups of four.
PERSONAL_NUMBER = re.compile(r"(?<![\d-])(?:\d{12,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?![\d-])")

_worker = threading.local()  # green-thread local once eventlet has patched threading


def bind(**fields):
    """Attach `fields` (service, request_id) to every line this worker's thread logs."""
    _worker.fields = fields


def unbind():
    _worker.fields = {}


def redact(text):
    """`text` with IIN- and card-like numbers reduced to their last four digits."""
    return PERSONAL_NUMBER.sub(lambda match: "****" + re.sub(r"\D", "", match.group())[-4:], text)


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        bound = getattr(_worker, "fields", {})
        for key in FIELDS:
            value = getattr(record, key, None) or bound.get(key)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)
