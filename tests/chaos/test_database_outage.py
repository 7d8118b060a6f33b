"""A service's database unavailable for a while: the gateway answers 503 quickly, nothing
is half-written, and everything works again once the database is back."""
import time

import pytest
from sqlalchemy import create_engine, text

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
    time.sleep(1)
    assert stack.kpi(client, "volunteers_registered") == 2
