"""The platform's clock: every "now" is an aware UTC instant, and every stored one is read back as one.

Kept apart from the outbox and the database so that anything (the gateway included) can tell the
time without importing SQLAlchemy or kombu.
"""
import datetime as dt

from common.errors import ValidationFailed


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def as_utc(moment, field="at"):
    """`moment` as an aware UTC instant (None stays None): SQLite hands back naive UTC instants,
    PostgreSQL and clients aware ones in any zone. A client's instant too near the ends of the
    calendar to convert is refused as a bad `field`."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    try:
        return moment.astimezone(dt.timezone.utc)
    except OverflowError:
        raise ValidationFailed("the time is out of range", {field: ["out of range"]})
