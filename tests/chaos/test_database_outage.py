"""A service's database unavailable for a while: the gateway answers 503 quickly, nothing
is half-written, facts wait in the queue without using up their attempts, and everything
works again once the database is back."""
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from common import bus, metrics
from common.migrate import models_metadata
from tests.chaos.conftest import queue_drained
from tests.fixtures import PG_ADMIN_URI, Stack, wait_until

pytestmark = pytest.mark.postgres


def set_connections_allowed(dbname, allowed):
    engine = create_engine(PG_ADMIN_URI, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": dbname})
    engine.dispose()


def rows(stack, process, table_name, where=None):
    table = models_metadata(process).tables[table_name]
    query = select(func.count()).select_from(table)
    if where is not None:
        query = query.where(where(table))
    engine = stack.engine(process)
    with engine.connect() as conn:
        n = conn.execute(query).scalar_one()
    engine.dispose()
    return n


def settled(stack):
    """Every fact of volunteers confirmed by the broker and handled by reports."""
    return rows(stack, "volunteers", "outbox", lambda t: t.c.sent_at.is_(None)) == 0 and \
        queue_drained(stack.rabbit_config["AMQP_URI"], bus.queue_name("reports"))


def registered_in_reports_inbox(stack):
    return rows(stack, "reports", "inbox", lambda t: t.c.event_type == "volunteer_registered")


def test_volunteers_database_outage(rabbit_config, make_db_uri, container_factory):
    stack = Stack(container_factory, rabbit_config, make_db_uri, backend="postgresql")
    stack.start("volunteers", "reports", "gateway")
    client = stack.client()
    first = client.post("/volunteers", json={"name": "甲", "phone": "13600000001"})
    assert first.status_code == 201, first.text
    wait_until(lambda: stack.kpi(client, "volunteers_registered") == 1)

    dbname = stack.db_uris["volunteers"].rsplit("/", 1)[1]
    set_connections_allowed(dbname, False)
    try:
        bound = float(stack.configs["gateway"]["RPC_TIMEOUT_SECONDS"]) + 2
        for method, path, body in (("POST", "/volunteers", {"name": "乙", "phone": "13600000002"}),
                                   ("GET", "/volunteers", None),
                                   ("GET", f"/volunteers/{first.json()['id']}", None)):
            started = time.monotonic()
            response = client.request(method, path, json=body)
            assert response.status_code == 503, (path, response.text)
            assert response.json()["error"] == "SERVICE_UNAVAILABLE"
            assert time.monotonic() - started < bound
        # Reports keeps answering from its own database.
        assert stack.kpi(client, "volunteers_registered") == 1
    finally:
        set_connections_allowed(dbname, True)

    # Nothing of the refused registration was written: the same phone registers now.
    second = client.post("/volunteers", json={"name": "乙", "phone": "13600000002"})
    assert second.status_code == 201, second.text
    assert client.get("/volunteers").json()["total"] == 2
    wait_until(lambda: stack.kpi(client, "volunteers_registered") == 2,
               message="reports to count the second volunteer once")
    wait_until(lambda: settled(stack), interval=0.5, message="nothing left in flight")
    assert stack.kpi(client, "volunteers_registered") == 2
    assert registered_in_reports_inbox(stack) == 2


def test_reports_database_outage(rabbit_config, make_db_uri, container_factory):
    """Facts keep arriving while reports' own database refuses connections: they are
    requeued (not retried, not dead-lettered) until it returns, then counted once each."""
    stack = Stack(container_factory, rabbit_config, make_db_uri, backend="postgresql")
    stack.start("volunteers", "reports")
    amqp_uri = rabbit_config["AMQP_URI"]
    retried = metrics.EVENTS_RETRIED.labels("reports", "volunteer_registered")._value.get()
    failed = metrics.WORKER_ERRORS.labels("reports", "handle_domain_events")
    failed_before = failed._value.get()
    dbname = stack.db_uris["reports"].rsplit("/", 1)[1]
    set_connections_allowed(dbname, False)
    try:
        with stack.rpc() as rpc:
            for i in range(20):
                rpc.volunteers.create_volunteer({"name": "丙", "phone": f"136000001{i:02d}"})
        # Reports found its database down twice at least: the facts went back to the
        # queue after a pause and came again.
        wait_until(lambda: failed._value.get() - failed_before >= 2,
                   message="reports to meet its database down")
    finally:
        set_connections_allowed(dbname, True)
    wait_until(lambda: registered_in_reports_inbox(stack) == 20, timeout=30,
               message="reports to count the facts once its database is back")
    wait_until(lambda: settled(stack), interval=0.5, message="nothing left in flight")
    assert registered_in_reports_inbox(stack) == 20
    assert metrics.EVENTS_RETRIED.labels("reports", "volunteer_registered")._value.get() == \
        retried
    assert queue_drained(amqp_uri, bus.dead_letter_queue_name("reports"))
    with stack.rpc() as rpc:
        kpis = rpc.reports.get_kpis()["kpis"]
    assert next(k["actual"] for k in kpis if k["kpi"] == "volunteers_registered") == 20
