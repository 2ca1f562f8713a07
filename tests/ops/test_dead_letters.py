"""The dead-letter tool on a real broker: letters the broker itself dead-lettered (`x-death`), replay
of all or some, and letters older than the retention age kept back."""
import datetime as dt

import pytest
from kombu import Connection, Producer, Queue

from common.delivery import DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE
from ops import dead_letters
from tests.harness import eventually

CONSUMER_QUEUE = "evt-registry-university.added--credits.on_university_added"


def crash_looping_queue(channel):
    """A quorum queue as `ops.bus` sets them up: past its delivery limit the broker dead-letters."""
    queue = Queue(CONSUMER_QUEUE, durable=True, queue_arguments={
        "x-queue-type": "quorum", "x-delivery-limit": 1,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE.name, "x-dead-letter-routing-key": "dead-letters"})(channel)
    queue.declare()
    return queue


def letter(event_id):
    return {"event_id": event_id, "event_type": "university.added", "occurred_at": "2026-09-01T00:00:00+00:00",
            "request_id": None, "data": {}}


def test_letters_the_broker_dead_lettered_are_listed_and_replayed_with_all(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    with Connection(uri) as connection:
        channel = connection.default_channel
        DEAD_LETTER_QUEUE(channel).declare()
        queue = crash_looping_queue(channel)
        for event_id in ("e1", "e2"):
            Producer(channel).publish(letter(event_id), exchange="", routing_key=CONSUMER_QUEUE, delivery_mode=2,
                                      headers={"nameko.request_id": "r-" + event_id})

        def crash_until_dead_lettered():  # each delivery given back unanswered, as by a crashing consumer
            message = queue.get(no_ack=False)
            if message is not None:
                message.requeue()
            letters = dead_letters.listed(uri)
            return len(letters) == 2 and letters
        listed = sorted(eventually(crash_until_dead_lettered), key=lambda item: item["event_id"])

    assert [(item["event_id"], item["consumer"], item["queue"]) for item in listed] == [
        ("e1", "credits.on_university_added", CONSUMER_QUEUE), ("e2", "credits.on_university_added", CONSUMER_QUEUE)]
    assert "delivery_limit" in listed[0]["error"] and listed[0]["dead_at"]

    assert dead_letters.drain(uri, dead_letters.replayer({"e2"})) == 1  # only the one named
    assert [item["event_id"] for item in dead_letters.listed(uri)] == ["e1"]
    assert dead_letters.drain(uri, dead_letters.replayer()) == 1
    assert dead_letters.listed(uri) == []
    with Connection(uri) as connection:
        queue = Queue(CONSUMER_QUEUE)(connection.default_channel)
        back = [queue.get(no_ack=True) for _ in range(2)]
    assert sorted(message.payload["event_id"] for message in back) == ["e1", "e2"]
    assert all(not any(name.startswith("x-death") for name in message.headers) for message in back)
    assert {message.headers["nameko.request_id"] for message in back} == {"r-e1", "r-e2"}


def test_a_letter_older_than_the_retention_age_is_kept_unless_asked(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    long_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)).isoformat()
    with Connection(uri) as connection:
        channel = connection.default_channel
        DEAD_LETTER_QUEUE(channel).declare()
        Queue(CONSUMER_QUEUE, durable=True)(channel).declare()
        Producer(channel).publish(letter("old"), exchange=DEAD_LETTER_EXCHANGE, routing_key="dead-letters",
                                  delivery_mode=2, headers={"x-original-queue": CONSUMER_QUEUE,
                                                            "x-dead-at": long_ago})
    stale = []
    assert dead_letters.drain(uri, dead_letters.replayer(retention_days=30, stale=stale)) == 0
    assert [item["event_id"] for item in stale] == ["old"]
    assert dead_letters.drain(uri, dead_letters.replayer(include_stale=True)) == 1


def test_replay_asks_for_all_or_the_events():
    for argv in (["replay"], ["replay", "--all", "e1"]):
        with pytest.raises(SystemExit):
            dead_letters.main(argv)
