"""The dead-letter queue: events that failed every attempt, kept with their error.

    python -m ops.dead_letters list                       what is there (consumer, event, error)
    python -m ops.dead_letters replay --all               send every one back to the queue it failed in
    python -m ops.dead_letters replay EVENT_ID [...]      send back only these events

Letters come two ways: a consumer that gave up after its retries (`common.delivery`: headers
`x-original-queue`, `x-consumer`, `x-attempts`, `x-error`), or the broker itself, for a message that
crashed its consumer past the queue's delivery limit (`ops.bus`'s policy: the `x-death` header names
the queue and the reason). Each replay is confirmed by the broker before its dead letter is acked, so
an interrupted replay loses nothing (at worst a letter is sent twice, which consumers ignore).

A consumer refuses a second copy of an event only while it remembers the event's id
(`EVENT_RETENTION_DAYS`): a letter dead for longer than that is kept, and named, unless
`--include-stale` says it has been checked that replaying it cannot apply it twice.
"""
import argparse
import datetime as dt
import json
import os
import sys

from kombu import Connection, Producer

from common.delivery import DEAD_LETTER_QUEUE
from common.outbox import RETENTION_DAYS


def amqp_uri():
    return os.environ.get("AMQP_URI", "pyamqp://guest:guest@localhost:5672/")


def drain(uri, handle):
    """Takes each dead letter in turn; `handle(message, connection)` returns True to remove it.
    Returns how many were removed."""
    removed = 0
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        queue = DEAD_LETTER_QUEUE(connection.default_channel)
        queue.declare()
        kept = []
        while True:
            message = queue.get(no_ack=False)
            if message is None:
                break
            if handle(message, connection):
                message.ack()
                removed += 1
            else:
                kept.append(message)
        for message in kept:
            message.requeue()
    return removed


def _first_death(headers):
    deaths = headers.get("x-death") or []
    return deaths[0] if deaths else {}


def origin_queue(headers):
    """The queue the letter failed in, whoever dead-lettered it."""
    return (headers.get("x-original-queue") or _first_death(headers).get("queue")
            or headers.get("x-first-death-queue"))


def consumer_of(queue_name):
    """`evt-<source>-<event>--<service>.<method>` (nameko's event queue names) → `<service>.<method>`."""
    return queue_name.rsplit("--", 1)[1] if queue_name and "--" in queue_name else queue_name


def dead_at(headers):
    if headers.get("x-dead-at"):
        return dt.datetime.fromisoformat(headers["x-dead-at"])
    moment = _first_death(headers).get("time")
    if isinstance(moment, dt.datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return None


def describe(message):
    headers = message.headers or {}
    body = message.payload if isinstance(message.payload, dict) else {}
    death = _first_death(headers)
    when = dead_at(headers)
    return {"consumer": headers.get("x-consumer") or consumer_of(origin_queue(headers)),
            "queue": origin_queue(headers), "event_type": body.get("event_type"),
            "event_id": body.get("event_id"), "attempts": headers.get("x-attempts") or death.get("count"),
            "error": headers.get("x-error") or (f"dead-lettered by the broker: {death['reason']}" if death else None),
            "dead_at": when.isoformat() if when else None}


def listed(uri):
    """What the dead-letter queue holds, described; the letters stay where they are."""
    letters = []

    def keep(message, _connection):
        letters.append(describe(message))
        return False

    drain(uri, keep)
    return letters


def replay(message, connection):
    """Sends the letter back to its queue, without the headers of its failure; returns once the broker
    confirmed it (the connection publishes in confirm mode)."""
    headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
    Producer(connection.default_channel).publish(
        message.body, exchange="", routing_key=origin_queue(message.headers or {}), headers=headers,
        content_type=message.content_type, content_encoding=message.content_encoding,
        delivery_mode=2, message_id=message.properties.get("message_id"), retry=False,
        user_id=message.headers.get("x-original-user-id"))  # as published: consumers check it
    return True


def replayer(event_ids=None, include_stale=False, retention_days=RETENTION_DAYS, now=None, stale=None):
    """A `drain` handler replaying every letter, or only those of `event_ids`; letters dead for longer
    than the retention age are kept (and appended to `stale`) unless `include_stale`."""
    now = now or dt.datetime.now(dt.timezone.utc)

    def handle(message, connection):
        letter = describe(message)
        if event_ids is not None and letter["event_id"] not in event_ids:
            return False
        when = dead_at(message.headers or {})
        if not include_stale and when and now - when > dt.timedelta(days=retention_days):
            if stale is not None:
                stale.append(letter)
            return False
        return replay(message, connection)

    return handle


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ops.dead_letters")
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("event_ids", nargs="*", help="replay only these events")
    parser.add_argument("--all", action="store_true", help="replay every dead letter")
    parser.add_argument("--include-stale", action="store_true",
                        help="also replay letters dead for longer than EVENT_RETENTION_DAYS")
    args = parser.parse_args(argv)
    if args.command == "list":
        print(json.dumps(listed(amqp_uri()), indent=2, ensure_ascii=False, default=str))
        return 0
    if args.all == bool(args.event_ids):
        parser.error("replay takes --all or the event ids to replay, not both")
    stale = []
    days = float(os.environ.get("EVENT_RETENTION_DAYS") or RETENTION_DAYS)
    replayed = drain(amqp_uri(), replayer(None if args.all else set(args.event_ids), args.include_stale, days,
                                          stale=stale))
    print(f"replayed {replayed} dead letters")
    if stale:
        print(f"kept {len(stale)} dead for longer than {days:g} days (--include-stale to replay them): "
              + ", ".join(str(letter["event_id"]) for letter in stale), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
