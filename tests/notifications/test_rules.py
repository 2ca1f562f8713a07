"""Notifications' rules: every event a person hears of has words in every language, for the right inbox;
the daily digest of hour entries."""
import collections
import datetime as dt
import smtplib
import ssl

import pytest

from common.auth import Principal
from common.contracts import credits, payments, placement, timesheet
from common.contracts.notifications import LANGUAGES
from services.notifications import rules
from services.notifications import mailer
from services.notifications.mailer import Settings, is_permanent
from services.notifications.messages import DIGEST, MESSAGES

APPLICATION = {"application_id": "a1", "student_id": "st1", "student_name": "Aruzhan", "project_id": "p1",
               "project_title": "Reading club", "site_id": "site1", "region": "KZ-71"}
ENTRY = {"entry_id": "e1", "placement_id": "pl1", "student_id": "st1", "site_id": "site1",
         "work_date": "2026-09-12", "hours": "4.50"}
PAYOUT = {"payout_id": "po1", "key": "pl1/h50", "placement_id": "pl1", "student_id": "st1", "region": "KZ-71",
          "voucher_kind": "h50", "amount_kzt": 50_000}
SAMPLES = [
    (placement.INTERVIEW_OFFERED, APPLICATION),
    (placement.INTERVIEW_BOOKED, {**APPLICATION, "slot_id": "s1", "starts_at": "2026-09-10T04:00:00+00:00",
                                  "address": "Abai 10, room 5"}),
    (placement.APPLICATION_DECIDED, {**APPLICATION, "outcome": "accepted", "placement_id": "pl1"}),
    (placement.APPLICATION_DECIDED, {**APPLICATION, "outcome": "rejected", "reason": "The group is full"}),
    (placement.APPLICATION_DECIDED, {**APPLICATION, "outcome": "no_show"}),
    (timesheet.HOURS_DISPUTED, {**ENTRY, "comment": "I left at noon"}),
    (timesheet.REPORT_SUBMITTED, {"report_id": "r1", "placement_id": "pl1", "student_id": "st1", "region": "KZ-71",
                                  "organisation_id": "o1", "site_id": "site1", "voucher_kind": "h20",
                                  "hours": "20"}),
    (timesheet.REPORT_ACCEPTED, {"report_id": "r1", "placement_id": "pl1", "student_id": "st1",
                                 "student_name": "Aruzhan", "university_id": "u1", "region": "KZ-71",
                                 "organisation_id": "o1", "organisation_name": "School 7", "site_id": "site1",
                                 "site_name": "Main building", "direction": "tutoring", "voucher_kind": "h50",
                                 "hours": "50", "accepted_at": "2026-09-30T10:00:00+00:00", "accepted_by": "op"}),
    (timesheet.REPORT_REJECTED, {"report_id": "r1", "placement_id": "pl1", "student_id": "st1", "site_id": "site1",
                                 "reason": "Hours on 12.09 are not signed"}),
    (payments.PAYOUT_SENT, PAYOUT),
    (payments.PAYOUT_PAID, PAYOUT),
    (payments.PAYOUT_FAILED, {**PAYOUT, "reason": "card blocked"}),
    (credits.CREDITS_RECOUNTED, {"request_id": "rq1", "placement_id": "pl1", "student_id": "st1",
                                 "university_id": "u1", "credits": 5, "total_credits": 7}),
]


def loaded(event_type, data):
    return event_type.load({"data": event_type.dump(data)})


@pytest.mark.parametrize("event_type, data", SAMPLES, ids=lambda value: getattr(value, "name", ""))
def test_each_event_has_a_message_for_each_recipient_in_each_language(event_type, data):
    data = loaded(event_type, data)
    topic = rules.topic(event_type.name, data)
    audiences = rules.recipients(topic)
    assert audiences
    params = rules.params(data)
    for audience in audiences:
        for language in LANGUAGES:
            title, body = rules.render(topic, audience, language, params)
            assert title and body and "{" not in title + body


def test_every_message_is_written_in_every_language():
    assert all(set(texts) == set(LANGUAGES) for texts in MESSAGES.values())


def test_who_hears_of_what():
    assert rules.recipients("interview.booked") == ["student", "site"]
    assert rules.recipients("hours.logged") == []  # hour entries reach the student in the daily digest
    assert rules.recipients("hours.disputed") == ["site"]
    assert rules.recipients("payout.failed") == ["student", "operator"]
    assert rules.recipients("report.submitted") == ["operator"]
    assert rules.topic("application.decided", {"outcome": "no_show"}) == "application.no_show"
    assert rules.recipient_id("site", {"site_id": "s1", "student_id": "st1"}) == "s1"
    assert rules.recipient_id("operator", {"student_id": "st1"}) == rules.OPERATOR_DESK


def test_language_is_the_persons_when_spoken_else_english():
    assert rules.language_for("kk", "ru") == "kk"
    assert rules.language_for(None, "ru") == "ru"
    assert rules.language_for("de", "ru") == "en"
    assert rules.language_for(None, "tr") == "en"


