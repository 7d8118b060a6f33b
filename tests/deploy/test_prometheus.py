"""deploy/prometheus and deploy/grafana: promtool accepts the alert rules and both scrape
configs, the rules' unit tests pass, the Kubernetes scrape config follows the annotations
the manifests carry, every metric that rules and dashboard use exists, and a real
Prometheus scraping running processes gets data for the gateway's panels and the gauges
the reports alerts read."""
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
import requests
import yaml
from kombu import Connection
from nameko.exceptions import UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from common import bus, contracts, metrics, migrate
from tests.deploy.conftest import GRAFANA, PROMETHEUS, ROOT, require_tool
from tests.fixtures import ApiClient, free_port, wait_until

RULES = PROMETHEUS / "rules" / "ronghe.rules.yml"


def promtool(*args):
    tool = require_tool("promtool", "prometheus")
    return subprocess.run([tool, *map(str, args)], capture_output=True, text=True, timeout=60)


def known_metric_names():
    from services.reports import metrics as rmetrics  # the reports service's own metrics

    names = set(rmetrics.SCRAPE_TIME_FAMILIES)
    for family in metrics.REGISTRY.collect():
        names.add(family.name)
        if family.type == "counter":
            names.add(family.name + "_total")
        if family.type == "histogram":
            names.update(family.name + s for s in ("_bucket", "_count", "_sum"))
    return names


