"""Notifications: what concerns a student, a site or the Operator, told in the portal and by email, from
the events on the bus (nameko entrypoints only).

Each consumer applies its event in the transaction `handles` (or `handles_batch`) opens for it, which
also records the event as applied; notifications publishes no events, so there is no outbox to fill.
The domain (`domain.py`) makes the rows, the repository gets, adds and locks them, and an RPC
entrypoint answers with a view (`views.py`) dumped through its contract once.
"""

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
from services.notifications import domain, repository, rules, views
from services.notifications.mailer import MailSender
from services.notifications.models import HourEntry

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
        self._learn_contact(event)

    @handles(registry_events.STUDENT_CONTACTS_CHANGED)
    def on_student_contacts_changed(self, event):
        self._learn_contact(event)

    def _learn_contact(self, event):
        contact = repository.contact(self.db, event.data["student_id"], lock=True)
        learned = domain.learn_contact(contact, event.data, event.occurred_at)
        if learned is not None:
            repository.add(self.db, learned)

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
        repository.add_new(self.db, HourEntry, domain.hour_entries(events))

    @DigestTimer.decorator(interval=60)
    def send_digests(self):
        """Each student's digest of the hours logged up to the latest day that is over (at
        `HOURS_DIGEST_HOUR` local time the next morning), a transaction per group of students."""
        day = rules.due_day(utcnow(), int(self.config.get("HOURS_DIGEST_HOUR", DIGEST_HOUR)))
        while True:
            with self.db.begin():
                students = repository.students_due(self.db, day, DIGEST_STUDENTS_PER_TRANSACTION)
                for student_id in students:
                    self._send_digest(student_id, day)
            if len(students) < DIGEST_STUDENTS_PER_TRANSACTION:
                return

    def _send_digest(self, student_id, day):
        """The student's digest of the entries logged up to `day` (an entry that came in after its own
        day's digest goes in the next one), once: the digest's key is taken first, so a competing
        sender does nothing."""
        now = utcnow()
        if not repository.take_digest(self.db, student_id, day, rules.digest_id(student_id, day), now):
            return
        entries = repository.entries_up_to(self.db, student_id, day)
        if entries:
            repository.add(self.db, *domain.digest(student_id, day, entries, repository.project_titles(self.db, entries),
                                                   repository.contact(self.db, student_id), self.mail, now))
            repository.remove_entries(self.db, entries)

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
        contact = repository.contact(self.db, event.data.get("student_id"))
        repository.add(self.db, *domain.notifications(event.event_id, event.name, event.data, contact, self.mail,
                                                      utcnow()))
        project = domain.placement_project(event.name, event.data)
        if project is not None:
            repository.put(self.db, project)

    # The caller's inbox

    @rpc
    def list_notifications(self, query):
        inboxes = rules.inboxes(self.caller())
        return views.list_notifications(self.db, inboxes, load(NotificationQuery, query))

    @rpc
    def unread_count(self):
        return views.unread(self.db, rules.inboxes(self.caller()))

    @rpc
    def mark_read(self, notification_id):
        principal = self.caller()
        with self.db.begin():
            notification = repository.notification(self.db, notification_id, rules.inboxes(principal), lock=True)
            if notification is None:
                raise NotFound("no such notification")
            domain.read(notification, principal.user_id, utcnow())
            return views.notification(notification)

    @rpc
    def mark_all_read(self):
        principal = self.caller()
        now = utcnow()
        with self.db.begin():
            unread = repository.unread(self.db, rules.inboxes(principal))
            return views.marked(sum(domain.read(notification, principal.user_id, now) for notification in unread))
