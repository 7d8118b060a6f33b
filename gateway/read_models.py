"""The events listing (``GET /events``) served from the gateway's memory, kept fresh by the
events service's facts: the busiest read of the API without an RPC hop.

Why in the gateway, not in a query side of the events service: the RPC hop itself (the
request, the service's worker, the reply) is most of a listing's cost (docs/performance.md),
so only a model in the process that answers HTTP removes it. Each gateway process keeps its
own copy; nothing is shared between replicas, and the events service stays the owner.

How it stays true (the delivery rules, for a model that lives as long as its process):

- **No loss.** The feed's queue (exclusive to the process, bound to the listing's facts) is
  declared *before* the snapshot is read, so every commit after the snapshot reaches it.
  If the connection to the broker drops, the queue and whatever it held go with it: the
  model goes cold at once (the route falls back to RPC) and is rebuilt from a new snapshot
  once a new queue exists. A full re-read every ``READ_MODEL_RESYNC_SECONDS`` bounds what a
  fact the relay never sent could leave stale.
- **No double.** A fact is not applied as a delta: it names an event, and the model reads
  that event again from its owner (``events.listing_entries``, one call for every event
  named in a burst) and replaces its entry. Applying a fact twice, or late, gives the
  same entry. One green thread reads and applies, so an older read never overwrites a
  newer one.
- **Replayable.** The model is whatever the owner says now: a replay of facts re-reads the
  events it names, and a restart rebuilds from the snapshot.

Freshness: ``ronghe_read_model_lag_seconds`` observes, per applied event, the time from the
fact's ``occurred_at`` (its transaction in the events service) to the entry replacing it here.
Off with ``READ_MODEL_ENABLED=false``: every listing is then an RPC, as before.
"""
import json
import logging
import socket
import time
import uuid
from bisect import bisect_left, insort

import eventlet
from kombu import Connection, Consumer, Queue, binding
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client import Gauge, Histogram
from werkzeug.wrappers import Response

from common import bus, contracts
from common.metrics import REGISTRY
from gateway.dispatch import encode_json
from services.events.schemas import LISTED_FIELDS, LISTED_STAFF_FIELDS

log = logging.getLogger(__name__)

MODEL = "events"
# The facts after which an event's listed fields (or its places left) may differ.
LISTING_FACTS = ("event_scheduled", "event_rescheduled", "event_updated", "event_published",
                 "event_cancelled", "event_completed", "participant_registered",
                 "participant_cancelled")
STAFF_ONLY = tuple(f for f in LISTED_STAFF_FIELDS if f not in LISTED_FIELDS)
# Facts of a burst are read back together: at most this long after the first of them.
BATCH_WINDOW_SECONDS = 0.05
SNAPSHOT_PAGE = 1000
MAX_BACKOFF_SECONDS = 30

LAG = Histogram("ronghe_read_model_lag_seconds",
                "From a fact's commit in its owning service to the read model holding it",
                ["service", "model"],
                buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
                registry=REGISTRY)
WARM = Gauge("ronghe_read_model_warm",
             "1 while the read model answers; 0 while its route falls back to RPC",
             ["service", "model"], registry=REGISTRY)
ENTRIES = Gauge("ronghe_read_model_entries", "Records held by the read model",
                ["service", "model"], registry=REGISTRY)




def _kept(encoded):
    """A copy of exactly its size: orjson's bytes keep its whole output buffer (about
    4 KB each, ten times an entry), which a model of 10,000 events would hold for good."""
    return bytes(memoryview(encoded))


class _Entry:
    """One event as the listing needs it: what it is filtered and ordered by, and its
    two answers already in JSON (staff, public)."""

    __slots__ = ("id", "key", "start", "end", "status", "plan", "kind", "series",
                 "target_groups", "staff_json", "public_json")

    def __init__(self, item):
        self.id = item["id"]
        self.start = contracts.parse_time(item["start"])
        self.end = contracts.parse_time(item["end"])
        self.key = (self.start, self.id)  # the listing's order: start, then id
        self.status = item["status"]
        self.plan = item["plan"]
        self.kind = item["kind"]
        self.series = item.get("series")
        self.target_groups = frozenset(item.get("target_groups") or ())
        self.staff_json = _kept(encode_json(item))
        self.public_json = _kept(encode_json(
            {k: v for k, v in item.items() if k not in STAFF_ONLY}))


