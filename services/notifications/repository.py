"""Notifications' queries and writes: contacts, notifications with their mails, inboxes, and the mail
outbox's claims."""
import datetime as dt

from sqlalchemy import and_, false, func, or_, select, update

from common.clock import as_utc, utcnow
from common.db import page
from common.ids import new_id
from services.notifications import rules
from services.notifications.models import Contact, Mail, Notification

PENDING, SENT, FAILED = "pending", "sent", "failed"


# Contacts


def save_contact(session, data, as_of):
    """The student's contact as of `as_of`, unless a later one is known: registration and changes
    travel on queues of their own, so they may arrive in either order."""
    contact = session.get(Contact, data["student_id"], with_for_update=True)
    if contact is not None and as_utc(contact.updated_at) >= as_of:
        return
    session.merge(Contact(student_id=data["student_id"], full_name=data["full_name"], email=data.get("email"),
                          language=data["language"], updated_at=as_of))


# Notifications


def notify(session, event_id, event_name, data, settings):
    """Tell everyone an event concerns, each in their language; queue a mail for those with an address.
    Runs in the caller's transaction, with `first_delivery`."""
    topic = rules.topic(event_name, data)
    params = rules.params(data)
    for audience in rules.recipients(topic):
        recipient = rules.recipient_id(audience, data)
        contact = session.get(Contact, recipient) if audience == rules.STUDENT_AUDIENCE else None
        language = rules.language_for(contact.language if contact else None, settings.default_language)
        title, body = rules.render(topic, audience, language, params)
        notification = Notification(
            id=new_id(), event_id=event_id, kind=event_name, audience=audience, recipient_id=recipient,
            language=language, title=title, body=body, data=params, created_at=utcnow())
        session.add(notification)
        address = mail_address(audience, contact, settings)
        if settings.enabled and address:
            session.add(Mail(notification=notification, to_address=address, subject=title,
                             body=rules.mail_body(body, language), language=language, status=PENDING, attempts=0,
                             next_attempt_at=notification.created_at, created_at=notification.created_at))


def mail_address(audience, contact, settings):
    """A student's address from their registration, the Operator desk's from config; sites have none yet."""
    if audience == rules.OPERATOR_AUDIENCE:
        return settings.operator_email
    return contact.email if contact else None


def in_inboxes(inboxes):
    """Notifications of any of `inboxes` (none: no notification)."""
    return or_(false(), *(and_(Notification.audience == audience, Notification.recipient_id == recipient)
                 for audience, recipient in inboxes))


def list_notifications(session, inboxes, query):
    statement = select(Notification).where(in_inboxes(inboxes))
    if "unread" in query:
        statement = statement.where(Notification.read_at.is_(None) if query["unread"]
                                    else Notification.read_at.is_not(None))
    if "kind" in query:
        statement = statement.where(Notification.kind == query["kind"])
    return page(session, statement.order_by(Notification.created_at.desc(), Notification.id), query["limit"],
                query["offset"])


def unread_count(session, inboxes):
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(in_inboxes(inboxes), Notification.read_at.is_(None)))


def find_notification(session, notification_id, inboxes):
    return session.scalar(select(Notification).where(Notification.id == notification_id, in_inboxes(inboxes)))


def mark_read(notification, user_id):
    if notification.read_at is None:
        notification.read_at, notification.read_by = utcnow(), user_id


def mark_all_read(session, inboxes, user_id):
    result = session.execute(update(Notification).where(in_inboxes(inboxes), Notification.read_at.is_(None))
                             .values(read_at=utcnow(), read_by=user_id))
    return result.rowcount


def as_dict(notification):
    return {column: getattr(notification, column) for column in (
        "id", "kind", "audience", "recipient_id", "language", "title", "body", "data", "created_at", "read_at",
        "read_by")}


# The mail outbox


def due_mails(session, now, stale_before, limit):
    """Ids of mails to try now: pending, due, and not claimed by a sender that is still at it."""
    return session.scalars(
        select(Mail.notification_id)
        .where(Mail.status == PENDING, Mail.next_attempt_at <= now,
               or_(Mail.claimed_at.is_(None), Mail.claimed_at < stale_before))
        .order_by(Mail.next_attempt_at).limit(limit)).all()


def claim(session, notification_id, now, stale_before):
    """Take a mail for one try (a conditional update, so competing senders never both take it); the
    claimed mail, or None if another sender has it."""
    result = session.execute(
        update(Mail).where(Mail.notification_id == notification_id, Mail.status == PENDING,
                           or_(Mail.claimed_at.is_(None), Mail.claimed_at < stale_before))
        .values(claimed_at=now, attempts=Mail.attempts + 1))
    return session.get(Mail, notification_id, populate_existing=True) if result.rowcount == 1 else None


def mark_sent(session, notification_id):
    session.execute(update(Mail).where(Mail.notification_id == notification_id)
                    .values(status=SENT, sent_at=utcnow(), claimed_at=None, last_error=None))


def mark_failed_try(session, mail, error, retry_in, permanent):
    """Record a failed try: again after `retry_in` seconds, or `failed` for good."""
    values = {"claimed_at": None, "last_error": error[:500]}
    if permanent or retry_in is None:
        values["status"] = FAILED
    else:
        values["next_attempt_at"] = utcnow() + dt.timedelta(seconds=retry_in)
    session.execute(update(Mail).where(Mail.notification_id == mail.notification_id).values(**values))
