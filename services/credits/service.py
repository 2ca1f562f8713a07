"""Credits: credit re-count requests and each student's total (nameko entrypoints only)."""
from nameko.rpc import rpc
from sqlalchemy import select

from common.auth import Caller
from common.contracts import registry as registry_events
from common.db import Database
from common.outbox import OutboxRelay, first_delivery, handles
from common.service import HealthMixin
from services.credits.models import OutboxEvent, ProcessedEvent, University


class CreditsService(HealthMixin):
    name = "credits"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)

    @handles(registry_events.UNIVERSITY_ADDED)
    def on_university_added(self, envelope):
        data = registry_events.UNIVERSITY_ADDED.load(envelope)
        with self.db.begin():
            if first_delivery(self.db, ProcessedEvent, envelope, "on_university_added"):
                self.db.merge(University(id=data["university_id"], code=data["code"], name=data["name"],
                                         region=data["region"]))

    @rpc
    def list_universities(self):
        universities = self.db.scalars(select(University).order_by(University.code)).all()
        return [{"id": u.id, "code": u.code, "name": u.name, "region": u.region} for u in universities]
