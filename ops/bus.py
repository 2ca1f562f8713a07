"""The broker's layout for one deployment, applied through the RabbitMQ management API.

    python -m ops.bus show    print the definitions (JSON, as `rabbitmqctl import_definitions` reads)
    python -m ops.bus apply   create or update them on the broker (idempotent; compose runs it first)

Per vhost (`BUS_VHOST`): the default queue type is quorum, so every durable queue the services
declare (`rpc-<service>`, `evt-…`, `dead-letters`) is a replicated quorum queue, while the
gateway's auto-delete reply queues stay classic; a policy caps redeliveries of a message that keeps
crashing its consumer and moves it to `dead-letters`. Every `<service>.events` exchange gets the
`unroutable` exchange as its alternate exchange (a policy), so an event no queue is bound for lands in
the `unroutable` queue (`./platform status` shows its depth) instead of vanishing. A regional stack
(`BUS_FORWARD_TO` set to the national vhost) also gets shovels that forward its services' events to the national vhost, where
payments, credits, notifications and the Ministry's coverage consume them.

Each service (and the gateway) has a broker user of its own, `<service>` (in a region
`<service>.<REGION>`), whose password is `RABBITMQ_<SERVICE>_PASSWORD`, allowed only its own part
(`permissions`): it configures and writes its own `<service>.events` exchange, its own queues
(`rpc-<service>`, `evt-…--<service>.<handler>`, its RPC reply queues), the shared RPC exchange,
`dead-letters` and `unroutable`, and reads only its own queues. The services' events exchanges are
declared here, so a consumer only checks that its source's exchange exists (which needs no right on
it). The events it publishes carry its user in the AMQP `user_id` property, which RabbitMQ checks
against the connection, and consumers accept an event only from the owner of its exchange
(common.delivery). The forwarding shovels run as `RABBITMQ_USER`, which therefore has the
`impersonator` tag: forwarded events keep their publisher's `user_id`.
"""
import argparse
import json
import os
from urllib.parse import quote

import requests

from common.delivery import DEAD_LETTER_EXCHANGE
from common.outbox import UNROUTABLE_EXCHANGE, UNROUTABLE_QUEUE

SERVICES = ("registry", "placement", "timesheet", "payments", "credits", "notifications", "coverage")
PUBLISHERS = ("registry", "placement", "timesheet", "payments", "credits")
REGIONAL_PUBLISHERS = ("registry", "placement", "timesheet")
REGIONAL_IDENTITIES = REGIONAL_PUBLISHERS + ("gateway",)
RPC_EXCHANGE = "nameko-rpc"
DELIVERY_LIMIT = 20  # above common.delivery's retries: only a consumer that crashes hits it


def settings(env=os.environ):
    return {
        "api": env.get("RABBITMQ_MANAGEMENT_URL", "http://localhost:15672"),
        "user": env.get("RABBITMQ_USER", "guest"),
        "password": env.get("RABBITMQ_PASSWORD", "guest"),
        "vhost": env.get("BUS_VHOST", "/"),
        "forward_to": env.get("BUS_FORWARD_TO") or None,
        "region": env.get("BUS_REGION") or None,
        "passwords": {name: env[f"RABBITMQ_{name.upper()}_PASSWORD"] for name in SERVICES + ("gateway",)
                      if env.get(f"RABBITMQ_{name.upper()}_PASSWORD")},
    }


def user_name(service, region=None):
    return f"{service}.{region}" if region else service


def permissions(service, vhost):
    """What `service`'s broker user may do in `vhost`: its own exchange and queues only."""
    own = rf"rpc-{service}|rpc\.reply-{service}-.+|evt-.+--{service}\..+"
    # the RPC exchange, dead letters and unroutable events (the events exchanges' alternate exchange)
    shared = rf"{RPC_EXCHANGE}|{DEAD_LETTER_EXCHANGE.name}|{UNROUTABLE_EXCHANGE.name}"
    exchange = rf"|{service}\.events" if service in PUBLISHERS else ""
    sources = "|".join(rf"{name}\.events" for name in PUBLISHERS)
    # write on the default exchange: a consumer sends a failing event back to its own queue (whoever
    # sends there names itself in user_id, and consumers trust only the owner's or their own)
    return {"vhost": vhost, "configure": f"^({own}|{shared}{exchange})$",
            "write": rf"^({own}|{shared}|amq\.default{exchange})$",
            "read": f"^({own}|{shared}|{sources})$"}  # binding a queue needs read on its exchange


def identities(config):
    """The services' users with their permissions, and the events exchanges they publish on."""
    vhost, region = config["vhost"], config["region"]
    names = REGIONAL_IDENTITIES if region else SERVICES + ("gateway",)
    users = [{"name": user_name(name, region), "password": config["passwords"][name], "tags": ""}
             for name in names if name in config["passwords"]]
    return {
        "users": users,
        "permissions": [{"user": user["name"], **permissions(name, vhost)}
                        for name, user in zip([n for n in names if n in config["passwords"]], users)],
        "exchanges": [events_exchange(vhost, name) for name in PUBLISHERS],
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
    own = identities(config)
    unroutable = [unroutable_layout(name) for name in vhosts]
    return {
        "users": own["users"] + [{"name": config["user"], "password": config["password"],
                                  "tags": "administrator,impersonator"}],
        "vhosts": [{"name": name, "default_queue_type": "quorum",
                    "metadata": {"default_queue_type": "quorum",
                                 "description": "Student Voucher platform"}} for name in vhosts],
        "permissions": own["permissions"] + [{"user": config["user"], "vhost": name, "configure": ".*",
                                              "write": ".*", "read": ".*"} for name in vhosts],
        "policies": [{"vhost": name, "name": "services", "pattern": r"^(rpc-|evt-)",
                      "apply-to": "quorum_queues", "priority": 0,
                      "definition": {"delivery-limit": DELIVERY_LIMIT,
                                     "dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
                                     "dead-letter-routing-key": "dead-letters"}} for name in vhosts]
        + [{"vhost": name, "name": "events", "pattern": r"\.events$", "apply-to": "exchanges", "priority": 0,
            "definition": {"alternate-exchange": UNROUTABLE_EXCHANGE.name}} for name in vhosts],
        "exchanges": [exchange for layout in unroutable for exchange in layout["exchanges"]] + own["exchanges"]
        + ([events_exchange(config["forward_to"], service) for service in REGIONAL_PUBLISHERS]
           if config["forward_to"] else []),
        "queues": [queue for layout in unroutable for queue in layout["queues"]],
        "bindings": [binding for layout in unroutable for binding in layout["bindings"]],
        "parameters": [shovel(config, service) for service in REGIONAL_PUBLISHERS]
        if config["forward_to"] else [],
    }


def apply_identities(config):
    """Only the services' users, permissions and exchanges (for a vhost made elsewhere: the tests')."""
    answer = requests.post(config["api"] + "/api/definitions", json=identities(config),
                           auth=(config["user"], config["password"]), timeout=30)
    answer.raise_for_status()


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
