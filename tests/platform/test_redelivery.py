"""A redelivered event changes nothing: the consumer records each event id with its effect."""
import pytest
from sqlalchemy import select

from common.contracts.registry import UNIVERSITY_ADDED
from services.credits.models import ProcessedEvent, University
from tests.harness import eventually


@pytest.fixture
def service_overrides():
    """One worker: credits applies events in the order they arrive, so the last one is a barrier."""
    return {"credits": {"max_workers": 1}}


def test_a_redelivered_event_changes_nothing(platform):
    data = {"university_id": "u1", "code": "AITU", "name": "Astana IT University", "region": "KZ-71"}
    first = platform.publish(UNIVERSITY_ADDED, data)
    again = platform.publish(UNIVERSITY_ADDED, {**data, "name": "changed"}, event_id=first["event_id"])
    barrier = platform.publish(UNIVERSITY_ADDED, {**data, "university_id": "u2", "code": "X2"})

    def barrier_applied():
        with platform.session("credits") as session:
            return session.get(University, "u2")

    eventually(barrier_applied)
    with platform.session("credits") as session:
        assert session.get(University, "u1").name == "Astana IT University"
        processed = set(session.scalars(select(ProcessedEvent.event_id).where(
            ProcessedEvent.event_id.in_([first["event_id"], again["event_id"], barrier["event_id"]]))))
    assert processed == {first["event_id"], barrier["event_id"]}
