"""Outbox (delivery rule 1).

A state change and its facts commit in one transaction (``record`` writes the row in the
caller's session). ``OutboxRelay`` publishes pending rows in order, persistent, and marks
them sent only once the broker has confirmed them; a crash or a broker restart between
commit and confirm re-sends, never drops. With several broker addresses (AMQP_URI
``amqp://a;amqp://b``) a relay whose node died reconnects to the next one that answers.
Rows are kept: the outbox is the service's event log (``read_event_log``), which reports
replays to rebuild its projections.
"""
import json
import logging
import socket
import time
from datetime import datetime, timezone

import eventlet
from amqp.basic_message import Message
from eventlet.event import Event
from kombu import Connection
from nameko.extensions import DependencyProvider
from sqlalchemy import (BigInteger, Column, DateTime, Index, Integer, String, Table, Text,
                        func, insert, select, update)

from common import contracts, metrics
from common.bus import Topology
from common.db import store_of

log = logging.getLogger(__name__)

BATCH_SIZE = 500
POLL_SECONDS = 0.5
BUSY_POLL_SECONDS = 0.02
CONFIRM_TIMEOUT_SECONDS = 10


def define_table(metadata):
    table = Table(
        "outbox", metadata,
        # seq gives the publishing order and the log position for read_event_log.
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
               autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(64), nullable=False),
        Column("envelope", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True),
    )
    Index("ix_outbox_pending", table.c.sent_at, table.c.seq)
    return table


def _table(session):
    # Every service's metadata holds an "outbox" table (common.db.make_metadata).
    return session.info["outbox_table"]


def record(session, source, community_id, event_type, payload, occurred_at=None):
    """Validate and append a fact to the outbox within the caller's transaction."""
    env = contracts.envelope(event_type, payload, source, community_id, occurred_at)
    session.execute(insert(_table(session)).values(
        event_id=env["event_id"], event_type=event_type,
        envelope=json.dumps(env, ensure_ascii=False),
        created_at=datetime.now(timezone.utc)))
    return env


def read_event_log(session, table, after=0, limit=500):
    """Facts after position ``after``, oldest first: {"events": [...], "last": seq}."""
    limit = max(1, min(int(limit), 5000))
    rows = session.execute(
        select(table.c.seq, table.c.envelope).where(table.c.seq > int(after))
        .order_by(table.c.seq).limit(limit)).all()
    events = []
    for seq, envelope in rows:
        env = json.loads(envelope)
        env["seq"] = seq
        events.append(env)
    return {"events": events, "last": rows[-1][0] if rows else int(after)}


def pending_count(session, table):
    return session.execute(select(func.count()).select_from(table)
                           .where(table.c.sent_at.is_(None))).scalar_one()


class ConfirmingPublisher:
    """Publishes a batch on one channel in confirm mode and waits for all the broker's
    acks at once (a confirm per message would cap us at ~1,200 messages/s)."""

    def __init__(self, amqp_uri):
        self.amqp_uri = amqp_uri
        self.connection = None
        self.channel = None
        self.next_tag = 1
        self.acked_upto = 0
        self.nacked = False

    def _connect(self):
        self.connection = Connection(self.amqp_uri, connect_timeout=5, heartbeat=0)
        # Every address of AMQP_URI once (kombu's connect() tries only two of them).
        self.connection.ensure_connection(max_retries=len(self.connection.alt) or 1,
                                          interval_start=0, interval_step=0.5,
                                          interval_max=1)
        self.channel = self.connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self.next_tag = 1
        self.acked_upto = 0

    def _on_ack(self, delivery_tag, multiple):
        self.acked_upto = max(self.acked_upto, delivery_tag)

    def _on_nack(self, delivery_tag, multiple):
        self.nacked = True

    def publish_batch(self, messages):
        """messages: [(exchange, routing_key, body_bytes, message_id)]. Returns when the
        broker has confirmed all of them; raises on nack, timeout or connection loss."""
        if self.connection is None:
            self._connect()
        self.nacked = False
        last_tag = self.next_tag - 1
        for exchange, routing_key, body, message_id in messages:
            msg = Message(body, content_type="application/json", content_encoding="utf-8",
                          delivery_mode=2, message_id=message_id)
            self.channel.basic_publish(msg, exchange=exchange, routing_key=routing_key)
            last_tag += 1
        self.next_tag = last_tag + 1
        deadline = time.monotonic() + CONFIRM_TIMEOUT_SECONDS
        while self.acked_upto < last_tag and not self.nacked:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("broker did not confirm the batch in time")
            try:
                self.connection.drain_events(timeout=min(remaining, 1.0))
            except socket.timeout:
                continue
        if self.nacked:
            raise RuntimeError("broker refused (nacked) a message of the batch")

    def close(self):
        if self.connection is not None:
            try:
                self.connection.release()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
        self.connection = None
        self.channel = None


