"""Consuming domain events (delivery rules 3 and 4).

Each consuming service has one durable queue, ``<service>.domain-events``, bound to the
event types the registry says it consumes; one queue keeps each source's facts in order.
``declare_topology`` declares every exchange, queue and dead-letter queue of the registry
and is called when any service starts, so a publisher never waits for its consumers.

``@handle_event("hours_approved")`` marks a service method as the handler of one event
type; ``@handle_event_batches()`` one that takes many messages per worker. A handler that
raises is retried ``MAX_ATTEMPTS`` times in all, then its message goes to
``<service>.dead-letter`` and is counted; other messages keep flowing. A handler that
raises ``ServiceUnavailable`` (its own database is down) is not at fault: its messages go
back to the queue after one pause and keep their attempts.

Every queue here is a quorum queue (replicated on the broker's cluster nodes, so losing a
node loses no fact). Its own ``x-delivery-limit`` is not used: the broker counts every
return as a delivery, including the pause for a database that is down and the redelivery
after a node or a consumer died, so a limit would dead-letter facts that were never at
fault. Attempts are counted here instead, where the fault is known.

A queue cannot change type in place: a broker that still has the classic queues of an
older version refuses the declaration (PRECONDITION_FAILED), which ``declare_topology``
names with the way out, ``python -m common.cli migrate-queues`` (``migrate_queues``).
"""
import json
import logging
import traceback
from functools import partial

import eventlet
from amqp.basic_message import Message
from amqp.exceptions import PreconditionFailed
from kombu import Connection, Exchange, Queue, binding
from kombu.pools import producers
from nameko.containers import ContainerBeingKilled
from nameko.extensions import Entrypoint, ProviderCollector, SharedExtension
from nameko.messaging import HeaderDecoder, QueueConsumer

from common import contracts, metrics, pii
from common.rpc import BROKER_ERRORS

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 0.2
ATTEMPTS_HEADER = "x-ronghe-attempts"
TRANSIENT_RETRY_SECONDS = 1.0

# Replicated on the cluster's nodes; on a single broker, a queue with one member.
QUORUM = {"x-queue-type": "quorum"}
# Set by a quorum queue on each redelivery: a copy we publish (a retry, a move) is a new
# message and starts its own count.
BROKER_HEADERS = ("x-delivery-count",)


def copied_headers(headers):
    return {k: v for k, v in (headers or {}).items() if k not in BROKER_HEADERS}


def queue_name(service):
    return f"{service}.domain-events"


def dead_letter_queue_name(service):
    return f"{service}.dead-letter"


def exchange(source):
    return Exchange(contracts.exchange_name(source), type="topic", durable=True)


def consumer_queue(service):
    """The quorum queue of a consuming service, with one binding per consumed type."""
    bindings = [binding(exchange(et.source), routing_key=et.name)
                for et in contracts.consumed_by(service)]
    return Queue(queue_name(service), bindings=bindings, durable=True, auto_delete=False,
                 queue_arguments=QUORUM)


def dead_letter_queue(service):
    return Queue(dead_letter_queue_name(service), durable=True, auto_delete=False,
                 queue_arguments=QUORUM)


def consuming_services():
    registry = contracts.load_all()
    return sorted({c for et in registry.values() for c in et.consumers})


class ClassicQueueFound(RuntimeError):
    """A queue of ours exists with another type (the classic queue of an older version)."""


def durable_queues():
    """Every durable queue of ours: the consumers' queues, their DLQs and the services'
    RPC request queues (not the callers' reply queues, which are temporary)."""
    from common import rpc

    queues = []
    for service in consuming_services():
        queues += [consumer_queue(service), dead_letter_queue(service)]
    return queues + [rpc.request_queue(service) for service in rpc.SERVING_PROCESSES]


def declare_topology(amqp_uri):
    """Declare every exchange and every durable queue of ours (the registry's consumer
    queues and DLQs, the RPC request queues); an older version's classic queue is
    refused with the way out."""
    registry = contracts.load_all()
    with Connection(amqp_uri, connect_timeout=5) as conn:
        channel = conn.default_channel
        for source in sorted({et.source for et in registry.values()}):
            exchange(source)(channel).declare()
        for queue in durable_queues():
            try:
                queue(channel).declare()
            except PreconditionFailed as exc:
                raise ClassicQueueFound(
                    f"queue {queue.name} exists with another type than quorum "
                    f"({exc.reply_text}): stop the services and run "
                    f"`python -m common.cli migrate-queues` (docs/operations.md, "
                    f"Upgrade)") from None


