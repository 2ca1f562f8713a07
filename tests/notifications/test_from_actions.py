"""From a person's action over HTTP to the notification in the right inbox, through the real services:
placement's interview and outcome events, timesheet's hours disputed (hours logged wait for the daily
digest)."""
import datetime as dt

from services.timesheet.models import Placement as TimesheetPlacement
from tests.harness import eventually
from tests.placement import support as placement
from tests.timesheet.support import days_ago, log

NOTIFICATIONS = "/api/v1/notifications"


def kinds(platform, headers):
    """The kinds of the caller's notifications, oldest first."""
    response = platform.http.get(NOTIFICATIONS, headers=headers)
    assert response.status_code == 200, response.text
    return [n["kind"] for n in reversed(response.json()["items"])]


def told(platform, headers, *expected):
    """Waits until the caller's inbox holds exactly `expected`, oldest first."""
    return eventually(lambda: kinds(platform, headers) == list(expected))


def test_actions_reach_the_student_and_the_site(platform):
    site, _, site_id = placement.accredit(platform)
    project = placement.publish_project(platform, site, starts_on=(placement.TODAY - dt.timedelta(days=5)).isoformat())
    [slot_id] = placement.offer_slots(platform, site, project["id"])
    aigerim = placement.student(platform, name="Aigerim Nurlanova")
    bystander = placement.student(platform, name="Bota Sadykova")
    other_site, _, _ = placement.accredit(platform)

    application = placement.apply(platform, aigerim, project["id"])
    told(platform, aigerim, "interview.offered")
    placement.book(platform, aigerim, application["id"], slot_id)
    told(platform, site, "interview.booked")
    accepted = placement.decide(platform, site, application["id"], "accepted")
    assert accepted.status_code == 200, accepted.text
    told(platform, aigerim, "interview.offered", "interview.booked", "application.decided")
    decided = platform.http.get(NOTIFICATIONS, headers=aigerim, params={"kind": "application.decided"}).json()
    assert decided["items"][0]["data"]["project_title"] == project["title"]

    # Timesheet learns the placement from placement's event; the hours the site logs go to the student
    # to confirm, and the student's dispute goes back to the site.
    placement_id = accepted.json()["placement_id"]

    def known_to_timesheet():
        with platform.session("timesheet") as session:
            return session.get(TimesheetPlacement, placement_id)

    eventually(known_to_timesheet)
    logged = log(platform, site, {"placement_id": placement_id}, "3", days_ago(1))
    assert logged.status_code == 201, logged.text
    # The entry waits for the student's daily digest (tests/notifications/test_digest.py): no notification each.
    disputed = platform.http.post(f"/api/v1/hours/{logged.json()['id']}/dispute", headers=aigerim,
                                  json={"comment": "I left at noon"})
    assert disputed.status_code == 200, disputed.text
    told(platform, site, "interview.booked", "hours.disputed")
    dispute = platform.http.get(NOTIFICATIONS, headers=site, params={"kind": "hours.disputed"}).json()["items"][0]
    assert "I left at noon" in dispute["body"]

    # Nobody else heard of any of it, and the student was told of nothing since the acceptance.
    assert kinds(platform, aigerim) == ["interview.offered", "interview.booked", "application.decided"]
    assert kinds(platform, bystander) == kinds(platform, other_site) == []
