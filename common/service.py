"""Entrypoints every service has."""

from common.db import is_reachable
from common.observability import Observability
from common.rpc import rpc
from common.settings import SafeSettings


class HealthMixin:
    """`health()` over RPC: proves the service answers and says whether its database does.
    Also gives every service its access log lines and metrics (`common.observability`), and refuses
    to start on weak settings (`common.settings`)."""

    observability = Observability()
    safe_settings = SafeSettings()

    @rpc
    def health(self):
        return {"service": self.name, "database": is_reachable(self.db.get_bind())}
