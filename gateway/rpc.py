"""RPC from the gateway with a deadline: a service that is down is a 503 naming it, not a hang."""
import eventlet
from kombu.entity import TRANSIENT_DELIVERY_MODE
from kombu.exceptions import OperationalError
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import UnknownService
from nameko.extensions import SharedExtension
from nameko.rpc import MethodProxy, ReplyListener, RpcProxy

from common.amqp import KeptOpenPublisher, PromptQueueConsumer
from gateway.http import service_unavailable

DEFAULT_TIMEOUT_SECONDS = 10.0
# Hundreds of rows (a bulk decision, an imported file) in one transaction. The request still expires
# unread after the default: one that waited that long in the queue behind others is sent again.
BULK_TIMEOUT_SECONDS = 60.0
TIMEOUT_CONFIG_KEY = "RPC_TIMEOUT_SECONDS"


def rpc_timeout(config):
    return float(config.get(TIMEOUT_CONFIG_KEY, DEFAULT_TIMEOUT_SECONDS))


class RequestPublisher(SharedExtension):
    """The gateway's requests, on one kept-open publisher (common/amqp.py). A request message
    expires with the deadline, so a service that comes back later does not work through calls
    nobody waits for, and it is transient: a request is worth nothing after its deadline, so it is
    not written to the broker's disk."""

    def setup(self):
        config = self.container.config
        self.publisher = KeptOpenPublisher(config[AMQP_URI_CONFIG_KEY], expiration=rpc_timeout(config),
                                           delivery_mode=TRANSIENT_DELIVERY_MODE)

    def stop(self):
        self.publisher.close()


class PromptReplyListener(ReplyListener):
    queue_consumer = PromptQueueConsumer()


class TimedRpc(RpcProxy):
    """`self.<service>.<method>(...)` like nameko's RpcProxy, raising ServiceUnavailable after the
    configured timeout."""

    requests = RequestPublisher()
    rpc_reply_listener = PromptReplyListener()

    def setup(self):
        self.timeout = rpc_timeout(self.container.config)
        super().setup()

    def get_dependency(self, worker_ctx):
        return TimedServiceProxy(worker_ctx, self.target_service, self)


class TimedServiceProxy:
    def __init__(self, worker_ctx, service, provider):
        self._worker_ctx = worker_ctx
        self._service = service
        self._provider = provider

    def __getattr__(self, method):
        proxy = KeptOpenMethodProxy(self._worker_ctx, self._service, method, self._provider)
        return TimedMethod(proxy, self._service, self._provider.timeout)


class KeptOpenMethodProxy(MethodProxy):
    """nameko's MethodProxy (headers, correlation, UnknownService) on the kept-open publisher."""

    def __init__(self, worker_ctx, service_name, method_name, provider):
        # Not MethodProxy.__init__: it makes a nameko Publisher for every call.
        self.worker_ctx = worker_ctx
        self.service_name = service_name
        self.method_name = method_name
        self.reply_listener = provider.rpc_reply_listener
        self.publisher = provider.requests.publisher


class TimedMethod:
    def __init__(self, method_proxy, service, timeout):
        self._method = method_proxy
        self._service = service
        self._timeout = timeout

    def within(self, seconds):
        return TimedMethod(self._method, self._service, seconds)

    def __call__(self, *args, **kwargs):
        try:
            with eventlet.Timeout(self._timeout):
                return self._method.call_async(*args, **kwargs).result()
        except OperationalError:  # the broker refused the request or is gone
            raise service_unavailable(self._service, "cannot be reached: the message broker is down")
        except (eventlet.Timeout, UnknownService):
            raise service_unavailable(self._service)
