"""Notifications' write side: gets, adds and locks what a change needs (contacts, notifications with
their mails, the hour entries waiting for their digest, the digests' keys, the mail outbox's claims).
The rules and the changes are the domain's (`domain.py`); the reads behind the answers are `views.py`'s."""
from sqlalchemy import and_, delete, exists, false, or_, select, update

from common.contracts.notifications import MailStatus
from common.outbox import DIALECT_INSERTS
from services.notifications.models import Contact, Digest, HourEntry, Mail, Notification, PlacementProject


def add(session, *rows):
    session.add_all(rows)
    session.flush()


def put(session, row):
    """Adds a read model's row, or replaces the one with its key."""
    session.merge(row)


def add_new(session, model, rows):
    """Adds `rows` (dicts) in one statement, but for those whose key is already there."""
    insert = DIALECT_INSERTS[session.get_bind().dialect.name](model)
    session.execute(insert.values(rows).on_conflict_do_nothing())


def contact(session, student_id, lock=False):
    return session.get(Contact, student_id, with_for_update=lock) if student_id else None


# Inboxes

def in_inboxes(inboxes):
    """Notifications of any of `inboxes` (none: no notification)."""
    return or_(false(), *(and_(Notification.audience == audience, Notification.recipient_id == recipient)
                 for audience, recipient in inboxes))


def notification(session, notification_id, inboxes, lock=False):
    """The notification if it is in one of `inboxes`, or None."""
    statement = select(Notification).where(Notification.id == notification_id, in_inboxes(inboxes))
    return session.scalar(statement.with_for_update() if lock else statement)


def unread(session, inboxes):
    """The unread notifications of `inboxes`, locked."""
    return session.scalars(select(Notification).where(in_inboxes(inboxes), Notification.read_at.is_(None))
                           .order_by(Notification.id).with_for_update()).all()


# The hours digest

def students_due(session, day, limit):
    """Students with entries logged up to `day` whose digest of `day` is not sent yet."""
    sent = exists().where(Digest.student_id == HourEntry.student_id, Digest.day == day)
    return session.scalars(select(HourEntry.student_id).where(HourEntry.day <= day, ~sent)
                           .group_by(HourEntry.student_id).limit(limit)).all()


def take_digest(session, student_id, day, notification_id, now):
    """Takes the key of the student's digest of `day` (the lock that makes one digest, whoever tries):
    True if taken here, False if a competing sender has it."""
    insert = DIALECT_INSERTS[session.get_bind().dialect.name](Digest)
    return session.execute(insert.values(student_id=student_id, day=day, notification_id=notification_id,
                                         created_at=now).on_conflict_do_nothing()
                           .returning(Digest.student_id)).first() is not None


def entries_up_to(session, student_id, day):
    return session.scalars(select(HourEntry).where(HourEntry.student_id == student_id, HourEntry.day <= day)).all()


def project_titles(session, entries):
    """Placement id → project title, for the placements of `entries` that notifications knows."""
    return dict(session.execute(select(PlacementProject.placement_id, PlacementProject.project_title).where(
        PlacementProject.placement_id.in_({entry.placement_id for entry in entries}))).all())


def remove_entries(session, entries):
    """The entries a digest has told of: they wait no more."""
    session.execute(delete(HourEntry).where(HourEntry.entry_id.in_([entry.entry_id for entry in entries])))


# The mail outbox

def due_mails(session, now, stale_before, limit):
    """Ids of mails to try now: pending, due, and not claimed by a sender that is still at it."""
    return session.scalars(
        select(Mail.notification_id)
        .where(Mail.status == MailStatus.PENDING, Mail.next_attempt_at <= now,
               or_(Mail.claimed_at.is_(None), Mail.claimed_at < stale_before))
        .order_by(Mail.next_attempt_at).limit(limit)).all()


def claim(session, notification_id, now, stale_before):
    """Takes a mail for one try (a conditional update, so competing senders never both take it): the
    claimed mail, or None if another sender has it."""
    result = session.execute(
        update(Mail).where(Mail.notification_id == notification_id, Mail.status == MailStatus.PENDING,
                           or_(Mail.claimed_at.is_(None), Mail.claimed_at < stale_before))
        .values(claimed_at=now, attempts=Mail.attempts + 1))
    return session.get(Mail, notification_id, populate_existing=True) if result.rowcount == 1 else None


def mail(session, notification_id):
    """The mail, locked and read afresh, to settle its try."""
    return session.get(Mail, notification_id, with_for_update=True, populate_existing=True)
