"""Registry: regions, universities, people and organisations (nameko entrypoints only)."""
from nameko.rpc import rpc

from common.auth import ADMIN, Caller
from common.contracts.registry import RegionOut, UniversityIn, UniversityOut
from common.db import Database
from common.errors import Conflict
from common.outbox import OutboxRelay
from common.service import HealthMixin
from common.validation import load
from services.registry import repository
from services.registry.models import OutboxEvent


class RegistryService(HealthMixin):
    name = "registry"

    db = Database()
    caller = Caller()
    outbox = OutboxRelay(OutboxEvent)

    @rpc
    def list_regions(self):
        return RegionOut(many=True).dump(repository.list_regions(self.db))

    @rpc
    def list_universities(self, region=None):
        return UniversityOut(many=True).dump(repository.list_universities(self.db, region))

    @rpc
    def add_university(self, payload):
        self.caller().require(ADMIN)
        data = load(UniversityIn, payload)
        with self.db.begin():
            if repository.find_university_by_code(self.db, data["code"]):
                raise Conflict("a university with this code exists", {"code": ["already registered"]})
            university = repository.add_university(self.db, data)
        return UniversityOut().dump(university)
