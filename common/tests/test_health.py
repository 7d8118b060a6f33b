"""``/health``: ready only while the process can do its work, which includes consuming
from each of its queues; a queue left without a consumer makes it not ready."""
import os
import subprocess
import sys

import pytest
import requests
from kombu import Connection, Queue

from common.config import ROOT
from tests.fixtures import service_classes, wait_until

from common.db import make_engine
from common.ops import health_report


def test_a_running_service_is_ready_with_a_consumer_on_each_of_its_queues(stack):
    stack.start("volunteers", "gateway")
    for process in ("volunteers", "gateway"):
        response = requests.get(stack.url(process) + "/health", timeout=10)
        assert response.status_code == 200, response.text
        assert response.json()["checks"]["consumers"] == "ok"


def test_a_queue_without_a_consumer_is_not_ready_and_named(rabbit_config, make_db_uri):
    amqp_uri = rabbit_config["AMQP_URI"]
    with Connection(amqp_uri) as conn:
        Queue("rpc-orphaned", channel=conn.default_channel).declare()
    engine = make_engine(make_db_uri("orphaned"))
    healthy, report = health_report("orphaned", engine, amqp_uri, ["rpc-orphaned"])
    assert not healthy
    assert report["status"] == "degraded"
    assert report["checks"]["consumers"] == "none on rpc-orphaned"


def test_a_queue_the_broker_no_longer_has_is_not_ready(rabbit_config, make_db_uri):
    engine = make_engine(make_db_uri("vanished"))
    healthy, report = health_report("vanished", engine, rabbit_config["AMQP_URI"],
                                    ["rpc-vanished"])
    assert not healthy
    assert report["checks"]["consumers"] == "none on rpc-vanished"


@pytest.mark.parametrize("process, start_at", [("volunteers", None), ("gateway", None),
                                                ("events", "previous")])
def test_a_service_on_an_unmigrated_database_is_alive_not_ready_and_says_why_until_migrated(
        stack, container_factory, process, start_at):
    """Schema before traffic: the revision the code expects is named, and once the
    migrations step ran the same running process becomes ready, without a restart.
    ``previous``: the database of the release before (one revision behind), as found
    by an upgrade."""
    from common import migrate

    config = stack.config_for(process)  # its own, empty SQLite file
    head = migrate.expected_head(process)
    found = "no revision (never migrated)"
    if start_at == "previous":
        found = migrate._script(process).get_revision(head).down_revision
        migrate.upgrade(process, config["DB_URI"], revision=found)
    container = container_factory(service_classes()[process], config)
    container.start()
    base = stack.url(process)

    live = requests.get(base + "/health/live", timeout=10)
    assert live.status_code == 200 and live.json()["status"] == "alive"
    for path in ("/health/ready", "/health"):
        ready = requests.get(base + path, timeout=10)
        assert ready.status_code == 503, ready.text
        schema = ready.json()["checks"]["schema"]
        assert schema == (f"at {found}, this code expects {head}: "
                          f"run `python -m common.cli migrate {process}`")

    env = dict(os.environ, **{f"{process.upper()}_DB_URI": config["DB_URI"]})
    result = subprocess.run([sys.executable, "-m", "common.cli", "migrate", process], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]

    wait_until(lambda: requests.get(base + "/health/ready", timeout=10).status_code == 200,
               timeout=20, interval=0.5, message=f"{process} ready after migrate")
    assert requests.get(base + "/health/ready", timeout=10).json()["checks"]["schema"] == "ok"
    if process == "gateway":  # the first admin was created once the schema was there
        wait_until(lambda: requests.post(base + "/api/v1/auth/login", timeout=10, json=dict(
            zip(("username", "password"), stack.ADMIN))).status_code == 200,
            timeout=20, interval=0.5, message="admin login after migrate")


def test_liveness_asks_neither_the_database_nor_the_broker(stack, monkeypatch):
    """An outage of the database or the broker makes a pod not ready, never restarts it."""
    from common import ops

    stack.start("volunteers")
    base = stack.url("volunteers")

    def down(*_args, **_kwargs):
        raise ConnectionError("outage")

    monkeypatch.setattr(ops.db, "ping", down)
    monkeypatch.setattr(ops, "broker_reachable", lambda *a, **k: False)
    ready = requests.get(base + "/health/ready", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "error: ConnectionError"
    assert ready.json()["checks"]["broker"] == "unreachable"
    assert requests.get(base + "/health/live", timeout=10).status_code == 200


def test_the_broker_says_how_many_messages_wait_in_a_queue(rabbit_config):
    """What the projection lag reads at scrape time (services/reports/metrics.py)."""
    from kombu import Producer

    from common.ops import queue_messages

    amqp_uri = rabbit_config["AMQP_URI"]
    assert queue_messages(amqp_uri, "never-declared", cache_seconds=0) == 0
    with Connection(amqp_uri) as conn:
        queue = Queue("waiting-facts", channel=conn.default_channel)
        queue.declare()
        producer = Producer(conn.default_channel)
        for n in range(3):
            producer.publish({"n": n}, routing_key="waiting-facts")
    wait_until(lambda: queue_messages(amqp_uri, "waiting-facts", cache_seconds=0) == 3,
               timeout=10, message="3 messages counted")
    assert queue_messages("amqp://guest:guest@127.0.0.1:1/", "x", cache_seconds=0) is None
