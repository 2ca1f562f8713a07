"""What holds timesheet's anatomy together: its read model of a placement keeps exactly the facts
placement's `placement.started` declares, and its states are kept to their values by the database."""
import datetime as dt

import pytest
from sqlalchemy import inspect, update
from sqlalchemy.exc import IntegrityError

from common.contracts.placement import PlacementFacts, PlacementStarted
from services.timesheet.models import Attendance, HourEntry, Placement, Report
from tests.timesheet.support import coordinator, days_ago, place, student


def test_the_read_model_keeps_the_facts_placement_started_declares():
    own = {"id", "status", "completed_at"}  # `placement_id` is its id; the rest is timesheet's own
    columns = {column.key for column in inspect(Placement).columns}
    assert columns - own == set(PlacementStarted._declared_fields) - {"placement_id"}
    assert set(PlacementFacts._declared_fields) <= columns


def test_a_placement_heard_of_reads_back_as_its_event_told(service):
    told = place(service, "site-1")
    with service.session("timesheet") as session:
        placement = session.get(Placement, told["placement_id"])
        assert {name: getattr(placement, name) for name in PlacementStarted._declared_fields
                if name != "placement_id"} == {name: told[name] for name in told if name != "placement_id"}
        assert placement.status == "active"


def test_a_state_outside_its_enum_is_refused_by_the_database(service):
    placement = place(service, "site-1")
    me = student(service, placement)
    entry = service.call(coordinator(service, "site-1"), "log_hours", {
        "placement_id": placement["placement_id"], "work_date": days_ago(1), "hours": "2", "note": "Reading"})
    assert service.call(me, "confirm_entry", entry["id"], {})["status"] == "confirmed"
    assert service.call(me, "check_in", {"placement_id": placement["placement_id"]})["status"] == "open"
    with service.session("timesheet") as session:
        for model in (Placement, HourEntry, Attendance):
            with pytest.raises(IntegrityError):
                session.execute(update(model).values(status="someday"))
            session.rollback()
            assert session.execute(update(model).values(status=model.status)).rowcount >= 1, model
        with pytest.raises(IntegrityError):  # no report yet: a row of its own
            session.execute(Report.__table__.insert().values(
                id="r1", placement_id=placement["placement_id"], status="someday", hours=0, submissions=1,
                submitted_at=dt.datetime.now(dt.timezone.utc), submitted_by="x"))
