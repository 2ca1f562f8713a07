"""What holds credits' anatomy together: a re-count's facts declared once for its answer and its event,
and a request's state kept to its values, and flagged exactly when refused, by the database itself."""
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from common.contracts.credits import CREDITS_RECOUNTED, CreditsRecounted, RecountFacts, RecountRequestOut
from services.credits.models import OutboxEvent, RecountRequest
from tests.credits.test_credits import accept_report, confirm, new_id, wait_for_queue


def test_a_confirmed_request_answers_with_the_facts_its_event_carries(service):
    university, student_id = new_id(), new_id()
    accept_report(service, student_id, university, "h50")
    [request] = wait_for_queue(service, university, 1)["items"]
    answer = confirm(service, university, request["id"]).json()
    with service.session("credits") as session:  # the event as it goes on the wire
        [recounted] = session.scalars(select(OutboxEvent.envelope).where(
            OutboxEvent.event_type == CREDITS_RECOUNTED.name)).all()
    recounted = recounted["data"]
    facts = set(RecountFacts._declared_fields)
    assert facts <= set(RecountRequestOut._declared_fields) & set(CreditsRecounted._declared_fields)
    assert {name: answer[name] for name in facts} == {name: recounted[name] for name in facts}
    assert recounted["request_id"] == answer["id"] == request["id"]
    assert (answer["student_id"], answer["credits"], recounted["total_credits"]) == (student_id, 5, 5)


def test_a_state_outside_its_enum_or_a_flag_without_a_refusal_is_refused_by_the_database(service):
    university = new_id()
    accept_report(service, new_id(), university, "h20")
    wait_for_queue(service, university, 1)
    with service.session("credits") as session:
        for change in ({"status": "someday"}, {"flagged": True}, {"status": "refused"}):
            with pytest.raises(IntegrityError):
                session.execute(update(RecountRequest).values(**change))
            session.rollback()
        assert session.execute(update(RecountRequest).values(status="refused", flagged=True)).rowcount == 1
