"""Demo mode on the gateway (`DEMO_MODE`, docs/demo.md): the demo people's keys, refused outside a local
deployment, and on an address other machines reach unless `DEMO_MODE_FORCE` says the operator means it."""
import threading

from nameko.dependency_providers import DependencyProvider
from nameko.web.server import WEB_SERVER_CONFIG_KEY

from common.settings import is_local
from ops.demo import DEFAULT_FOLDER, DemoAuthority, bind_refusal


def flag(value):
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


class DemoModeRefused(RuntimeError):
    pass


class DemoMode(DependencyProvider):
    """`self.demo.authority` (None unless in demo mode); the gateway does not start where demo mode is refused."""

    def setup(self):
        config = self.container.config
        self.enabled = flag(config.get("DEMO_MODE"))
        self.authority = None
        self.lock = threading.Lock()
        if self.enabled:
            if not is_local(config):
                raise DemoModeRefused("demo mode runs only in a local deployment (DEPLOYMENT=local, as ./platform "
                                      "start sets it), never in production")
            refusal = bind_refusal(config.get(WEB_SERVER_CONFIG_KEY, "0.0.0.0:8000"), flag(config.get("DEMO_MODE_FORCE")))
            if refusal:
                raise DemoModeRefused(refusal)
            self.authority = DemoAuthority(config.get("DEMO_FOLDER") or DEFAULT_FOLDER)

    def get_dependency(self, worker_ctx):
        return self
