"""Enrolment before placement, across the platform: a registered student browses but cannot apply
until the registrar of their university confirms them (one by one or by a roster CSV, all or
nothing); a transfer makes it pending at the new university; the student reads their state."""
import os

import eventlet
import pytest
from eventlet.event import Event
from sqlalchemy import select

from common.auth import REGISTRAR
from services.registry import repository
from services.registry.models import RosterEntry, Student
from services.registry.service import RegistryService
from tests.placement.support import accredit, publish_project
from tests.interface import Interface
from tests.registry.pki import bearer, make_user, random_iin, register_student

REGION = "KZ-71"


def universities(platform):
    here = [u for u in platform.http.get("/api/v1/universities").json() if u["region"] == REGION]
    return here[0]["id"], here[1]["id"]


def registered(platform, university_id, user=None):
    user = user or make_user(name="СЕРИКОВА АЙЖАН БОЛАТОВНА")
    answer = register_student(platform.http, user, university_id, REGION)
    assert answer.status_code == 201, answer.text
    return user, answer.json()["user_id"], bearer(answer.json()["access_token"])


def roster(platform, headers, text):
    return platform.http.post("/api/v1/enrolments/roster", data=text.encode("utf-8"),
                              headers={**headers, "Content-Type": "text/csv"})


def apply(platform, headers, project_id):
    return platform.http.post(f"/api/v1/projects/{project_id}/applications", json={}, headers=headers)


def enrolment(platform, headers):
    return platform.http.get("/api/v1/students/me", headers=headers).json()["enrolment"]


def test_a_student_applies_once_the_registrar_confirms_them_by_roster(platform):
    enu, other = universities(platform)
    registrar = platform.auth(REGISTRAR, university_id=enu, name="БЕКОВА АЛИЯ")
    user, student_id, me = registered(platform, enu)
    elsewhere, _, _ = registered(platform, other, make_user(name="КАСЫМОВ ДАНИЯР"))
    coordinator, _, _ = accredit(platform)
    project = publish_project(platform, coordinator)

    # pending: browses, but apply is refused with the reason
    assert enrolment(platform, me) == {"status": "pending", "university_id": enu, "reason": None,
                                       "decided_by": None, "decided_at": None}
    assert platform.http.get(f"/api/v1/projects/{project['id']}", headers=me).status_code == 200
    refused = apply(platform, me, project["id"])
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["fields"] == {"enrolment": ["pending"]}
    assert "enrolment is not confirmed" in refused.json()["error"]["message"]

    # a roster with bad rows: refused whole, each bad row named, nothing applied
    waiting = random_iin()
    bad_iin = waiting[:11] + str((int(waiting[11]) + 1) % 10)
    answer = roster(platform, registrar, f"iin,decision,reason\n{user.iin},confirm,\n{waiting},,\n{bad_iin},,\n"
                                         f"{user.iin},,\n{elsewhere.iin},,\n{random_iin()},refuse,\n")
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["fields"] == {"rows": {
        "4": {"iin": ["the IIN's check digit is wrong"]}, "5": {"iin": ["repeats row 2"]},
        "6": {"iin": ["registered as a student of another university"]},
        "7": {"reason": ["required to refuse"]}}}
    assert enrolment(platform, me)["status"] == "pending"
    with platform.session("registry") as session:
        assert session.get(RosterEntry, (enu, waiting)) is None
    assert roster(platform, registrar, "name\nAigerim\n").status_code == 400
    assert platform.http.post("/api/v1/enrolments/roster", json={"iin": user.iin},
                              headers=registrar).status_code == 415

    # the good roster: the student confirmed, an IIN not registered yet kept as pre-confirmed
    answer = roster(platform, registrar, f"iin\n{user.iin}\n{waiting}\n")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"counts": {"confirmed": 1, "pre_confirmed": 1}, "results": [
        {"row": 2, "iin": user.iin, "outcome": "confirmed"}, {"row": 3, "iin": waiting, "outcome": "pre_confirmed"}]}
    seen = enrolment(platform, me)
    assert (seen["status"], seen["decided_by"]) == ("confirmed", "БЕКОВА АЛИЯ") and seen["decided_at"]
    platform.wait_for_enrolment(student_id, "confirmed")
    assert apply(platform, me, project["id"]).status_code == 201

    # who registers later with a pre-confirmed IIN is confirmed at once
    _, late_id, late = registered(platform, enu, make_user(iin=waiting, name="ПОЗДНЯЯ АЙГЕРИМ"))
    assert enrolment(platform, late)["status"] == "confirmed"
    platform.wait_for_enrolment(late_id, "confirmed")


