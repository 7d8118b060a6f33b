"""``@rpc`` for our services: nameko's, with replies published without a publisher
confirm.

A reply goes to the caller's own reply queue; if the broker lost it, the caller's bounded
wait (the gateway's RPC_TIMEOUT_SECONDS) answers 503 exactly as it would without a
confirm. Waiting for a confirm per reply cost a fifth of a service's CPU under load
(docs/performance.md). Requests keep their confirms: that is how nameko detects a
service that does not exist."""
from nameko.amqp.publish import Publisher
from nameko.rpc import Responder, Rpc, RpcConsumer


class _UnconfirmedPublisher(Publisher):
    use_confirms = False


class _Responder(Responder):
    publisher_cls = _UnconfirmedPublisher


class _RpcConsumer(RpcConsumer):
    def handle_result(self, message, result, exc_info):
        amqp_uri = self.container.config["AMQP_URI"]
        from nameko.constants import DEFAULT_SERIALIZER, SERIALIZER_CONFIG_KEY
        from nameko.rpc import get_rpc_exchange

        serializer = self.container.config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER)
        responder = _Responder(amqp_uri, get_rpc_exchange(self.container.config), serializer,
                               message)
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class _Rpc(Rpc):
    rpc_consumer = _RpcConsumer()


rpc = _Rpc.decorator
