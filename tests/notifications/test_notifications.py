"""Notifications over the real broker: events about people become in-portal notifications for the right
inbox, in the person's language, and one email each through a local SMTP server — also when the SMTP
server was down at first, and when an event is delivered twice."""
import uuid

import pytest
from sqlalchemy import func, select

from common.contracts.payments import PAYOUT_FAILED
from common.contracts.placement import APPLICATION_DECIDED, INTERVIEW_BOOKED
from common.contracts.registry import STUDENT_REGISTERED
from services.notifications.models import Contact, Mail, Notification
from tests.harness import eventually
from tests.notifications.mailbox import smtp_settings

NOTIFICATIONS = "/api/v1/notifications"
OPERATOR_EMAIL = "desk@operator.example.kz"
SITE = "site-" + uuid.uuid4().hex[:8]


@pytest.fixture
def service_overrides(mailbox):
    return {"notifications": smtp_settings(mailbox, OPERATOR_EMAIL)}


def register(platform, language, email):
    student_id = uuid.uuid4().hex
    platform.publish(STUDENT_REGISTERED, {"student_id": student_id, "full_name": f"Student {language}",
                                          "university_id": "u1", "region": "KZ-71", "email": email,
                                          "language": language})
    return student_id


def application(student_id, **extra):
    return {"application_id": uuid.uuid4().hex, "student_id": student_id, "student_name": "Aruzhan Serikovna",
            "project_id": "p1", "project_title": "Reading club", "site_id": SITE, "region": "KZ-71", **extra}


def booking(student_id):
    return application(student_id, slot_id="s1", starts_at="2026-09-10T04:00:00+00:00",
                       online_link="https://meet.example.kz/r1")


def failed_payout(student_id):
    return {"payout_id": uuid.uuid4().hex, "key": "pl1/h20", "placement_id": "pl1", "student_id": student_id,
            "region": "KZ-71", "voucher_kind": "h20", "amount_kzt": 20_000, "reason": "card blocked"}


def inbox(platform, headers, **params):
    response = platform.http.get(NOTIFICATIONS, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def unread(platform, headers):
    response = platform.http.get(NOTIFICATIONS + "/unread-count", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["unread"]


def count(platform, model, *where):
    with platform.session("notifications") as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_events_become_notifications_and_one_mail_each_in_the_persons_language(platform, mailbox):
    kazakh = register(platform, "kk", "aruzhan@example.kz")
    english = register(platform, "en", "sam@example.kz")
    no_email = register(platform, "ru", None)
    eventually(lambda: count(platform, Contact) == 3)

    # The SMTP server is down: the mail waits and is retried, not lost.
    booked = platform.publish(INTERVIEW_BOOKED, booking(kazakh))
    eventually(lambda: count(platform, Mail, Mail.attempts >= 2, Mail.last_error.is_not(None)) == 1)
    assert mailbox.to("aruzhan@example.kz") == []
    mailbox.start()

    platform.publish(INTERVIEW_BOOKED, booked["data"], event_id=booked["event_id"])  # delivered twice
    platform.publish(PAYOUT_FAILED, failed_payout(kazakh))
    platform.publish(APPLICATION_DECIDED, application(english, outcome="rejected", reason="The group is full"))
    platform.publish(APPLICATION_DECIDED, application(no_email, outcome="accepted", placement_id="pl9"))

    kazakh_mail = eventually(lambda: len(mailbox.to("aruzhan@example.kz")) == 2 and mailbox.to("aruzhan@example.kz"))
    english_mail = eventually(lambda: mailbox.to("sam@example.kz"))
    operator_mail = eventually(lambda: mailbox.to(OPERATOR_EMAIL))
    eventually(lambda: count(platform, Notification) == 6)

    interview_mail = next(m for m in kazakh_mail if m["Subject"] == "Сұхбат белгіленді")
    assert "«Reading club»" in interview_mail.get_content() and "10.09.2026 09:00" in interview_mail.get_content()
    assert interview_mail["From"] == "noreply@voucher.example.kz" and interview_mail["Content-Language"] == "kk"
    assert {m["Subject"] for m in kazakh_mail} == {"Сұхбат белгіленді", "Төлем өтпеді"}
    assert [m["Subject"] for m in english_mail] == ["Application not accepted"]
    assert "The group is full" in english_mail[0].get_content()
    assert [m["Subject"] for m in operator_mail] == ["Выплата не прошла"]
    assert "card blocked" in operator_mail[0].get_content() and "20\u00a0000\u00a0₸" in operator_mail[0].get_content()

    # The student's inbox: newest first, unread count, mark one read, someone else's is 404.
    student = platform.auth("student", user_id=kazakh)
    page = inbox(platform, student)
    assert page["total"] == 2 and page["unread"] == 2 and unread(platform, student) == 2
    assert [n["kind"] for n in page["items"]] == ["payout.failed", "interview.booked"]
    assert page["items"][1]["language"] == "kk" and page["items"][1]["data"]["project_title"] == "Reading club"
    first = page["items"][0]["id"]
    other = platform.auth("student", user_id=english)
    assert platform.http.post(f"{NOTIFICATIONS}/{first}/read", headers=other).status_code == 404
    read = platform.http.post(f"{NOTIFICATIONS}/{first}/read", headers=student)
    assert read.status_code == 200 and read.json()["read_at"] and read.json()["read_by"] == kazakh
    assert unread(platform, student) == 1
    assert inbox(platform, student, unread="true")["total"] == 1
    assert platform.http.post(NOTIFICATIONS + "/read-all", headers=student).json() == {"marked": 1}
    assert unread(platform, student) == 0

    # The site's coordinators share the site's inbox (in the platform's language); another site sees none.
    site = inbox(platform, platform.auth("coordinator", site_id=SITE))
    assert [(n["kind"], n["language"], n["title"]) for n in site["items"]] == [
        ("interview.booked", "ru", "Запись на собеседование")]
    assert inbox(platform, platform.auth("coordinator", site_id="another-site"))["total"] == 0
    assert [n["kind"] for n in inbox(platform, platform.auth("operator"))["items"]] == ["payout.failed"]

    # A student without an address is told in the portal only; the twice-delivered event made one of each.
    assert inbox(platform, platform.auth("student", user_id=no_email))["items"][0]["title"] == "Вас приняли"
    assert count(platform, Mail) == 4
    assert count(platform, Notification, Notification.event_id == booked["event_id"]) == 2
    assert len(mailbox.to("aruzhan@example.kz")) == 2
    assert platform.http.get(NOTIFICATIONS).status_code == 401
