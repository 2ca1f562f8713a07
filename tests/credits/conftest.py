import pytest

from services.credits.service import CreditsService


@pytest.fixture
def service(interface):
    """Credits on its own (`tests/interface.py`): for what needs no other service."""
    return interface(CreditsService)
