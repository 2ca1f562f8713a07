import pytest

from services.coverage.service import CoverageService


@pytest.fixture
def service(interface):
    """Coverage on its own (`tests/interface.py`): its events delivered at once, its routes answered
    through the gateway's declarations."""
    return interface(CoverageService)
