"""Consumers that apply many events in one transaction: `handles_batch(event_type)`.

`handles` (common/outbox.py) runs one worker, one transaction and one commit per event. Where the
effect is small and the events come in floods (timesheet's `hours.logged`: ten per student in a
season), that per-event overhead is most of the cost. `handles_batch` collects up to `batch_size`
deliveries of its queue (the broker lets that many wait unacknowledged: the queue's prefetch), or
what has arrived within `linger_seconds` of the first, and runs one worker for them:

1. one transaction records every event id for the consumer in one statement (`first_deliveries`,
   the batch form of `first_delivery`) and applies the effect to the events seen for the first time;
   every message is acknowledged after it commits;
2. if anything in it fails (a malformed event, a constraint, a lost connection), it is rolled back
   and the batch applied again one event at a time, each in a transaction of its own as `handles`
   would: the good ones commit, and only a failing one goes on to `ReliableEventHandler`'s retries
   and, at last, the dead-letter queue, alone.

An event id is recorded only in the commit that applies its effect, so nothing is lost or applied
twice, whatever the grouping. The effect, `effect(self, events)`, gets a list of `Event`s (first
deliveries only, each id once) and must give the same result for any grouping of them: a list of one
is the fallback's case.
"""
import functools
import logging
import sys
from functools import partial

import eventlet
from nameko.exceptions import ContainerBeingKilled

from common.amqp import PromptQueueConsumer
from common.clock import utcnow
from common.delivery import ReliableEventHandler
from common.outbox import DIALECT_INSERTS, PROCESSED_EVENTS, Event, ProcessedEventsPruner

log = logging.getLogger(__name__)

BATCH_SIZE = 100
LINGER_SECONDS = 0.05


def first_deliveries(session, envelopes, consumer):
    """The ids among `envelopes` that `consumer` sees for the first time, recorded in the session's
    transaction in one statement. Ids are inserted in sorted order, so two copies of a service
    recording overlapping batches wait for each other instead of deadlocking."""
    ids = sorted({envelope["event_id"] for envelope in envelopes})
    if not ids:
        return set()
    now = utcnow()
    insert = DIALECT_INSERTS[session.get_bind().dialect.name](PROCESSED_EVENTS)
    recorded = session.execute(
        insert.values([{"event_id": event_id, "consumer": consumer, "processed_at": now} for event_id in ids])
        .on_conflict_do_nothing().returning(PROCESSED_EVENTS.c.event_id))
    return set(recorded.scalars())


class BatchQueueConsumer(PromptQueueConsumer):
    """The batch handlers' own consumer: lets each of their queues hold a batch unacknowledged (the
    container's shared consumer allows `max_workers`, one per worker)."""

    @property
    def prefetch_count(self):
        return max((provider.batch_size for provider in self._providers), default=self.container.max_workers)


class BatchEventHandler(ReliableEventHandler):
    """Collects deliveries and hands them to one worker as a list; acks or retries each afterwards."""

    queue_consumer = BatchQueueConsumer()
    pruner = ProcessedEventsPruner()

    def __init__(self, source_service, event_type, batch_size=BATCH_SIZE, linger_seconds=LINGER_SECONDS, **kwargs):
        super().__init__(source_service, event_type, **kwargs)
        self.batch_size = batch_size
        self.linger_seconds = linger_seconds
        self.pending = []
        self.lingering = False

    def handle_message(self, body, message):
        # Each delivery arrives in a green thread of its own: the first of a batch waits out the
        # linger, unless the batch fills first.
        if self.refused(message):
            return
        self.pending.append((body, message))
        if len(self.pending) >= self.batch_size:
            self.flush()
        elif not self.lingering:
            self.lingering = True
            eventlet.sleep(self.linger_seconds)
            self.lingering = False
            self.flush()

    def flush(self):
        batch, self.pending = self.pending, []
        if not batch:
            return
        messages = [message for _, message in batch]
        try:
            self.container.spawn_worker(
                self, ([body for body, _ in batch],), {}, context_data=self.unpack_message_headers(messages[0]),
                handle_result=partial(self.handle_batch_result, messages))
        except ContainerBeingKilled:
            for message in messages:
                self.queue_consumer.requeue_message(message)

    def handle_batch_result(self, messages, worker_ctx, result=None, exc_info=None):
        """`result`: per message, None (applied) or the exc_info of its failure."""
        outcomes = result if exc_info is None else [exc_info] * len(messages)
        for message, failure in zip(messages, outcomes):
            self.handle_message_processed(message, exc_info=failure)
        return result, exc_info


def handles_batch(event_type, **options):
    """Makes a method the batch consumer of a declared event: `effect(self, events)` runs inside
    `self.db`'s transaction with the events' ids recorded for the consumer `<service>.<method>`, given
    only first deliveries. Options: `batch_size`, `linger_seconds`. The effect may return a function to
    call once its transaction has committed."""

    def decorate(effect):
        def apply(self, envelopes):
            consumer = f"{self.name}.{effect.__name__}"
            events = [Event(event_type, envelope) for envelope in envelopes]
            after_commit = None
            with self.db.begin():
                fresh = first_deliveries(self.db, envelopes, consumer)
                firsts = []
                for event in events:
                    if event.event_id in fresh:
                        fresh.discard(event.event_id)  # the same event twice in one batch counts once
                        firsts.append(event)
                if firsts:
                    after_commit = effect(self, firsts)
            if callable(after_commit):
                after_commit()

        @functools.wraps(effect)
        def consume(self, envelopes):
            try:
                apply(self, envelopes)
                return [None] * len(envelopes)
            except Exception:
                if len(envelopes) == 1:
                    return [sys.exc_info()]
                log.warning("a batch of %d %s failed; applying them one by one", len(envelopes),
                            event_type.name, exc_info=True)
            return [one_by_one(self, envelope) for envelope in envelopes]

        def one_by_one(self, envelope):
            try:
                apply(self, [envelope])
            except Exception:
                return sys.exc_info()
            return None

        return BatchEventHandler.decorator(event_type.source, event_type.name, **options)(consume)

    return decorate
