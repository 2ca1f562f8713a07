"""The outbox relay's publisher on the real broker: a batch is confirmed by the broker as a whole, in
order, or the publisher raises and the relay leaves the whole batch unsent for its next pass."""
import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from common.outbox import UNROUTABLE_QUEUE, ConfirmedBatchPublisher, UndeliverableEvents


def events(first, last):
    return [({"n": n}, "thing.happened", f"event-{n}", {"nameko.request_id": f"request-{n}"})
             for n in range(first, last)]


def bound_queue(config, name, **arguments):
    exchange = get_event_exchange("outbox-test", config)
    queue = Queue(name, exchange=exchange, routing_key="thing.*", durable=True, queue_arguments=arguments)
    with Connection(config["AMQP_URI"]) as connection:
        queue(connection.channel()).declare()
    return exchange, queue


def drain(config, queue):
    """Every message waiting in `queue`, in order, as (message id, request id header, body)."""
    received = []
    with Connection(config["AMQP_URI"]) as connection:
        bound = queue(connection.channel())
        while (message := bound.get(accept=["json"])) is not None:
            message.ack()
            received.append((message.properties["message_id"], message.headers["nameko.request_id"],
                             message.payload["n"]))
    return received


def test_batches_arrive_whole_and_in_order_over_one_connection(rabbit_config):
    exchange, queue = bound_queue(rabbit_config, "outbox-test-all")
    publisher = ConfirmedBatchPublisher(rabbit_config["AMQP_URI"], exchange)
    try:
        publisher.publish_all(events(0, 450))
        connection = publisher.connection
        publisher.publish_all(events(450, 500))
        assert publisher.connection is connection and not publisher.unconfirmed
    finally:
        publisher.close()
    assert drain(rabbit_config, queue) == [(f"event-{n}", f"request-{n}", n) for n in range(500)]


def test_events_the_broker_refuses_fail_the_batch_and_the_next_batch_starts_afresh(rabbit_config):
    # A queue that refuses messages beyond three: the broker nacks what it cannot take.
    exchange, queue = bound_queue(rabbit_config, "outbox-test-small", **{"x-max-length": 3,
                                                                          "x-overflow": "reject-publish"})
    publisher = ConfirmedBatchPublisher(rabbit_config["AMQP_URI"], exchange)
    with pytest.raises(UndeliverableEvents, match="the broker refused"):
        publisher.publish_all(events(0, 10))
    assert publisher.connection is None
    assert [n for _, _, n in drain(rabbit_config, queue)] == [0, 1, 2]

    publisher.publish_all(events(10, 13))
    publisher.close()
    assert [n for _, _, n in drain(rabbit_config, queue)] == [10, 11, 12]


def test_a_broker_out_of_reach_fails_the_batch(rabbit_config):
    exchange = get_event_exchange("outbox-test", rabbit_config)
    publisher = ConfirmedBatchPublisher("amqp://guest:guest@127.0.0.1:1//", exchange)
    with pytest.raises(OSError):
        publisher.publish_all(events(0, 1))
    assert publisher.connection is None


def test_defect4_an_event_no_queue_is_bound_for_is_kept_in_the_unroutable_queue(rabbit_config):
    """Before the fix the broker confirmed an unroutable event (published without `mandatory`) and it
    was gone, its row marked sent. Now it comes back and is kept, with where it was going."""
    exchange, queue = bound_queue(rabbit_config, "outbox-test-bound")  # takes thing.* only
    publisher = ConfirmedBatchPublisher(rabbit_config["AMQP_URI"], exchange)
    batch = events(0, 2) + [({"n": 2}, "nobody.listens", "event-2", {"nameko.request_id": "request-2"})]
    try:
        assert publisher.publish_all(batch) == ["nobody.listens"]
    finally:
        publisher.close()
    assert [n for _, _, n in drain(rabbit_config, queue)] == [0, 1]
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        kept = UNROUTABLE_QUEUE(connection.channel()).get(accept=["json"])
    assert kept.payload == {"n": 2} and kept.properties["message_id"] == "event-2"
    assert (kept.headers["x-original-exchange"], kept.headers["x-original-routing-key"]) == (
        exchange.name, "nobody.listens")
    assert kept.headers["nameko.request_id"] == "request-2"
