"""Places: the waitlist takes a freed place (and the student is told); concurrent acceptances never exceed
the places."""
import datetime as dt
import os

import eventlet
import pytest
from sqlalchemy import func, select

from common.contracts.placement import APPLICATION_DECIDED, INTERVIEW_OFFERED, PLACEMENT_STARTED, PLACEMENT_WITHDRAWN
from services.placement.models import OutboxEvent, Placement, Project
from tests.placement.support import (accredit, apply, book, decide, interviewed, offer_slots, outbox, publish_project,
                                     student)


def offers_to(platform, application):
    """When the earliest free slot was, each time `application`'s student was told to book an interview."""
    offers = outbox(platform, INTERVIEW_OFFERED, application_id=application["id"])
    return [offer["first_slot_at"] for offer in offers]


def status_of(platform, headers, application_id):
    return platform.http.get(f"/api/v1/applications/{application_id}", headers=headers).json()


def slot_time(platform, headers, project_id, slot_id):
    slots = platform.http.get(f"/api/v1/projects/{project_id}/slots", headers=headers).json()["items"]
    return next(dt.datetime.fromisoformat(slot["starts_at"]) for slot in slots if slot["id"] == slot_id)


def free_places(platform, headers, project_id):
    return platform.http.get(f"/api/v1/projects/{project_id}", headers=headers).json()["free_places"]


def test_a_freed_place_is_offered_to_the_first_on_the_waitlist(service):
    site_coordinator, _, _ = accredit(service)
    project = publish_project(service, site_coordinator, places=1)
    anar, bota, chingiz, dias = (student(service, name=n) for n in ("Anar", "Bota", "Chingiz", "Dias"))
    [on_anar] = interviewed(service, site_coordinator, project["id"], [anar])
    placement_id = decide(service, site_coordinator, on_anar["id"], "accepted").json()["placement_id"]

    # The project is full: the next applicants wait in line.
    on_bota, on_chingiz = apply(service, bota, project["id"]), apply(service, chingiz, project["id"])
    assert (on_bota["status"], on_bota["waitlist_position"]) == ("waitlisted", 1)
    assert (on_chingiz["status"], on_chingiz["waitlist_position"]) == ("waitlisted", 2)
    [slot_id] = offer_slots(service, site_coordinator, project["id"])
    waiting = service.http.post(f"/api/v1/applications/{on_bota['id']}/interview", json={"slot_id": slot_id},
                                 headers=bota)
    assert waiting.status_code == 422
    assert offers_to(service, on_bota) == offers_to(service, on_chingiz) == []  # waiting students cannot book

    # Anar leaves: the place is offered to Bota and reserved for her; Chingiz moves up.
    left = service.http.post(f"/api/v1/placements/{placement_id}/withdraw", json={"reason": "Exams"}, headers=anar)
    assert left.status_code == 200, left.text
    assert status_of(service, bota, on_bota["id"])["status"] == "offered"
    assert status_of(service, chingiz, on_chingiz["id"])["waitlist_position"] == 1
    assert free_places(service, site_coordinator, project["id"]) == 0
    assert apply(service, dias, project["id"])["status"] == "waitlisted"
    assert offers_to(service, on_bota) == [slot_time(service, site_coordinator, project["id"], slot_id)]

    # Bota does not come to her interview: the place goes to Chingiz.
    book(service, bota, on_bota["id"], slot_id)
    assert decide(service, site_coordinator, on_bota["id"], "no_show").json()["status"] == "no_show"
    assert status_of(service, chingiz, on_chingiz["id"])["status"] == "offered"
    [no_show] = outbox(service, APPLICATION_DECIDED, application_id=on_bota["id"])
    assert (no_show["outcome"], no_show["reason"], no_show["placement_id"]) == ("no_show", None, None)
    assert offers_to(service, on_chingiz) == [None]  # the place is his; no slot is free yet

    # Chingiz withdraws before any interview: the place goes to Dias, who is accepted on it.
    assert service.http.post(f"/api/v1/applications/{on_chingiz['id']}/withdraw", headers=chingiz).status_code == 200
    on_dias = service.http.get("/api/v1/applications", headers=dias).json()["items"][0]
    assert on_dias["status"] == "offered"
    [slot_id] = offer_slots(service, site_coordinator, project["id"])
    assert offers_to(service, on_dias) == [None, slot_time(service, site_coordinator, project["id"], slot_id)]
    book(service, dias, on_dias["id"], slot_id)
    dias_placement = decide(service, site_coordinator, on_dias["id"], "accepted").json()["placement_id"]
    assert free_places(service, site_coordinator, project["id"]) == 0

    # The coordinator cancels Dias's placement (she never came to work): with nobody waiting, the place is free.
    cancelled = service.http.post(f"/api/v1/placements/{dias_placement}/cancel", headers=site_coordinator,
                                   json={"reason": "Did not come in the first two weeks"})
    assert cancelled.json()["status"] == "cancelled"
    assert free_places(service, site_coordinator, project["id"]) == 1
    with service.session("placement") as session:
        events = session.scalars(select(OutboxEvent.envelope).where(
            OutboxEvent.event_type == PLACEMENT_WITHDRAWN.name).order_by(OutboxEvent.created_at)).all()
    assert [(e["data"]["placement_id"], e["data"]["reason"]) for e in events] == \
        [(placement_id, "Exams"), (dias_placement, "Did not come in the first two weeks")]


@pytest.mark.skipif(not os.environ.get("TEST_POSTGRES_URL"),
                    reason="row locks under real concurrency need PostgreSQL: set TEST_POSTGRES_URL")
def test_fifty_concurrent_acceptances_for_ten_places(platform):
    site_coordinator, _, _ = accredit(platform)
    project = publish_project(platform, site_coordinator, places=10)
    applications = interviewed(platform, site_coordinator, project["id"],
                               [student(platform, name=f"Student {i}") for i in range(50)])

    pool = eventlet.GreenPool(50)
    answers = list(pool.imap(lambda a: decide(platform, site_coordinator, a["id"], "accepted"), applications))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * 10 + [409] * 40, [a.text for a in answers if a.status_code not in (200, 409)]
    refusals = {(a.json()["error"]["code"], a.json()["error"]["message"]) for a in answers if a.status_code == 409}
    assert refusals == {("conflict", "the project has no free place")}
    with platform.session("placement") as session:
        placed = session.scalar(select(func.count()).where(Placement.project_id == project["id"]))
        held = session.get(Project, project["id"]).places_held
        started = session.scalar(select(func.count()).where(OutboxEvent.event_type == PLACEMENT_STARTED.name))
    assert (placed, held, started) == (10, 10, 10)
    assert free_places(platform, site_coordinator, project["id"]) == 0
