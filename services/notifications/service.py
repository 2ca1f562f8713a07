"""Notifications: what concerns a student, a site or the Operator, told in the portal and by email, from
the events on the bus (nameko entrypoints only)."""

from nameko.dependency_providers import Config
from nameko.timer import Timer

from common.auth import Caller
from common.batching import handles_batch
from common.clock import utcnow
from common.contracts import credits as credit_events
from common.contracts import payments as payment_events
from common.contracts import placement as placement_events
from common.contracts import registry as registry_events
from common.contracts import timesheet as timesheet_events
from common.contracts.notifications import NotificationQuery
from common.db import Database
from common.errors import NotFound
from common.outbox import handles
from common.rpc import rpc
from common.service import HealthMixin
from common.validation import load
from services.notifications import repository, rules
from services.notifications.mailer import MailSender

DIGEST_STUDENTS_PER_TRANSACTION = 200
DIGEST_HOUR = 8  # as config.yml's default


class DigestTimer(Timer):
    """nameko's timer, every `HOURS_DIGEST_CHECK_SECONDS` of the service's config."""

    def setup(self):
        self.interval = float(self.container.config.get("HOURS_DIGEST_CHECK_SECONDS") or self.interval)


class NotificationsService(HealthMixin):
    name = "notifications"

    db = Database()
    caller = Caller()
    mail = MailSender()
    config = Config()

    # Contacts

    @handles(registry_events.STUDENT_REGISTERED)
    def on_student_registered(self, event):
        repository.save_contact(self.db, event.data, event.occurred_at)

    @handles(registry_events.STUDENT_CONTACTS_CHANGED)
    def on_student_contacts_changed(self, event):
        repository.save_contact(self.db, event.data, event.occurred_at)

    # Events that concern people

    @handles(placement_events.INTERVIEW_OFFERED)
    def on_interview_offered(self, event):
        self._notify(event)

    @handles(placement_events.INTERVIEW_BOOKED)
    def on_interview_booked(self, event):
        self._notify(event)

    @handles(placement_events.APPLICATION_DECIDED)
    def on_application_decided(self, event):
        self._notify(event)

    # Hour entries: kept, in batches, for the student's daily digest (not a notification each)

    @handles_batch(timesheet_events.HOURS_LOGGED)
    def on_hours_logged(self, events):
        repository.add_hour_entries(self.db, events)

    @DigestTimer.decorator(interval=60)
    def send_digests(self):
        """Each student's digest of the hours logged up to the latest day that is over (at
        `HOURS_DIGEST_HOUR` local time the next morning), a transaction per group of students."""
        day = rules.due_day(utcnow(), int(self.config.get("HOURS_DIGEST_HOUR", DIGEST_HOUR)))
        while True:
            with self.db.begin():
                students = repository.students_due(self.db, day, DIGEST_STUDENTS_PER_TRANSACTION)
                for student_id in students:
                    repository.send_digest(self.db, student_id, day, self.mail)
            if len(students) < DIGEST_STUDENTS_PER_TRANSACTION:
                return

    @handles(timesheet_events.HOURS_DISPUTED)
    def on_hours_disputed(self, event):
        self._notify(event)

    @handles(timesheet_events.REPORT_SUBMITTED)
    def on_report_submitted(self, event):
        self._notify(event)

    @handles(timesheet_events.REPORT_ACCEPTED)
    def on_report_accepted(self, event):
        self._notify(event)

    @handles(timesheet_events.REPORT_REJECTED)
    def on_report_rejected(self, event):
        self._notify(event)

    @handles(payment_events.PAYOUT_SENT)
    def on_payout_sent(self, event):
        self._notify(event)

    @handles(payment_events.PAYOUT_PAID)
    def on_payout_paid(self, event):
        self._notify(event)

    @handles(payment_events.PAYOUT_FAILED)
    def on_payout_failed(self, event):
        self._notify(event)

    @handles(credit_events.CREDITS_RECOUNTED)
    def on_credits_recounted(self, event):
        self._notify(event)

    def _notify(self, event):
        repository.notify(self.db, event.event_id, event.name, event.data, self.mail)

    # The caller's inbox

    @rpc
    def list_notifications(self, query):
        inboxes = self._inboxes()
        filters = load(NotificationQuery, query)
        items, total = repository.list_notifications(self.db, inboxes, filters)
        return {"items": [repository.as_dict(n) for n in items], "total": total,
                "unread": repository.unread_count(self.db, inboxes)}

    @rpc
    def unread_count(self):
        return {"unread": repository.unread_count(self.db, self._inboxes())}

    @rpc
    def mark_read(self, notification_id):
        principal = self.caller()
        inboxes = rules.inboxes(principal)
        with self.db.begin():
            notification = repository.find_notification(self.db, notification_id, inboxes)
            if notification is None:
                raise NotFound("no such notification")
            repository.mark_read(notification, principal.user_id)
        return repository.as_dict(notification)

    @rpc
    def mark_all_read(self):
        principal = self.caller()
        inboxes = rules.inboxes(principal)
        with self.db.begin():
            marked = repository.mark_all_read(self.db, inboxes, principal.user_id)
        return {"marked": marked}

    def _inboxes(self):
        return rules.inboxes(self.caller())
