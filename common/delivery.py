"""Event delivery that neither drops nor loops: retries, then a dead-letter queue.

nameko's event handler acks a message whose handler raised (the event is lost) or, with
`requeue_on_error`, requeues it for ever (a poison message loops). `ReliableEventHandler` requeues a
failing event with a growing pause, and after `MAX_ATTEMPTS` moves it to the `dead-letters` queue
with the error, the consumer's queue and the attempt count, where ops can see it and replay it
(`python -m ops.dead_letters`).
"""
import datetime as dt
import logging
import traceback

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


def dead_letter_headers(message, queue_name, consumer, attempts, exc_info):
    error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
    return {
        **(message.headers or {}),
        "x-original-exchange": message.delivery_info.get("exchange"),
        "x-original-routing-key": message.delivery_info.get("routing_key"),
        "x-original-queue": queue_name,
        "x-consumer": consumer,
        "x-attempts": attempts,
        "x-error": error[:2000],
        "x-dead-at": dt.datetime.now(dt.timezone.utc).isoformat(),
    }


class ReliableEventHandler(EventHandler):
    """An `@event_handler` that retries a failing event, then dead-letters it (never drops it)."""

    queue_consumer = PromptQueueConsumer()

    def setup(self):
        super().setup()
        self.failures = {}
        self.dead_letters = Publisher(self.container.config["AMQP_URI"],
                                      declare=[DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE])

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
        consumer = f"{self.container.service_name}.{self.method_name}"
        log.error("event %s failed %d times in %s; moved to the dead-letter queue", key, attempts, consumer)
        metrics.EVENTS_DEAD_LETTERED.labels(self.container.service_name, self.event_type).inc()
        self.dead_letters.publish(
            message.payload, exchange=DEAD_LETTER_EXCHANGE, routing_key="dead-letters",
            headers=dead_letter_headers(message, self.queue.name, consumer, attempts, exc_info),
            message_id=message.properties.get("message_id"),
        )
        self.queue_consumer.ack_message(message)


reliable_event_handler = ReliableEventHandler.decorator
