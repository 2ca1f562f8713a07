"""A failing event is retried, then dead-lettered with its error, and can be replayed once fixed."""
from sqlalchemy import text

from common.contracts.registry import UNIVERSITY_ADDED
from ops import dead_letters
from services.credits.models import University
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
    assert letter["attempts"] == 5
    assert "universities" in letter["error"]

    with platform.session("credits") as session, session.begin():
        session.execute(text("ALTER TABLE universities_away RENAME TO universities"))
    assert dead_letters.drain(platform.amqp_uri, dead_letters.replay) == 1

    def applied():
        with platform.session("credits") as session:
            return session.get(University, "u9")

    assert eventually(applied).name == "KBTU"
    assert dead_letters.listed(platform.amqp_uri) == []
