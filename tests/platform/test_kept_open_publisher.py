"""The kept-open publisher under RPC requests and replies, on the real broker: it keeps its connection,
survives the broker closing that connection, reports an unroutable message without losing its
channel, and fails clearly when the broker is out of reach."""
import pytest
from kombu import Connection, Exchange, Queue
from kombu.exceptions import OperationalError
from nameko.amqp.publish import UndeliverableMessage

from common.amqp import KeptOpenPublisher
from tests.harness import eventually

EXCHANGE = Exchange("kept-open-test", type="topic", durable=False, auto_delete=True)


@pytest.fixture
def queue(rabbit_config):
    queue = Queue("kept-open-test", exchange=EXCHANGE, routing_key="to.queue", auto_delete=True)
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        queue(connection.channel()).declare()
    return queue


@pytest.fixture
def publisher(rabbit_config):
    publisher = KeptOpenPublisher(rabbit_config["AMQP_URI"])
    yield publisher
    publisher.close()


def drain(config, queue):
    with Connection(config["AMQP_URI"]) as connection:
        bound = queue(connection.channel())
        bodies = []
        while (message := bound.get(accept=["json"])) is not None:
            message.ack()
            bodies.append(message.payload)
        return bodies


def only_connection(publisher):
    [producer] = publisher._free
    return producer.connection


def send(publisher, n):
    publisher.publish({"n": n}, exchange=EXCHANGE, routing_key="to.queue", mandatory=True,
                      extra_headers={"nameko.call_id_stack": [f"test.{n}"]})


def test_messages_go_out_on_one_connection_kept_open(rabbit_config, queue, publisher):
    send(publisher, 0)
    connection = only_connection(publisher)
    for n in range(1, 50):
        send(publisher, n)
    assert only_connection(publisher) is connection and connection.connected
    assert drain(rabbit_config, queue) == [{"n": n} for n in range(50)]


def test_a_connection_the_broker_closed_is_replaced_and_the_message_still_arrives(rabbit_config, rabbit_manager,
                                                                                     queue, publisher):
    send(publisher, 1)
    closed = only_connection(publisher)
    port = closed.connection.sock.getsockname()[1]

    def broker_connection():
        return [c["name"] for c in rabbit_manager.get_connections() if c.get("peer_port") == port]
    [name] = eventually(broker_connection)  # the management API lists a connection after a moment
    rabbit_manager.delete_connection(name)

    send(publisher, 2)
    assert only_connection(publisher) is not closed
    assert drain(rabbit_config, queue) == [{"n": 1}, {"n": 2}]


def test_an_unroutable_message_is_undeliverable_and_the_channel_stays_usable(rabbit_config, queue, publisher):
    send(publisher, 1)
    connection = only_connection(publisher)
    with pytest.raises(UndeliverableMessage):
        publisher.publish({"n": 2}, exchange=EXCHANGE, routing_key="to.nobody", mandatory=True)
    send(publisher, 3)
    assert only_connection(publisher) is connection
    assert drain(rabbit_config, queue) == [{"n": 1}, {"n": 3}]


def test_a_broker_out_of_reach_is_an_operational_error():
    publisher = KeptOpenPublisher("amqp://guest:guest@127.0.0.1:1//")
    with pytest.raises(OperationalError):
        publisher.publish({"n": 1}, exchange=EXCHANGE, routing_key="to.queue")
    assert publisher._free == []
