"""RPC from the gateway with a deadline: a service that is down is a 503 naming it, not a hang."""
import eventlet
from kombu.entity import TRANSIENT_DELIVERY_MODE
from kombu.exceptions import OperationalError
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy, ServiceProxy

from gateway.http import service_unavailable

DEFAULT_TIMEOUT_SECONDS = 10.0
TIMEOUT_CONFIG_KEY = "RPC_TIMEOUT_SECONDS"


class TimedRpc(RpcProxy):
    """`self.<service>.<method>(...)` like nameko's RpcProxy, raising ServiceUnavailable after the
    configured timeout. The request message expires with the deadline, so a service that comes
    back later does not work through calls nobody waits for, and it is transient: a request is
    worth nothing after its deadline, so it is not written to the broker's disk."""

    def setup(self):
        self.timeout = float(self.container.config.get(TIMEOUT_CONFIG_KEY, DEFAULT_TIMEOUT_SECONDS))
        self.options.setdefault("expiration", self.timeout)
        self.options.setdefault("delivery_mode", TRANSIENT_DELIVERY_MODE)
        super().setup()

    def get_dependency(self, worker_ctx):
        proxy = ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener, **self.options)
        return TimedServiceProxy(proxy, self.target_service, self.timeout)


class TimedServiceProxy:
    def __init__(self, proxy, service, timeout):
        self._proxy = proxy
        self._service = service
        self._timeout = timeout

    def __getattr__(self, method):
        return TimedMethod(getattr(self._proxy, method), self._service, self._timeout)


class TimedMethod:
    def __init__(self, method_proxy, service, timeout):
        self._method = method_proxy
        self._service = service
        self._timeout = timeout

    def within(self, seconds):
        return TimedMethod(self._method, self._service, seconds)

    def __call__(self, *args, **kwargs):
        try:
            reply = self._method.call_async(*args, **kwargs)
        except OperationalError:  # the broker refused the request or is gone
            raise service_unavailable(self._service, "cannot be reached: the message broker is down")
        try:
            with eventlet.Timeout(self._timeout):
                return reply.result()
        except (eventlet.Timeout, UnknownService):
            raise service_unavailable(self._service)
