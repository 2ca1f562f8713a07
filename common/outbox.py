"""Transactional outbox and idempotent consumers.

A service never publishes directly. It calls `record_event` inside the transaction that changes its
state; `OutboxRelay` (a nameko extension running in the same container) publishes unsent rows with
publisher confirms (a batch at a time, confirmed together) and marks them sent. A consumer wraps its effect in `first_delivery`, which
records the event id in the same transaction, so a redelivered event changes nothing.
"""
import datetime as dt
import logging
import threading
import uuid

from kombu import Connection, Producer
from nameko.constants import PERSISTENT
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from sqlalchemy import JSON, DateTime, String, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from common import metrics
from common.db import CONTEXT_DATA_KEY, DATABASE_URL_KEY, make_engine
from common.delivery import reliable_event_handler

log = logging.getLogger(__name__)
REQUEST_ID = "request_id"
DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


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
        request_id = session.info.get(CONTEXT_DATA_KEY, {}).get(REQUEST_ID)
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


def first_delivery(session, processed_model, envelope, consumer):
    """True the first time `consumer` sees this event (and records it in the session's
    transaction); False for a redelivery. The caller commits with its own effect.

    One statement: the insert does nothing when the event is recorded already, and a competing copy
    of the service recording it at the same moment makes this one wait for its commit, then do nothing."""
    insert = DIALECT_INSERTS[session.get_bind().dialect.name](processed_model)
    recorded = session.execute(
        insert.values(event_id=envelope["event_id"], consumer=consumer, processed_at=utcnow())
        .on_conflict_do_nothing().returning(processed_model.event_id))
    return recorded.first() is not None


def handles(event_type, **options):
    """`@event_handler` for a declared event: retried on failure, then dead-lettered, never dropped."""
    return reliable_event_handler(event_type.source, event_type.name, **options)


class OutboxRelay(DependencyProvider):
    """Publishes a service's outbox: polls, and wakes at once after a worker of the service that
    recorded an event ends."""

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

    def stop(self):
        metrics.OUTBOX_BACKLOG.forget(self)
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
            self.publisher.publish_all(
                (row.envelope, row.event_type, row.id,
                 {"nameko." + REQUEST_ID: row.envelope.get(REQUEST_ID) or row.id}) for row in rows)
            for row in rows:
                row.sent_at = utcnow()
            published = [row.event_type for row in rows]
        for event_type in published:  # counted once the transaction marking them sent has committed
            metrics.EVENTS_PUBLISHED.labels(self.container.service_name, event_type).inc()
        return len(published)


class ConfirmedBatchPublisher:
    """Publishes a batch of events on one channel in confirm mode, then waits once until the broker has
    confirmed every one of them: a round trip per batch, not per event. Any failure (a nack, a lost
    connection, no confirmation in time) raises, so the caller leaves the batch unsent to try again;
    the connection is then opened afresh for the next batch. Each event names its publisher, the
connection's broker user, in `user_id` (RabbitMQ refuses a name that is not the connection's), which
consumers check (common.delivery)."""

    def __init__(self, amqp_uri, exchange, confirm_timeout=30):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.confirm_timeout = confirm_timeout
        self.connection = None

    def publish_all(self, messages):
        """`messages`: (body, routing key, message id, headers) tuples."""
        try:
            self._publish_all(messages)
        except Exception:
            self.close()
            raise

    def _publish_all(self, messages):
        if self.connection is None:
            self._open()
        for body, routing_key, message_id, headers in messages:
            self.producer.publish(body, routing_key=routing_key, message_id=message_id, headers=headers,
                                  delivery_mode=PERSISTENT, retry=False, user_id=self.connection.userid)
            self.published += 1
            self.unconfirmed.add(self.published)
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
        self.producer = Producer(channel, exchange=self.exchange, serializer="json")
        self.exchange(channel).declare()
        self.published, self.unconfirmed, self.refused = 0, set(), set()

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