class EventListing:
    """The events listing in memory: the same filters, order and pages as
    ``services.events.domain.list_events``, answered as JSON bytes."""

    def __init__(self):
        self.entries = {}
        self.order = []      # keys of all events, sorted
        self.by_status = {}  # status -> sorted keys of its events

    def __len__(self):
        return len(self.entries)

    def put(self, items):
        for item in items:
            self.discard([item["id"]])
            entry = _Entry(item)
            self.entries[entry.id] = entry
            insort(self.order, entry.key)
            insort(self.by_status.setdefault(entry.status, []), entry.key)

    def discard(self, event_ids):
        for event_id in event_ids:
            entry = self.entries.pop(event_id, None)
            if entry is not None:
                _remove(self.order, entry.key)
                _remove(self.by_status[entry.status], entry.key)

    def take(self, fresh):
        """Become ``fresh`` (a listing read whole) at once."""
        self.entries, self.order, self.by_status = fresh.entries, fresh.order, fresh.by_status

    def page(self, query, staff):
        """One page (``query`` as ``schemas.EventQuery`` loads it) as the JSON body of
        the RPC path's answer."""
        status = query.get("status") if staff else "published"
        keys = self.by_status.get(status, ()) if status else self.order
        matches = _matcher(query)
        page, per_page = query.get("page", 1), query.get("per_page", 20)
        first = (page - 1) * per_page
        if matches is None:
            total = len(keys)
            chosen = [self.entries[key[1]] for key in keys[first:first + per_page]]
        else:
            selected = [self.entries[key[1]] for key in keys
                        if matches(self.entries[key[1]])]
            total = len(selected)
            chosen = selected[first:first + per_page]
        field = "staff_json" if staff else "public_json"
        items = b",".join(getattr(entry, field) for entry in chosen)
        return (b'{"items":[' + items + b'],"total":' + str(total).encode() +
                b',"page":' + str(page).encode() + b',"per_page":' +
                str(per_page).encode() + b"}")


def _remove(keys, key):
    at = bisect_left(keys, key)
    if at < len(keys) and keys[at] == key:
        del keys[at]


def _matcher(query):
    """A predicate for the filters beyond status, or None when there are none."""
    tests = []
    for name in ("plan", "kind", "series"):
        if query.get(name):
            tests.append(lambda e, name=name, value=query[name]: getattr(e, name) == value)
    if query.get("target_group"):
        tests.append(lambda e, value=query["target_group"]: value in e.target_groups)
    if query.get("from"):
        tests.append(lambda e, value=query["from"]: e.end >= value)
    if query.get("to"):
        tests.append(lambda e, value=query["to"]: e.start < value)
    if not tests:
        return None
    return lambda entry: all(test(entry) for test in tests)


def listing_queue():
    """The feed's own queue: one per process, gone with its connection."""
    return Queue(f"gateway.listing.{uuid.uuid4().hex[:12]}",
                 bindings=[binding(bus.exchange(contracts.get(name).source), routing_key=name)
                           for name in LISTING_FACTS],
                 exclusive=True, auto_delete=True, durable=False)


