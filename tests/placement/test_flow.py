"""The student's way to a placement over HTTP through the gateway, the events each step records for the
student and the site, and `placement.started` received downstream on the real broker."""
import datetime as dt

from nameko.events import event_handler

from common import programme
from common.auth import MINISTRY, MIO_OFFICER, NVS_OFFICER
from common.contracts.placement import APPLICATION_DECIDED, INTERVIEW_BOOKED, INTERVIEW_OFFERED, PLACEMENT_STARTED
from tests.harness import eventually
from tests.placement.support import (REGION, accredit, application_data, apply, book, decide, offer_slots, outbox,
                                     publish_project, student)

RECEIVED = []


class DownstreamListener:
    """Stands for any consumer of placement's events (timesheet, payments)."""
    name = "placement_started_listener"

    @event_handler(PLACEMENT_STARTED.source, PLACEMENT_STARTED.name)
    def on_placement_started(self, envelope):
        RECEIVED.append(envelope)


def test_publish_search_apply_interview_accept_and_the_event_downstream(platform, container_factory):
    RECEIVED.clear()
    container_factory(DownstreamListener, {"AMQP_URI": platform.amqp_uri}).start()
    site_coordinator, organisation_id, site_id = accredit(platform)

    project = publish_project(platform, site_coordinator, title="Домашние задания: помощь",
                              description="Help with homework in Russian and Kazakh.", places=2)
    assert (project["region"], project["city"], project["free_places"], project["status"]) == (REGION, "Astana", 2, "open")
    assert project["organisation_id"] == organisation_id and project["site_id"] == site_id

    aigerim = student(platform, name="Aigerim Nurlanova", university_id="ENU")
    found = platform.http.get("/api/v1/projects", headers=aigerim,
                              params={"q": "ДОМАШНИЕ", "region": REGION, "direction": "tutoring",
                                      "voucher_kind": "h20", "language": "kk", "has_free_places": "true"}).json()
    assert found["total"] == 1 and found["items"][0]["id"] == project["id"]

    application = apply(platform, aigerim, project["id"], motivation="I tutor my brother every day.")
    assert application["status"] == "applied" and application["waitlist_position"] is None
    assert outbox(platform, INTERVIEW_OFFERED) == []  # no slot to book yet

    # Slots added: the applicant waiting for them is told, with the earliest.
    [slot_id, _] = offer_slots(platform, site_coordinator, project["id"], 2)
    slots = platform.http.get(f"/api/v1/projects/{project['id']}/slots", headers=aigerim).json()["items"]
    assert [s["booked"] for s in slots] == [False, False] and slots[0]["online_link"]
    about_application = application_data(application, project, site_id)
    first_slot_at = dt.datetime.fromisoformat(slots[0]["starts_at"])
    assert outbox(platform, INTERVIEW_OFFERED) == [{**about_application, "first_slot_at": first_slot_at}]
    booked = book(platform, aigerim, application["id"], slot_id)
    assert booked["interview"]["id"] == slot_id
    assert outbox(platform, INTERVIEW_BOOKED) == [{
        **about_application, "slot_id": slot_id, "starts_at": first_slot_at, "online_link": slots[0]["online_link"],
        "address": None}]

    seen_by_coordinator = platform.http.get("/api/v1/applications", headers=site_coordinator,
                                            params={"project_id": project["id"]}).json()
    assert seen_by_coordinator["total"] == 1
    assert seen_by_coordinator["items"][0]["interview"]["application_id"] == application["id"]

    response = decide(platform, site_coordinator, application["id"], "accepted")
    assert response.status_code == 200, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted" and accepted["placement_id"]
    assert outbox(platform, APPLICATION_DECIDED) == [{**about_application, "outcome": "accepted", "reason": None,
                                                      "placement_id": accepted["placement_id"]}]

    envelope = eventually(lambda: RECEIVED and RECEIVED[0])
    data = PLACEMENT_STARTED.load(envelope)
    assert data["placement_id"] == accepted["placement_id"]
    assert (data["student_name"], data["university_id"], data["organisation_id"], data["site_id"]) == \
        ("Aigerim Nurlanova", "ENU", organisation_id, site_id)
    assert (data["region"], data["direction"], data["voucher_kind"]) == (REGION, "tutoring", "h20")
    assert data["hours_required"] == programme.voucher("h20").hours
    assert data["starts_on"].isoformat() == project["starts_on"]
    assert data["organisation_name"].startswith("Org ") and data["site_name"].startswith("School ")

    placement = platform.http.get(f"/api/v1/placements/{accepted['placement_id']}", headers=aigerim).json()
    assert (placement["status"], placement["project_title"]) == ("active", project["title"])
    assert platform.http.get(f"/api/v1/projects/{project['id']}", headers=aigerim).json()["free_places"] == 1

    officer = platform.auth(MIO_OFFICER, region=REGION)
    assert platform.http.get("/api/v1/placements", headers=officer).json()["total"] == 1
    elsewhere = platform.auth(NVS_OFFICER, region="KZ-75")
    assert platform.http.get("/api/v1/placements", headers=elsewhere).json()["total"] == 0
    assert platform.http.get(f"/api/v1/placements/{placement['id']}", headers=elsewhere).status_code == 404

    counts = platform.http.get("/api/v1/placements/counts", headers=platform.auth(MINISTRY)).json()
    assert counts == {"items": [{"region": REGION, "direction": "tutoring", "voucher_kind": "h20",
                                 "placements": 1}], "total": 1}
    assert len(RECEIVED) == 1
