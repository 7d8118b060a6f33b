"""The broker as a cluster: our durable queues are quorum queues, an older version's
classic queues are moved to quorum with their messages, and AMQP_URI may name several
nodes (a dead one is passed over)."""
import os
import subprocess
import sys

import pytest
from amqp.exceptions import PreconditionFailed
from kombu import Connection, Queue

from common import bus
from common.config import ROOT, ConfigError, load_config
from common.tests.test_delivery import publish_raw, reports_figure, volunteer_registered
from tests.fixtures import Stack, free_port, wait_until

VOLUNTEER = {"name": "林阿姨", "phone": "13900002222", "skills": ["care"]}


def queue_type(rabbit_manager, rabbit_config, name):
    return rabbit_manager.get_queue(rabbit_config["vhost"], name).get("type")


def test_every_durable_queue_of_ours_is_a_quorum_queue(stack, rabbit_manager):
    stack.start("reports")  # declares the registry's queues and its own RPC queue
    config = stack.rabbit_config
    for service in bus.consuming_services():
        assert queue_type(rabbit_manager, config, bus.queue_name(service)) == "quorum"
        assert queue_type(rabbit_manager, config, bus.dead_letter_queue_name(service)) == "quorum"
    assert queue_type(rabbit_manager, config, "rpc-reports") == "quorum"
    # A caller's reply queue (events calls resources) stays a classic queue, transient.
    stack.start("events")
    replies = [q for q in rabbit_manager.get_queues(config["vhost"])
               if q["name"].startswith("rpc.reply-events")]
    assert replies and all(q["type"] == "classic" and not q["durable"] for q in replies)


def declare_as_an_older_version(amqp_uri):
    """What the previous version left on the broker: the same names, classic queues."""
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for queue in bus.durable_queues():
            Queue(queue.name, exchange=queue.exchange, routing_key=queue.routing_key,
                  bindings=queue.bindings, durable=True)(channel).declare()


def run_cli(amqp_uri, *args):
    env = dict(os.environ, AMQP_URI=amqp_uri)
    return subprocess.run([sys.executable, "-m", "common.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_classic_queues_of_an_older_version_are_refused_then_migrated_with_their_facts(
        stack, rabbit_manager):
    amqp_uri = stack.rabbit_config["AMQP_URI"]
    declare_as_an_older_version(amqp_uri)
    for n in (1, 2, 3):
        publish_raw(amqp_uri, volunteer_registered(n))  # waiting in the classic queue
    assert queue_type(rabbit_manager, stack.rabbit_config, "reports.domain-events") == "classic"

    with pytest.raises(bus.ClassicQueueFound, match="migrate-queues"):
        bus.declare_topology(amqp_uri)

    migrated = run_cli(amqp_uri, "migrate-queues")
    assert migrated.returncode == 0, migrated.stderr
    assert "reports.domain-events: migrated to quorum (3 messages)" in migrated.stderr
    for queue in bus.durable_queues():
        assert queue_type(rabbit_manager, stack.rabbit_config, queue.name) == "quorum"
    leftovers = [q["name"] for q in rabbit_manager.get_queues(stack.rabbit_config["vhost"])
                 if q["name"].endswith(bus.MIGRATION_SUFFIX)]
    assert leftovers == []

    again = run_cli(amqp_uri, "migrate-queues")  # nothing left to do
    assert again.returncode == 0 and "migrated" not in again.stderr

    stack.start("reports")
    wait_until(lambda: reports_figure(stack) == 3, message="the three facts to be counted")
    publish_raw(amqp_uri, volunteer_registered(4))  # the new queue keeps its bindings
    wait_until(lambda: reports_figure(stack) == 4, message="a new fact to be counted")


def test_migration_refuses_a_queue_that_still_has_a_consumer(stack):
    amqp_uri = stack.rabbit_config["AMQP_URI"]
    declare_as_an_older_version(amqp_uri)
    publish_raw(amqp_uri, volunteer_registered(1))
    with Connection(amqp_uri) as conn:  # an old reports still running
        channel = conn.channel()
        channel.basic_consume("reports.domain-events", callback=lambda m: None)
        with pytest.raises(PreconditionFailed):
            bus.migrate_queues(amqp_uri, report=lambda line: None)
    # Nothing was lost: once that consumer is gone, the next run moves its fact.
    result = run_cli(amqp_uri, "migrate-queues")
    assert result.returncode == 0, result.stderr
    stack.start("reports")
    wait_until(lambda: reports_figure(stack) == 1, message="the fact to be counted")


def test_a_dead_broker_address_in_the_list_is_passed_over(rabbit_config, make_db_uri,
                                                          container_factory):
    """AMQP_URI names a node that is down first: consumers, the outbox relay and RPC
    (the services' and a standalone caller's) all reach the one that answers."""
    dead = f"amqp://guest:guest@127.0.0.1:{free_port()}/{rabbit_config['vhost']}"
    stack = Stack(container_factory, {"AMQP_URI": f"{dead};{rabbit_config['AMQP_URI']}"},
                  make_db_uri)
    stack.start("volunteers", "reports")
    with stack.rpc() as proxy:
        proxy.volunteers.create_volunteer(VOLUNTEER)
    wait_until(lambda: reports_figure(stack) == 1, timeout=20,
               message="the fact to go through the live node")


@pytest.mark.parametrize("amqp_uri, accepted", [
    ("amqp://u:p@node1:5672/ronghe-hetong;amqp://u:p@node2:5672/ronghe-hetong", True),
    ("amqp://u:p@node1:5672/ronghe-hetong", True),
    ("amqp://u:p@node1:5672/ronghe-hetong,amqp://u:p@node2:5672/ronghe-hetong", False),
    ("amqp://u:p@node1:5672/ronghe-hetong;amqp://u:p@node2:5672/ronghe-jinshan", False),
    ("node1:5672", False),
])
def test_several_broker_addresses_are_checked_at_start(amqp_uri, accepted):
    if accepted:
        assert load_config("reports", environ={"AMQP_URI": amqp_uri})["AMQP_URI"] == amqp_uri
    else:
        with pytest.raises(ConfigError, match="AMQP_URI") as refused:
            load_config("reports", environ={"AMQP_URI": amqp_uri})
        assert "u:p" not in str(refused.value)  # never the credentials


def test_no_broker_password_in_the_logs_when_several_nodes_are_named():
    """nameko masks only the first node's password when it logs a connection error."""
    import logging

    from common.logs import JsonFormatter

    record = logging.LogRecord(
        "nameko.messaging", logging.WARNING, __file__, 1,
        "Error connecting to broker at %s (ECONNREFUSED).", (
            "amqp://ronghe:********@node1:5672/ronghe-hetong;"
            "amqp://ronghe:s3cret-pw@node2:5672/ronghe-hetong",), None)
    line = JsonFormatter("reports").format(record)
    assert "s3cret-pw" not in line and "amqp://ronghe:********@node2" in line
