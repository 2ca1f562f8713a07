"""Every refusal with its clear 4xx: the voucher rules, interviews, and who may do what."""
import datetime as dt

from sqlalchemy import update

from common.auth import ADMIN, MINISTRY, MIO_OFFICER, OPERATOR, REGISTRAR
from common.contracts.placement import APPLICATION_DECIDED, INTERVIEW_BOOKED, INTERVIEW_OFFERED
from common.contracts.registry import ORGANISATION_REJECTED, SITE_ADDED
from services.placement.models import InterviewSlot, Organisation
from tests.harness import eventually
from tests.placement.support import (accredit, apply, book, coordinator, decide, error_code, interviewed, new_id,
                                     offer_slots, outbox, project_body, publish_project, site_data, slot_times,
                                     student, wait_for_site)


def move_slot_to_the_past(platform, slot_id):
    """Time passes: the slot's start is behind us."""
    with platform.session("placement") as session, session.begin():
        session.execute(update(InterviewSlot).where(InterviewSlot.id == slot_id)
                        .values(starts_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)))


def test_the_voucher_rules_and_the_interview_rules(service):
    site_coordinator, _, _ = accredit(service)
    h20_a = publish_project(service, site_coordinator, title="Tutoring A")
    h20_b = publish_project(service, site_coordinator, title="Tutoring B")
    h50 = publish_project(service, site_coordinator, title="Tutoring long", voucher_kind="h50")
    dana_id = new_id()
    dana = student(service, name="Dana Seitkali", user_id=dana_id)
    http = service.http

    # Two applications in progress for the same kind are fine until one is accepted.
    [on_a] = interviewed(service, site_coordinator, h20_a["id"], [dana])
    on_b = apply(service, dana, h20_b["id"])
    on_h50 = apply(service, dana, h50["id"])
    assert error_code(http.post(f"/api/v1/projects/{h20_a['id']}/applications", json={}, headers=dana), 409) \
        == "conflict"
    assert decide(service, site_coordinator, on_a["id"], "accepted").status_code == 200
    superseded = http.get(f"/api/v1/applications/{on_b['id']}", headers=dana).json()
    assert superseded["status"] == "superseded"
    assert http.get(f"/api/v1/applications/{on_h50['id']}", headers=dana).json()["status"] == "applied"
    # At most one voucher of each kind: a second h20 is refused, an h50 is not.
    refused = http.post(f"/api/v1/projects/{h20_b['id']}/applications", json={}, headers=dana)
    assert error_code(refused, 422) == "rule_violation" and "voucher_kind" in refused.json()["error"]["fields"]

    # Interviews: booking a slot someone holds, booking twice, booking the past, deciding without one.
    [slot_1, slot_2, slot_3] = offer_slots(service, site_coordinator, h50["id"], 3)
    erlan = student(service, name="Erlan Bekov")
    on_h50_erlan = apply(service, erlan, h50["id"])
    assert error_code(decide(service, site_coordinator, on_h50_erlan["id"], "accepted"), 422) == "rule_violation"
    book(service, dana, on_h50["id"], slot_1)
    taken = http.post(f"/api/v1/applications/{on_h50_erlan['id']}/interview", json={"slot_id": slot_1},
                      headers=erlan)
    assert error_code(taken, 409) == "conflict"
    twice = http.post(f"/api/v1/applications/{on_h50['id']}/interview", json={"slot_id": slot_2}, headers=dana)
    assert error_code(twice, 409) == "conflict"
    move_slot_to_the_past(service, slot_3)
    past = http.post(f"/api/v1/applications/{on_h50_erlan['id']}/interview", json={"slot_id": slot_3},
                     headers=erlan)
    assert error_code(past, 422) == "rule_violation"
    past_offer = http.post(f"/api/v1/projects/{h50['id']}/slots", headers=site_coordinator,
                           json={"slots": [{"starts_at": "2020-01-01T10:00:00+05:00", "address": "Room 1"}]})
    assert error_code(past_offer, 422) == "rule_violation"
    neither = http.post(f"/api/v1/projects/{h50['id']}/slots", headers=site_coordinator,
                        json={"slots": [{"starts_at": slot_times(1)[0]}]})
    assert error_code(neither, 400) == "validation_failed"
    assert error_code(decide(service, site_coordinator, on_h50["id"], "rejected"), 400) == "validation_failed"

    # Withdrawing: before the interview yes (the slot frees for others), after it began no.
    book(service, erlan, on_h50_erlan["id"], slot_2)
    withdrawn = http.post(f"/api/v1/applications/{on_h50_erlan['id']}/withdraw", headers=erlan)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    free = http.get(f"/api/v1/projects/{h50['id']}/slots", headers=dana).json()["items"]
    assert slot_2 in [s["id"] for s in free]
    assert error_code(http.post(f"/api/v1/applications/{on_h50_erlan['id']}/withdraw", headers=erlan), 422)
    move_slot_to_the_past(service, slot_1)
    assert error_code(http.post(f"/api/v1/applications/{on_h50['id']}/withdraw", headers=dana), 422) \
        == "rule_violation"
    rejected = decide(service, site_coordinator, on_h50["id"], "rejected", reason="Not available on Mondays")
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "Not available on Mondays"
    assert error_code(decide(service, site_coordinator, on_h50["id"], "accepted"), 422) == "rule_violation"

    # Events only for what happened: refused bookings and outcomes record nothing; students waiting for
    # slots hear of them when they come (Dana's h50) or on applying (Erlan).
    assert [(d["application_id"], d["outcome"], d["reason"]) for d in outbox(service, APPLICATION_DECIDED)] == [
        (on_a["id"], "accepted", None), (on_h50["id"], "rejected", "Not available on Mondays")]
    assert [(b["application_id"], b["slot_id"]) for b in outbox(service, INTERVIEW_BOOKED)] == [
        (on_a["id"], on_a["interview"]["id"]), (on_h50["id"], slot_1), (on_h50_erlan["id"], slot_2)]
    assert [o["application_id"] for o in outbox(service, INTERVIEW_OFFERED)] == [
        on_a["id"], on_h50["id"], on_h50_erlan["id"]]

    # Closed is final; a closed project takes no applications.
    closed = http.post(f"/api/v1/projects/{h20_b['id']}/status", json={"status": "closed"}, headers=site_coordinator)
    assert closed.json()["status"] == "closed"
    assert error_code(http.post(f"/api/v1/projects/{h20_b['id']}/status", json={"status": "open"},
                                headers=site_coordinator), 422) == "rule_violation"
    assert error_code(http.post(f"/api/v1/projects/{h20_b['id']}/applications", json={},
                                headers=student(service)), 422) == "rule_violation"


