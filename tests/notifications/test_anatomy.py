"""What holds notifications' anatomy together: the inbox answers dumped through their contracts once,
on the gateway's own routes; the mail outbox's states kept to their transitions and, by the database
itself, to their values."""
import datetime as dt
import uuid

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from common.contracts.notifications import MailStatus, NotificationOut
from common.contracts.payments import PAYOUT_FAILED
from common.contracts.placement import INTERVIEW_BOOKED
from common.contracts.registry import STUDENT_REGISTERED
from common.errors import RuleViolation
from services.notifications import domain, rules
from services.notifications.mailer import Settings
from services.notifications.models import Mail

NOTIFICATIONS = "/api/v1/notifications"


def test_the_inbox_answers_through_its_contracts(service):
    student = service.auth("student")
    service.publish(STUDENT_REGISTERED, {"student_id": student.user_id, "full_name": "Dana", "university_id": "u1",
                                         "region": "KZ-71", "email": None, "language": "kk"})
    service.publish(INTERVIEW_BOOKED, {
        "application_id": "a1", "student_id": student.user_id, "student_name": "Dana", "project_id": "p1",
        "project_title": "Reading club", "site_id": "site1", "region": "KZ-71", "slot_id": "s1",
        "starts_at": "2026-09-10T04:00:00+00:00", "address": "Abai 10"})

    page = service.http.get(NOTIFICATIONS, headers=student).json()
    assert (page["total"], page["unread"]) == (1, 1)
    [told] = page["items"]
    assert set(told) == set(NotificationOut._declared_fields)
    assert (told["kind"], told["language"], told["read_at"]) == ("interview.booked", "kk", None)
    assert dt.datetime.fromisoformat(told["created_at"]).tzinfo is not None
    assert service.http.get(f"{NOTIFICATIONS}/unread-count", headers=student).json() == {"unread": 1}

    assert service.http.post(f"{NOTIFICATIONS}/{told['id']}/read", headers=service.auth("student")).status_code == 404
    read = service.http.post(f"{NOTIFICATIONS}/{told['id']}/read", headers=student).json()
    assert read["read_by"] == student.user_id and dt.datetime.fromisoformat(read["read_at"]).tzinfo is not None
    assert service.http.post(f"{NOTIFICATIONS}/read-all", headers=student).json() == {"marked": 0}


def test_a_settled_mail_stays_settled_and_unknown_states_are_refused(service):
    service.service.mail = Settings.from_config({"SMTP_HOST": "mail.example.kz", "OPERATOR_EMAIL": "desk@example.kz"})
    service.publish(PAYOUT_FAILED, {"payout_id": uuid.uuid4().hex, "key": "pl1/h20", "placement_id": "pl1",
                                    "student_id": "st1", "region": "KZ-71", "voucher_kind": "h20",
                                    "amount_kzt": 20_000, "reason": "card blocked"})
    now = dt.datetime.now(dt.timezone.utc)
    with service.session("notifications") as session:
        [mail] = session.scalars(select(Mail)).all()  # the Operator desk's: the student has no address
        assert (mail.to_address, mail.status) == ("desk@example.kz", MailStatus.PENDING)
        domain.failed_try(mail, "451 try later", 5, False, now)
        assert mail.status == MailStatus.PENDING and mail.next_attempt_at > now
        domain.sent(mail, now)
        domain.failed_try(mail, "a stale claim's late failure", None, True, now)
        assert (mail.status, mail.last_error) == (MailStatus.SENT, None)
        with pytest.raises(RuleViolation):
            rules.mail_moved(MailStatus.SENT, MailStatus.FAILED)
        session.commit()
        with pytest.raises(IntegrityError):
            session.execute(update(Mail).values(status="someday"))
        session.rollback()
        assert session.execute(update(Mail).values(status=Mail.status)).rowcount == 1
