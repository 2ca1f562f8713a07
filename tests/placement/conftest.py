import pytest

from services.placement.service import PlacementService


@pytest.fixture
def service(interface):
    """Placement on its own (`tests/interface.py`): for what needs no other service."""
    return interface(PlacementService)
