"""What holds placement's anatomy together: a placement's fields declared once for its answer and its
event, and its states kept to their values by the database itself."""
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from common.contracts.placement import PLACEMENT_STARTED, PlacementFacts, PlacementOut, PlacementStarted
from services.placement.models import Application, Organisation, OutboxEvent, Placement, Project
from tests.placement.support import accredit, decide, interviewed, publish_project, student


def test_a_placement_answers_with_the_facts_its_event_carries(service):
    coordinator, _, _ = accredit(service)
    project = publish_project(service, coordinator)
    aliya = student(service, name="Aliya")
    [application] = interviewed(service, coordinator, project["id"], [aliya])
    placement_id = decide(service, coordinator, application["id"], "accepted").json()["placement_id"]

    answer = service.http.get(f"/api/v1/placements/{placement_id}", headers=aliya).json()
    with service.session("placement") as session:  # the event as it goes on the wire
        [started] = session.scalars(select(OutboxEvent.envelope).where(
            OutboxEvent.event_type == PLACEMENT_STARTED.name)).all()
    started = started["data"]
    facts = set(PlacementFacts._declared_fields)
    assert facts <= set(PlacementOut._declared_fields) & set(PlacementStarted._declared_fields)
    assert {name: answer[name] for name in facts} == {name: started[name] for name in facts}
    assert started["placement_id"] == answer["id"] == placement_id
    assert (answer["student_name"], answer["project_title"], answer["hours_required"]) == (
        "Aliya", project["title"], 20)


def test_a_state_outside_its_enum_is_refused_by_the_database(service):
    coordinator, _, _ = accredit(service)
    project = publish_project(service, coordinator)
    [application] = interviewed(service, coordinator, project["id"], [student(service)])
    decide(service, coordinator, application["id"], "accepted")
    with service.session("placement") as session:
        for model in (Organisation, Project, Application, Placement):
            with pytest.raises(IntegrityError):
                session.execute(update(model).values(status="someday"))
            session.rollback()
            assert session.execute(update(model).values(status=model.status)).rowcount >= 1, model
