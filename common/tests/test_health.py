"""``/health``: ready only while the process can do its work, which includes consuming
from each of its queues; a queue left without a consumer makes it not ready."""
import requests
from kombu import Connection, Queue

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
