"""Metrics of the reports service (common.metrics' registry, so /metrics shows them):
projection lag, KPIs at risk, rebuilds, summaries received. Events applied and duplicates
skipped are the kernel's ``ronghe_events_consumed_total`` / ``ronghe_events_duplicate_total``
(counted by ``common.inbox``), as for every consumer."""
import time

from prometheus_client import Counter, Gauge

from common.metrics import REGISTRY

# The names the alert rules and the dashboard read (deploy/prometheus, deploy/grafana).
PROJECTION_LAG = Gauge("ronghe_projection_lag_seconds",
                       "now - occurred_at of the last event applied to the projections",
                       ["service"], registry=REGISTRY)
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

_last = {}


def projected(service, occurred_at):
    """Events (their ``occurred_at`` instants) were committed to the projections."""
    if not occurred_at:
        return
    ts = max(occurred_at).timestamp()
    if ts > _last.get(service, 0):
        _last[service] = ts
        LAST_APPLIED.labels(service).set(ts)
        # Lag is read at scrape time: now − occurred_at of the last applied event.
        PROJECTION_LAG.labels(service).set_function(
            lambda s=service: max(0.0, time.time() - _last.get(s, time.time())))


def kpi_statuses(service, kpis):
    for item in kpis:
        KPI_AT_RISK.labels(service, item["kpi"]).set(1 if item["status"] == "at_risk" else 0)

