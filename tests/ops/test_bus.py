"""`ops.bus apply` on a real broker: an event published where no queue is bound lands in `unroutable`."""
import requests
from kombu import Connection, Exchange, Producer

from common.outbox import UNROUTABLE_QUEUE
from ops import bus
from ops.status import vhost_of


def test_the_events_exchanges_send_what_no_queue_takes_to_unroutable(rabbit_config):
    config = bus.settings({"BUS_VHOST": vhost_of(rabbit_config["AMQP_URI"])})
    layout = bus.definitions(config)
    # The services' queue policy says `quorum_queues`, which production's RabbitMQ 3.13 knows and the
    # development machines' 3.10 does not; the rest is applied as `ops.bus apply` does.
    layout["policies"] = [policy for policy in layout["policies"] if policy["apply-to"] != "quorum_queues"]
    requests.post(config["api"] + "/api/definitions", json=layout, auth=(config["user"], config["password"]),
                  timeout=30).raise_for_status()
    with Connection(rabbit_config["AMQP_URI"], transport_options={"confirm_publish": True}) as connection:
        channel = connection.default_channel
        events = Exchange("registry.events", type="topic", durable=True)(channel)
        events.declare()
        # Not mandatory, as any publisher might: the alternate exchange catches it all the same.
        Producer(channel).publish({"event_id": "e1"}, exchange=events, routing_key="student.registered",
                                  delivery_mode=2, retry=False)
        kept = UNROUTABLE_QUEUE(channel).get(accept=["json"])
    assert kept is not None and kept.payload == {"event_id": "e1"}
    assert kept.delivery_info["routing_key"] == "student.registered"
