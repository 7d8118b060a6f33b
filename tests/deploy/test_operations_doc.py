"""docs/operations.md names everything an operator may have to set or will be paged for."""
import re

import yaml

from common.config import PROCESSES, config_keys
from tests.deploy.conftest import COMPOSE_FILE, K8S, PROMETHEUS, ROOT

DOC = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def test_every_environment_variable_is_documented():
    names = set().union(*(config_keys(p) for p in PROCESSES))
    names |= set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text(encoding="utf-8")))
    base = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text(encoding="utf-8"))
    for generator in base["configMapGenerator"]:
        names |= {lit.split("=", 1)[0] for lit in generator["literals"]}
    secret = yaml.safe_load((K8S / "base" / "secret.example.yaml").read_text(encoding="utf-8"))
    names |= set(secret["stringData"])
    missing = sorted(n for n in names if f"`{n}`" not in DOC)
    assert not missing, f"docs/operations.md does not mention {missing}"


def test_every_alert_is_explained():
    rules = yaml.safe_load((PROMETHEUS / "rules" / "ronghe.rules.yml").read_text(encoding="utf-8"))
    alerts = [r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r]
    missing = [a for a in alerts if f"| `{a}` |" not in DOC]
    assert not missing, f"docs/operations.md has no row for {missing}"


def test_the_sections_an_operator_needs_exist():
    for heading in ("## Install: one host with docker compose", "## Install: Kubernetes",
                    "## Configure: every variable", "## Upgrade (with migrations)",
                    "## Back up and restore", "## Add a community", "## Dashboards and alerts",
                    "## Handle a dead-letter queue (DLQ)"):
        assert heading in DOC, heading
    for needle in ("pg_dump", "pg_restore", ".backup", "deploy/district/shovels.py",
                   "rabbitmqadmin", "purge", "Move messages", "delete job ronghe-migrate"):
        assert needle in DOC, needle


def test_the_table_of_processes_says_which_consume_events():
    """Only the services named as consumers in common/contracts read domain events."""
    from common.bus import consuming_services

    consumers = set(consuming_services())
    rows = re.findall(r"^\| (\w+) \| `serve \w+` \|.*\| (yes|no)\b[^|]*\|$", DOC, re.M)
    assert {p for p, _ in rows} == set(PROCESSES)
    assert {p for p, reads in rows if reads == "yes"} == consumers
