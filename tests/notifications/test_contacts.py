"""Notifications reach a student at the address and in the language they have now: registry announces
a changed email or language, and notifications keeps the latest contact whatever order the
registration and the change arrive in."""
import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from common.contracts.registry import STUDENT_CONTACTS_CHANGED, STUDENT_REGISTERED
from services.notifications.models import Contact
from services.registry.models import OutboxEvent
from tests.harness import eventually
from tests.portal.support import ok
from tests.registry.pki import bearer, make_user, register_student


@pytest.fixture
def service_overrides():
    """One worker: notifications applies each queue's events in order, so a later one is a barrier."""
    return {"notifications": {"max_workers": 1}}


at = dt.datetime.fromisoformat


def contact_of(platform, student_id):
    with platform.session("notifications") as session:
        found = session.get(Contact, student_id)
        return found and (found.email, found.language)


def contact_events(platform, student_id):
    with platform.session("registry") as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == STUDENT_CONTACTS_CHANGED.name))
        return [row.envelope["data"] for row in rows if row.envelope["data"]["student_id"] == student_id]


def test_a_changed_email_or_language_reaches_notifications(platform):
    university = ok(platform.http.get("/api/v1/universities"))[0]
    registered = ok(register_student(platform.http, make_user(), university["id"], university["region"],
                                     email="old@example.kz", language="kk"), 201)
    me, student_id = bearer(registered["access_token"]), registered["user_id"]
    eventually(lambda: contact_of(platform, student_id) == ("old@example.kz", "kk"))

    ok(platform.http.patch("/api/v1/students/me", headers=me, json={"email": "new@example.kz", "language": "ru"}))
    eventually(lambda: contact_of(platform, student_id) == ("new@example.kz", "ru"))

    # A phone number is not how notifications reach anyone: no event for it, nor for an unchanged email.
    ok(platform.http.patch("/api/v1/students/me", headers=me, json={"phone": "+77019876543",
                                                                    "email": "new@example.kz"}))
    assert [(e["email"], e["language"]) for e in contact_events(platform, student_id)] == [("new@example.kz", "ru")]


def test_the_latest_contact_wins_in_whichever_order_the_events_arrive(service):
    student_id = uuid.uuid4().hex
    registration = {"student_id": student_id, "full_name": "Student", "university_id": "u1", "region": "KZ-71",
                    "email": "first@example.kz", "language": "kk"}
    change = {"student_id": student_id, "full_name": "Student", "email": "later@example.kz", "language": "ru"}
    service.publish(STUDENT_CONTACTS_CHANGED, change, occurred_at=at("2026-09-02T10:00:00+00:00"))
    eventually(lambda: contact_of(service, student_id) == ("later@example.kz", "ru"))
    service.publish(STUDENT_REGISTERED, registration, occurred_at=at("2026-09-01T10:00:00+00:00"))
    # A later registration on the same queue is the barrier: once it is applied, so is the first.
    other = uuid.uuid4().hex
    service.publish(STUDENT_REGISTERED, {**registration, "student_id": other},
                    occurred_at=at("2026-09-03T10:00:00+00:00"))
    eventually(lambda: contact_of(service, other) == ("first@example.kz", "kk"))
    assert contact_of(service, student_id) == ("later@example.kz", "ru")
