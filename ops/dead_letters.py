"""The dead-letter queue: events that failed every attempt, kept with their error.

    python -m ops.dead_letters list            what is there (consumer, event, error)
    python -m ops.dead_letters replay [--all]  send them back to the queues they failed in
"""
import argparse
import json
import os

from kombu import Connection, Producer

from common.delivery import DEAD_LETTER_QUEUE


def amqp_uri():
    return os.environ.get("AMQP_URI", "pyamqp://guest:guest@localhost:5672/")


def drain(uri, handle):
    """Takes each dead letter in turn; `handle(message, connection)` returns True to remove it.
    Returns how many were seen."""
    seen = 0
    with Connection(uri) as connection:
        queue = DEAD_LETTER_QUEUE(connection.default_channel)
        queue.declare()
        kept = []
        while True:
            message = queue.get(no_ack=False)
            if message is None:
                break
            seen += 1
            if handle(message, connection):
                message.ack()
            else:
                kept.append(message)
        for message in kept:
            message.requeue()
    return seen


def describe(message):
    headers = message.headers or {}
    body = message.payload if isinstance(message.payload, dict) else {}
    return {"consumer": headers.get("x-consumer"), "event_type": body.get("event_type"),
            "event_id": body.get("event_id"), "attempts": headers.get("x-attempts"),
            "error": headers.get("x-error"), "dead_at": headers.get("x-dead-at")}


def listed(uri):
    """What the dead-letter queue holds, described; the letters stay where they are."""
    letters = []

    def keep(message, _connection):
        letters.append(describe(message))
        return False

    drain(uri, keep)
    return letters


def replay(message, connection):
    headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
    Producer(connection.default_channel).publish(
        message.body, exchange="", routing_key=message.headers["x-original-queue"], headers=headers,
        content_type=message.content_type, content_encoding=message.content_encoding,
        delivery_mode=2, message_id=message.properties.get("message_id"),
        user_id=message.headers.get("x-original-user-id"))  # as published: consumers check it
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ops.dead_letters")
    parser.add_argument("command", choices=["list", "replay"])
    args = parser.parse_args(argv)
    if args.command == "list":
        print(json.dumps(listed(amqp_uri()), indent=2, ensure_ascii=False))
    else:
        print(f"replayed {drain(amqp_uri(), replay)} dead letters")


if __name__ == "__main__":
    main()
