"""nameko's RPC entrypoint with its replies on a kept-open publisher (common/amqp.py).

Replies keep publisher confirms: without them the first reply on a connection the broker closed
(a broker restart) is written into a dead socket and lost, and its caller waits out its deadline.
"""
from nameko.constants import AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, SERIALIZER_CONFIG_KEY
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange

from common.amqp import KeptOpenPublisher, PromptQueueConsumer


class KeptOpenRpcConsumer(RpcConsumer):
    """nameko's RpcConsumer, replying through one `KeptOpenPublisher` per service."""

    queue_consumer = PromptQueueConsumer()

    def setup(self):
        super().setup()
        self.replies = KeptOpenPublisher(self.container.config[AMQP_URI_CONFIG_KEY])

    def stop(self):
        super().stop()
        self.replies.close()

    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = Responder(self.replies.amqp_uri, get_rpc_exchange(config),
                              config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message)
        responder.publisher_cls = lambda *args, **kwargs: self.replies
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class KeptOpenRpc(Rpc):
    rpc_consumer = KeptOpenRpcConsumer()


rpc = KeptOpenRpc.decorator
