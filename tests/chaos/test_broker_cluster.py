"""The broker as a cluster: a private three-node RabbitMQ cluster carries a stream of facts
from volunteers' outbox to reports' projections; the node leading the domain-event queues
(and holding every client connection) is SIGKILLed mid-stream. Afterwards reports' figure
and inbox equal the test's own count, nothing lost and nothing counted twice, and the
stack answered again (the gateway and the facts both) within a bound measured here and
printed for docs/operations.md.

Run with ``make chaos`` (marker ``cluster``): three Erlang VMs are too heavy for the
normal suite on a small machine.
"""
import time

import eventlet
import pytest
import requests

from common import bus
from tests.chaos.broker_cluster import BrokerCluster, rabbitmq_available
from services.reports.models import metadata as reports_metadata
from tests.chaos.test_delivery_faults import FactStream, count, registered_figure, unsent
from tests.fixtures import Stack, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.slow,
              pytest.mark.skipif(not rabbitmq_available(), reason="RabbitMQ is not installed"),
              pytest.mark.timeout(300)]

FACTS = 4000
KILL_AFTER = 800


@pytest.fixture
def cluster():
    with BrokerCluster(3) as started:
        yield started


@pytest.fixture
def cluster_stack(cluster, make_db_uri, container_factory):
    """volunteers, reports and the gateway on the cluster, AMQP_URI naming all three
    nodes."""
    stack = Stack(container_factory, {"AMQP_URI": cluster.amqp_uri}, make_db_uri)
    yield stack
    # Stopped while the cluster still runs: a container stopping without any broker
    # would wait for its consumers to reconnect.
    for container in stack.containers.values():
        with eventlet.Timeout(30, False):
            container.stop()
        container.kill()


def gateway_answers(client, statuses):
    try:
        status = client.get("/reports/kpis").status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    statuses[status] = statuses.get(status, 0) + 1
    return status == 200


def test_leader_node_sigkilled_while_facts_flow(cluster, cluster_stack):
    stack = cluster_stack
    stack.start("volunteers", "reports", "gateway")
    client = stack.client()
    queue = bus.queue_name("reports")
    assert cluster.queue_type(queue) == "quorum"
    members = cluster.any_node().ctl("list_queues", "-q", "--no-table-headers", "name",
                                     "members")
    assert all(node.name in members for node in cluster.nodes)  # replicated on all three

    stream = FactStream(stack.db_uris["volunteers"], FACTS, batch=20, pause=0.02).start()
    reports_db = stack.db_uris["reports"]
    wait_until(lambda: registered_figure(reports_db) > KILL_AFTER, timeout=60,
               message="the stream to be flowing")
    leader = cluster.quorum_leader(queue)
    figure_at_kill = registered_figure(reports_db)
    killed_at = time.monotonic()
    leader.sigkill()

    wait_until(lambda: registered_figure(reports_db) > figure_at_kill + 200, timeout=60,
               interval=0.1, message="facts to flow again through the surviving nodes")
    facts_after = time.monotonic() - killed_at
    statuses = {}
    wait_until(lambda: gateway_answers(client, statuses), timeout=60, interval=0.2,
               message="the gateway to answer again")
    gateway_after = time.monotonic() - killed_at
    cluster.wait_queue_leader_elected(queue)  # (already, or facts would not flow)

    stream.join()
    wait_until(lambda: registered_figure(reports_db) >= FACTS, timeout=120, interval=0.5,
               message=f"reports to count {FACTS} facts")
    wait_until(lambda: unsent(stack) == 0, timeout=30, interval=0.5,
               message="the relay to have every fact confirmed")
    wait_until(lambda: cluster.queue_drained(queue), timeout=60, interval=0.5,
               message="reports' queue to be drained")
    counted = int(registered_figure(reports_db))
    print(f"\ncluster figures: SIGKILLed {leader.name}, leader of {queue}, at "
          f"{int(figure_at_kill)}/{FACTS} facts; facts flowing again after "
          f"{facts_after:.1f} s; gateway answering again after {gateway_after:.1f} s "
          f"(answers meanwhile: {statuses}); "
          f"counted {counted} (lost or doubled: {counted - FACTS})")
    assert registered_figure(reports_db) == FACTS
    assert count(reports_db, reports_metadata, "inbox") == FACTS
    assert cluster.quorum_leader(queue) is not leader
