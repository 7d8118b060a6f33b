"""Prometheus metrics. One registry per process; every metric carries a ``service``
label so that several containers in one test process stay apart. Labels hold names of
methods and event types only: never an id, a phone or a name."""
import time

from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc

from common import logs
from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector,
                               generate_latest)
from prometheus_client import CONTENT_TYPE_LATEST  # noqa: F401  (re-exported)

REGISTRY = CollectorRegistry(auto_describe=True)
# process_resident_memory_bytes & co: the RSS target (≤150 MB a service) is watched live.
ProcessCollector(registry=REGISTRY)

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

RPC_LATENCY = Histogram("ronghe_rpc_seconds", "RPC handling time", ["service", "method"],
                        buckets=LATENCY_BUCKETS, registry=REGISTRY)
HANDLER_LATENCY = Histogram("ronghe_event_handler_seconds", "Domain event handling time",
                            ["service", "event_type"], buckets=LATENCY_BUCKETS,
                            registry=REGISTRY)
HTTP_LATENCY = Histogram("ronghe_http_seconds", "HTTP handling time",
                         ["service", "route", "status"], buckets=LATENCY_BUCKETS,
                         registry=REGISTRY)
WORKER_ERRORS = Counter("ronghe_worker_errors_total", "Workers that raised",
                        ["service", "entrypoint"], registry=REGISTRY)
EVENTS_PUBLISHED = Counter("ronghe_events_published_total", "Domain events published by the relay",
                           ["service", "event_type"], registry=REGISTRY)
EVENTS_CONSUMED = Counter("ronghe_events_consumed_total", "Domain events applied by a consumer",
                          ["service", "event_type"], registry=REGISTRY)
EVENTS_DUPLICATE = Counter("ronghe_events_duplicate_total",
                           "Redelivered domain events skipped by the inbox",
                           ["service", "event_type"], registry=REGISTRY)
EVENTS_RETRIED = Counter("ronghe_events_retried_total", "Handler failures sent back for retry",
                         ["service", "event_type"], registry=REGISTRY)
EVENTS_DEAD_LETTERED = Counter("ronghe_events_dead_lettered_total",
                               "Messages moved to the dead-letter queue",
                               ["service", "event_type"], registry=REGISTRY)
OUTBOX_PENDING = Gauge("ronghe_outbox_pending", "Outbox rows not yet confirmed by the broker",
                       ["service"], registry=REGISTRY)
RELAY_ERRORS = Counter("ronghe_outbox_relay_errors_total", "Relay rounds that failed",
                       ["service"], registry=REGISTRY)


def render():
    return generate_latest(REGISTRY)


class Instrumentation(DependencyProvider):
    """Times every worker of the service by entrypoint kind; counts the ones that raise."""

    def setup(self):
        self.started = {}

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.perf_counter()
        # The gateway's request id travels in nameko's context data.
        logs.set_request_id(worker_ctx.context_data.get("request_id"))

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(worker_ctx, None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        service = self.container.service_name
        entrypoint = worker_ctx.entrypoint
        if isinstance(entrypoint, Rpc):
            RPC_LATENCY.labels(service, entrypoint.method_name).observe(elapsed)
        elif getattr(entrypoint, "event_type", None):
            HANDLER_LATENCY.labels(service, entrypoint.event_type).observe(elapsed)
        if exc_info is not None:
            WORKER_ERRORS.labels(service, entrypoint.method_name).inc()

    def get_dependency(self, worker_ctx):
        return None