def test_promtool_check_rules():
    result = promtool("check", "rules", RULES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests_fire_the_expected_alerts():
    result = promtool("test", "rules", PROMETHEUS / "tests" / "ronghe.rules.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_compose_config():
    result = promtool("check", "config", PROMETHEUS / "prometheus.compose.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout + result.stderr


def test_promtool_check_kubernetes_config(tmp_path):
    path = PROMETHEUS / "prometheus.k8s.yml"
    result = promtool("check", "config", path)
    output = result.stdout + result.stderr
    if result.returncode != 0 and "field kubernetes_sd_configs not found" in output:
        # Debian's prometheus package is built without Kubernetes service discovery, so
        # its promtool cannot parse kubernetes_sd_configs. Check everything else (relabel
        # rules, paths, params, rule files) with the discovery swapped for file_sd.
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        for job in config["scrape_configs"]:
            for sd in job.pop("kubernetes_sd_configs"):
                assert set(sd) == {"role"} and sd["role"] == "pod", job["job_name"]
            job["file_sd_configs"] = [{"files": [str(tmp_path / "targets.json")]}]
        (tmp_path / "targets.json").write_text("[]")
        (tmp_path / "rules").mkdir()
        (tmp_path / "rules" / RULES.name).write_text(RULES.read_text(encoding="utf-8"))
        copy = tmp_path / "prometheus.yml"
        copy.write_text(yaml.safe_dump(config))
        result = promtool("check", "config", copy)
        output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 rule files found" in output


def test_kubernetes_scrape_config_follows_the_manifest_annotations():
    config = yaml.safe_load((PROMETHEUS / "prometheus.k8s.yml").read_text(encoding="utf-8"))
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "ronghe"]
    sources = {tuple(r.get("source_labels", [])): r for r in job["relabel_configs"]}
    assert sources[("__meta_kubernetes_pod_annotation_prometheus_io_scrape",)]["action"] == "keep"
    assert sources[("__meta_kubernetes_pod_label_app_kubernetes_io_part_of",)]["regex"] == "ronghe"
    assert sources[("__meta_kubernetes_pod_annotation_prometheus_io_path",)]["target_label"] == "__metrics_path__"
    port = sources[("__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port")]
    assert port["target_label"] == "__address__"
    assert re.fullmatch(port["regex"], "10.1.2.3:8001;8003").expand(
        port["replacement"].replace("$", "\\")) == "10.1.2.3:8003"
    assert sources[("__meta_kubernetes_pod_label_app_kubernetes_io_component",)]["target_label"] == "process"
    queues = [j for j in config["scrape_configs"] if j["job_name"] == "rabbitmq-queues"]
    assert queues and queues[0]["metrics_path"] == "/metrics/detailed"


def rule_exprs():
    doc = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return {rule.get("alert") or rule.get("record"): rule["expr"]
            for group in doc["groups"] for rule in group["rules"]}


def test_alert_rules_cover_what_the_operator_must_see():
    exprs = rule_exprs()
    wanted = {
        "RongheProcessDown": "up{",
        "RongheDeadLetterQueueNotEmpty": ".dead-letter",
        "RongheEventsDeadLettered": "ronghe_events_dead_lettered_total",
        "RongheOutboxPendingGrowing": "ronghe_outbox_pending",
        "RongheProjectionLag": "ronghe_projection_lag_seconds",
        "RongheEventQueueNotDraining": ".domain-events",
        "RongheCommunitySilent": "ronghe_district_last_summary_timestamp_seconds",
        "RongheRpcP99High": "ronghe:rpc_seconds:p99_5m",
        "RongheKpiAtRisk": "ronghe_kpi_at_risk",
    }
    for alert, needle in wanted.items():
        assert needle in exprs[alert], alert
    # the lag alert reads the backlog's age, which is 0 when nothing waits: no "time since
    # the last event" (a quiet night would page)
    assert "last_applied" not in exprs["RongheProjectionLag"]
    # every alert keeps the community (aggregations keep it, absent() aside)
    for alert, expr in exprs.items():
        for by in re.findall(r"\b(?:sum|max|min|group) by \(([^)]*)\)", expr):
            if not alert.startswith("ronghe:queue") and alert != "RongheShovelNotRunning":
                assert "community" in by or "vhost" in by, (alert, by)
    assert "ronghe_rpc_seconds_bucket" in exprs["ronghe:rpc_seconds:p99_5m"]


def metric_names_in(expr):
    return set(re.findall(r"\b((?:ronghe|rabbitmq)_[a-z_]+)\b", expr))


def dashboard_exprs(all_values=False):
    """(dashboard, [(panel title, query)]); with ``all_values`` the Grafana variables are
    filled in as their "All" value."""
    dashboard = json.loads((GRAFANA / "ronghe-dashboard.json").read_text(encoding="utf-8"))
    exprs = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            if all_values:
                expr = expr.replace("$process", ".*").replace("$community", ".*")
            exprs.append((panel["title"], expr))
    return dashboard, exprs


# RabbitMQ's own metrics (rabbitmq_prometheus) the rules and the dashboard may read.
RABBITMQ_METRICS = {"rabbitmq_detailed_queue_messages", "rabbitmq_connections",
                    "rabbitmq_channels", "rabbitmq_queue_messages_ready",
                    "rabbitmq_queue_messages_unacked", "rabbitmq_alarms_memory_used_watermark",
                    "rabbitmq_alarms_free_disk_space_watermark",
                    "rabbitmq_shovel_dynamic"}  # RabbitMQ 4.0+, rabbitmq_shovel_prometheus


def test_rules_and_dashboard_use_only_metrics_that_exist():
    known = known_metric_names()
    _, exprs = dashboard_exprs()
    for where, expr in list(rule_exprs().items()) + exprs:
        for name in metric_names_in(expr):
            if name.startswith("rabbitmq_"):
                assert name in RABBITMQ_METRICS, (where, name)
                continue
            assert name in known, f"{where}: {name} is not a metric of common.metrics"


def test_dashboard_is_importable_and_its_queries_parse(tmp_path):
    dashboard, exprs = dashboard_exprs()
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 30
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "community", "process"} <= variables
    # every query of our processes' metrics is filtered by the community chosen
    for title, expr in exprs:
        for selector in re.findall(r"\b(?:up|ronghe_[a-z_]+)\{[^}]*\}", expr):
            assert 'community=~"$community"' in selector, (title, selector)
    for needle in ("ronghe_district_last_summary_timestamp_seconds", "rabbitmq_connections",
                   'status=~"5.."'):
        assert needle in " ".join(e for _, e in exprs), f"dashboard lacks {needle}"
    used = " ".join(e for _, e in exprs)
    for needle in ("up{", "ronghe_rpc_seconds_bucket", "ronghe_outbox_pending",
                   "ronghe_events_dead_lettered_total", "ronghe_projection_lag_seconds",
                   "ronghe_kpi_at_risk", ".dead-letter"):
        assert needle in used, f"dashboard lacks {needle}"
    # promtool parses every query (as recording rules, with Grafana's variables filled in)
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": expr}
        for i, (_, expr) in enumerate(dashboard_exprs(all_values=True)[1])]}]}
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump(rules))
    result = promtool("check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr


# -- against a real Prometheus ---------------------------------------------------------
# Each process runs as production runs it (``python -m common.cli serve <process>``, its
# own /metrics, a fresh registry), scraped every second by a real Prometheus that loads
# the alert and recording rules.

ADMIN = ("operator", "test-operator-password")

def answered(probe):
    """``probe`` for wait_until: None while the process does not listen yet."""
    def attempt():
        try:
            return probe()
        except requests.RequestException:
            return None

    return attempt


@pytest.fixture
def serve(rabbit_config, tmp_path):
    """serve(process) → the base URL of that process, migrated and healthy."""
    children = []

    def serve(process):
        port = free_port()
        db_uri = f"sqlite:///{tmp_path}/{process}.db"
        migrate.upgrade(process, db_uri)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
               "PYTHONUNBUFFERED": "1", "AMQP_URI": rabbit_config["AMQP_URI"],
               "BIND_HOST": "127.0.0.1", f"{process.upper()}_PORT": str(port),
               f"{process.upper()}_DB_URI": db_uri, "RONGHE_ADMIN_USER": ADMIN[0],
               "RONGHE_ADMIN_PASSWORD": ADMIN[1]}
        log = open(tmp_path / f"{process}.log", "w+")
        child = subprocess.Popen([sys.executable, "-m", "common.cli", "serve", process],
                                 cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        children.append((child, log))
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(answered(lambda: child.poll() is None and requests.get(
                f"{base}/health", timeout=2).status_code == 200), timeout=90, interval=0.3,
                message=f"healthy {process}")
        except AssertionError:
            log.seek(0)
            raise AssertionError(f"{process} did not start:\n{log.read()[-3000:]}") from None
        return base

    yield serve
    for child, log in children:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)
        log.close()


