"""Fixtures shared by every suite: real RabbitMQ (a fresh vhost per test, from nameko's
pytest plugin), real databases (SQLite files and throw-away PostgreSQL databases), and a
``stack`` that starts any of the five services in this process with their own ports."""
import os
import socket
import tempfile
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text

from common.config import load_config

PG_ADMIN_URI = os.environ.get("RONGHE_TEST_PG_ADMIN",
                              "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")

SERVICE_CLASSES = {}


def service_classes():
    if not SERVICE_CLASSES:
        from common.cli import SERVICE_CLASSES as paths, service_class

        for process in paths:
            SERVICE_CLASSES[process] = service_class(process)
    return SERVICE_CLASSES


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout=10.0, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")


def refused(response, field, *named):
    """A 422 whose message and details name the field, and whose reasons for it mention
    each of ``named`` (the refused value, the allowed codes)."""
    assert response.status_code == 422, response.text
    error = response.json()
    assert field in error["details"] and field in error["message"]
    reasons = str(error["details"][field])
    for mention in named:
        assert mention in reasons, reasons
    return error


@pytest.fixture
def make_db_uri(tmp_path):
    created = []

    def make(name, backend="sqlite"):
        if backend == "sqlite":
            return f"sqlite:///{tmp_path}/{name}.db"
        dbname = f"ronghe_test_{name}_{uuid.uuid4().hex[:10]}"
        engine = create_engine(PG_ADMIN_URI, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{dbname}"'))
        engine.dispose()
        created.append(dbname)
        return PG_ADMIN_URI.rsplit("/", 1)[0] + "/" + dbname

    yield make
    if created:
        engine = create_engine(PG_ADMIN_URI, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for dbname in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_backend(request):
    return request.param


class ApiClient:
    """requests against the gateway, with a bearer token once logged in."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.http = requests.Session()
        self.token = None

    def login(self, username, password):
        response = self.post("/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        return self

    def request(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        url = path if path.startswith("http") else f"{self.base_url}/api/v1{path}"
        return self.http.request(method, url, headers=headers, timeout=30, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class Stack:
    """Starts services of the real code in this process, each in its own container with
    its own database and port, all on the test's own vhost."""

    ADMIN = ("admin", "test-admin-password")

    def __init__(self, container_factory, rabbit_config, make_db_uri, backend="sqlite"):
        self.container_factory = container_factory
        self.rabbit_config = rabbit_config
        self.make_db_uri = make_db_uri
        self.backend = backend
        self.containers = {}
        self.configs = {}
        self.db_uris = {}

    def config_for(self, process, **overrides):
        if process not in self.configs:
            if process not in self.db_uris:
                self.db_uris[process] = self.make_db_uri(process, self.backend)
            port = free_port()
            config = load_config(process, overrides={
                "AMQP_URI": self.rabbit_config["AMQP_URI"],
                "DB_URI": self.db_uris[process],
                "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
                "SAMPLE_DATA": "true",
                "RONGHE_ADMIN_USER": self.ADMIN[0],
                "RONGHE_ADMIN_PASSWORD": self.ADMIN[1],
                "RPC_TIMEOUT_SECONDS": "3",
                "PUBLIC_RATE_LIMIT_PER_MINUTE": "1000",
                "PUBLIC_PHONE_RATE_LIMIT_PER_MINUTE": "1000",
                # attachments' bytes in a directory of the test's own, not var/
                "ATTACHMENTS_DIR": tempfile.mkdtemp(prefix="ronghe-attachments-"),
            })
            self.configs[process] = config
        self.configs[process].update(overrides)
        return self.configs[process]

    def create_schema(self, process):
        from common.db import make_engine
        from common.migrate import models_metadata, stamp_head

        engine = make_engine(self.config_for(process)["DB_URI"])
        models_metadata(process).create_all(engine)
        stamp_head(process, engine)  # tables from the models are the head's schema
        engine.dispose()

    def start(self, *processes, **overrides):
        for process in processes:
            config = self.config_for(process, **overrides)
            self.create_schema(process)
            container = self.container_factory(service_classes()[process], config)
            container.start()
            self.containers[process] = container
        return self

    def stop(self, process):
        self.containers.pop(process).stop()

    def kill(self, process):
        self.containers.pop(process).kill()

    def url(self, process):
        return f"http://{self.configs[process]['WEB_SERVER_ADDRESS']}"

    def client(self, login=True):
        client = ApiClient(self.url("gateway"))
        if login:
            client.login(*self.ADMIN)
        return client

    def engine(self, process):
        from common.db import make_engine

        return make_engine(self.config_for(process)["DB_URI"])

    def rpc(self):
        from nameko.standalone.rpc import ClusterRpcProxy

        return ClusterRpcProxy({"AMQP_URI": self.rabbit_config["AMQP_URI"]}, timeout=10)

    def kpi(self, client, name):
        kpis = client.get("/reports/kpis").json()["kpis"]
        return next(k["actual"] for k in kpis if k["kpi"] == name)


@pytest.fixture
def stack(rabbit_config, make_db_uri, container_factory):
    return Stack(container_factory, rabbit_config, make_db_uri)


@pytest.fixture
def full_stack(stack):
    return stack.start("resources", "volunteers", "events", "reports", "gateway")
