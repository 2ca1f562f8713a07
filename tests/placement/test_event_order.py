"""Placement's copy of each organisation, and of each student's enrolment, converges whatever order
registry's events arrive in."""
import uuid

from common.contracts.registry import (ORGANISATION_ACCREDITED, ORGANISATION_SUSPENDED, SITE_ADDED,
                                       STUDENT_ENROLMENT_CHANGED)
from services.placement.models import Enrolment, Organisation, Site
from services.placement.service import PlacementService
from tests.consumers import at, envelope, orders_with_a_duplicate
from tests.placement.support import site_data


def accredited(organisation_id, site_id, minutes):
    return envelope(ORGANISATION_ACCREDITED, {"organisation_id": organisation_id, "name": "Care home No. 3",
                                              "region": "KZ-71", "sites": [site_data(site_id)]}, at(minutes))


def suspended(organisation_id, minutes):
    return envelope(ORGANISATION_SUSPENDED, {"organisation_id": organisation_id, "region": "KZ-71",
                                             "reason": "licence expired"}, at(minutes))


def site_added(organisation_id, site_id, minutes):
    return envelope(SITE_ADDED, {"organisation_id": organisation_id, **site_data(site_id)}, at(minutes))


def converge(placement, scenario, expected_status):
    """Delivers `scenario(organisation_id)` (named envelopes) in every order with a duplicate; each ends
    with the organisation `expected_status` and every site known."""
    for order in orders_with_a_duplicate(tuple(scenario("probe"))):
        organisation_id = uuid.uuid4().hex
        events = scenario(organisation_id)
        placement.deliver(*(events[name] for name in order))
        with placement.read() as session:
            organisation = session.get(Organisation, organisation_id)
            assert (organisation.status, organisation.name) == (expected_status, "Care home No. 3"), order
            sites = {site.id for site in session.query(Site).filter(Site.organisation_id == organisation_id)}
            assert len(sites) == len([name for name in events if name != "suspended"]), order


def test_defect1_a_late_accreditation_never_overwrites_a_suspension(consumers):
    """Before the fix, `organisation.accredited` arriving after `organisation.suspended` left the
    organisation accredited, its sites free to publish projects."""
    placement = consumers(PlacementService)
    converge(placement, lambda org: {"accredited": accredited(org, "a" + org[:31], 0),
                                     "site_added": site_added(org, "b" + org[:31], 2),
                                     "suspended": suspended(org, 5)}, "suspended")


def test_a_reaccreditation_after_a_suspension_wins_in_every_order(consumers):
    placement = consumers(PlacementService)
    converge(placement, lambda org: {"accredited": accredited(org, "a" + org[:31], 0),
                                     "suspended": suspended(org, 5),
                                     "accredited_again": accredited(org, "b" + org[:31], 9)}, "accredited")


def test_a_students_latest_enrolment_wins_in_every_order(consumers):
    """Confirmed at ENU, transferred (pending at KazNU), confirmed there: whatever the order."""
    placement = consumers(PlacementService)
    steps = (("ENU", "confirmed"), ("KAZNU", "pending"), ("KAZNU", "confirmed"))
    for order in orders_with_a_duplicate(tuple(range(len(steps)))):
        student_id = uuid.uuid4().hex
        events = [envelope(STUDENT_ENROLMENT_CHANGED, {"student_id": student_id, "university_id": university,
                                                       "status": status, "reason": None, "version": version + 1},
                           at(version)) for version, (university, status) in enumerate(steps)]
        placement.deliver(*(events[index] for index in order))
        with placement.read() as session:
            enrolment = session.get(Enrolment, student_id)
            assert (enrolment.university_id, enrolment.status, enrolment.version) == ("KAZNU", "confirmed", 3), order
