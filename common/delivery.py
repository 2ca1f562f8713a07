"""Event delivery that neither drops nor loops: retries, then a dead-letter queue.

nameko's event handler acks a message whose handler raised (the event is lost) or, with
`requeue_on_error`, requeues it for ever (a poison message loops). `ReliableEventHandler` sends a
failing event back to the end of its own queue, after a growing pause, with its retry count in the
`x-retries` header, and after `MAX_ATTEMPTS` moves it to the `dead-letters` queue with the error,
the consumer's queue and the attempt count, where ops can see it and replay it
(`python -m ops.dead_letters`).

The count travels with the message, not in a process's memory: copies of a service competing on the
queue, and a copy restarted midway, all see the same count, so the limit holds for the whole
deployment. Deliveries the broker makes again after a consumer died without an answer count too
(a quorum queue's `x-delivery-count`). Each resend is confirmed by the broker before the delivery is
acked, so a crash in between leaves two copies at worst, which the idempotent consumer absorbs.

It also accepts an event only from the service that owns its exchange: the AMQP `user_id` property,
which RabbitMQ checks against the publisher's connection, must be that service's broker user
(`<service>`, or `<service>.<region>` for a regional stack's; ops/bus.py). A retry the consumer sent
itself carries its own user and the original publisher in `x-publisher` (trusted only then: nobody
else can send with the consumer's user). Anything else is dead-lettered at once, unread, with the
reason, and counted (`events_refused_total`). Where the services share one broker login (the local
run, most tests) there is no identity to check; outside the local run a service must connect as its
own user (common.settings).
"""
import datetime as dt
import logging
import traceback
from urllib.parse import unquote, urlsplit

import eventlet
from kombu import Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler

from common import metrics
from common.amqp import PromptQueueConsumer

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_PAUSE_SECONDS = 0.1
RETRIES_HEADER = "x-retries"
PUBLISHER_HEADER = "x-publisher"  # on a retry: who published the event first
# Set by quorum queues: how many times the broker delivered this copy before (consumers that died).
DELIVERY_COUNT_HEADER = "x-delivery-count"
DEAD_LETTER_EXCHANGE = Exchange("dead-letters", type="direct", durable=True)
DEAD_LETTER_QUEUE = Queue("dead-letters", exchange=DEAD_LETTER_EXCHANGE, routing_key="dead-letters",
                          durable=True)


def delivery_key(message):
    body = message.payload if isinstance(message.payload, dict) else {}
    return body.get("event_id") or message.properties.get("message_id") or message.delivery_tag


def attempts_made(headers):
    """How many times this event has been tried, this delivery included, by what the message says."""
    headers = headers or {}
    return int(headers.get(RETRIES_HEADER) or 0) + int(headers.get(DELIVERY_COUNT_HEADER) or 0) + 1


def broker_user(amqp_uri):
    return unquote(urlsplit(amqp_uri).username or "guest")


def is_identity_of(user, service):
    """Whether `user` is `service`'s own broker user (national, or a region's)."""
    return user == service or user.startswith(service + ".")


def publisher_of(message, own_user):
    """Who published the event: its `user_id`, or for a retry the consumer sent itself, `x-publisher`."""
    user = message.properties.get("user_id")
    if user == own_user and PUBLISHER_HEADER in (message.headers or {}):
        return message.headers[PUBLISHER_HEADER]
    return user


def dead_letter_headers(message, queue_name, consumer, attempts, error, publisher):
    return {
        **(message.headers or {}),
        "x-original-exchange": message.delivery_info.get("exchange"),
        "x-original-routing-key": message.delivery_info.get("routing_key"),
        "x-original-queue": queue_name,
        "x-consumer": consumer,
        "x-attempts": attempts,
        "x-original-user-id": publisher,  # replayed as published: consumers check it
        "x-error": error[:2000],
        "x-dead-at": dt.datetime.now(dt.timezone.utc).isoformat(),
    }


class ReliableEventHandler(EventHandler):
    """An `@event_handler` that retries a failing event, then dead-letters it (never drops it)."""

    queue_consumer = PromptQueueConsumer()

    def setup(self):
        super().setup()
        self.own_user = broker_user(self.container.config["AMQP_URI"])
        self.own_identities = is_identity_of(self.own_user, self.container.service_name)
        if self.own_identities:  # declared by ops.bus; checking it exists needs no right on it
            self.queue.exchange.passive = True
        # nameko's Publisher waits for the broker's confirmation of every message it sends.
        self.publisher = Publisher(self.container.config["AMQP_URI"],
                                   declare=[DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE])

    def may_publish(self, publisher):
        return not self.own_identities or bool(publisher) and is_identity_of(publisher, self.source_service)

    def handle_message(self, body, message):
        if not self.refused(message):
            super().handle_message(body, message)

    def refused(self, message):
        """Dead-letters (and acks) an event not published by its owner; True if it did."""
        publisher = publisher_of(message, self.own_user)
        if self.may_publish(publisher):
            return False
        metrics.EVENTS_REFUSED.labels(self.container.service_name, self.event_type, publisher or "").inc()
        owner = self.source_service
        self.dead_letter(message, 0, f"refused: published by {publisher or 'an unnamed user'}, "
                                     f"not by the {owner} service that owns {owner}.events")
        self.queue_consumer.ack_message(message)
        return True

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        attempts = attempts_made(message.headers)
        if attempts < MAX_ATTEMPTS:
            eventlet.sleep(FIRST_PAUSE_SECONDS * 2 ** (attempts - 1))
            self.retry_later(message, attempts)
        else:
            self.dead_letter(message, attempts, "".join(traceback.format_exception_only(*exc_info[:2])).strip())
        self.queue_consumer.ack_message(message)

    def _resend(self, message, headers, **destination):
        self.publisher.publish(
            message.body, headers=headers, content_type=message.content_type,
            content_encoding=message.content_encoding, message_id=message.properties.get("message_id"),
            user_id=self.own_user, **destination)

    def retry_later(self, message, attempts):
        """Back to the end of this consumer's own queue, carrying the count of tries so far."""
        headers = {k: v for k, v in (message.headers or {}).items() if k != DELIVERY_COUNT_HEADER}
        headers.update({RETRIES_HEADER: attempts, PUBLISHER_HEADER: publisher_of(message, self.own_user)})
        self._resend(message, headers, exchange="", routing_key=self.queue.name)

    def dead_letter(self, message, attempts, error):
        consumer = f"{self.container.service_name}.{self.method_name}"
        log.error("event %s moved to the dead-letter queue by %s after %d attempt(s): %s", delivery_key(message),
                  consumer, attempts, error)
        metrics.EVENTS_DEAD_LETTERED.labels(self.container.service_name, self.event_type).inc()
        headers = dead_letter_headers(message, self.queue.name, consumer, attempts, error,
                                      publisher_of(message, self.own_user))
        self._resend(message, headers, exchange=DEAD_LETTER_EXCHANGE, routing_key="dead-letters")


reliable_event_handler = ReliableEventHandler.decorator
