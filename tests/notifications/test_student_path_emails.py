"""One student's whole path over the gateway's HTTP API, on the real services and broker, and the mails
the test SMTP server receives for it: one per event that concerns the student, addressed to the email
given at registration, in the language chosen there (Kazakh), nothing else — and none again when an
event already delivered is delivered once more. The hours logged wait for the daily digest."""
import collections

import pytest
from sqlalchemy import select

from common.contracts.timesheet import HOURS_LOGGED
from services.notifications.messages import FOOTER, MESSAGES
from services.notifications.models import Contact, HourEntry
from services.timesheet.models import Placement as TimesheetPlacement
from tests.credits.test_credits import confirm, wait_for_queue
from tests.harness import eventually
from tests.notifications.mailbox import smtp_settings
from tests.placement import support as placement
from tests.portal.support import ok
from tests.registry.pki import bearer, make_user, register_student
from tests.timesheet.support import days_ago, log, outbox, submit_signed

EMAIL = "aizhan.serikova@example.kz"
OPERATOR_EMAIL = "desk@operator.example.kz"
LANGUAGE = "kk"
# The hours the site logs, a day each (8 hours a day at most): the voucher's 20.
DAYS = ((3, "8"), (2, "8"), (1, "4"))
STUDENT_TOPICS = ("interview.offered", "interview.booked", "application.accepted", "report.accepted", "payout.sent", "payout.paid", "credits.recounted")
SUBJECTS = {topic: MESSAGES[(topic, "student")][LANGUAGE][0] for topic in STUDENT_TOPICS}


@pytest.fixture
def service_overrides(mailbox):
    # One worker, so one message of a queue at a time: notifications handles an event published after
    # a redelivered one only once it has finished with the redelivery (and queued any mail it made).
    return {"notifications": smtp_settings(mailbox.start(), OPERATOR_EMAIL, max_workers=1)}


def mails(mailbox, topic):
    return [mail for mail in mailbox.to(EMAIL) if mail["Subject"] == SUBJECTS[topic]]


def mailed(mailbox, topic, count=1):
    """Waits until the student has `count` mails of `topic`; answers them."""
    return eventually(lambda: len(found := mails(mailbox, topic)) >= count and found, timeout=20)


def test_one_students_whole_path_mails_them_once_per_event_in_their_language(platform, mailbox):
    university = next(u for u in ok(platform.http.get("/api/v1/universities")) if u["region"] == placement.REGION)
    registered = ok(register_student(platform.http, make_user(name="СЕРИКОВА АЙЖАН БОЛАТОВНА"), university["id"],
                                     placement.REGION, email=EMAIL, language=LANGUAGE), 201)
    student, student_id = bearer(registered["access_token"]), registered["user_id"]
    platform.confirm_enrolment(student_id, university["id"])

    def contact():
        with platform.session("notifications") as session:
            return session.scalar(select(Contact).where(Contact.student_id == student_id))
    known = eventually(contact)  # from registry's student.registered
    assert (known.email, known.language) == (EMAIL, LANGUAGE)

    # 2-3. A project found, applied to, the interview booked, the student accepted.
    site, organisation_id, _ = placement.accredit(platform)
    project = placement.publish_project(platform, site, starts_on=days_ago(10))
    [slot_id] = placement.offer_slots(platform, site, project["id"])
    application = placement.apply(platform, student, project["id"])
    mailed(mailbox, "interview.offered")
    placement.book(platform, student, application["id"], slot_id)
    decided = ok(placement.decide(platform, site, application["id"], "accepted"))
    placement_id = decided["placement_id"]
    details = {"iban": "KZ86125KZT5004100100", "iin": "000101500011", "holder_name": "AIZHAN SERIKOVA"}
    ok(platform.http.put("/api/v1/me/payout-details", headers={**student, **platform.step_up(student_id, details)},
                         json=details))

    def known_to_timesheet():
        with platform.session("timesheet") as session:
            return session.get(TimesheetPlacement, placement_id)
    eventually(known_to_timesheet)

    # 4. The site logs the hours. They wait for the student's daily digest (the next morning:
    # test_digest.py), not a mail each; the first entry's hours.logged, delivered again, is kept once.
    entries = [ok(log(platform, site, {"placement_id": placement_id}, hours, days_ago(days)), 201)
               for days, hours in DAYS]
    [first] = outbox(platform, HOURS_LOGGED, entry_id=entries[0]["id"])
    platform.publish(HOURS_LOGGED, first["data"], event_id=first["event_id"])
    for entry in entries:
        ok(platform.http.post(f"/api/v1/hours/{entry['id']}/confirm", headers=student, json={}))

    def waiting():
        with platform.session("notifications") as session:
            return sorted(session.scalars(select(HourEntry.entry_id).where(HourEntry.student_id == student_id)))
    eventually(lambda: waiting() == sorted(entry["id"] for entry in entries))

    # 5-7. The report accepted, the reward paid through the bank simulator, the credits re-counted.
    report = ok(submit_signed(platform, {"placement_id": placement_id, "organisation_id": organisation_id},
                              headers=site), 201)
    ok(platform.http.post(f"/api/v1/reports/{report['id']}/review", headers=platform.auth("operator"),
                          json={"decision": "accept"}))
    mailed(mailbox, "payout.paid")
    [request] = wait_for_queue(platform, university["id"], 1)["items"]
    ok(confirm(platform, university["id"], request["id"]))
    [recounted] = mailed(mailbox, "credits.recounted")

    # One mail per event, each to the student's address, in Kazakh; nothing else about them.
    for topic in STUDENT_TOPICS:
        mailed(mailbox, topic)
    received = mailbox.to(EMAIL)
    assert collections.Counter(mail["Subject"] for mail in received) == {
        subject: 1 for subject in SUBJECTS.values()}
    assert SUBJECTS["payout.paid"] == "Сыйақы төленді" and SUBJECTS["interview.offered"] == "Сұхбатқа жазылыңыз"
    for mail in received:
        assert mail.envelope["to"] == [EMAIL] and mail["To"] == EMAIL and mail["Content-Language"] == LANGUAGE
        assert FOOTER[LANGUAGE] in mail.get_content()
    assert f"«{project['title']}» жобасы" in mails(mailbox, "application.accepted")[0].get_content()
    assert "20\u00a0000\u00a0₸ сыйақы төленді" in mails(mailbox, "payout.paid")[0].get_content()
    assert "2 кредитті қайта есептеді. Барлығы: 2." in recounted.get_content()
    assert all(mail.envelope["to"] in ([EMAIL], [OPERATOR_EMAIL]) for mail in mailbox.messages)

