"""A unit of work: one transaction of a service's session, and the events its aggregates recorded.

    with UnitOfWork(self.db, OutboxEvent) as uow:
        project = uow.track(repository.project(self.db, project_id, lock=True))
        project.publish(...)            # the domain changes rows and records events
    # committed: the rows, and the events in the outbox (`common.outbox.record_event`), together

A repository may track what it loads itself (`track(session, aggregate)`), so an entrypoint never
forgets one. Leaving the block with an exception rolls everything back, events included.
"""
import sys

from common.outbox import record_event

TRACKED_KEY = "tracked_aggregates"


def track(session, aggregate):
    """Makes the unit of work open on `session` publish `aggregate`'s events; returns it."""
    session.info.setdefault(TRACKED_KEY, []).append(aggregate)
    return aggregate


class UnitOfWork:
    def __init__(self, session, outbox_model):
        self.session = session
        self.outbox_model = outbox_model

    def track(self, aggregate):
        return track(self.session, aggregate)

    def __enter__(self):
        self.session.info[TRACKED_KEY] = []
        self.transaction = self.session.begin()
        self.transaction.__enter__()
        return self

    def __exit__(self, exc_type, exc, traceback):
        try:
            if exc_type is None:
                self.record_events()
        except BaseException:
            self.transaction.__exit__(*sys.exc_info())
            raise
        finally:
            for aggregate in self.session.info.pop(TRACKED_KEY, []):
                aggregate.collect_events()  # a change rolled back tells nobody anything
        return self.transaction.__exit__(exc_type, exc, traceback)

    def record_events(self):
        """Every tracked aggregate's events into the outbox, in the order they were recorded."""
        events = [event for aggregate in self.session.info.get(TRACKED_KEY, ())
                  for event in aggregate.collect_events()]
        for _, event_type, data in sorted(events, key=lambda event: event[0]):
            record_event(self.session, self.outbox_model, event_type, data)