class OutboxRelay(DependencyProvider):
    """Runs beside the service: publishes pending outbox rows, woken after each commit
    that emitted facts and polling otherwise."""

    # Every service declares the registry's queues at start-up (delivery rule 3).
    topology = Topology()

    def __init__(self, store_provider_attr="store"):
        self.store_provider_attr = store_provider_attr
        self._wake = Event()
        self._running = False
        self._gt = None

    def setup(self):
        self.service_name = self.container.service_name
        store = self._store()
        store.on_commit(lambda _n: self.wake())

    def _store(self):
        return store_of(self.container, self.store_provider_attr)

    def start(self):
        self._running = True
        self._gt = self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def stop(self):
        self._running = False
        self.wake()
        if self._gt is not None:
            self._gt.wait()

    def kill(self):
        self._running = False
        if self._gt is not None:
            self._gt.kill()

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def get_dependency(self, worker_ctx):
        return self

    def _run(self):
        store = self._store()
        publisher = ConfirmingPublisher(self.container.config["AMQP_URI"])
        table = store.metadata.tables["outbox"]
        backoff = POLL_SECONDS
        try:
            while self._running:
                try:
                    published = 0
                    while self._running:
                        sent = self.publish_pending(store, table, publisher)
                        published += sent
                        if sent < BATCH_SIZE:
                            break
                    # While facts keep coming (written by another process, say), look
                    # again soon; when idle, sleep until woken or the next poll.
                    backoff = BUSY_POLL_SECONDS if published else POLL_SECONDS
                except Exception as exc:  # noqa: BLE001 - keep relaying after any failure
                    metrics.RELAY_ERRORS.labels(self.service_name).inc()
                    log.warning("outbox relay of %s failed (%s); retrying in %.1fs",
                                self.service_name, type(exc).__name__, backoff)
                    publisher.close()
                    backoff = min(backoff * 2, 5.0)
                with eventlet.Timeout(backoff, False):
                    self._wake.wait()
                self._wake = Event()
        finally:
            publisher.close()

    def publish_pending(self, store, table, publisher):
        """Publish one batch; returns how many rows it published."""
        with store.sessionmaker() as session:
            rows = session.execute(
                select(table.c.seq, table.c.event_type, table.c.event_id, table.c.envelope)
                .where(table.c.sent_at.is_(None)).order_by(table.c.seq).limit(BATCH_SIZE)
            ).all()
            pending = pending_count(session, table) if rows else 0
            session.commit()
        metrics.OUTBOX_PENDING.labels(self.service_name).set(pending)
        if not rows:
            return 0
        exchange = contracts.exchange_name(self.service_name)
        # No database transaction is open while we talk to the broker.
        publisher.publish_batch([
            (exchange, event_type, envelope.encode("utf-8"), event_id)
            for _seq, event_type, event_id, envelope in rows])
        with store.sessionmaker() as session:
            session.execute(update(table).where(table.c.seq.in_([r[0] for r in rows]))
                            .values(sent_at=datetime.now(timezone.utc)))
            session.commit()
        for _seq, event_type, _id, _env in rows:
            metrics.EVENTS_PUBLISHED.labels(self.service_name, event_type).inc()
        metrics.OUTBOX_PENDING.labels(self.service_name).set(max(pending - len(rows), 0))
        return len(rows)
