"""Notifications' copy of a student's contact converges whatever order registry's events arrive in."""
import uuid

from common.contracts.registry import STUDENT_CONTACTS_CHANGED, STUDENT_REGISTERED
from services.notifications.models import Contact
from services.notifications.service import NotificationsService
from tests.consumers import at, envelope, orders_with_a_duplicate


def test_the_latest_contact_wins_in_every_order(consumers):
    notifications = consumers(NotificationsService)

    def scenario(student_id):
        contact = {"student_id": student_id, "full_name": "Dana Seitkali", "language": "ru"}
        return {
            "registered": envelope(STUDENT_REGISTERED, {**contact, "university_id": "u1", "region": "KZ-71",
                                                        "email": "first@example.kz"}, at(0)),
            "changed": envelope(STUDENT_CONTACTS_CHANGED, {**contact, "email": "second@example.kz"}, at(5)),
            "changed_again": envelope(STUDENT_CONTACTS_CHANGED, {**contact, "email": "third@example.kz",
                                                                 "language": "kk"}, at(9)),
        }

    for order in orders_with_a_duplicate(tuple(scenario("probe"))):
        student_id = uuid.uuid4().hex
        events = scenario(student_id)
        notifications.deliver(*(events[name] for name in order))
        with notifications.read() as session:
            contact = session.get(Contact, student_id)
            assert (contact.email, contact.language) == ("third@example.kz", "kk"), order
