"""The building blocks of a service's domain model (its `domain.py`).

- `Aggregate`: a consistency boundary (a project with its places and waitlist, say). Its methods
  call the service's pure rules, change its rows, and `record` the events they cause. It knows
  nothing of sessions, transactions or nameko: `common.unit_of_work` moves the recorded events into
  the outbox when the change commits.
- `State`: a state machine as an `enum.StrEnum` with its transition table, refusing a move the
  table does not allow (`common.db.states_check` keeps a column to its values).
"""
import enum
import itertools

from common.errors import RuleViolation


# Orders the events of several aggregates changed in one unit of work as they happened.
_SEQUENCE = itertools.count()


class Aggregate:
    """Records the events its changes cause, for the unit of work to publish with the change.

    `record(event_type, data)`: `event_type` an `EventType` of `common.contracts`, `data` what its
    contract dumps (checked when the unit of work records it, so a wrong payload fails the change)."""

    def record(self, event_type, data):
        self.__dict__.setdefault("_recorded", []).append((next(_SEQUENCE), event_type, data))

    def collect_events(self):
        """(sequence number, event type, data) of the events recorded since last asked; forgets them."""
        return self.__dict__.pop("_recorded", [])

    def forget_events_since(self, mark):
        """Forgets the events recorded after `mark` (from `event_mark()`): their change was undone."""
        self.__dict__["_recorded"] = [event for event in self.__dict__.get("_recorded", ()) if event[0] < mark]


def event_mark():
    """A point in the order of recorded events: every event recorded later is after it."""
    return next(_SEQUENCE)


class State(enum.StrEnum):
    """Base of a state machine. A subclass lists its states and may declare which moves are allowed:

        class ProjectStatus(State):
            OPEN = "open"
            CLOSED = "closed"
            TRANSITIONS = enum.nonmember({OPEN: {CLOSED}, CLOSED: set()})

    States are strings (stored, compared and serialised as their values)."""

    @classmethod
    def check_transition(cls, current, new, what):
        """Refuses (RuleViolation, on field `status`) a move from `current` to `new` that the table
        does not allow; `what` names the thing in the message ("project")."""
        if new not in cls.TRANSITIONS.get(current, ()):
            raise RuleViolation(f"a {current} {what} cannot become {new}", {"status": [f"not allowed from {current}"]})
