"""Notifications' RPC payloads: a person's in-portal notifications, unread count and mark-as-read.

Notifications publishes no events; it consumes the other services' events about people.
"""
import enum

from marshmallow import fields

from common.contracts.base import Contract, PageQuery, page_of, text_field
from common.domain import State

SOURCE = "notifications"

LANGUAGES = ("ru", "kk", "en")
# Who a notification is for: one student, everyone coordinating one site, or the Operator's desk.
AUDIENCES = ("student", "site", "operator")


class MailStatus(State):
    """A notification's mail in the mail outbox, declared once: notifications' rules take its
    transitions, the `mails` table a CHECK constraint of its values. A failed try that will be retried
    stays pending."""
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # for good: refused by the server, or out of attempts
    TRANSITIONS = enum.nonmember({PENDING: {SENT, FAILED}})


class NotificationQuery(PageQuery):
    unread = fields.Boolean(metadata={"description": "true: only unread ones; false: only read ones"})
    kind = text_field(1, 64, metadata={"description": "the event behind it, e.g. payout.paid"})


class NotificationOut(Contract):
    id = fields.String()
    kind = fields.String(metadata={"description": "the event behind it, e.g. interview.booked"})
    audience = fields.String(metadata={"enum": list(AUDIENCES)})
    recipient_id = fields.String(metadata={"description": "the student's id, the site's id or operator"})
    language = fields.String(metadata={"enum": list(LANGUAGES)})
    title = fields.String()
    body = fields.String()
    data = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True),
                       metadata={"description": "ids and figures from the event (application_id, …)"})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read_by = fields.String(allow_none=True)


class NotificationPage(page_of(NotificationOut)):
    unread = fields.Integer(metadata={"description": "unread ones in all of the caller's notifications"})


class UnreadCount(Contract):
    unread = fields.Integer()


class MarkedRead(Contract):
    marked = fields.Integer(metadata={"description": "how many were unread and are now read"})