def test_who_may_do_what(service):
    own, organisation_id, _ = accredit(service)
    other, _, _ = accredit(service)
    project = publish_project(service, own)
    aliya = student(service, name="Aliya")
    [application] = interviewed(service, own, project["id"], [aliya])
    http = service.http
    someone = student(service, name="Someone Else")

    # Roles outside placement are refused outright; anonymous callers must authenticate.
    for role in (ADMIN, OPERATOR, REGISTRAR, MINISTRY):
        assert error_code(http.get("/api/v1/projects", headers=service.auth(role)), 403) == "forbidden"
    assert error_code(http.get("/api/v1/projects"), 401) == "unauthenticated"
    assert error_code(http.post("/api/v1/projects", json=project_body(), headers=aliya), 403) == "forbidden"
    assert error_code(decide(service, aliya, application["id"], "accepted"), 403) == "forbidden"
    assert error_code(http.get("/api/v1/placements/counts", headers=aliya), 403) == "forbidden"
    assert error_code(http.post(f"/api/v1/projects/{project['id']}/applications", json={}, headers=own), 403)
    no_university = service.auth("student", name="No University")
    assert error_code(http.post(f"/api/v1/projects/{project['id']}/applications", json={},
                                headers=no_university), 403) == "forbidden"

    # Someone else's records answer 404, as do ids that do not exist.
    for path in (f"/api/v1/applications/{application['id']}", "/api/v1/applications/" + new_id(),
                 "/api/v1/applications/not-an-id", f"/api/v1/projects/{project['id']}/slots"):
        assert error_code(http.get(path, headers=someone), 404) == "not_found", path
    assert error_code(http.post(f"/api/v1/applications/{application['id']}/withdraw", headers=someone), 404)
    assert error_code(decide(service, other, application["id"], "accepted"), 404) == "not_found"
    assert error_code(http.post(f"/api/v1/projects/{project['id']}/status", json={"status": "paused"},
                                headers=other), 404) == "not_found"
    assert error_code(http.post(f"/api/v1/projects/{project['id']}/slots", headers=other,
                                json={"slots": [{"starts_at": slot_times(1)[0], "address": "Room 2"}]}), 404)
    assert http.get("/api/v1/applications", headers=someone).json()["total"] == 0
    assert http.get("/api/v1/applications", headers=other).json()["total"] == 0
    assert http.get("/api/v1/applications", headers=aliya).json()["total"] == 1
    assert http.get("/api/v1/applications", headers=service.auth(MIO_OFFICER, region="KZ-71")).json()["total"] == 1
    assert http.get("/api/v1/applications", headers=service.auth(MIO_OFFICER, region="KZ-75")).json()["total"] == 0

    # A placement: its student withdraws it, not anyone else; the other site's coordinator cannot cancel it.
    placement_id = decide(service, own, application["id"], "accepted").json()["placement_id"]
    leave = {"reason": "Moved to another city"}
    assert error_code(http.post(f"/api/v1/placements/{placement_id}/withdraw", json=leave, headers=someone), 404)
    assert error_code(http.post(f"/api/v1/placements/{placement_id}/cancel", json=leave, headers=other), 404)
    assert error_code(http.post(f"/api/v1/placements/{placement_id}/cancel", json=leave, headers=aliya), 403)
    assert http.post(f"/api/v1/placements/{placement_id}/withdraw", json=leave, headers=aliya).json()["status"] \
        == "withdrawn"
    assert error_code(http.post(f"/api/v1/placements/{placement_id}/withdraw", json=leave, headers=aliya), 422)

    # Sites: a site added later publishes in its own directions; a rejected organisation's cannot.
    site_id = new_id()
    service.publish(SITE_ADDED, {**site_data(site_id, directions=("deviant_behaviour",), online=False),
                                  "organisation_id": organisation_id})
    wait_for_site(service, site_id)
    added = coordinator(service, organisation_id, site_id)
    assert publish_project(service, added, direction="deviant_behaviour")["site_id"] == site_id
    offline_only = http.post("/api/v1/projects", headers=added,
                             json=project_body(direction="deviant_behaviour", online=True))
    assert error_code(offline_only, 422) == "rule_violation" and "online" in offline_only.json()["error"]["fields"]
    assert error_code(http.post("/api/v1/projects", headers=added, json=project_body()), 422) == "rule_violation"
    unknown = coordinator(service, organisation_id, new_id())
    assert error_code(http.post("/api/v1/projects", headers=unknown, json=project_body()), 403) == "forbidden"
    rejected_headers, rejected_id, _ = accredit(service)
    service.publish(ORGANISATION_REJECTED, {"organisation_id": rejected_id, "region": "KZ-71",
                                             "reason": "documents incomplete"})

    def rejected():
        with service.session("placement") as session:
            return session.get(Organisation, rejected_id).status == "rejected"

    eventually(rejected)
    assert error_code(http.post("/api/v1/projects", headers=rejected_headers, json=project_body()), 422)
