"""The DLQ procedure of docs/operations.md, on the local broker: inspect without removing,
requeue to ``<service>.domain-events`` with the documented one-shot shovel (rabbitmqadmin),
purge. Uses a throw-away vhost."""
import json
import shutil
import subprocess
import time
import uuid

import pytest
import requests

from tests.deploy.conftest import ROOT

MANAGEMENT = "http://127.0.0.1:15672"
AUTH = ("guest", "guest")


def api(method, path, **kwargs):
    return requests.request(method, f"{MANAGEMENT}/api{path}", auth=AUTH, timeout=10, **kwargs)


@pytest.fixture
def vhost():
    name = f"ronghe-dlq-test-{uuid.uuid4().hex[:8]}"
    try:
        r = api("PUT", f"/vhosts/{name}")
    except requests.RequestException as exc:
        pytest.skip(f"RabbitMQ management API not reachable at {MANAGEMENT}: {exc}")
    assert r.status_code in (201, 204)
    api("PUT", f"/permissions/{name}/guest", json={"configure": ".*", "write": ".*", "read": ".*"})
    yield name
    api("DELETE", f"/vhosts/{name}")


def depth(vhost, queue, expected, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        q = api("GET", f"/queues/{vhost}/{queue}").json()
        if q.get("messages") == expected or time.monotonic() > deadline:
            return q.get("messages")
        time.sleep(0.5)


def test_inspect_requeue_and_purge_as_documented(vhost):
    admin = shutil.which("rabbitmqadmin")
    if not admin:
        pytest.skip("rabbitmqadmin is not installed (it comes with the rabbitmq-server package)")
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert '"src-delete-after": "queue-length"' in doc and "ackmode=ack_requeue_true" in doc
    assert '"src-uri": "amqp:///ronghe-hetong"' in doc

    for queue in ("reports.dead-letter", "reports.domain-events"):
        assert api("PUT", f"/queues/{vhost}/{queue}", json={"durable": True}).status_code in (201, 204)
    for i in range(2):
        body = {"properties": {"headers": {"x-ronghe-event-type": "hours_approved",
                                           "x-ronghe-error": "boom", "x-ronghe-attempts": 3},
                               "delivery_mode": 2},
                "routing_key": "reports.dead-letter", "payload": json.dumps({"n": i}),
                "payload_encoding": "string"}
        assert api("POST", f"/exchanges/{vhost}/amq.default/publish", json=body).json()["routed"]
    base = [admin, "-H", "127.0.0.1", "-u", "guest", "-p", "guest", "-V", vhost]

    # 1. inspect: look, leave the messages where they are
    out = subprocess.run(base + ["-f", "raw_json", "get", "queue=reports.dead-letter", "count=10",
                                 "ackmode=ack_requeue_true"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert len(seen) == 2 and seen[0]["properties"]["headers"]["x-ronghe-error"] == "boom"
    assert depth(vhost, "reports.dead-letter", 2) == 2

    # 3. requeue: the one-shot shovel from the document
    # as documented, with this test's vhost in place of ronghe-hetong
    value = json.dumps({"src-uri": f"amqp:///{vhost}", "src-queue": "reports.dead-letter",
                        "dest-uri": f"amqp:///{vhost}", "dest-queue": "reports.domain-events",
                        "src-delete-after": "queue-length", "ack-mode": "on-confirm"})
    out = subprocess.run(base + ["declare", "parameter", "component=shovel",
                                 "name=requeue-reports-dlq", f"value={value}"],
                         capture_output=True, text=True, timeout=30)
    if out.returncode != 0 and "shovel" in (out.stdout + out.stderr).lower():
        pytest.skip(f"the rabbitmq_shovel plugin is not enabled: {out.stdout}{out.stderr}")
    assert out.returncode == 0, out.stdout + out.stderr
    assert depth(vhost, "reports.domain-events", 2) == 2
    assert depth(vhost, "reports.dead-letter", 0) == 0

    # 4. purge
    api("POST", f"/exchanges/{vhost}/amq.default/publish",
        json={"properties": {}, "routing_key": "reports.dead-letter", "payload": "{}",
              "payload_encoding": "string"})
    assert depth(vhost, "reports.dead-letter", 1) == 1
    out = subprocess.run(base + ["purge", "queue", "name=reports.dead-letter"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert depth(vhost, "reports.dead-letter", 0) == 0
