"""nameko extensions of the reports service: a timer whose interval comes from config,
the district's own queue of community summaries, and the rebuild runner."""
import json
import logging
import traceback
from functools import partial

import eventlet
from kombu import Queue
from nameko.containers import ContainerBeingKilled
from nameko.extensions import DependencyProvider, Entrypoint
from nameko.messaging import HeaderDecoder, QueueConsumer
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.timer import Timer

from common import bus, contracts, ops, outbox
from common.metrics import REGISTRY
from common.db import StoreAccess, store_of
from services.reports import domain
from services.reports import metrics as rmetrics

log = logging.getLogger(__name__)

DISTRICT_QUEUE = "reports.district-summaries"
SUMMARY_EVENT = "community_summary_published"


class ConfigTimer(Timer):
    """``@config_timer("SUMMARY_INTERVAL_SECONDS", default=3600, modes=("community",))``:
    the interval is read from the service's config at start-up; a value <= 0, or a
    REPORTS_MODE not in ``modes``, disables the timer."""

    def __init__(self, config_key, default, modes=None, **kwargs):
        self.config_key = config_key
        self.default = default
        self.modes = modes
        super().__init__(interval=default, **kwargs)

    def setup(self):
        config = self.container.config
        self.interval = float(config.get(self.config_key, self.default))
        mode = config.get("REPORTS_MODE", "community")
        self.enabled = self.interval > 0 and (self.modes is None or mode in self.modes)

    def start(self):
        if self.enabled:
            super().start()

    def stop(self):
        if self.enabled:
            super().stop()

    def kill(self):
        if self.enabled and self.gt is not None:
            super().kill()


config_timer = ConfigTimer.decorator


class DistrictSummaryHandler(Entrypoint, HeaderDecoder):
    """In district mode (REPORTS_MODE=district) consumes ``reports.district-summaries``,
    a durable queue bound to ``reports.events`` / community_summary_published, where the
    shovels deliver the communities' summaries. In community mode it declares nothing:
    a community never consumes summaries (the registry has no consumer for them)."""

    queue_consumer = QueueConsumer()

    def setup(self):
        self.enabled = self.container.config.get("REPORTS_MODE", "community") == "district"
        if self.enabled:
            self.queue = Queue(DISTRICT_QUEUE, exchange=bus.exchange("reports"),
                               routing_key=SUMMARY_EVENT, durable=True, auto_delete=False)
            self.queue_consumer.register_provider(self)

    def stop(self):
        if self.enabled:
            self.queue_consumer.unregister_provider(self)

    def handle_message(self, body, message):
        try:
            envelope = json.loads(body) if isinstance(body, (bytes, str)) else body
            contracts.parse_envelope(envelope, check_payload=True)  # from another broker
            if envelope["event_type"] != SUMMARY_EVENT:
                raise ValueError(f"unexpected {envelope['event_type']}")
        except Exception as exc:  # noqa: BLE001 - unreadable: drop it, say so
            log.error("dropped an unreadable community summary: %s", exc)
            self.queue_consumer.ack_message(message)
            return
        try:
            self.container.spawn_worker(
                self, (envelope,), {}, context_data=self.unpack_message_headers(message),
                handle_result=partial(self.handle_result, message))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is not None:
            # Summaries are snapshots re-sent on every timer tick: a failed one is logged
            # and dropped rather than looping.
            log.error("community summary failed: %s", "".join(
                traceback.format_exception_only(exc_info[0], exc_info[1])).strip())
        self.queue_consumer.ack_message(message)
        return result, exc_info


handle_community_summary = DistrictSummaryHandler.decorator


