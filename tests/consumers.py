"""Events delivered straight to a service's consumers, on a real database, in the orders a test picks.

Consumers run as the broker would have them run (`handles`: load, transaction, first delivery), in a
nameko test worker whose `db` is a real session; everything else the service needs is a mock.
`orders_with_a_duplicate(events)` gives every order of some events, each with one of them delivered
again in the middle, as a redelivery after a crash would.
"""
import datetime as dt
import itertools
import uuid

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.testing.services import worker_factory
from sqlalchemy.orm import Session

from common.contracts.registry import STUDENT_ENROLMENT_CHANGED
from common.db import make_engine

T0 = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.timezone.utc)


def at(minutes):
    """An instant `minutes` after T0: when the publisher recorded an event."""
    return T0 + dt.timedelta(minutes=minutes)


def envelope(event_type, data, occurred_at, event_id=None):
    return {"event_id": event_id or uuid.uuid4().hex, "event_type": event_type.name,
            "occurred_at": occurred_at.isoformat(), "request_id": None, "data": event_type.dump(data)}


def enrolment_changed(student_id, university_id, status="confirmed", reason=None, version=1):
    """Registry's `student.enrolment_changed` for a student who exists only in a minted token."""
    return STUDENT_ENROLMENT_CHANGED, {"student_id": student_id, "university_id": university_id,
                                       "status": status, "reason": reason, "version": version}


def orders_with_a_duplicate(events):
    """Every order of `events`; in each, the event delivered just before the middle comes again there."""
    for order in itertools.permutations(events):
        middle = (len(order) + 1) // 2
        yield order[:middle] + (order[middle - 1],) + order[middle:]


class Consumers:
    """A service's consumers on a database of its own (`database_url`, migrated); `dependencies` its
    workers get instead of mocks (payments' sender, say)."""

    def __init__(self, service_cls, database_url, **dependencies):
        self.engine = make_engine(database_url)
        self.worker_session = Session(self.engine, expire_on_commit=False)
        self.dependencies = dependencies
        self.service = worker_factory(service_cls, db=self.worker_session, **dependencies)
        self.by_event = {}
        for name in dir(service_cls):
            for entrypoint in getattr(getattr(service_cls, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if hasattr(entrypoint, "event_type"):
                    self.by_event[entrypoint.event_type] = getattr(self.service, name)

    def deliver(self, *envelopes):
        for one in envelopes:
            self.by_event[one["event_type"]](one)
            self.worker_session.expunge_all()  # each delivery is a worker of its own, with nothing cached

    def read(self):
        """A session for assertions."""
        return Session(self.engine)

    def close(self):
        self.worker_session.close()
        self.engine.dispose()
