"""deploy/prometheus and deploy/grafana: promtool accepts the alert rules and both scrape
configs, the rules' unit tests pass, the Kubernetes scrape config follows the annotations
the manifests carry, and every metric that rules and dashboard use exists (or is the one
agreed with the reports service)."""
import json
import re
import subprocess

import pytest
import yaml

from common import metrics
from tests.deploy.conftest import GRAFANA, PROMETHEUS, require_tool

RULES = PROMETHEUS / "rules" / "ronghe.rules.yml"
# Gauges the reports service publishes under these names (agreed; see docs/operations.md).
AGREED = {"ronghe_projection_lag_seconds", "ronghe_kpi_at_risk"}


def promtool(*args):
    tool = require_tool("promtool", "prometheus")
    return subprocess.run([tool, *map(str, args)], capture_output=True, text=True, timeout=60)


def known_metric_names():
    names = set(AGREED)
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
        "RongheRpcP99High": "ronghe:rpc_seconds:p99_5m",
        "RongheKpiAtRisk": "ronghe_kpi_at_risk",
    }
    for alert, needle in wanted.items():
        assert needle in exprs[alert], alert
    assert "ronghe_rpc_seconds_bucket" in exprs["ronghe:rpc_seconds:p99_5m"]


def metric_names_in(expr):
    return set(re.findall(r"\b((?:ronghe|rabbitmq)_[a-z_]+)\b", expr))


def dashboard_exprs():
    dashboard = json.loads((GRAFANA / "ronghe-dashboard.json").read_text(encoding="utf-8"))
    exprs = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            exprs.append((panel["title"], target["expr"]))
    return dashboard, exprs


def test_rules_and_dashboard_use_only_metrics_that_exist():
    known = known_metric_names()
    _, exprs = dashboard_exprs()
    for where, expr in list(rule_exprs().items()) + exprs:
        for name in metric_names_in(expr):
            if name.startswith("rabbitmq_"):
                assert name == "rabbitmq_detailed_queue_messages", (where, name)
                continue
            assert name in known, f"{where}: {name} is not a metric of common.metrics"


def test_dashboard_is_importable_and_its_queries_parse(tmp_path):
    dashboard, exprs = dashboard_exprs()
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 30
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "process"} <= variables
    used = " ".join(e for _, e in exprs)
    for needle in ("up{", "ronghe_rpc_seconds_bucket", "ronghe_outbox_pending",
                   "ronghe_events_dead_lettered_total", "ronghe_projection_lag_seconds",
                   "ronghe_kpi_at_risk", ".dead-letter"):
        assert needle in used, f"dashboard lacks {needle}"
    # promtool parses every query (as recording rules, with Grafana's variables filled in)
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": expr.replace("$process", ".*")}
        for i, (_, expr) in enumerate(exprs)]}]}
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump(rules))
    result = promtool("check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_reports_publishes_the_agreed_gauges():
    """The rules and the dashboard read ronghe_projection_lag_seconds and
    ronghe_kpi_at_risk{kpi}; this fails (xfail) until the reports service exports them."""
    import importlib

    for module in ("services.reports.metrics", "services.reports.service"):
        try:
            importlib.import_module(module)
        except ImportError:
            pass
    names = {family.name for family in metrics.REGISTRY.collect()}
    missing = sorted(AGREED - names)
    if missing:
        pytest.xfail(f"reports does not export {missing} yet (it has "
                     f"{sorted(n for n in names if n.startswith('ronghe_reports_'))}); "
                     f"alerts RongheProjectionLag / RongheKpiAtRisk stay silent until it does")
