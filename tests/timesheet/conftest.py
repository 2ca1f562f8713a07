import pytest

from services.timesheet.service import TimesheetService

# Timesheet's settings as the platform's tests run it (services/timesheet/config.yml's defaults).
CONFIG = {"REVIEW_SAMPLE_RATE": 0.05, "CHECKIN_WINDOW_SECONDS": 30, "CHECKIN_SHEET_WINDOW_SECONDS": 3600}


@pytest.fixture
def service(interface):
    """Timesheet on its own (`tests/interface.py`): for what needs no other service."""
    return interface(TimesheetService, config=dict(CONFIG))
