"""RPC between our processes: the ``@rpc`` entrypoint our services expose, and the one
bounded client every caller uses (``BoundedRpc``).

``@rpc`` is nameko's, with two changes. Its request queue ``rpc-<service>`` is a quorum
queue (``request_queue``), so it lives on in a broker cluster that loses a node, where a
classic queue would be unreachable until its one node came back. The callers' reply queues
stay nameko's classic queues with an expiry, but transient (``_ReplyListener``). And
replies are published without a publisher confirm. A reply goes to
the caller's own reply queue; if the broker lost it, the caller's bounded wait answers
exactly as it would without a confirm. Waiting for a confirm per reply cost a fifth of a
service's CPU under load (docs/performance.md).

``BoundedRpc`` is nameko's RpcProxy (one reply queue per process, shared by all its
workers) with a deadline read from config. The request carries the same deadline as its
message TTL, so a call nobody picked up in time is never carried out later. A caller sees
only ``common.errors`` for what went wrong on the way: ``ServiceUnavailable`` when the
service did not answer in time (``timed_out=True``: it may still have acted), is not
running, or the broker is unreachable; the service's own ``RongheError`` as itself.
Each caller decides what those mean for it (503, a degraded answer, a compensation).
"""
import logging
import warnings

import eventlet
from amqp.exceptions import AMQPError
from kombu import Queue
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import (RPC_QUEUE_TEMPLATE, ReplyListener, Responder, Rpc, RpcConsumer,
                        RpcProxy, get_rpc_exchange)

from common.config import SERVICES
from common.errors import RongheError, ServiceUnavailable

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 2.0

# What the way to the broker raises while it stops, restarts or is killed: sockets
# (OSError, ConnectionError), py-amqp's connection and channel errors (CONNECTION_FORCED,
# "connection already closed"), kombu's OperationalError once its retries are spent.
BROKER_ERRORS = (OSError, AMQPError, OperationalError)

# nameko always asks for mandatory delivery; without a confirm it cannot tell, and warns
# on every call. An unconfirmed request (the gateway's) relies on the deadline instead.
warnings.filterwarnings("ignore", message="Mandatory delivery was requested",
                        category=UserWarning, module="nameko.amqp.publish")


# -- the entrypoint ----------------------------------------------------------------------

SERVING_PROCESSES = SERVICES  # the processes that expose @rpc methods


def request_queue(service, config=None):
    """nameko's durable request queue of ``service``, as a quorum queue."""
    return Queue(RPC_QUEUE_TEMPLATE.format(service), exchange=get_rpc_exchange(config or {}),
                 routing_key=f"{service}.*", durable=True,
                 queue_arguments={"x-queue-type": "quorum"})


class _UnconfirmedPublisher(Publisher):
    use_confirms = False


class _Responder(Responder):
    publisher_cls = _UnconfirmedPublisher


class _RpcConsumer(RpcConsumer):
    def setup(self):
        if self.queue is None:
            self.queue = request_queue(self.container.service_name, self.container.config)
            self.queue_consumer.register_provider(self)
            self._registered = True

    def handle_result(self, message, result, exc_info):
        amqp_uri = self.container.config["AMQP_URI"]
        from nameko.constants import DEFAULT_SERIALIZER, SERIALIZER_CONFIG_KEY
        from nameko.rpc import get_rpc_exchange

        serializer = self.container.config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER)
        responder = _Responder(amqp_uri, get_rpc_exchange(self.container.config), serializer,
                               message)
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except BROKER_ERRORS as exc:
            # The broker went away with the reply: the caller's deadline answers for it
            # (503, "may have been carried out"), as for a reply the broker lost. Raising
            # here would kill the whole container.
            log.warning("reply to %s not sent: message broker unavailable (%s)",
                        message.properties.get("reply_to"), type(exc).__name__)
        try:
            self.queue_consumer.ack_message(message)
        except BROKER_ERRORS as exc:
            # Its connection is gone and the broker took the request back; its TTL (the
            # caller's deadline) keeps it from being carried out again much later.
            log.warning("request not acked: its connection is gone (%s)", type(exc).__name__)
        return result, exc_info


class _Rpc(Rpc):
    rpc_consumer = _RpcConsumer()


rpc = _Rpc.decorator


# -- the client --------------------------------------------------------------------------


class BoundedClient:
    """``call(method, *args, **kwargs)`` on one service, waiting at most ``timeout``
    seconds. ``proxy`` is any nameko service proxy (a worker's, or a standalone
    ClusterRpcProxy's)."""

    def __init__(self, proxy, service, timeout):
        self.proxy = proxy
        self.service = service
        self.timeout = timeout

    def call(self, method, *args, **kwargs):
        deadline = eventlet.Timeout(self.timeout)
        try:
            return getattr(self.proxy, method)(*args, **kwargs)
        except eventlet.Timeout as exc:
            if exc is not deadline:  # someone else's deadline: not ours to report
                raise
            error = ServiceUnavailable("service_timed_out", {"service": self.service},
                                       service=self.service, timeout=format(self.timeout, 'g'))
            error.timed_out = True  # the call may still have been carried out
            raise error from None
        except UnknownService:
            raise ServiceUnavailable("service_not_running",
                                     {"service": self.service}, service=self.service) from None
        except RongheError:
            raise
        except RemoteError as exc:
            log.error("%s.%s failed: %s", self.service, method, exc.exc_type)
            raise
        except BROKER_ERRORS as exc:
            raise ServiceUnavailable("broker_unavailable",
                                     {"service": self.service}, error=type(exc).__name__) from None
        finally:
            deadline.cancel()


class _ReplyListener(ReplyListener):
    """nameko's reply queue, not durable. A durable queue whose node died cannot be
    declared again on another node of the cluster (404, "home node down") until that node
    returns, so every call would time out meanwhile; a transient queue goes with its node
    and is declared again on the node the caller reconnects to. Its name is new at every
    start, so no older broker state conflicts with it."""

    def setup(self):
        super().setup()
        self.queue.durable = False


class BoundedRpc(RpcProxy):
    """``volunteers = BoundedRpc("volunteers", "VOLUNTEERS_RPC_TIMEOUT_SECONDS")``: the
    worker gets a ``BoundedClient`` whose deadline is that config key (seconds).

    ``confirm=False`` publishes requests without waiting for the broker's confirm (the
    gateway: the confirm doubled the cost of a call there). The price: a service that was
    never started is noticed by the deadline, not at once as ``UnknownService``."""

    rpc_reply_listener = _ReplyListener()

    def __init__(self, service, timeout_key, default_timeout=DEFAULT_TIMEOUT_SECONDS,
                 confirm=True):
        super().__init__(service, **({} if confirm else {"use_confirms": False}))
        self.timeout_key = timeout_key
        self.default_timeout = default_timeout

    def setup(self):
        self.timeout = float(self.container.config.get(self.timeout_key,
                                                       self.default_timeout))
        self.options["expiration"] = self.timeout
        super().setup()

    def get_dependency(self, worker_ctx):
        return BoundedClient(super().get_dependency(worker_ctx), self.target_service,
                             self.timeout)