# -- moving classic queues to quorum queues ------------------------------------------------

MIGRATION_SUFFIX = ".quorum-migration"


def migrate_queues(amqp_uri, report=print):
    """Turn each of our classic queues into a quorum queue of the same name, keeping its
    messages and bindings. Run with the services stopped (a queue with a consumer is
    refused, not deleted). Facts routed to the queue meanwhile (a district's shovel, say)
    are caught by a quorum "shelter" queue with the same bindings, declared before the
    classic queue goes and emptied into the new one. Safe to run again: a queue already
    of type quorum is left alone. Returns {queue: "quorum" | "migrated (n messages)"}."""
    outcome = {}
    with Connection(amqp_uri, connect_timeout=5) as conn:
        conn.ensure_connection(max_retries=len(conn.alt) or 1)
        for source in sorted({et.source for et in contracts.load_all().values()}):
            exchange(source)(conn.default_channel).declare()
        for queue in durable_queues():
            channel = conn.channel()
            try:
                queue(channel).declare()
                channel.close()
                outcome[queue.name] = "quorum"
                report(f"{queue.name}: quorum")
                continue
            except PreconditionFailed:
                pass  # classic: the declaration closed the channel
            moved = _migrate_queue(conn, queue)
            outcome[queue.name] = f"migrated ({moved} messages)"
            report(f"{queue.name}: migrated to quorum ({moved} messages)")
    return outcome


def _migrate_queue(conn, queue):
    shelter = Queue(queue.name + MIGRATION_SUFFIX, durable=True, auto_delete=False,
                    queue_arguments=QUORUM)
    bindings = _bindings_of(queue)
    channel = conn.channel()
    shelter(channel).declare()
    for exchange_name, routing_key in bindings:
        channel.queue_bind(shelter.name, exchange_name, routing_key)
    moved = _move_messages(channel, queue.name, shelter.name)
    # Refused (and nothing lost) if a consumer is attached or a message arrived since.
    channel.queue_delete(queue.name, if_unused=True, if_empty=True)
    channel.close()
    # A new channel: RabbitMQ 3.10 fails a channel that used the classic queue when it
    # then publishes to the quorum queue of the same name.
    channel = conn.channel()
    queue(channel).declare()
    for exchange_name, routing_key in bindings:
        channel.queue_unbind(shelter.name, exchange_name, routing_key)
    # Unbound, the shelter receives nothing more; a quorum queue cannot be deleted
    # "if empty", so it is emptied until the broker counts nothing left in it.
    while (_move_messages(channel, shelter.name, queue.name)
           or channel.queue_declare(shelter.name, passive=True).message_count):
        pass
    channel.queue_delete(shelter.name)
    channel.close()
    return moved


def _bindings_of(queue):
    pairs = [(b.exchange.name, b.routing_key) for b in queue.bindings]
    if queue.exchange is not None and queue.exchange.name:
        pairs.append((queue.exchange.name, queue.routing_key))
    return pairs


def _move_messages(channel, source, destination):
    """Move every message of ``source`` to ``destination``, each acked at its source
    only once the broker has confirmed its copy (a crash here duplicates, never loses,
    and the inbox absorbs duplicates)."""
    moved = 0
    while True:
        message = channel.basic_get(source, no_ack=False)
        if message is None:
            return moved
        properties = dict(message.properties)
        properties["application_headers"] = copied_headers(
            properties.get("application_headers"))
        copy = Message(message.body, **properties)
        channel.basic_publish_confirm(copy, exchange="", routing_key=destination)
        channel.basic_ack(message.delivery_tag)
        moved += 1


class Topology(SharedExtension):
    """Declares the registry's topology once per container at start-up (rule 3)."""

    def setup(self):
        declare_topology(self.container.config["AMQP_URI"])


def _connection_gone(action, exc):
    # The connection closed under the message (the broker stopped or restarted): the
    # broker takes back every unacked message with it and delivers it again, which the
    # inbox absorbs. Not a reason to kill the container.
    log.warning("could not %s a message, its connection is gone (%s); the broker "
                "delivers it again", action, type(exc).__name__)


