"""Placement: projects, applications, interviews and placements (nameko entrypoints only)."""
from common.auth import Caller
from common.db import Database
from common.outbox import OutboxRelay
from common.service import HealthMixin
from services.placement.models import OutboxEvent


class PlacementService(HealthMixin):
    name = "placement"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)