class Rebuilder(DependencyProvider):
    """Runs a rebuild (delivery rule 5) in a managed thread: reserve a fresh generation,
    page through each source's ``read_event_log`` over RPC (and reports' own outbox),
    apply each page in one transaction (no network I/O inside it), then swap and drop the
    old generation. Live events are applied to both generations meanwhile."""

    def setup(self):
        self.thread = None

    def start(self):
        # A rebuild interrupted by a crash leaves a generation marked as building.
        with self._store().session() as session:
            building = domain.building_generation(session)
            if building is not None:
                domain.fail_rebuild(session, building, "interrupted (service restarted)")

    def _store(self):
        return StoreAccess(store_of(self.container))

    def get_dependency(self, worker_ctx):
        return self

    def kill(self):
        if self.thread is not None:
            self.thread.kill()

    def start_rebuild(self):
        store = self._store()
        with store.session() as session:
            generation = domain.begin_rebuild(session)
        self.thread = self.container.spawn_managed_thread(
            partial(self._run, store, generation), identifier="reports_rebuild")
        return generation

    def _run(self, store, generation):
        config = self.container.config
        service = self.container.service_name
        sources = config.get("REBUILD_SOURCES") or ["resources", "volunteers", "events"]
        if isinstance(sources, str):
            sources = [s.strip() for s in sources.split(",") if s.strip()]
        page_size = int(config.get("REBUILD_PAGE_SIZE", 500))
        try:
            with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]},
                                 timeout=float(config.get("REBUILD_RPC_TIMEOUT_SECONDS", 30))) as rpc:
                for source in sources:
                    reader = getattr(rpc, source).read_event_log
                    try:
                        self._replay(store, generation, reader, page_size)
                    except Exception as exc:
                        # Say which source failed: the operator restarts that one.
                        raise RuntimeError(f"event log of {source}: "
                                           f"{type(exc).__name__}: {exc}") from exc
            self._replay(store, generation, self._own_reader(store), page_size)
            with store.session() as session:
                old = domain.finish_rebuild(session, generation)
            rmetrics.REBUILDS.labels(service, "done").inc()
            log.info("rebuild of generation %s done; dropping generation %s", generation, old)
            self._drop(store, old)
        except Exception as exc:  # noqa: BLE001 - report any failure in the status
            log.exception("rebuild of generation %s failed", generation)
            rmetrics.REBUILDS.labels(service, "failed").inc()
            with store.session() as session:
                domain.fail_rebuild(session, generation, f"{type(exc).__name__}: {exc}")
            self._drop(store, generation)

    @staticmethod
    def _own_reader(store):
        def read(after, limit):
            with store.session() as session:
                return outbox.read_event_log(session, store.metadata.tables["outbox"],
                                             after, limit)
        return read

    @staticmethod
    def _replay(store, generation, reader, page_size):
        after = 0
        while True:
            page = reader(after, page_size)  # network I/O: outside any transaction
            events = page["events"]
            if not events:
                return
            with store.session() as session:
                domain.apply_page(session, generation, events)
            after = page["last"]

    @staticmethod
    def _drop(store, generation):
        while True:
            with store.session() as session:
                if domain.drop_generation_chunk(session, generation) == 0:
                    return
            eventlet.sleep(0)


class ProjectionBacklog(DependencyProvider):
    """Publishes the projection lag and backlog (services/reports/metrics.py), asking the
    broker at scrape time how many facts wait in this service's queue; in district mode
    also when each community last reported."""

    def setup(self):
        config = self.container.config
        service = self.container.service_name
        amqp_uri, queue = config["AMQP_URI"], bus.queue_name(service)
        rmetrics.watch_backlog(service, lambda: ops.queue_messages(amqp_uri, queue))
        self.collector = None
        if config.get("REPORTS_MODE", "community") == "district":
            self.collector = rmetrics.CommunitiesReporting(service, self._last_summaries)

    def _last_summaries(self):
        from services.reports.models import community_summaries as t
        from sqlalchemy import select

        with StoreAccess(store_of(self.container)).session() as session:
            return session.execute(select(t.c.community_id, t.c.received_at)).all()

    def start(self):
        if self.collector is not None:
            REGISTRY.register(self.collector)

    def stop(self):
        if self.collector is not None:
            try:
                REGISTRY.unregister(self.collector)
            except KeyError:
                pass
            self.collector = None

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return None
