"""Hour entries over the real broker: consumed in batches, each entry once however often it is delivered,
a poison event dead-lettered alone; once the day is over, one digest per student (a notification and
one mail) in the student's language, listing the day's entries and their total."""
import datetime as dt
import uuid

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import func, select

from common.contracts.registry import STUDENT_REGISTERED
from common.contracts.timesheet import HOURS_LOGGED
from common.delivery import MAX_ATTEMPTS
from ops import dead_letters
from services.notifications.models import Contact, HourEntry, Mail, Notification, ProcessedEvent
from tests.harness import eventually
from tests.notifications.mailbox import smtp_settings

SITE = "site-" + uuid.uuid4().hex[:8]
NOW = dt.datetime.now(dt.timezone.utc)
YESTERDAY = NOW - dt.timedelta(days=1)


@pytest.fixture
def service_overrides(mailbox):
    # Digests are due as soon as a day ends (hour 0); the test runs the timer's entrypoint itself, once
    # every entry is in, so that no tick falls between two of its events.
    return {"notifications": smtp_settings(mailbox.start(), "desk@operator.example.kz", HOURS_DIGEST_HOUR=0,
                                           HOURS_DIGEST_CHECK_SECONDS=3600)}


def send_digests(platform):
    """What the digest timer does on each tick."""
    with entrypoint_hook(platform.containers["notifications"], "send_digests") as tick:
        tick()


def count(platform, model, *where):
    with platform.session("notifications") as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def register(platform, language, email):
    student_id = uuid.uuid4().hex
    platform.publish(STUDENT_REGISTERED, {"student_id": student_id, "full_name": "Student", "university_id": "u1",
                                          "region": "KZ-71", "email": email, "language": language})
    return student_id


def log(platform, student_id, work_date, hours, logged_at, event_id=None):
    return platform.publish(HOURS_LOGGED, {
        "entry_id": uuid.uuid4().hex, "placement_id": "pl-" + student_id[:8], "student_id": student_id,
        "site_id": SITE, "work_date": work_date, "hours": hours}, event_id=event_id, occurred_at=logged_at.isoformat())


def test_hours_become_one_digest_per_student_and_day_in_their_language(platform, mailbox):
    kazakh = register(platform, "kk", "dana@example.kz")
    english = register(platform, "en", "sam@example.kz")
    eventually(lambda: count(platform, Contact) == 2)

    first = log(platform, kazakh, dt.date(2026, 9, 10), "8", YESTERDAY)
    platform.publish(HOURS_LOGGED, first["data"], event_id=first["event_id"], occurred_at=first["occurred_at"])
    log(platform, kazakh, dt.date(2026, 9, 11), "4.5", YESTERDAY)
    log(platform, english, dt.date(2026, 9, 11), "2", YESTERDAY)
    today = log(platform, kazakh, dt.date(2026, 9, 12), "3", NOW)  # today's: in tomorrow's digest
    eventually(lambda: count(platform, HourEntry) == 4)  # the one delivered twice kept once
    send_digests(platform)
    send_digests(platform)

    [kazakh_mail] = eventually(lambda: mailbox.to("dana@example.kz"))
    [english_mail] = eventually(lambda: mailbox.to("sam@example.kz"))
    day = YESTERDAY.astimezone(dt.timezone(dt.timedelta(hours=5))).strftime("%d.%m.%Y")
    assert kazakh_mail["Subject"] == f"{day} күнгі сағаттар" and kazakh_mail["Content-Language"] == "kk"
    assert "10.09.2026: 8 сағ\n11.09.2026: 4.5 сағ\nБарлығы: 12.5 сағ." in kazakh_mail.get_content()
    assert english_mail["Subject"] == f"Hours logged on {day}" and "Total: 2 h." in english_mail.get_content()

    student = platform.auth("student", user_id=kazakh)
    [digest] = platform.http.get("/api/v1/notifications", headers=student).json()["items"]
    assert (digest["kind"], digest["language"], digest["data"]["total_hours"]) == ("hours.digest", "kk", "12.5")
    # Only today's entry waits; nothing was sent twice, though the timer ticked twice.
    with platform.session("notifications") as session:
        assert session.scalars(select(HourEntry.entry_id)).all() == [today["data"]["entry_id"]]
    assert count(platform, Notification) == count(platform, Mail) == 2
    assert len(mailbox.to("dana@example.kz")) == 1


def test_a_poison_event_in_a_batch_is_dead_lettered_alone(platform):
    student_id = uuid.uuid4().hex
    good = [log(platform, student_id, dt.date(2026, 9, day), "1", NOW) for day in range(1, 6)]
    poison = log(platform, student_id, dt.date(2026, 9, 9), "100000", NOW)  # overflows its column: the insert fails
    good += [log(platform, student_id, dt.date(2026, 9, day), "1", NOW) for day in range(6, 9)]
    platform.publish(HOURS_LOGGED, good[0]["data"], event_id=good[0]["event_id"], occurred_at=good[0]["occurred_at"])

    [letter] = eventually(lambda: dead_letters.listed(platform.amqp_uri), timeout=20)
    assert (letter["event_id"], letter["consumer"], letter["attempts"]) == (
        poison["event_id"], "notifications.on_hours_logged", MAX_ATTEMPTS)
    eventually(lambda: count(platform, HourEntry) == len(good))
    with platform.session("notifications") as session:
        assert session.scalar(select(func.sum(HourEntry.hours))) == len(good)
        recorded = set(session.scalars(select(ProcessedEvent.event_id)))
    assert {event["event_id"] for event in good} <= recorded and poison["event_id"] not in recorded
