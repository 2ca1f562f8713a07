"""`./platform status` (python -m ops.status [--json]): how a running platform is doing.

Per service: how many instances consume its RPC queue, the depth and consumers of each of its
queues (RabbitMQ management API), and its outbox backlog (unsent rows in its own database, at
<SERVICE>_DATABASE_URL). Then the depths of the `dead-letters` queue (events that failed every retry)
and of the `unroutable` queue (events published with no queue bound for them).

Settings: AMQP_URI (its vhost is the one shown), RABBITMQ_MANAGEMENT_URL (default
http://localhost:15672), RABBITMQ_USER / RABBITMQ_PASSWORD (default guest / guest).
"""
import argparse
import json
import os
import sys
from urllib.parse import quote, unquote, urlparse

import requests
from sqlalchemy import inspect, text

from common.db import make_engine
from common.delivery import DEAD_LETTER_QUEUE
from common.outbox import UNROUTABLE_QUEUE
from ops.manage import SERVICES, database_url


def vhost_of(amqp_uri):
    return unquote(urlparse(amqp_uri).path[1:]) or "/"


def queues(api, auth, vhost):
    answer = requests.get(f"{api}/api/queues/{quote(vhost, safe='')}", auth=auth, timeout=10)
    answer.raise_for_status()
    return {queue["name"]: {"messages": queue.get("messages", 0), "consumers": queue.get("consumers", 0)}
            for queue in answer.json()}


def owner_of(queue_name):
    """The service consuming a nameko queue: `rpc-<service>` or `evt-<source>-<event>--<service>.<method>`."""
    if queue_name.startswith("rpc-"):
        return queue_name[len("rpc-"):]
    if queue_name.startswith("evt-") and "--" in queue_name:
        return queue_name.rsplit("--", 1)[1].split(".", 1)[0]
    return None


def outbox_backlog(url):
    """Unsent events in the service's outbox; None for a service that publishes none."""
    if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///"):]):
        return "unknown (no database yet)"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("outbox"):
                return None
            return connection.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar()
    except Exception as exc:
        return f"unknown ({type(exc).__name__})"
    finally:
        engine.dispose()


def collect(api, auth, vhost, database_urls):
    by_queue = queues(api, auth, vhost)
    gateways = sum(1 for name in by_queue if name.startswith("rpc.reply-gateway-"))  # one per instance
    report = {"vhost": vhost, "gateway_instances": gateways, "services": {}, "dead_letters": None,
              "unroutable": None}
    for service, url in database_urls.items():
        own = {name: depth for name, depth in sorted(by_queue.items()) if owner_of(name) == service}
        report["services"][service] = {
            "instances": by_queue.get(f"rpc-{service}", {}).get("consumers", 0),
            "queues": own,
            "outbox_backlog": outbox_backlog(url),
        }
    if DEAD_LETTER_QUEUE.name in by_queue:
        report["dead_letters"] = by_queue[DEAD_LETTER_QUEUE.name]["messages"]
    if UNROUTABLE_QUEUE.name in by_queue:
        report["unroutable"] = by_queue[UNROUTABLE_QUEUE.name]["messages"]
    return report


def render(report):
    lines = [f"vhost {report['vhost']}", f"{'service':<14}{'instances':>10}{'outbox':>10}  queues (messages/consumers)"]
    for service, status in report["services"].items():
        queue_text = ", ".join(f"{name} {q['messages']}/{q['consumers']}" for name, q in status["queues"].items())
        backlog = "-" if status["outbox_backlog"] is None else status["outbox_backlog"]
        lines.append(f"{service:<14}{status['instances']:>10}{backlog!s:>10}  {queue_text or '-'}")
    lines.append(f"{'gateway':<14}{report['gateway_instances']:>10}")
    dead = report["dead_letters"]
    lines.append(f"dead letters: {dead if dead is not None else 'none (no dead-letters queue)'}")
    unroutable = report["unroutable"]
    lines.append(f"unroutable events: {unroutable if unroutable is not None else 'none (no unroutable queue)'}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ops.status")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    api = os.environ.get("RABBITMQ_MANAGEMENT_URL", "http://localhost:15672")
    auth = (os.environ.get("RABBITMQ_USER", "guest"), os.environ.get("RABBITMQ_PASSWORD", "guest"))
    vhost = vhost_of(os.environ.get("AMQP_URI", "pyamqp://guest:guest@localhost:5672/"))
    try:
        report = collect(api, auth, vhost, {service: database_url(service) for service in SERVICES})
    except requests.RequestException as exc:
        print(f"the RabbitMQ management API at {api} did not answer: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
