"""What holds placement's anatomy together: a placement's fields declared once for its answer and its
event, its states kept to their values by the database itself, and rows of a bulk request undone whole."""
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.contracts.placement import (PLACEMENT_STARTED, PLACEMENT_WITHDRAWN, PlacementFacts, PlacementOut,
                                        PlacementStarted)
from common.domain import Aggregate
from common.errors import RuleViolation
from common.unit_of_work import UnitOfWork
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


def test_a_refused_row_leaves_no_row_and_no_event_behind(service):
    """`UnitOfWork.rows`: a row that fails after it changed rows and recorded events is undone whole;
    the rows before and after it stand, and their events are published at commit."""
    _, organisation_id, _ = accredit(service)

    class Probe(Aggregate):
        pass

    def act(row):
        session.get(Organisation, organisation_id).name = row["name"]
        session.flush()
        probe.record(PLACEMENT_WITHDRAWN, {"placement_id": row["id"], "student_id": "s", "reason": row["name"]})
        if row["refuse"]:
            raise RuleViolation("refused after its changes")
        return row["name"]

    with Session(service.engine, expire_on_commit=False) as session:
        with UnitOfWork(session, OutboxEvent) as uow:
            probe = uow.track(Probe())
            results = uow.rows([{"id": "c", "name": "C", "refuse": False}, {"id": "b", "name": "B", "refuse": True},
                                {"id": "a", "name": "A", "refuse": False}], "id", "name", act)
    assert [(r["index"], r["id"], r["status"], r["name"]) for r in results] == [
        (0, "c", 200, "C"), (1, "b", 422, None), (2, "a", 200, "A")]
    with service.session("placement") as session:
        assert session.get(Organisation, organisation_id).name == "C"  # a, then b undone, then c
        reasons = [e["data"]["reason"] for e in session.scalars(select(OutboxEvent.envelope).where(
            OutboxEvent.event_type == PLACEMENT_WITHDRAWN.name).order_by(OutboxEvent.created_at))]
    assert reasons == ["A", "C"]
