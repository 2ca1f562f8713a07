import eventlet
import pytest

from services.payments.sender import PayoutSender
from services.payments.service import PaymentsService
from tests.interface import Interface


class Container:
    """What the payout sender needs of a nameko container: its config, and a green thread for its loop."""

    def __init__(self, config):
        self.config = config
        self.threads = []

    def spawn_managed_thread(self, run):
        self.threads.append(eventlet.spawn(run))


@pytest.fixture
def service(database_factory, bank, service_overrides):
    """Payments on its own (`tests/interface.py`), its payout sender's loop running against the bank
    simulator (`bank`) on payments' database: for what needs no other service. `service_overrides`
    gives payments' settings as on the platform."""
    bank.reset()
    url = database_factory.create(PaymentsService.name)
    sender = PayoutSender()
    sender.container = Container({"DATABASE_URL": url, **bank.payments_config(),
                                  **service_overrides.get(PaymentsService.name, {})})
    sender.setup()
    sender.start()
    interface = Interface(PaymentsService, url, sender=sender)
    interface.bank = bank
    yield interface
    sender.stop()
    for thread in sender.container.threads:
        thread.wait()
    interface.close()
    database_factory.drop(url)
