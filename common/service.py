"""Entrypoints every service has."""
from nameko.rpc import rpc

from common.db import is_reachable


class HealthMixin:
    """`health()` over RPC: proves the service answers and says whether its database does."""

    @rpc
    def health(self):
        return {"service": self.name, "database": is_reachable(self.db.get_bind())}