def test_one_by_one_a_refusal_says_why_another_university_cannot_decide_and_a_transfer_waits_again(platform):
    enu, other = universities(platform)
    registrar = platform.auth(REGISTRAR, university_id=enu, name="БЕКОВА АЛИЯ")
    _, student_id, me = registered(platform, enu)
    coordinator, _, _ = accredit(platform)
    project = publish_project(platform, coordinator)
    decide = f"/api/v1/students/{student_id}/enrolment"

    stranger = platform.auth(REGISTRAR, university_id=other)
    assert platform.http.post(decide, json={"decision": "confirm"}, headers=stranger).status_code == 404
    assert platform.http.post(decide, json={"decision": "refuse"}, headers=registrar).status_code == 400
    answer = platform.http.post(decide, json={"decision": "refuse", "reason": "studies part-time"}, headers=registrar)
    assert answer.status_code == 200, answer.text
    assert enrolment(platform, me)["reason"] == "studies part-time"
    platform.wait_for_enrolment(student_id, "refused")
    assert apply(platform, me, project["id"]).json()["error"]["fields"] == {"enrolment": ["refused: studies part-time"]}
    queue = platform.http.get("/api/v1/enrolments", params={"status": "refused"}, headers=registrar).json()
    assert [item["student_id"] for item in queue["items"]] == [student_id]

    assert platform.http.post(decide, json={"decision": "confirm"}, headers=registrar).status_code == 200
    platform.wait_for_enrolment(student_id, "confirmed")
    application = apply(platform, me, project["id"])
    assert application.status_code == 201, application.text

    # a transfer: pending at the new university, new applications refused, the one made stays
    moved = platform.http.patch("/api/v1/students/me", json={"university_id": other}, headers=me)
    assert moved.json()["enrolment"] == {"status": "pending", "university_id": other, "reason": None,
                                         "decided_by": None, "decided_at": None}
    platform.wait_for_enrolment(student_id, "pending")
    second = publish_project(platform, coordinator, title="Chess club")
    assert apply(platform, me, second["id"]).json()["error"]["fields"] == {"enrolment": ["pending"]}
    assert platform.http.get(f"/api/v1/applications/{application.json()['id']}",
                             headers=me).json()["status"] == "applied"
    assert platform.http.post(decide, json={"decision": "confirm"}, headers=registrar).status_code == 404


@pytest.mark.skipif(not os.environ.get("TEST_POSTGRES_URL"),
                    reason="two transactions at once need PostgreSQL: set TEST_POSTGRES_URL")
def test_a_roster_imported_while_its_student_registers_confirms_them(service, monkeypatch):
    """The registrar's roster names an IIN just as its holder registers: the registration has looked
    for the roster's word and is not committed yet. The student still ends confirmed, not pending
    with the roster's word kept for an arrival that already happened."""
    university, _ = universities(service)
    user, looked = make_user(name="СЕРИКОВА АЙЖАН БОЛАТОВНА"), Event()

    def look_then_pause(*args):
        entry = look(*args)
        looked.send()
        eventlet.sleep(0.5)  # the roster's import runs now, or waits its turn
        return entry

    look = repository.roster_entry_on_arrival
    monkeypatch.setattr(repository, "roster_entry_on_arrival", look_then_pause)
    registering = eventlet.spawn(register_student, service.http, user, university, REGION)
    looked.wait()
    registrar_side = Interface(RegistryService, service.engine.url.render_as_string(hide_password=False),
                               gateway=service.gateway, **service.dependencies)  # a connection of its own
    try:
        answer = registrar_side.call(service.auth(REGISTRAR, university_id=university), "import_roster",
                                     {"csv": f"iin\n{user.iin}\n"})
    finally:
        registrar_side.close()
    assert registering.wait().status_code == 201
    assert answer["counts"] == {"confirmed": 1}  # the import waited for the registration
    with service.read() as session:
        assert session.scalar(select(Student.enrolment_status).where(Student.iin == user.iin)) == "confirmed"
