"""A unit of work: one transaction of a service's session, and the events its aggregates recorded.

    with UnitOfWork(self.db, OutboxEvent) as uow:
        project = uow.track(repository.project(self.db, project_id, lock=True))
        project.publish(...)            # the domain changes rows and records events
    # committed: the rows, and the events in the outbox (`common.outbox.record_event`), together

A repository may track what it loads itself (`track(session, aggregate)`), so an entrypoint never
forgets one. Leaving the block with an exception rolls everything back, events included.

A request made of many rows answers each on its own (`rows`): each row runs in a savepoint, so a
refused row leaves no row and no event behind, and the others stand.
"""
import contextlib
import sys

from common.domain import event_mark
from common.errors import row_result
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

    @contextlib.contextmanager
    def savepoint(self):
        """A part of the work that fails on its own: its rows and its events are undone, the rest stands."""
        mark = event_mark()
        connection = self.session.connection()
        if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
            # pysqlite begins a transaction only before a write: a SAVEPOINT outside one would commit
            # on its release. IMMEDIATE takes the write lock now, so no read of this unit goes stale.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            with self.session.begin_nested():
                yield
        except Exception:
            for aggregate in self.session.info.get(TRACKED_KEY, ()):
                aggregate.forget_events_since(mark)
            raise

    def rows(self, rows, key, item_name, act, status=200):
        """Each of `rows` (dicts) done by `act(row)` in a savepoint of its own, in the order of their `key`
        (so concurrent requests lock rows in one order); the results (`common.errors.row_result`) in
        the order asked."""
        def one(index, row):
            def in_savepoint():
                with self.savepoint():
                    return act(row)
            return row_result(index, {key: row[key]}, item_name, in_savepoint, status)

        done = [one(index, row) for index, row in sorted(enumerate(rows), key=lambda pair: pair[1][key])]
        return sorted(done, key=lambda result: result["index"])

    def record_events(self):
        """Every tracked aggregate's events into the outbox, in the order they were recorded."""
        events = [event for aggregate in self.session.info.get(TRACKED_KEY, ())
                  for event in aggregate.collect_events()]
        for _, event_type, data in sorted(events, key=lambda event: event[0]):
            record_event(self.session, self.outbox_model, event_type, data)
