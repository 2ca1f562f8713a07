"""Timesheet's copy of each placement converges whatever order placement's events arrive in."""
import datetime as dt
import uuid

import eventlet
from eventlet.patcher import original
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from common.contracts.placement import PLACEMENT_STARTED, PLACEMENT_WITHDRAWN
from common.db import make_engine
from services.timesheet import domain, repository, rules
from services.timesheet.models import Placement
from services.timesheet.service import TimesheetService
from tests.consumers import at, envelope, orders_with_a_duplicate

real_threading = original("threading")


def started(placement_id, minutes):
    return envelope(PLACEMENT_STARTED, {
        "placement_id": placement_id, "student_id": "s1", "student_name": "Aigerim", "university_id": "kaznu",
        "project_id": "p1", "project_title": "Homework club", "direction": "tutoring", "site_id": "site1",
        "site_name": "Site 1", "organisation_id": "org1", "organisation_name": "Org 1", "region": "KZ-75",
        "voucher_kind": "h20", "hours_required": 20, "starts_on": dt.date(2026, 9, 1),
        "ends_on": dt.date(2026, 10, 1)}, at(minutes))


def withdrawn(placement_id, minutes):
    return envelope(PLACEMENT_WITHDRAWN, {"placement_id": placement_id, "student_id": "s1",
                                          "reason": "moved away"}, at(minutes))


def test_defect1_withdrawn_heard_before_started_stays_withdrawn_in_every_order(consumers):
    """Before the fix, `placement.withdrawn` handled first changed nothing and `placement.started`
    then made the placement active: hours, a report and a payout stayed possible."""
    timesheet = consumers(TimesheetService)
    for order in orders_with_a_duplicate(("started", "withdrawn")):
        placement_id = uuid.uuid4().hex
        events = {"started": started(placement_id, 0), "withdrawn": withdrawn(placement_id, 5)}
        timesheet.deliver(*(events[name] for name in order))
        with timesheet.read() as session:
            assert session.get(Placement, placement_id).status == rules.WITHDRAWN, order


def test_a_placement_heard_twice_stays_as_it_was(consumers):
    timesheet = consumers(TimesheetService)
    placement_id = uuid.uuid4().hex
    first = started(placement_id, 0)
    timesheet.deliver(first, started(placement_id, 0))
    with timesheet.read() as session:
        assert session.get(Placement, placement_id).status == rules.ACTIVE
    timesheet.deliver(withdrawn(placement_id, 5), started(placement_id, 0))
    with timesheet.read() as session:
        assert session.get(Placement, placement_id).status == rules.WITHDRAWN


def test_a_start_and_an_ending_handled_at_once_end_withdrawn(database_factory):
    """Two workers, one per event: the start's transaction is still open when the ending is handled.
    Neither sees the other's uncommitted row, so without taking turns the start committed last
    and left the placement active."""
    url = database_factory.create(TimesheetService.name)
    engine = make_engine(url)
    placement_id = uuid.uuid4().hex
    data = PLACEMENT_STARTED.load(started(placement_id, 0))
    ended = []
    try:
        with Session(engine) as starting:
            starting.add(domain.learn_started(*repository.placement_and_ending(starting, placement_id), data))
            starting.flush()
            # An OS thread: SQLite's wait for the writer's lock would block every green thread.
            ending = real_threading.Thread(target=end_as_a_redelivering_consumer, args=(engine, placement_id, ended))
            ending.start()
            eventlet.sleep(0.3)  # the ending's worker runs while the start is uncommitted
            starting.commit()
        ending.join()
        assert ended, "the ending was never handled"
        with Session(engine) as session:
            assert session.get(Placement, placement_id).status == rules.WITHDRAWN
    finally:
        engine.dispose()
        database_factory.drop(url)


def end_as_a_redelivering_consumer(engine, placement_id, ended):
    """Handles `placement.withdrawn`; a failed attempt is rolled back and handled again, as a
    redelivery would."""
    for attempt in range(3):
        with Session(engine) as session:
            try:
                if repository.placement_ending(session, placement_id) is None:
                    repository.add(session, domain.ending(placement_id, at(5)))
                domain.withdraw(repository.find_placement(session, placement_id, lock=True))
                session.commit()
                ended.append(attempt)
                return
            except OperationalError:
                session.rollback()
