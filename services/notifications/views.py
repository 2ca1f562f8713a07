"""Notifications' read side: the caller's inbox and its answers, each dumped through its contract once,
here; the gateway passes them on as they are."""
from sqlalchemy import func, select

from common.clock import as_utc
from common.contracts import notifications as contracts
from common.contracts.base import shared, values_of
from common.db import page
from services.notifications.models import Notification
from services.notifications.repository import in_inboxes


def dumped(contract, data):
    return shared(contract).dump(data)


def notification_data(notification):
    return values_of(contracts.NotificationOut, notification, created_at=as_utc(notification.created_at),
                     read_at=as_utc(notification.read_at))


def notification(notification):
    return dumped(contracts.NotificationOut, notification_data(notification))


def unread_count(session, inboxes):
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(in_inboxes(inboxes), Notification.read_at.is_(None)))


def list_notifications(session, inboxes, query):
    """One page of the inboxes' notifications, newest first, with the unread count of all of them."""
    statement = select(Notification).where(in_inboxes(inboxes))
    if "unread" in query:
        statement = statement.where(Notification.read_at.is_(None) if query["unread"]
                                    else Notification.read_at.is_not(None))
    if "kind" in query:
        statement = statement.where(Notification.kind == query["kind"])
    items, total = page(session, statement.order_by(Notification.created_at.desc(), Notification.id),
                        query["limit"], query["offset"])
    return dumped(contracts.NotificationPage, {"items": [notification_data(n) for n in items], "total": total,
                                               "unread": unread_count(session, inboxes)})


def unread(session, inboxes):
    return dumped(contracts.UnreadCount, {"unread": unread_count(session, inboxes)})


def marked(count):
    return dumped(contracts.MarkedRead, {"marked": count})
