"""A local SMTP server for the notifications tests (not listening until a test starts it)."""
import pytest

from tests.notifications.mailbox import Mailbox


@pytest.fixture
def mailbox():
    box = Mailbox()
    yield box
    box.stop()