class DomainQueueConsumer(QueueConsumer):
    """nameko's consumer acks (loses) a message whose body cannot be decoded; ours parks
    it in the dead-letter queue instead. Its prefetch is large enough for batches."""

    PREFETCH = 500

    @property
    def prefetch_count(self):
        return max(self.PREFETCH, self.container.max_workers)

    def handle_message(self, provider, body, message):
        # nameko spawns a greenthread per message only to call the provider; ours only
        # parses, buffers and spawns a worker, so it runs in the consumer's own loop (a
        # full worker pool then holds back delivery, which is the back-pressure we want).
        provider.handle_message(body, message)

    def ack_message(self, message):
        try:
            super().ack_message(message)
        except BROKER_ERRORS as exc:
            _connection_gone("ack", exc)

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        except BROKER_ERRORS as exc:
            _connection_gone("requeue", exc)

    def on_decode_error(self, message, exc):
        for provider in self._providers:
            provider.dead_letter(message.body, message, _routing_event_type(message),
                                 f"undecodable message body: {exc}")
            return
        super().on_decode_error(message, exc)


class DomainEventQueue(SharedExtension, ProviderCollector):
    """Consumes the service's queue and hands each message to the handler of its type."""

    queue_consumer = DomainQueueConsumer()
    topology = Topology()

    def __init__(self):
        super().__init__()
        self.queue = None

    def setup(self):
        if self.queue is None:
            self.service_name = self.container.service_name
            self.queue = consumer_queue(self.service_name)
            self.queue_consumer.register_provider(self)

    def stop(self):
        if not self._providers_registered:
            self.queue_consumer.unregister_provider(self)

    def unregister_provider(self, provider):
        remaining = self._providers - {provider}
        if not remaining:
            self.queue_consumer.unregister_provider(self)
        super().unregister_provider(provider)

    def handle_message(self, body, message):
        event_type = _routing_event_type(message)
        for provider in self._providers:
            if provider.event_type in (event_type, None):  # None: a batch consumer
                provider.handle_message(body, message)
                return
        # Bound in the registry but no handler here (an older version running): park it.
        self.dead_letter(body, message, event_type, f"no handler for {event_type}")

    def read_envelope(self, body, message):
        """The message's envelope, or None once an unreadable message has been parked
        in the dead-letter queue."""
        try:
            envelope = json.loads(body) if isinstance(body, (bytes, str)) else body
            return contracts.parse_envelope(envelope)
        except Exception as exc:  # noqa: BLE001 - any unreadable message is parked
            self.dead_letter(body, message, _routing_event_type(message),
                             f"unreadable envelope: {exc}")
            return None

    # -- retry and dead-letter -------------------------------------------------

    def _publish(self, body, routing_key, headers):
        amqp_uri = self.container.config["AMQP_URI"]
        payload = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
        # Confirmed: the copy is in the (replicated) queue before the original is acked.
        connection = Connection(amqp_uri, transport_options={"confirm_publish": True})
        with producers[connection].acquire(block=True) as producer:
            producer.publish(payload, exchange="", routing_key=routing_key,
                             headers=headers, delivery_mode=2,
                             content_type="application/json", content_encoding="utf-8",
                             retry=True, retry_policy={"max_retries": 5})

    def retry_or_dead_letter(self, body, message, event_type, error):
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 1))
        if attempts < MAX_ATTEMPTS:
            eventlet.sleep(RETRY_DELAY_SECONDS * attempts)
            headers = copied_headers(message.headers)
            headers[ATTEMPTS_HEADER] = attempts + 1
            # Back to the tail of our own queue through the default exchange; the
            # routing key of the original binding is kept in a header for dispatch.
            headers["x-ronghe-event-type"] = event_type
            self._publish(body, queue_name(self.service_name), headers)
            metrics.EVENTS_RETRIED.labels(self.service_name, event_type or "?").inc()
            self.queue_consumer.ack_message(message)
        else:
            self.dead_letter(body, message, event_type, error, attempts)  # acks

    def requeue_later(self, messages):
        """Our own database is unavailable: not the messages' fault, so they do not use
        up their attempts; they all go back to the queue after one pause (per worker, not
        per message), until the database returns."""
        eventlet.sleep(TRANSIENT_RETRY_SECONDS)
        for message in messages:
            self.queue_consumer.requeue_message(message)

    def dead_letter(self, body, message, event_type, error, attempts=1):
        headers = copied_headers(message.headers)
        headers.update({"x-ronghe-event-type": event_type or "?",
                        "x-ronghe-error": pii.redact(error)[:2000],
                        ATTEMPTS_HEADER: attempts})
        self._publish(body, dead_letter_queue_name(self.service_name), headers)
        metrics.EVENTS_DEAD_LETTERED.labels(self.service_name, event_type or "?").inc()
        log.error("dead-lettered %s after %d attempt(s): %s", event_type, attempts,
                  pii.redact(error)[:500])
        self.queue_consumer.ack_message(message)


