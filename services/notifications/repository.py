"""Notifications' queries and writes: contacts, notifications with their mails, the hours digest,
inboxes, and the mail outbox's claims."""
import datetime as dt
import uuid

from sqlalchemy import and_, delete, exists, false, func, or_, select, update

from common.clock import as_utc, utcnow
from common.db import page
from common.outbox import DIALECT_INSERTS
from common.ids import new_id
from services.notifications import rules
from services.notifications.models import Contact, Digest, HourEntry, Mail, Notification, PlacementProject

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
        add_notification(session, settings, contact, event_id=event_id, kind=event_name, audience=audience,
                         recipient_id=recipient, language=language, title=title, body=body, data=params)
    if topic == "application.accepted" and data.get("placement_id"):
        session.merge(PlacementProject(placement_id=data["placement_id"], project_title=data["project_title"]))


def add_notification(session, settings, contact, **fields):
    """A notification, and its mail when the recipient has an address and mail is on."""
    notification = Notification(id=new_id(), created_at=utcnow(), **fields)
    session.add(notification)
    address = mail_address(notification.audience, contact, settings)
    if settings.enabled and address:
        session.add(Mail(notification=notification, to_address=address, subject=notification.title,
                         body=rules.mail_body(notification.body, notification.language), language=notification.language,
                         status=PENDING, attempts=0, next_attempt_at=notification.created_at,
                         created_at=notification.created_at))
    return notification


# The hours digest


def add_hour_entries(session, events):
    """Keep the logged entries for their students' digests, in one statement; an entry already kept
    is not kept twice."""
    rows = [{"entry_id": event.data["entry_id"], "student_id": event.data["student_id"],
             "day": rules.digest_day(event.occurred_at), "placement_id": event.data["placement_id"],
             "site_id": event.data["site_id"], "work_date": event.data["work_date"], "hours": event.data["hours"]}
            for event in events]
    insert = DIALECT_INSERTS[session.get_bind().dialect.name](HourEntry)
    session.execute(insert.values(rows).on_conflict_do_nothing())


def students_due(session, day, limit):
    """Students with entries logged up to `day` whose digest of `day` is not sent yet."""
    sent = exists().where(Digest.student_id == HourEntry.student_id, Digest.day == day)
    return session.scalars(select(HourEntry.student_id).where(HourEntry.day <= day, ~sent)
                           .group_by(HourEntry.student_id).limit(limit)).all()


def send_digest(session, student_id, day, settings):
    """The student's digest of the entries logged up to `day` (an entry that came in after its own
    day's digest goes in the next one), once: the digest's key is taken first, so a competing sender
    does nothing. Returns the notification, or None."""
    notification_id = uuid.uuid5(uuid.NAMESPACE_URL, f"hours-digest/{student_id}/{day}").hex
    insert = DIALECT_INSERTS[session.get_bind().dialect.name](Digest)
    taken = session.execute(insert.values(student_id=student_id, day=day, notification_id=notification_id,
                                          created_at=utcnow()).on_conflict_do_nothing()
                            .returning(Digest.student_id)).first()
    if taken is None:
        return None
    entries = session.scalars(select(HourEntry).where(HourEntry.student_id == student_id,
                                                      HourEntry.day <= day)).all()
    if not entries:
        return None
    projects = dict(session.execute(select(PlacementProject.placement_id, PlacementProject.project_title).where(
        PlacementProject.placement_id.in_({entry.placement_id for entry in entries}))).all())
    contact = session.get(Contact, student_id)
    language = rules.language_for(contact.language if contact else None, settings.default_language)
    title, body, data = rules.digest(entries, language, day, projects)
    notification = add_notification(
        session, settings, contact, event_id=notification_id, kind=rules.DIGEST_KIND,
        audience=rules.STUDENT_AUDIENCE, recipient_id=student_id, language=language, title=title, body=body,
        data=data)
    session.execute(delete(HourEntry).where(HourEntry.entry_id.in_([entry.entry_id for entry in entries])))
    return notification


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
