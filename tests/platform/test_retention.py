"""Retention: sent outbox rows and processed event ids older than EVENT_RETENTION_DAYS are deleted,
and a duplicate inside the window is still refused."""
import datetime as dt
import uuid

from sqlalchemy import func, select, update

from common.clock import utcnow
from common.contracts.registry import UNIVERSITY_ADDED
from common.outbox import PROCESSED_EVENTS, prune
from services.credits.models import OutboxEvent, ProcessedEvent, University
from services.credits.service import CreditsService
from tests.consumers import at, envelope
from tests.harness import eventually

WINDOW = dt.timedelta(days=30)


def university(code, name):
    return {"university_id": code.lower(), "code": code, "name": name, "region": "KZ-71"}


def test_a_pruned_table_still_refuses_a_duplicate_inside_the_window(consumers):
    credits = consumers(CreditsService)
    old = envelope(UNIVERSITY_ADDED, university("OLD", "Old University"), at(0))
    recent = envelope(UNIVERSITY_ADDED, university("NEW", "New University"), at(1))
    credits.deliver(old, recent)
    with credits.read() as session, session.begin():  # the old one was applied 31 days ago
        session.execute(update(ProcessedEvent).where(ProcessedEvent.event_id == old["event_id"])
                        .values(processed_at=utcnow() - WINDOW - dt.timedelta(days=1)))
    with credits.read() as session, session.begin():
        assert prune(session, PROCESSED_EVENTS.c.processed_at, utcnow() - WINDOW) == 1
    with credits.read() as session:
        assert set(session.scalars(select(ProcessedEvent.event_id))) == {recent["event_id"]}

    # The same event again, inside the window, with other data: refused, nothing changes.
    again = {**recent, "data": {**recent["data"], "name": "Changed"}}
    credits.deliver(again)
    with credits.read() as session:
        assert session.get(University, "new").name == "New University"
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 1


def test_each_service_prunes_what_is_past_the_window_when_it_starts(platform):
    long_ago, now = utcnow() - WINDOW - dt.timedelta(days=1), utcnow()
    rows = {name: uuid.uuid4().hex for name in ("old_sent", "recent_sent", "old_unsent")}
    with platform.session("credits") as session, session.begin():
        for name, sent_at in (("old_sent", long_ago), ("recent_sent", now), ("old_unsent", None)):
            session.add(OutboxEvent(id=rows[name], event_type="credits.recounted", envelope={},
                                    created_at=long_ago, sent_at=sent_at))
        session.add(ProcessedEvent(event_id="old-event", consumer="credits.on_university_added",
                                   processed_at=long_ago))
    copy = platform.container_factory(CreditsService, platform.config("credits"))
    copy.start()  # a copy of credits starting (as after a deploy) prunes at once, then hourly

    def pruned():
        with platform.session("credits") as session:
            return (set(session.scalars(select(OutboxEvent.id).where(OutboxEvent.id.in_(rows.values()))))
                    == {rows["recent_sent"], rows["old_unsent"]}
                    and session.get(ProcessedEvent, ("old-event", "credits.on_university_added")) is None)

    eventually(pruned)
