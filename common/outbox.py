"""Transactional outbox and idempotent consumers.

A service never publishes directly. It calls `record_event` inside the transaction that changes its
state; `OutboxRelay` (a nameko extension running in the same container) publishes unsent rows with
publisher confirms (a batch at a time, confirmed together) and marks them sent. Events are published
`mandatory`: one that no queue is bound for comes back from the broker and is kept in the
`unroutable` queue (where a broker set up by `ops.bus` sends it by itself, through the events
exchanges' alternate exchange), never lost unseen.

A consumer is a method decorated with `handles(event_type)`: it is given the event's data, already
loaded, inside a transaction that also records the event id (`first_delivery`, under the consumer
name `<service>.<method>`), and is not called at all for a redelivery.

Retention: sent outbox rows and processed event ids are deleted once older than
`EVENT_RETENTION_DAYS` (see `RETENTION_DAYS` for why that age).
"""
import datetime as dt
import functools
import logging
import threading
import uuid

from kombu import Connection, Exchange, Producer, Queue
from nameko.constants import PERSISTENT
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.standalone.events import get_event_exchange
from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from common import metrics
from common.clock import utcnow
from common.context import REQUEST_ID, request_id_of
from common.contracts.base import occurred_at
from common.db import DATABASE_URL_KEY, make_engine
from common.delivery import ReliableEventHandler

log = logging.getLogger(__name__)
DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class OutboxEventMixin:
    """Columns of a service's `outbox` table; each service maps it on its own Base."""
    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class ProcessedEventMixin:
    """Event ids a service's consumers have applied: the record that makes them idempotent."""
    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


def record_event(session, outbox_model, event_type, data, request_id=None):
    """Add `event_type` with `data` to the outbox in the caller's transaction; returns the row.

    The event carries `request_id`, by default the request id of the worker that owns `session`."""
    if request_id is None:
        request_id = request_id_of(session)
    event_id = uuid.uuid4().hex
    now = utcnow()
    envelope = {
        "event_id": event_id,
        "event_type": event_type.name,
        "occurred_at": now.isoformat(),
        "request_id": request_id,
        "data": event_type.dump(data),
    }
    row = outbox_model(id=event_id, event_type=event_type.name, envelope=envelope, created_at=now)
    session.add(row)
    _RECORDED.add(outbox_model)
    return row


# Outbox models with events recorded since their relay last woke: a worker that recorded none (most
# reads) does not cost the relay a locking query. Events recorded outside a worker wait for the poll.
_RECORDED = set()


# Every service's `processed_events` table (mapped by each on its own Base, from the mixin above),
# as the consumers' machinery writes and prunes it without knowing the service's models.
PROCESSED_EVENTS = Table("processed_events", MetaData(),
                         Column("event_id", String(32), primary_key=True),
                         Column("consumer", String(64), primary_key=True),
                         Column("processed_at", DateTime(timezone=True)))


def first_delivery(session, envelope, consumer):
    """True the first time `consumer` sees this event (and records it in the session's
    transaction); False for a redelivery. The caller commits with its own effect.

    One statement: the insert does nothing when the event is recorded already, and a competing copy
    of the service recording it at the same moment makes this one wait for its commit, then do nothing."""
    insert = DIALECT_INSERTS[session.get_bind().dialect.name](PROCESSED_EVENTS)
    recorded = session.execute(
        insert.values(event_id=envelope["event_id"], consumer=consumer, processed_at=utcnow())
        .on_conflict_do_nothing().returning(PROCESSED_EVENTS.c.event_id))
    return recorded.first() is not None


class Event:
    """What a consumer is given: the event's data loaded by its contract, and its envelope's facts."""

    __slots__ = ("data", "event_id", "name", "occurred_at", "envelope")

    def __init__(self, event_type, envelope):
        self.data = event_type.load(envelope)
        self.event_id = envelope["event_id"]
        self.name = event_type.name
        self.occurred_at = occurred_at(envelope)
        self.envelope = envelope


def handles(event_type, **options):
    """Makes a method the consumer of a declared event: `effect(self, event)` (an `Event`) runs inside
    `self.db`'s transaction with the event id recorded for the consumer `<service>.<method>`, only on
    the event's first delivery. A failure rolls both back and the event is retried, then
    dead-lettered, never dropped. An effect may return a function to call once its transaction has
    committed (e.g. to wake a sender that reads what it wrote)."""

    def decorate(effect):
        @functools.wraps(effect)
        def consume(self, envelope):
            event = Event(event_type, envelope)
            after_commit = None
            with self.db.begin():
                if first_delivery(self.db, envelope, f"{self.name}.{effect.__name__}"):
                    after_commit = effect(self, event)
            if callable(after_commit):
                after_commit()

        return ConsumerEntrypoint.decorator(event_type.source, event_type.name, **options)(consume)

    return decorate


