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
RETRIES_HEADER = "x-retries"
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
        # nameko's Publisher waits for the broker's confirmation of every message it sends.
        self.publisher = Publisher(self.container.config["AMQP_URI"],
                                   declare=[DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE])

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        attempts = attempts_made(message.headers)
        if attempts < MAX_ATTEMPTS:
            eventlet.sleep(FIRST_PAUSE_SECONDS * 2 ** (attempts - 1))
            self.retry_later(message, attempts)
        else:
            self.dead_letter(message, attempts, exc_info)
        self.queue_consumer.ack_message(message)

    def _resend(self, message, headers, **destination):
        self.publisher.publish(
            message.body, headers=headers, content_type=message.content_type,
            content_encoding=message.content_encoding, message_id=message.properties.get("message_id"),
            **destination)

    def retry_later(self, message, attempts):
        """Back to the end of this consumer's own queue, carrying the count of tries so far."""
        headers = {k: v for k, v in (message.headers or {}).items() if k != DELIVERY_COUNT_HEADER}
        self._resend(message, {**headers, RETRIES_HEADER: attempts}, exchange="", routing_key=self.queue.name)

    def dead_letter(self, message, attempts, exc_info):
        consumer = f"{self.container.service_name}.{self.method_name}"
        log.error("event %s failed %d times in %s; moved to the dead-letter queue", delivery_key(message),
                  attempts, consumer)
        metrics.EVENTS_DEAD_LETTERED.labels(self.container.service_name, self.event_type).inc()
        self._resend(message, dead_letter_headers(message, self.queue.name, consumer, attempts, exc_info),
                     exchange=DEAD_LETTER_EXCHANGE, routing_key="dead-letters")


reliable_event_handler = ReliableEventHandler.decorator