@pytest.fixture
def prometheus(tmp_path):
    """prometheus({process: base URL}) → a query function against a real Prometheus
    scraping those processes' /metrics every second, the rules file loaded."""
    binary = require_tool("prometheus", "prometheus")
    children = []

    def start(targets):
        port = free_port()
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES)],
            "scrape_configs": [{"job_name": "ronghe", "metrics_path": "/metrics",
                                "static_configs": [
                                    {"targets": [url.split("//", 1)[1]],
                                     "labels": {"process": process}}
                                    for process, url in targets.items()]}],
        }
        path = tmp_path / "prometheus.yml"
        path.write_text(yaml.safe_dump(config))
        log = open(tmp_path / "prometheus.log", "w+")
        child = subprocess.Popen([binary, f"--config.file={path}",
                                  f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                  f"--web.listen-address=127.0.0.1:{port}"],
                                 stdout=log, stderr=subprocess.STDOUT)
        children.append((child, log))
        base = f"http://127.0.0.1:{port}"

        def query(expr):
            answer = requests.get(f"{base}/api/v1/query", params={"query": expr},
                                  timeout=10).json()
            assert answer["status"] == "success", (expr, answer)
            return answer["data"]["result"]

        wait_until(answered(lambda: len(query('up{job="ronghe"} == 1')) == len(targets)),
                   timeout=60, interval=0.3, message=f"Prometheus scraping {sorted(targets)}")
        return query

    yield start
    for child, log in children:
        child.terminate()
        child.wait(timeout=15)
        log.close()