# Retention of sent outbox rows and processed event ids.
#
# A processed id is what refuses a second delivery of an event, so it must be kept for longer than a
# copy of that event can still arrive: a redelivery after a crash or a broker fail-over (seconds to
# minutes), a queue backed up while its consumer was down (hours), a dead letter replayed by hand
# after its cause was fixed (days: `ops.dead_letters replay` keeps letters older than this window).
# 30 days covers all of these with room to spare; sent outbox rows are kept as long, for tracing.
RETENTION_DAYS_KEY = "EVENT_RETENTION_DAYS"
RETENTION_DAYS = 30
PRUNE_EVERY_SECONDS = 3600


def retention_days(config):
    return float(config.get(RETENTION_DAYS_KEY) or RETENTION_DAYS)


def prune(session, column, older_than):
    """Deletes the rows of `column`'s table whose `column` is before `older_than`, in the caller's
    transaction; returns how many."""
    return session.execute(delete(column.table).where(column < older_than)).rowcount


class Pruner:
    """Runs `prune_once(engine, older_than)` every PRUNE_EVERY_SECONDS in a container's thread."""

    def start_pruning(self, container, prune_once, every=PRUNE_EVERY_SECONDS):
        self.pruning = True
        self.prune_wake = threading.Event()
        days = retention_days(container.config)
        engine = make_engine(container.config[DATABASE_URL_KEY])

        def run():
            try:
                while self.pruning:
                    try:
                        with Session(engine) as session, session.begin():
                            prune_once(session, utcnow() - dt.timedelta(days=days))
                    except Exception:
                        if self.pruning:
                            log.exception("pruning %s's old events failed; trying later",
                                          container.service_name)
                    self.prune_wake.wait(every)
            finally:
                engine.dispose()

        container.spawn_managed_thread(run)

    def stop_pruning(self):
        self.pruning = False
        self.prune_wake.set()


class ProcessedEventsPruner(Pruner, SharedExtension):
    """One per container that consumes events: deletes processed event ids past the retention age."""

    def start(self):
        self.start_pruning(self.container, lambda session, older_than: prune(
            session, PROCESSED_EVENTS.c.processed_at, older_than))

    def stop(self):
        self.stop_pruning()

    kill = stop


class ConsumerEntrypoint(ReliableEventHandler):
    pruner = ProcessedEventsPruner()


# Where events no queue is bound for are kept: the relay sends what the broker returns there, and a
# broker set up by `ops.bus` routes them there itself (the alternate exchange of every events exchange).
UNROUTABLE_EXCHANGE = Exchange("unroutable", type="fanout", durable=True)
UNROUTABLE_QUEUE = Queue("unroutable", exchange=UNROUTABLE_EXCHANGE, durable=True)


class OutboxRelay(Pruner, DependencyProvider):
    """Publishes a service's outbox: polls, and wakes at once after a worker of the service that
    recorded an event ends. Deletes sent rows past the retention age."""

    batch_size = 200

    def __init__(self, outbox_model, interval=0.5):
        self.outbox_model = outbox_model
        self.interval = interval

    def setup(self):
        config = self.container.config
        self.engine = make_engine(config[DATABASE_URL_KEY])
        self.exchange = get_event_exchange(self.container.service_name, config)
        self.publisher = ConfirmedBatchPublisher(config["AMQP_URI"], self.exchange)
        self.wake = threading.Event()
        self.running = False

    def start(self):
        self.running = True
        metrics.OUTBOX_BACKLOG.track(self, self.container.service_name, self.backlog)
        self.container.spawn_managed_thread(self.run)
        sent_at = self.outbox_model.__table__.c.sent_at
        self.start_pruning(self.container, lambda session, older_than: prune(session, sent_at, older_than))

    def stop(self):
        metrics.OUTBOX_BACKLOG.forget(self)
        self.stop_pruning()
        self.running = False
        self.wake.set()
        self.publisher.close()
        self.engine.dispose()

    kill = stop

    def worker_teardown(self, worker_ctx):
        if self.outbox_model in _RECORDED:
            _RECORDED.discard(self.outbox_model)
            self.wake.set()

    def run(self):
        while self.running:
            self.wake.wait(self.interval)
            self.wake.clear()
            try:
                while self.running and self.publish_batch() == self.batch_size:
                    pass
            except Exception:
                if self.running:  # not the publisher closed under it by `stop`
                    log.exception("outbox relay of %s failed; retrying", self.container.service_name)

    def backlog(self):
        """How many events are recorded but not yet published."""
        model = self.outbox_model
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(model).where(model.sent_at.is_(None)))

    def publish_batch(self):
        """Publish up to a batch of unsent events in order; returns how many were sent."""
        model = self.outbox_model
        with Session(self.engine) as session, session.begin():
            rows = session.scalars(
                select(model).where(model.sent_at.is_(None)).order_by(model.created_at)
                .limit(self.batch_size).with_for_update(skip_locked=True)
            ).all()
            unroutable = self.publisher.publish_all(
                (row.envelope, row.event_type, row.id,
                 {"nameko." + REQUEST_ID: row.envelope.get(REQUEST_ID) or row.id}) for row in rows)
            for row in rows:
                row.sent_at = utcnow()
            published = [row.event_type for row in rows]
        service = self.container.service_name
        for event_type in published:  # counted once the transaction marking them sent has committed
            metrics.EVENTS_PUBLISHED.labels(service, event_type).inc()
        for event_type in unroutable:
            log.warning("%s published %s with no queue bound for it; kept in the %s queue", service, event_type,
                        UNROUTABLE_QUEUE.name)
            metrics.EVENTS_UNROUTABLE.labels(service, event_type).inc()
        return len(published)


