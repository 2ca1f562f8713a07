"""Entrypoints every service has."""

from common.db import is_reachable
from common.observability import Observability
from common.rpc import rpc


class HealthMixin:
    """`health()` over RPC: proves the service answers and says whether its database does.
    Also gives every service its access log lines and metrics (`common.observability`)."""

    observability = Observability()

    @rpc
    def health(self):
        return {"service": self.name, "database": is_reachable(self.db.get_bind())}
