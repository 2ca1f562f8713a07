"""A local SMTP server for the notifications tests (not listening until a test starts it), and
notifications on its own (`tests/interface.py`) for what needs no other service."""
import pytest

from services.notifications.mailer import Settings
from services.notifications.service import NotificationsService
from tests.notifications.mailbox import Mailbox


@pytest.fixture
def mailbox():
    box = Mailbox()
    yield box
    box.stop()


@pytest.fixture
def service(interface):
    """Notifications' consumers and entrypoints on a database of their own, with its default config
    (mail off: no SMTP_HOST)."""
    notifications = interface(NotificationsService)
    notifications.service.mail, notifications.service.config = Settings.from_config({}), {}
    return notifications
