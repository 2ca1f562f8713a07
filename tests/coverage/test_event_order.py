"""Coverage's figures come out the same whatever order a placement's events arrive in."""
import uuid

from common.contracts.placement import PLACEMENT_STARTED
from common.contracts.timesheet import HOURS_COMPLETED, REPORT_ACCEPTED, REPORT_SUBMITTED
from services.coverage import views
from services.coverage.models import Fact
from services.coverage.service import CoverageService
from tests.consumers import at, envelope, orders_with_a_duplicate


def scenario(student_id, placement_id):
    common = {"placement_id": placement_id, "student_id": student_id, "voucher_kind": "h20"}
    where = {"region": "KZ-71", "organisation_id": "o1", "site_id": "s1"}
    return {
        "started": envelope(PLACEMENT_STARTED, {
            **common, **where, "student_name": "Dana", "university_id": "u1", "project_id": "p1",
            "project_title": "Club", "direction": "tutoring", "site_name": "Site", "organisation_name": "Org",
            "hours_required": 20, "starts_on": at(0).date(), "ends_on": at(0).date()}, at(0)),
        "hours_completed": envelope(HOURS_COMPLETED, {**common, "hours": "20"}, at(60 * 24 * 7)),
        "report_submitted": envelope(REPORT_SUBMITTED, {**common, **where, "report_id": "r1", "hours": "21.5"},
                                     at(60 * 24 * 8)),
        "report_accepted": envelope(REPORT_ACCEPTED, {
            **common, **where, "report_id": "r1", "student_name": "Dana", "university_id": "u1",
            "organisation_name": "Org", "site_name": "Site", "direction": "tutoring", "hours": "21.5",
            "accepted_at": at(60 * 24 * 15), "accepted_by": "op"}, at(60 * 24 * 15)),
    }


def test_a_placements_figures_are_the_same_in_every_order(consumers):
    """Each order from empty tables; every order's figures equal the first's."""
    coverage = consumers(CoverageService)
    figures = []
    for order in orders_with_a_duplicate(tuple(scenario("s", "p"))):
        events = scenario(uuid.uuid4().hex, uuid.uuid4().hex)
        coverage.deliver(*(events[name] for name in order))
        with coverage.read() as session:
            figures.append((views.coverage_counts(session, 2026, None, None),
                            views.weekly_counts(session, 2026, None, None)))
        with coverage.read() as session, session.begin():  # the next order starts from nothing
            for table in ("facts", "placements", "students"):
                session.execute(Fact.__table__.metadata.tables[table].delete())
    first = figures[0]
    assert first[0]["placed_total"] == 1 and first[0]["facts"]
    assert all(each == first for each in figures)
