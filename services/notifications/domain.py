"""Notifications' domain: what an event or a day's hour entries make (notifications, each with its mail
when the recipient has an address), a contact learned, a notification read, a mail's try settled, by
notifications' pure rules.

Nothing here knows of sessions, transactions or nameko: the repository loads (and locks) what a change
needs, the consumer's transaction (`handles`, `handles_batch`) or the entrypoint's commits it. New rows
are returned for the repository to add. Notifications publishes no events: nothing is recorded.
"""
import datetime as dt

from common.clock import as_utc
from common.contracts.notifications import MailStatus
from common.ids import new_id
from services.notifications import rules
from services.notifications.models import Contact, Mail, Notification, PlacementProject

# Contacts


def learn_contact(contact, data, as_of):
    """The student's contact as of `as_of`, unless a later one is known (`contact`, locked, or None);
    a new contact is returned for the repository to add."""
    if not rules.replaces(as_of, as_utc(contact.updated_at) if contact else None):
        return None
    fields = dict(full_name=data["full_name"], email=data.get("email"), language=data["language"], updated_at=as_of)
    if contact is None:
        return Contact(student_id=data["student_id"], **fields)
    for name, value in fields.items():
        setattr(contact, name, value)
    return None


def placement_project(event_name, data):
    """The project an accepted application's placement is for, named in the hours digest; or None."""
    if rules.topic(event_name, data) == "application.accepted" and data.get("placement_id"):
        return PlacementProject(placement_id=data["placement_id"], project_title=data["project_title"])
    return None


# Notifications

def notifications(event_id, event_name, data, student_contact, settings, now):
    """Everyone an event concerns told, each in their language (a student's from `student_contact`),
    with a mail for those with an address: the rows to add."""
    topic = rules.topic(event_name, data)
    params = rules.params(data)
    rows = []
    for audience in rules.recipients(topic):
        contact = student_contact if audience == rules.STUDENT_AUDIENCE else None
        language = rules.language_for(contact.language if contact else None, settings.default_language)
        title, body = rules.render(topic, audience, language, params)
        rows += notification(settings, contact, now, event_id=event_id, kind=event_name, audience=audience,
                             recipient_id=rules.recipient_id(audience, data), language=language, title=title,
                             body=body, data=params)
    return rows


def notification(settings, contact, now, **fields):
    """A notification, and its mail when the recipient has an address and mail is on: the rows to add."""
    told = Notification(id=new_id(), created_at=now, **fields)
    address = rules.mail_address(told.audience, contact.email if contact else None, settings.operator_email)
    if not (settings.enabled and address):
        return [told]
    return [told, Mail(notification=told, to_address=address, subject=told.title,
                       body=rules.mail_body(told.body, told.language), language=told.language,
                       status=MailStatus.PENDING, attempts=0, next_attempt_at=now, created_at=now)]


def read(notification, user_id, now):
    """Marks the notification read by `user_id`, unless it is already; True if it was unread."""
    if notification.read_at is not None:
        return False
    notification.read_at, notification.read_by = now, user_id
    return True


# The hours digest

def hour_entries(events):
    """The logged entries of `hours.logged` events, kept for their students' digests (as table rows)."""
    return [{"entry_id": event.data["entry_id"], "student_id": event.data["student_id"],
             "day": rules.digest_day(event.occurred_at), "placement_id": event.data["placement_id"],
             "site_id": event.data["site_id"], "work_date": event.data["work_date"], "hours": event.data["hours"]}
            for event in events]


def digest(student_id, day, entries, projects, contact, settings, now):
    """The student's digest of `entries` (logged up to `day`; `projects`: placement id → title): its
    notification (whose event is the digest) and mail, the rows to add."""
    language = rules.language_for(contact.language if contact else None, settings.default_language)
    title, body, data = rules.digest(entries, language, day, projects)
    return notification(settings, contact, now, event_id=rules.digest_id(student_id, day), kind=rules.DIGEST_KIND,
                        audience=rules.STUDENT_AUDIENCE, recipient_id=student_id, language=language, title=title,
                        body=body, data=data)


# The mail outbox: a try's outcome (a sender whose claim went stale may find the mail settled: it
# leaves it as it is)

def sent(mail, now):
    if mail.status == MailStatus.PENDING:
        mail.status = rules.mail_moved(mail.status, MailStatus.SENT)
        mail.sent_at, mail.claimed_at, mail.last_error = now, None, None


def failed_try(mail, error, retry_in, permanent, now):
    """A failed try: again after `retry_in` seconds, or failed for good (`permanent`, or no `retry_in`)."""
    if mail.status != MailStatus.PENDING:
        return
    mail.claimed_at, mail.last_error = None, error[:500]
    if permanent or retry_in is None:
        mail.status = rules.mail_moved(mail.status, MailStatus.FAILED)
    else:
        mail.next_attempt_at = now + dt.timedelta(seconds=retry_in)
