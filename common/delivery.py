"""Event delivery that neither drops nor loops: retries, then a dead-letter queue.

nameko's event handler acks a message whose handler raised (the event is lost) or, with
`requeue_on_error`, requeues it for ever (a poison message loops). `ReliableEventHandler` requeues a
failing event with a growing pause, and after `MAX_ATTEMPTS` moves it to the `dead-letters` queue
with the error, the consumer's queue and the attempt count, where ops can see it and replay it
(`python -m ops.dead_letters`).

It also accepts an event only from the service that owns its exchange: the AMQP `user_id` property,
which RabbitMQ checks against the publisher's connection, must be that service's broker user
(`<service>`, or `<service>.<region>` for a regional stack's; ops/bus.py). Anything else is
dead-lettered at once, unread, with the reason, and counted (`events_refused_total`). Where the
services share one broker login (the local run, most tests) there is no identity to check; outside
the local run a service must connect as its own user (common.settings).
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
DEAD_LETTER_EXCHANGE = Exchange("dead-letters", type="direct", durable=True)
DEAD_LETTER_QUEUE = Queue("dead-letters", exchange=DEAD_LETTER_EXCHANGE, routing_key="dead-letters",
                          durable=True)


def delivery_key(message):
    body = message.payload if isinstance(message.payload, dict) else {}
    return body.get("event_id") or message.properties.get("message_id") or message.delivery_tag


def broker_user(amqp_uri):
    return unquote(urlsplit(amqp_uri).username or "guest")


def is_identity_of(user, service):
    """Whether `user` is `service`'s own broker user (national, or a region's)."""
    return user == service or user.startswith(service + ".")


def dead_letter_headers(message, queue_name, consumer, attempts, error):
    return {
        **(message.headers or {}),
        "x-original-exchange": message.delivery_info.get("exchange"),
        "x-original-routing-key": message.delivery_info.get("routing_key"),
        "x-original-queue": queue_name,
        "x-consumer": consumer,
        "x-attempts": attempts,
        "x-original-user-id": message.properties.get("user_id"),
        "x-error": error[:2000],
        "x-dead-at": dt.datetime.now(dt.timezone.utc).isoformat(),
    }


class ReliableEventHandler(EventHandler):
    """An `@event_handler` that retries a failing event, then dead-letters it (never drops it)."""

    queue_consumer = PromptQueueConsumer()

    def setup(self):
        super().setup()
        self.failures = {}
        self.own_identities = is_identity_of(broker_user(self.container.config["AMQP_URI"]),
                                             self.container.service_name)
        if self.own_identities:  # declared by ops.bus; checking it exists needs no right on it
            self.queue.exchange.passive = True
        self.dead_letters = Publisher(self.container.config["AMQP_URI"],
                                      declare=[DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE])

    def may_publish(self, user):
        return not self.own_identities or bool(user) and is_identity_of(user, self.source_service)

    def handle_message(self, body, message):
        publisher = message.properties.get("user_id")
        if not self.may_publish(publisher):
            metrics.EVENTS_REFUSED.labels(self.container.service_name, self.event_type, publisher or "").inc()
            owner = self.source_service
            self.dead_letter(message, 0, f"refused: published by {publisher or 'an unnamed user'}, "
                                         f"not by the {owner} service that owns {owner}.events")
            return
        super().handle_message(body, message)

    def handle_message_processed(self, message, result=None, exc_info=None):
        key = delivery_key(message)
        if exc_info is None:
            self.failures.pop(key, None)
            self.queue_consumer.ack_message(message)
            return
        attempts = self.failures.get(key, 0) + 1
        if attempts < MAX_ATTEMPTS:
            self.failures[key] = attempts
            eventlet.sleep(FIRST_PAUSE_SECONDS * 2 ** (attempts - 1))
            self.queue_consumer.requeue_message(message)
            return
        self.failures.pop(key, None)
        self.dead_letter(message, attempts, "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip())

    def dead_letter(self, message, attempts, error):
        consumer = f"{self.container.service_name}.{self.method_name}"
        log.error("event %s moved to the dead-letter queue by %s after %d attempt(s): %s", delivery_key(message),
                  consumer, attempts, error)
        metrics.EVENTS_DEAD_LETTERED.labels(self.container.service_name, self.event_type).inc()
        self.dead_letters.publish(
            message.payload, exchange=DEAD_LETTER_EXCHANGE, routing_key="dead-letters",
            headers=dead_letter_headers(message, self.queue.name, consumer, attempts, error),
            message_id=message.properties.get("message_id"),
        )
        self.queue_consumer.ack_message(message)


reliable_event_handler = ReliableEventHandler.decorator
