"""A failing event is retried, then dead-lettered with its error, and can be replayed once fixed."""
from sqlalchemy import text

from common import metrics
from common.contracts.registry import UNIVERSITY_ADDED
from common.delivery import MAX_ATTEMPTS
from ops import dead_letters
from services.credits.models import University
from services.credits.service import CreditsService
from tests.harness import eventually


def test_failing_event_is_dead_lettered_then_replayed(platform):
    with platform.session("credits") as session, session.begin():
        session.execute(text("ALTER TABLE universities RENAME TO universities_away"))
    envelope = platform.publish(UNIVERSITY_ADDED, {"university_id": "u9", "code": "KBTU",
                                                   "name": "KBTU", "region": "KZ-75"})

    listed = eventually(lambda: dead_letters.listed(platform.amqp_uri), timeout=20)
    assert len(listed) == 1
    letter = listed[0]
    assert letter["event_id"] == envelope["event_id"]
    assert letter["consumer"] == "credits.on_university_added"
    assert letter["attempts"] == MAX_ATTEMPTS
    assert "universities" in letter["error"]

    with platform.session("credits") as session, session.begin():
        session.execute(text("ALTER TABLE universities_away RENAME TO universities"))
    assert dead_letters.drain(platform.amqp_uri, dead_letters.replay) == 1

    def applied():
        with platform.session("credits") as session:
            return session.get(University, "u9")

    assert eventually(applied).name == "KBTU"
    assert dead_letters.listed(platform.amqp_uri) == []


def failures_of(event_name):
    return metrics.EVENTS_CONSUMED.labels("credits", event_name, "error")._value.get()


def test_retries_are_counted_in_the_message_across_copies_of_a_service(platform):
    """Two copies of credits compete for the failing event: together they try it MAX_ATTEMPTS times,
    not MAX_ATTEMPTS each (the count travels in the message's `x-retries` header)."""
    second = platform.container_factory(CreditsService, platform.config("credits"))
    second.start()
    with platform.session("credits") as session, session.begin():
        session.execute(text("ALTER TABLE universities RENAME TO universities_away"))
    before = failures_of(UNIVERSITY_ADDED.name)
    envelope = platform.publish(UNIVERSITY_ADDED, {"university_id": "u8", "code": "SDU", "name": "SDU",
                                                   "region": "KZ-75"})
    [letter] = eventually(lambda: dead_letters.listed(platform.amqp_uri), timeout=20)
    assert (letter["event_id"], letter["attempts"]) == (envelope["event_id"], MAX_ATTEMPTS)
    assert failures_of(UNIVERSITY_ADDED.name) - before == MAX_ATTEMPTS