def _transient(exc_info):
    from common.errors import ServiceUnavailable

    return isinstance(exc_info[1], ServiceUnavailable)


def _routing_event_type(message):
    # A retried message comes back through the default exchange with the queue name as
    # routing key; its event type travels in a header.
    headers = message.headers or {}
    return headers.get("x-ronghe-event-type") or message.delivery_info.get("routing_key")


class DomainEventHandler(Entrypoint, HeaderDecoder):
    event_queue = DomainEventQueue()

    def __init__(self, event_type, **kwargs):
        self.event_type = event_type
        super().__init__(**kwargs)

    def setup(self):
        contracts.get(self.event_type)  # an unknown type fails at start-up
        self.event_queue.register_provider(self)

    def stop(self):
        self.event_queue.unregister_provider(self)

    def handle_message(self, body, message):
        envelope = self.event_queue.read_envelope(body, message)
        if envelope is None:
            return
        handle_result = partial(self.handle_result, body, message)
        try:
            self.container.spawn_worker(self, (envelope,), {},
                                        context_data=self.unpack_message_headers(message),
                                        handle_result=handle_result)
        except ContainerBeingKilled:
            self.event_queue.queue_consumer.requeue_message(message)

    def handle_result(self, body, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.event_queue.queue_consumer.ack_message(message)
        elif _transient(exc_info):
            self.event_queue.requeue_later([message])
        else:
            error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
            self.event_queue.retry_or_dead_letter(body, message, self.event_type, error)
        return result, exc_info


handle_event = DomainEventHandler.decorator


class DomainEventBatches(Entrypoint):
    """Consumes many facts per worker, for projections that commit in batches.

    ``@handle_event_batches()`` on ``apply_events(self, envelopes)`` takes every event type
    the registry routes to the service. Messages are collected for up to ``max_wait``
    seconds or ``max_batch`` messages; one worker gets the list and its messages are acked
    once it returns (the handler commits the whole batch in one transaction).

    This is the one place where a failing batch is taken apart, for any batch handler: a
    batch that raises is split in halves, each run again by its own worker, until the
    failing message is alone; that one is retried and dead-lettered by itself (as with
    ``@handle_event``) while the rest of its batch commits in a few larger transactions.
    A ``ServiceUnavailable`` requeues the whole batch after one pause.
    """

    event_queue = DomainEventQueue()

    def __init__(self, max_batch=200, max_wait=0.02, **kwargs):
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.event_type = None  # matches every type: see DomainEventQueue.handle_message
        self._buffer = []
        self._timer = None
        super().__init__(**kwargs)

    def setup(self):
        self.event_queue.register_provider(self)

    def stop(self):
        self.event_queue.unregister_provider(self)

    def handle_message(self, body, message):
        envelope = self.event_queue.read_envelope(body, message)
        if envelope is None:
            return
        self._buffer.append((envelope, body, message))
        if len(self._buffer) >= self.max_batch:
            self._flush()
        elif self._timer is None:
            self._timer = eventlet.spawn_after(self.max_wait, self._flush)

    def _flush(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items, self._buffer = self._buffer, []
        if items:
            self._spawn(items)

    def _spawn(self, items):
        try:
            self.container.spawn_worker(
                self, ([envelope for envelope, _b, _m in items],), {},
                context_data={}, handle_result=partial(self.handle_result, items))
        except ContainerBeingKilled:
            for _e, _b, message in items:
                self.event_queue.queue_consumer.requeue_message(message)

    def handle_result(self, items, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            for _e, _b, message in items:
                self.event_queue.queue_consumer.ack_message(message)
        elif _transient(exc_info):
            self.event_queue.requeue_later([message for _e, _b, message in items])
        elif len(items) > 1:
            # Isolate the failing message(s): a poison message among 200 is alone after
            # eight splits, and its batch mates commit in halves, quarters... on the way.
            middle = len(items) // 2
            self._spawn(items[:middle])
            self._spawn(items[middle:])
        else:
            envelope, body, message = items[0]
            error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
            self.event_queue.retry_or_dead_letter(body, message, envelope["event_type"], error)
        return result, exc_info


handle_event_batches = DomainEventBatches.decorator
