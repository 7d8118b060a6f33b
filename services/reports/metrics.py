"""Metrics of the reports service (common.metrics' registry, so /metrics shows them):
projection lag, KPIs at risk, rebuilds, summaries received, and in district mode when each
community last reported. Events applied and duplicates
skipped are the kernel's ``ronghe_events_consumed_total`` / ``ronghe_events_duplicate_total``
(counted by ``common.inbox``), as for every consumer."""
import itertools
import threading
import time
from datetime import timezone

from prometheus_client import Counter, Gauge
from prometheus_client.core import GaugeMetricFamily

from common.metrics import REGISTRY

# The names the alert rules and the dashboard read (deploy/prometheus, deploy/grafana).
PROJECTION_LAG = Gauge("ronghe_projection_lag_seconds",
                       "Age of the oldest fact waiting to be applied to the projections "
                       "(0 when none waits: an idle community has no lag)",
                       ["service"], registry=REGISTRY)
BACKLOG = Gauge("ronghe_reports_backlog_messages",
                "Facts delivered to the reports queue and not yet applied (waiting in the "
                "queue plus batches being applied)", ["service"], registry=REGISTRY)
LAST_APPLIED = Gauge("ronghe_reports_last_applied_timestamp_seconds",
                     "occurred_at of the last applied event (unix time)",
                     ["service"], registry=REGISTRY)
KPI_AT_RISK = Gauge("ronghe_kpi_at_risk", "1 when a KPI is behind the share of the project "
                    "year elapsed (status at_risk), else 0", ["service", "kpi"], registry=REGISTRY)
REBUILDS = Counter("ronghe_reports_rebuilds_total", "Projection rebuilds by outcome",
                   ["service", "outcome"], registry=REGISTRY)
SUMMARIES_RECEIVED = Counter("ronghe_reports_community_summaries_received_total",
                             "Community summaries received (district mode)",
                             ["service"], registry=REGISTRY)

class Backlog:
    """What the projection lag is computed from, at scrape time.

    The lag is the age of the oldest fact not yet applied. Facts being applied (a batch
    in a worker) carry their ``occurred_at``; facts still waiting in the queue are not
    seen by the service, so their age is bounded by when they could have arrived: not
    before the queue was first seen non-empty, and not before the last fact applied
    (the queue is in order). Nothing waiting and nothing being applied: 0, however long
    the community has been quiet."""

    def __init__(self):
        self.lock = threading.Lock()
        self.in_flight = {}          # token -> oldest occurred_at (unix) of a batch
        self.tokens = itertools.count()
        self.last_applied = None     # occurred_at (unix) of the newest fact applied
        self.waiting_since = None    # when the queue was first seen holding messages
        self.waiting = 0

    def begin(self, occurred_at):
        token = next(self.tokens)
        if occurred_at:
            with self.lock:
                self.in_flight[token] = min(occurred_at)
        return token

    def end(self, token, applied_occurred_at=()):
        with self.lock:
            self.in_flight.pop(token, None)
            if applied_occurred_at:
                newest = max(applied_occurred_at)
                if self.last_applied is None or newest > self.last_applied:
                    self.last_applied = newest

    def lag(self, waiting, now):
        """``waiting``: messages ready in the queue (None: the broker did not answer,
        keep what was known)."""
        with self.lock:
            if waiting is not None:
                self.waiting = waiting
                if waiting > 0:
                    if self.waiting_since is None:
                        self.waiting_since = now
                else:
                    self.waiting_since = None
            oldest = []
            if self.in_flight:
                oldest.append(min(self.in_flight.values()))
            if self.waiting_since is not None:
                oldest.append(max(self.waiting_since, self.last_applied or 0))
            return max(0.0, now - min(oldest)) if oldest else 0.0

    def depth(self):
        with self.lock:
            return self.waiting + len(self.in_flight)


BACKLOGS = {}


def backlog(service):
    return BACKLOGS.setdefault(service, Backlog())


def watch_backlog(service, waiting_messages):
    """Publish the lag and backlog of ``service``, read at scrape time;
    ``waiting_messages()`` asks the broker how many messages its queue holds."""
    state = backlog(service)
    PROJECTION_LAG.labels(service).set_function(
        lambda: state.lag(waiting_messages(), time.time()))
    BACKLOG.labels(service).set_function(state.depth)


def applying(service, occurred_at):
    """A batch of facts (their ``occurred_at`` instants) is being applied."""
    return backlog(service).begin([t.timestamp() for t in occurred_at])


def projected(service, token, occurred_at):
    """The batch of ``token`` was committed; ``occurred_at``: those it applied."""
    backlog(service).end(token, [t.timestamp() for t in occurred_at])
    if occurred_at:
        LAST_APPLIED.labels(service).set(max(occurred_at).timestamp())


# Families collected at scrape time rather than declared here (district mode only).
SCRAPE_TIME_FAMILIES = ("ronghe_district_last_summary_timestamp_seconds",)


class CommunitiesReporting:
    """District mode: ``ronghe_district_last_summary_timestamp_seconds{community}``, when
    the district last received each community's summary, read from the database at scrape
    time (so it survives a restart): the alert RongheCommunitySilent compares it with now."""

    def __init__(self, service, read):
        self.service = service
        self.read = read

    def collect(self):
        family = GaugeMetricFamily(
            "ronghe_district_last_summary_timestamp_seconds",
            "When the district last received the summary of each community (unix time)",
            labels=["service", "community"])
        try:
            rows = self.read()
        except Exception:  # noqa: BLE001 - no figure rather than a failed scrape
            rows = []
        for community, received_at in rows:
            if received_at.tzinfo is None:  # SQLite gives the stored UTC instant back naive
                received_at = received_at.replace(tzinfo=timezone.utc)
            family.add_metric([self.service, community], received_at.timestamp())
        yield family

    def describe(self):
        return []


def kpi_statuses(service, kpis):
    for item in kpis:
        KPI_AT_RISK.labels(service, item["kpi"]).set(1 if item["status"] == "at_risk" else 0)