class ConfirmedBatchPublisher:
    """Publishes a batch of events on one channel in confirm mode, then waits once until the broker has
    confirmed every one of them: a round trip per batch, not per event. Any failure (a nack, a lost
    connection, no confirmation in time) raises, so the caller leaves the batch unsent to try again;
    the connection is then opened afresh for the next batch.

    Every event is `mandatory`: the broker returns one that no queue takes (before confirming it), and
    the publisher puts it in the `unroutable` queue, confirmed too, before the batch counts as sent.
    Each event names its publisher, the connection's broker user, in `user_id` (RabbitMQ refuses a name
    that is not the connection's), which consumers check (common.delivery)."""

    def __init__(self, amqp_uri, exchange, confirm_timeout=30):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.confirm_timeout = confirm_timeout
        self.connection = None

    def publish_all(self, messages):
        """`messages`: (body, routing key, message id, headers) tuples. Returns the routing keys of
        those no queue was bound for (kept in the `unroutable` queue)."""
        try:
            return self._publish_all(messages)
        except Exception:
            self.close()
            raise

    def _publish_all(self, messages):
        if self.connection is None:
            self._open()
        self.returned = []
        for body, routing_key, message_id, headers in messages:
            self._publish(body, routing_key=routing_key, message_id=message_id, headers=headers, mandatory=True)
        self._wait_for_confirms()
        returned, self.returned = self.returned, []
        for exchange, routing_key, message in returned:
            properties = message.properties
            self._publish(message.body, exchange=UNROUTABLE_EXCHANGE, routing_key=routing_key,
                          message_id=properties.get("message_id"), content_type=properties.get("content_type"),
                          content_encoding=properties.get("content_encoding"),
                          headers={**(properties.get("application_headers") or {}),
                                   "x-original-exchange": exchange, "x-original-routing-key": routing_key})
        self._wait_for_confirms()
        return [routing_key for _, routing_key, _ in returned]

    def _publish(self, body, **options):
        self.producer.publish(body, delivery_mode=PERSISTENT, retry=False, user_id=self.connection.userid,
                              **options)
        self.published += 1
        self.unconfirmed.add(self.published)

    def _wait_for_confirms(self):
        while self.unconfirmed and not self.refused:
            self.connection.drain_events(timeout=self.confirm_timeout)
        if self.refused:
            raise UndeliverableEvents(f"the broker refused {len(self.refused)} event(s)")

    def _open(self):
        self.connection = Connection(self.amqp_uri)
        channel = self.connection.channel()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        self.producer = Producer(channel, exchange=self.exchange, serializer="json", on_return=self._on_return)
        self.exchange(channel).declare()
        UNROUTABLE_QUEUE(channel).declare()  # and its exchange, bound
        self.published, self.unconfirmed, self.refused, self.returned = 0, set(), set(), []

    def _on_return(self, _exc, exchange, routing_key, message):
        self.returned.append((exchange, routing_key, message))

    def _settled(self, delivery_tag, multiple):
        settled = {tag for tag in self.unconfirmed if tag <= delivery_tag} if multiple else {delivery_tag}
        self.unconfirmed -= settled
        return settled

    def _on_ack(self, delivery_tag, multiple):
        self._settled(delivery_tag, multiple)

    def _on_nack(self, delivery_tag, multiple):
        self.refused |= self._settled(delivery_tag, multiple)

    def close(self):
        if self.connection is not None:
            self.connection.release()
            self.connection = None


class UndeliverableEvents(Exception):
    """The broker nacked events of a batch: it could not take them."""