class EventListingFeed(DependencyProvider):
    """Keeps the process's ``EventListing`` fresh from the events service's facts; the
    route asks ``answer(query, staff)``, which is None while the model is cold."""

    def setup(self):
        config = self.container.config
        self.enabled = str(config.get("READ_MODEL_ENABLED", "true")).lower() in (
            "1", "true", "yes")
        self.resync_seconds = float(config.get("READ_MODEL_RESYNC_SECONDS", 900))
        self.rpc_timeout = float(config.get("RPC_TIMEOUT_SECONDS", 5))
        self.amqp_uri = config["AMQP_URI"]
        self.service = self.container.service_name
        self.listing = EventListing()
        self.warm = False
        self.pending = {}  # event id -> occurred_at of its oldest fact not yet applied
        self.rechecks = {}  # event ids this process's writes answered
        # When the oldest fact or recheck now waiting arrived here: the batch window counts
        # from its arrival, not from its commit (a backlog of old facts is still batched).
        self.waiting_since = None
        self.thread = None
        if self.enabled:  # switched off, it has no series (and no alert)
            WARM.labels(self.service, MODEL).set(0)

    def start(self):
        if self.enabled:
            self.thread = self.container.spawn_managed_thread(self._run,
                                                              identifier="event_listing")

    def stop(self):
        self._go_cold()
        if self.thread is not None:
            self.thread.kill()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self

    def saw(self, event):
        """A write's answer (the event as staff see it) taken at once, so whoever wrote
        finds it in the next listing this process answers; the fact that follows reads it
        again (and brings it to every other process)."""
        if self.warm:
            item = {name: event[name] for name in LISTED_STAFF_FIELDS if name != "confirmed"}
            item["confirmed"] = event["counts"]["confirmed"]
            self.listing.put([item])
            # Read again from the owner all the same: the answer may be a stored one (a
            # repeated request) older than what the event is now.
            self.rechecks[item["id"]] = True
            self.waiting_since = self.waiting_since or time.monotonic()
        return event

    def answer(self, query, staff):
        """The listing's page as a response, or None: cold, ask the events service."""
        if not self.warm:
            return None
        return Response(self.listing.page(query, staff), mimetype="application/json")

    # -- the feed ----------------------------------------------------------------------

    def _run(self):
        backoff = 1
        while True:
            try:
                self._follow()
                backoff = 1
            except Exception as exc:  # noqa: BLE001 - any failure: cold, then start again
                log.warning("events listing read model is cold (%s: %s); the route asks "
                            "the events service until it is rebuilt", type(exc).__name__, exc)
            self._go_cold()
            eventlet.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _follow(self):
        with Connection(self.amqp_uri, heartbeat=30, connect_timeout=5) as conn, \
                ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=self.rpc_timeout) as rpc:
            conn.ensure_connection(max_retries=1)
            with Consumer(conn.channel(), [listing_queue()], on_message=self._on_message,
                          no_ack=True):
                # The queue exists from here on: read the snapshot, then follow.
                self._snapshot(rpc.events)
                next_resync = time.monotonic() + self.resync_seconds
                while True:
                    try:
                        conn.drain_events(
                            timeout=BATCH_WINDOW_SECONDS if self.waiting_since else 1)
                    except socket.timeout:
                        conn.heartbeat_check()
                    if self.waiting_since is not None and \
                            time.monotonic() - self.waiting_since >= BATCH_WINDOW_SECONDS:
                        self._refresh(rpc.events)
                    elif time.monotonic() >= next_resync:
                        self._snapshot(rpc.events)
                        next_resync = time.monotonic() + self.resync_seconds

    def _on_message(self, message):
        try:
            envelope = json.loads(message.body)
            event_id = int(envelope["payload"]["event_id"])
            occurred = contracts.parse_time(envelope["occurred_at"]).timestamp()
        except (ValueError, KeyError, TypeError) as exc:
            log.error("events listing: unreadable fact skipped (%s)", exc)
            return
        self.pending[event_id] = min(self.pending.get(event_id, occurred), occurred)
        self.waiting_since = self.waiting_since or time.monotonic()

    def _snapshot(self, events):
        # Page by page into a new listing (one page's dicts alive at a time), then swapped in.
        fresh, after = EventListing(), 0
        while after is not None:
            page = events.listing_entries(after_id=after, limit=SNAPSHOT_PAGE)
            fresh.put(page["items"])
            after = page["last"]
        self.listing.take(fresh)
        self.warm = True
        WARM.labels(self.service, MODEL).set(1)
        ENTRIES.labels(self.service, MODEL).set(len(self.listing))
        log.info("events listing read model holds %d events", len(self.listing))

    def _refresh(self, events):
        named, self.pending = self.pending, {}
        rechecked, self.rechecks = self.rechecks, {}
        self.waiting_since = None
        ids = sorted(set(named) | set(rechecked))
        for start in range(0, len(ids), SNAPSHOT_PAGE):
            chunk = ids[start:start + SNAPSHOT_PAGE]
            items = events.listing_entries(event_ids=chunk)["items"]
            self.listing.discard(set(chunk) - {item["id"] for item in items})
            self.listing.put(items)
        applied = time.time()
        lag = LAG.labels(self.service, MODEL)
        for occurred in named.values():
            lag.observe(max(0.0, applied - occurred))
        ENTRIES.labels(self.service, MODEL).set(len(self.listing))

    def _go_cold(self):
        self.warm = False
        self.pending, self.rechecks, self.waiting_since = {}, {}, None
        if self.enabled:
            WARM.labels(self.service, MODEL).set(0)