def values(result):
    return [float(sample["value"][1]) for sample in result]


def test_dashboard_gateway_panels_show_the_traffic(serve, prometheus):
    gateway = serve("gateway")
    query = prometheus({"gateway": gateway})
    client = ApiClient(gateway)
    for _ in range(3):  # after Prometheus's first scrape, so that rates see it
        client.login(*ADMIN)
        assert client.get("/me").status_code == 200
        assert client.get("/vocabularies").status_code == 200
        assert client.get("/no-such-thing").status_code == 404
        time.sleep(0.7)
    _, exprs = dashboard_exprs(all_values=True)
    panels = [(title, expr) for title, expr in exprs if "ronghe_http_seconds" in expr
              and "5.." not in expr]
    assert len(panels) == 3, panels
    for title, expr in panels:
        wait_until(lambda: [v for v in values(query(expr)) if 0 < v < float("inf")],
                   timeout=30, interval=0.3, message=f"data for the panel {title!r}")
    by_status = {r["metric"]["status"] for r in query(dict(panels)[
        "Gateway responses per second by status"])}
    assert {"200", "404"} <= by_status
    by_route = {r["metric"]["route"] for r in query(dict(panels)[
        "Gateway HTTP p99 by route"])}
    assert {"POST /auth/login", "GET /me", "GET /vocabularies", "unmatched"} <= by_route
    recorded = wait_until(lambda: query('ronghe:http_seconds:p99_5m{service="gateway"}'),
                          timeout=30, message="the recording rule ronghe:http_seconds:p99_5m")
    assert all(v > 0 for v in values(recorded))


def test_reports_publishes_the_agreed_gauges(serve, prometheus, rabbit_config):
    """What the alerts RongheProjectionLag and RongheKpiAtRisk read: the lag once the
    reports service applied a fact, each KPI's at-risk flag once someone read the KPIs
    (or the KPI check ran)."""
    reports = serve("reports")
    query = prometheus({"reports": reports})

    def publish_a_fact():
        fact = contracts.envelope("volunteer_registered", {
            "volunteer_id": 1, "volunteer_number": "V0001", "compound": None,
            "skills": ["care"], "talent": False,
            "registered_at": datetime.now(timezone.utc)}, "volunteers", "hetong")
        exchange = bus.exchange("volunteers")
        with Connection(rabbit_config["AMQP_URI"]) as connection:
            connection.Producer().publish(
                json.dumps(fact, ensure_ascii=False), exchange=exchange, declare=[exchange],
                routing_key="volunteer_registered", delivery_mode=2,
                content_type="application/json", content_encoding="utf-8")

    def read_kpis():
        with ClusterRpcProxy({"AMQP_URI": rabbit_config["AMQP_URI"]}, timeout=30) as rpc:
            try:
                return {k["kpi"] for k in rpc.reports.get_kpis()["kpis"]}
            except UnknownService:  # its consumers are still starting
                return None

    kpis = wait_until(read_kpis, timeout=30, interval=0.5, message="the KPIs")
    # Again until applied: a fact published before its queue was bound goes nowhere.
    lag = wait_until(lambda: publish_a_fact() or query(
        'ronghe_projection_lag_seconds{service="reports"}'), timeout=30, interval=1,
        message="ronghe_projection_lag_seconds")
    assert all(0 <= v < 60 for v in values(lag))
    at_risk = wait_until(lambda: query('ronghe_kpi_at_risk{service="reports"}'), timeout=30,
                         message="ronghe_kpi_at_risk")
    assert {r["metric"]["kpi"] for r in at_risk} == kpis
    assert set(values(at_risk)) <= {0.0, 1.0}
