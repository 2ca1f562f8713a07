"""The broker's layout for one deployment, applied through the RabbitMQ management API.

    python -m ops.bus show    print the definitions (JSON, as `rabbitmqctl import_definitions` reads)
    python -m ops.bus apply   create or update them on the broker (idempotent; compose runs it first)

Per vhost (`BUS_VHOST`): the default queue type is quorum, so every durable queue the services
declare (`rpc-<service>`, `evt-…`, `dead-letters`) is a replicated quorum queue, while the
gateway's auto-delete reply queues stay classic; a policy caps redeliveries of a message that keeps
crashing its consumer and moves it to `dead-letters`. Every `<service>.events` exchange gets the
`unroutable` exchange as its alternate exchange (a policy), so an event no queue is bound for lands in
the `unroutable` queue (`./platform status` shows its depth) instead of vanishing. A regional stack (`BUS_FORWARD_TO` set to the
national vhost) also gets shovels that forward its services' events to the national vhost, where
payments, credits, notifications and the Ministry's coverage consume them.
"""
import argparse
import json
import os
from urllib.parse import quote

import requests

from common.delivery import DEAD_LETTER_EXCHANGE
from common.outbox import UNROUTABLE_EXCHANGE, UNROUTABLE_QUEUE

REGIONAL_PUBLISHERS = ("registry", "placement", "timesheet")
DELIVERY_LIMIT = 20  # above common.delivery's retries: only a consumer that crashes hits it


def settings(env=os.environ):
    return {
        "api": env.get("RABBITMQ_MANAGEMENT_URL", "http://localhost:15672"),
        "user": env.get("RABBITMQ_USER", "guest"),
        "password": env.get("RABBITMQ_PASSWORD", "guest"),
        "vhost": env.get("BUS_VHOST", "/"),
        "forward_to": env.get("BUS_FORWARD_TO") or None,
    }


def events_exchange(vhost, service):
    return {"name": f"{service}.events", "vhost": vhost, "type": "topic", "durable": True,
            "auto_delete": False, "internal": False, "arguments": {}}


def unroutable_layout(vhost):
    """The `unroutable` exchange and queue, bound: where the events exchanges' alternate exchange leads."""
    return {
        "exchanges": [{"name": UNROUTABLE_EXCHANGE.name, "vhost": vhost, "type": "fanout", "durable": True,
                       "auto_delete": False, "internal": False, "arguments": {}}],
        "queues": [{"name": UNROUTABLE_QUEUE.name, "vhost": vhost, "durable": True, "auto_delete": False,
                    "arguments": {"x-queue-type": "quorum"}}],
        "bindings": [{"source": UNROUTABLE_EXCHANGE.name, "vhost": vhost, "destination": UNROUTABLE_QUEUE.name,
                      "destination_type": "queue", "routing_key": "", "arguments": {}}],
    }


def shovel(config, service):
    """Forwards everything `service` publishes in the regional vhost to the national one."""
    credentials = f"{quote(config['user'], safe='')}:{quote(config['password'], safe='')}"

    def uri(vhost):
        return f"amqp://{credentials}@localhost:5672/{quote(vhost, safe='')}"

    exchange = f"{service}.events"
    return {"component": "shovel", "vhost": config["vhost"], "name": f"forward-{exchange}",
            "value": {"src-protocol": "amqp091", "src-uri": uri(config["vhost"]),
                      "src-exchange": exchange, "src-exchange-key": "#",
                      "dest-protocol": "amqp091", "dest-uri": uri(config["forward_to"]),
                      "dest-exchange": exchange, "ack-mode": "on-confirm",
                      "src-delete-after": "never", "reconnect-delay": 5}}


def definitions(config):
    vhost = config["vhost"]
    vhosts = [vhost] + ([config["forward_to"]] if config["forward_to"] else [])
    unroutable = [unroutable_layout(name) for name in vhosts]
    return {
        "vhosts": [{"name": name, "default_queue_type": "quorum",
                    "metadata": {"default_queue_type": "quorum",
                                 "description": "Student Voucher platform"}} for name in vhosts],
        "permissions": [{"user": config["user"], "vhost": name, "configure": ".*", "write": ".*",
                         "read": ".*"} for name in vhosts],
        "policies": [{"vhost": name, "name": "services", "pattern": r"^(rpc-|evt-)",
                      "apply-to": "quorum_queues", "priority": 0,
                      "definition": {"delivery-limit": DELIVERY_LIMIT,
                                     "dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
                                     "dead-letter-routing-key": "dead-letters"}} for name in vhosts]
        + [{"vhost": name, "name": "events", "pattern": r"\.events$", "apply-to": "exchanges", "priority": 0,
            "definition": {"alternate-exchange": UNROUTABLE_EXCHANGE.name}} for name in vhosts],
        "exchanges": [exchange for layout in unroutable for exchange in layout["exchanges"]]
        + ([events_exchange(name, service) for name in vhosts for service in REGIONAL_PUBLISHERS]
           if config["forward_to"] else []),
        "queues": [queue for layout in unroutable for queue in layout["queues"]],
        "bindings": [binding for layout in unroutable for binding in layout["bindings"]],
        "parameters": [shovel(config, service) for service in REGIONAL_PUBLISHERS]
        if config["forward_to"] else [],
    }


def apply(config):
    answer = requests.post(config["api"] + "/api/definitions", json=definitions(config),
                           auth=(config["user"], config["password"]), timeout=30)
    answer.raise_for_status()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ops.bus")
    parser.add_argument("command", choices=["show", "apply"])
    args = parser.parse_args(argv)
    config = settings()
    if args.command == "show":
        print(json.dumps(definitions(config), indent=2))
    else:
        apply(config)
        print(f"bus layout applied to vhost {config['vhost']}")


if __name__ == "__main__":
    main()
