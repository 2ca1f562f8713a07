"""Timesheet: hours, confirmations and completion reports (nameko entrypoints only)."""
from common.auth import Caller
from common.db import Database
from common.outbox import OutboxRelay
from common.service import HealthMixin
from services.timesheet.models import OutboxEvent


class TimesheetService(HealthMixin):
    name = "timesheet"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)