def test_readable_values_local_time_tenge_and_voucher_facts():
    params = rules.params(loaded(*SAMPLES[1]))
    assert params["starts_at"] == "10.09.2026 09:00" and params["place"] == "Abai 10, room 5"
    payout = rules.params(loaded(payments.PAYOUT_FAILED, {**PAYOUT, "reason": None}))
    assert payout["amount_kzt"] == "50\u00a0000\u00a0₸" and payout["reason"] == ""
    assert (payout["voucher_hours"], payout["voucher_credits"]) == ("50", "5")
    assert rules.params(loaded(timesheet.HOURS_LOGGED, ENTRY))["hours"] == "4.5"


Entry = collections.namedtuple("Entry", "work_date hours placement_id")


def test_the_digest_lists_the_days_entries_by_date_with_their_total_in_the_students_language():
    entries = [Entry(dt.date(2026, 9, 12), "4.50", "pl1"), Entry(dt.date(2026, 9, 11), "8", "pl1"),
               Entry(dt.date(2026, 9, 12), "0.25", "pl2")]
    day = dt.date(2026, 9, 12)
    title, body, data = rules.digest(entries, "kk", day, {"pl1": "Reading club"})
    assert title == "12.09.2026 күнгі сағаттар"
    assert body.splitlines()[1:] == ["11.09.2026: 8 сағ — «Reading club»", "12.09.2026: 4.5 сағ — «Reading club»",
                                     "12.09.2026: 0.25 сағ", "Барлығы: 12.75 сағ."]
    assert data == {"day": "2026-09-12", "entries": "3", "total_hours": "12.75"}
    for language in LANGUAGES:
        title, body, _ = rules.digest(entries, language, day)
        assert "12.09.2026" in title and "12.75" in body and "{" not in title + body
    assert set(DIGEST) == set(LANGUAGES)
    assert rules.digest(entries[:1], "en", day)[0] == "Hours logged on 12.09.2026"


def test_the_digest_day_is_the_almaty_day_of_logging_and_goes_out_the_next_morning():
    utc = dt.timezone.utc
    # Almaty is UTC+5: 18:59 UTC is 23:59 there, 19:00 UTC already the next day.
    assert rules.digest_day(dt.datetime(2026, 9, 12, 18, 59, tzinfo=utc)) == dt.date(2026, 9, 12)
    assert rules.digest_day(dt.datetime(2026, 9, 12, 19, 0, tzinfo=utc)) == dt.date(2026, 9, 13)
    # From 08:00 in Almaty (03:00 UTC) on the 13th, the 12th is due; before then, only the 11th.
    assert rules.due_day(dt.datetime(2026, 9, 13, 2, 59, tzinfo=utc), 8) == dt.date(2026, 9, 11)
    assert rules.due_day(dt.datetime(2026, 9, 13, 3, 0, tzinfo=utc), 8) == dt.date(2026, 9, 12)
    # At hour 0 a day is due as soon as it ends: 19:00 UTC on the 12th is midnight in Almaty.
    assert rules.due_day(dt.datetime(2026, 9, 12, 18, 59, tzinfo=utc), 0) == dt.date(2026, 9, 11)
    assert rules.due_day(dt.datetime(2026, 9, 12, 19, 0, tzinfo=utc), 0) == dt.date(2026, 9, 12)


def test_inboxes_by_role_and_scope():
    assert rules.inboxes(Principal("st1", ("student",))) == [("student", "st1")]
    assert rules.inboxes(Principal("c1", ("coordinator",), {"site_id": "site1"})) == [("site", "site1")]
    assert rules.inboxes(Principal("c2", ("coordinator",), {"organisation_id": "o1"})) == []
    assert rules.inboxes(Principal("op", ("operator",))) == [("operator", rules.OPERATOR_DESK)]
    assert rules.inboxes(Principal("m", ("ministry",))) == []


def test_mail_is_off_without_an_smtp_host_and_retries_back_off():
    assert not Settings.from_config({"SMTP_HOST": None}).enabled
    assert Settings.from_config({"SMTP_HOST": "mail.example.kz"}).enabled
    assert [rules.retry_delay(n, 5, 60) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 40, 60]


def test_permanent_smtp_refusals_are_not_retried():
    assert is_permanent(smtplib.SMTPRecipientsRefused({"a@b.kz": (550, b"no such user")}))
    assert is_permanent(smtplib.SMTPDataError(554, b"rejected"))
    assert not is_permanent(smtplib.SMTPDataError(451, b"try later"))
    assert not is_permanent(ConnectionRefusedError())


def test_smtp_verifies_the_servers_certificate_and_never_logs_in_without_tls(monkeypatch):
    base = {"SMTP_HOST": "mail.example.kz", "SMTP_USERNAME": "voucher", "SMTP_PASSWORD": "p" * 32}
    with pytest.raises(ValueError, match="SMTP_STARTTLS"):
        mailer.Settings.from_config(base)
    settings = mailer.Settings.from_config({**base, "SMTP_STARTTLS": "true"})
    contexts = []

    class Server:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self, context=None):
            contexts.append(context)

        def login(self, username, password):
            assert contexts, "logged in before STARTTLS"

        def send_message(self, message):
            pass

    monkeypatch.setattr(mailer.smtplib, "SMTP", Server)
    mail = type("Mail", (), {"to_address": "a@example.kz", "subject": "s", "body": "b", "notification_id": "n1",
                             "language": "ru"})()
    mailer.deliver(settings, mail)
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED and contexts[0].check_hostname
