"""The bus under nameko's entrypoints: a publisher kept open, and a consumer that stops promptly.

nameko's `Publisher` looks its producer up in kombu's pool on every message (building a
`Connection` to find the pool) and wraps each publish in kombu's retry machinery: a quarter of one
bus call's time (bench/README.md). `KeptOpenPublisher` keeps a free list of producers, each on a
connection of its own (a py-amqp connection is not safe to share between green threads), takes one
per publish and puts it back after. A producer whose connection failed is dropped and the publish
tried once more on a fresh connection, which is what a broker restart needs; if that fails too the
error is raised, as kombu's `OperationalError`, to the caller.

nameko's `QueueConsumer` waits for the broker in one-second slices and looks at its stop request
between them, so stopping a service took one to two seconds. `PromptQueueConsumer` waits in slices
of a tenth of a second.
"""
from kombu import Connection
from kombu.exceptions import ChannelError, OperationalError
from nameko.amqp.publish import UndeliverableMessage
from nameko.messaging import QueueConsumer

STOP_CHECK_SECONDS = 0.1


class KeptOpenPublisher:
    """`publish(payload, **options)` like nameko's `Publisher`, on producers kept open."""

    def __init__(self, amqp_uri, use_confirms=True, **defaults):
        self.amqp_uri = amqp_uri
        self.use_confirms = use_confirms
        self.defaults = defaults
        self._free = []

    def publish(self, payload, extra_headers=None, **options):
        headers = {**options.pop("headers", {}), **(extra_headers or {})}
        options = {**self.defaults, **options, "headers": headers}
        try:
            self._publish_once(payload, options)
        except OperationalError:  # a connection that went stale while it was free: one fresh try
            self._publish_once(payload, options)

    def close(self):
        while self._free:
            self._free.pop().connection.close()

    def _publish_once(self, payload, options):
        producer = self._free.pop() if self._free else self._open_producer()
        connection = producer.connection
        try:
            producer.publish(payload, retry=False, **options)
        except ChannelError as exc:
            if "NO_ROUTE" not in str(exc):
                connection.close()
                raise OperationalError(str(exc)) from exc
            self._free.append(producer)  # the channel stays usable: only this message had no route
            raise UndeliverableMessage() from exc
        except (OperationalError,) + connection.connection_errors as exc:
            connection.close()
            raise OperationalError(str(exc)) from exc
        self._free.append(producer)

    def _open_producer(self):
        connection = Connection(self.amqp_uri, transport_options={"confirm_publish": self.use_confirms})
        try:
            connection.ensure_connection(max_retries=0)  # at once: callers have deadlines of their own
        except OperationalError:
            connection.close()
            raise
        return connection.Producer()


class PromptQueueConsumer(QueueConsumer):
    """nameko's QueueConsumer, noticing a stop request within `STOP_CHECK_SECONDS`."""

    def consume(self, limit=None, timeout=None, safety_interval=STOP_CHECK_SECONDS, **kwargs):
        return super().consume(limit, timeout, safety_interval, **kwargs)
