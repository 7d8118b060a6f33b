"""The image's command line, run without Docker: the argv that compose and Kubernetes give
the image (Dockerfile ENTRYPOINT + their command/args) migrates the databases and starts
each process; /health answers 200, /metrics is served, and SIGTERM stops it within seconds.

Each process runs as a real subprocess, in production mode (real secrets, so the
development-default guard is exercised), against temporary SQLite files and a throw-away
RabbitMQ vhost created and deleted through the management API."""
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests

from common.config import PROCESSES, config_keys
from tests.deploy.conftest import ROOT, image_entrypoint, kustomize, K8S

MANAGEMENT = os.environ.get("RONGHE_TEST_RABBIT_MANAGEMENT", "http://127.0.0.1:15672")
AMQP_HOST = os.environ.get("RONGHE_TEST_AMQP_HOST", "127.0.0.1:5672")
AUTH = ("guest", "guest")
# nameko drains each consumer for up to ~1 s; under a loaded 2-core machine a stop measured
# 3-6.5 s. Compose gives 15 s (stop_grace_period), Kubernetes 30 s.
STOP_WITHIN_SECONDS = 10
# generous: five processes start at once on a shared 2-core machine
START_WITHIN_SECONDS = 90


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrations_dir(process):
    return ROOT / ("gateway" if process == "gateway" else f"services/{process}") / "migrations"


def has_migrations(process):
    return any((migrations_dir(process) / "versions").glob("*.py"))


def local_argv(image_argv):
    """The image runs `python ...` from /app; here the same argv with this interpreter."""
    assert image_argv[0] == "python"
    return [sys.executable] + image_argv[1:]


@pytest.fixture(scope="module")
def image_commands(compose):
    """{what: argv} as compose runs the image, checked equal to what Kubernetes runs."""
    entry = image_entrypoint()
    commands = {name: entry + svc["command"] for name, svc in compose["services"].items()
                if svc.get("command") and svc["command"][0] in ("serve", "migrate")}
    try:
        docs = kustomize(K8S / "base")
    except pytest.skip.Exception:
        docs = None
    if docs:
        for doc in docs:
            if doc["kind"] == "Deployment":
                (c,) = doc["spec"]["template"]["spec"]["containers"]
                assert entry + c["args"] == commands[doc["metadata"]["name"]]
            if doc["kind"] == "Job":
                (c,) = doc["spec"]["template"]["spec"]["containers"]
                assert entry + c["args"] == commands["migrate"]
    return commands


@pytest.fixture(scope="module")
def vhost():
    name = f"ronghe-deploy-test-{uuid.uuid4().hex[:8]}"
    try:
        r = requests.put(f"{MANAGEMENT}/api/vhosts/{name}", auth=AUTH, timeout=5)
    except requests.RequestException as exc:
        pytest.skip(f"RabbitMQ management API not reachable at {MANAGEMENT}: {exc}")
    assert r.status_code in (201, 204), r.text
    r = requests.put(f"{MANAGEMENT}/api/permissions/{name}/guest", auth=AUTH, timeout=5,
                     json={"configure": ".*", "write": ".*", "read": ".*"})
    assert r.status_code in (201, 204), r.text
    yield name
    requests.delete(f"{MANAGEMENT}/api/vhosts/{name}", auth=AUTH, timeout=10)


@pytest.fixture(scope="module")
def environment(tmp_path_factory, vhost):
    """What compose/Kubernetes give the containers, pointed at local, temporary things."""
    data = tmp_path_factory.mktemp("ronghe-data")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data),
        "TMPDIR": str(data),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "AMQP_URI": f"amqp://guest:guest@{AMQP_HOST}/{vhost}",
        "BIND_HOST": "127.0.0.1",
        "COMMUNITY_ID": "deploytest",
        "TIMEZONE": "Asia/Shanghai",
        "RONGHE_ENV": "production",
        "LOG_LEVEL": "INFO",
        "SAMPLE_DATA": "true",
        "IDEMPOTENCY_RETENTION_HOURS": "24",
        "CASE_HIGH_RISK_CONTACT_DAYS": "14",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "PII_KEY": secrets.token_urlsafe(48),
        "PII_HASH_KEY": secrets.token_urlsafe(48),
        "RONGHE_ADMIN_USER": "operator",
        "RONGHE_ADMIN_PASSWORD": "test-" + uuid.uuid4().hex,
        "JWT_TTL_SECONDS": "3600",
        "JWT_MAX_LIFETIME_SECONDS": "43200",
        "USER_CHECK_CACHE_SECONDS": "5",
        "LOGIN_FREE_FAILURES": "5",
        "LOGIN_FIRST_DELAY_SECONDS": "1",
        "LOGIN_MAX_DELAY_SECONDS": "900",
        "RPC_TIMEOUT_SECONDS": "5",
        "PUBLIC_RATE_LIMIT_PER_MINUTE": "30",
        "PUBLIC_PHONE_RATE_LIMIT_PER_MINUTE": "5",
        "MAX_BODY_BYTES": "2097152",
        "TRUSTED_PROXIES": "",
        "ATTACHMENTS_DIR": str(data / "attachments"),
        "ATTACHMENT_MAX_BYTES": "20971520",
        "ATTACHMENT_RPC_TIMEOUT_SECONDS": "30",
        "READ_MODEL_ENABLED": "true",
        "READ_MODEL_RESYNC_SECONDS": "900",
        "REPORTS_MODE": "community",
        "KPI_TARGETS_FILE": "config/targets/hetong-year1.yaml",
        "CONTRACT_YEARS": "",
        "SUMMARY_INTERVAL_SECONDS": "3600",
        "DOSSIER_DIR": str(data / "dossiers"),
        "DOSSIER_CONCURRENCY": "1",
        "PUBLIC_BASE_URL": "https://deploytest.ronghe.example.invalid",
    }
    for process in PROCESSES:
        env[f"{process.upper()}_DB_URI"] = f"sqlite:///{data}/{process}.db"
        env[f"{process.upper()}_PORT"] = str(free_port())
    for process in PROCESSES:
        missing = set(config_keys(process)) - set(env)
        assert not missing, f"test environment lacks {sorted(missing)}"
    return env


@pytest.fixture(scope="module")
def migrated(image_commands, environment):
    """The migrate job's command line, once, before any process starts."""
    result = subprocess.run(local_argv(image_commands["migrate"]), cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"migrate failed:\n{result.stderr[-4000:]}"
    for process in PROCESSES:
        assert environment[f"{process.upper()}_DB_URI"].startswith("sqlite:///")
        path = environment[f"{process.upper()}_DB_URI"][len("sqlite:///"):]
        assert os.path.getsize(path) > 0, f"{process} database not created"
    return True


@pytest.fixture(scope="module")
def running(image_commands, environment, migrated):
    """Every process (with a migrated schema) started at once by the image's command
    line, each with its log file; killed at the end if a test left one running."""
    children = {}
    for process in PROCESSES:
        if not has_migrations(process):
            continue
        log = open(os.path.join(environment["HOME"], f"{process}.log"), "w+")
        child = subprocess.Popen(local_argv(image_commands[process]), cwd=ROOT, env=environment,
                                 stdout=log, stderr=subprocess.STDOUT)
        children[process] = (child, log)
    yield children
    for child, log in children.values():
        if child.poll() is None:
            child.kill()
            child.wait(timeout=5)
        log.close()


def wait_healthy(process, child, log, base):
    deadline = time.monotonic() + START_WITHIN_SECONDS
    status = None
    while time.monotonic() < deadline and child.poll() is None:
        try:
            status = requests.get(f"{base}/health", timeout=2)
            if status.status_code == 200:
                return status
        except requests.RequestException:
            pass
        time.sleep(0.2)
    assert child.poll() is None, f"{process} exited with {child.returncode}:\n{_tail(log)}"
    pytest.fail(f"{process} /health not 200 in {START_WITHIN_SECONDS}s "
                f"({getattr(status, 'text', None)}):\n{_tail(log)}")


@pytest.mark.slow
@pytest.mark.parametrize("process", PROCESSES)
def test_image_command_starts_the_process_healthy_and_sigterm_stops_it(
        process, image_commands, environment, running):
    assert local_argv(image_commands[process])[1:] == ["-m", "common.cli", "serve", process]
    if process not in running:
        pytest.skip(f"{process} has no Alembic revision yet ({migrations_dir(process)}/versions "
                    f"is empty): the migrate job leaves its database without tables")
    child, log = running[process]
    base = f"http://127.0.0.1:{environment[f'{process.upper()}_PORT']}"
    health = wait_healthy(process, child, log, base)
    assert health.json()["checks"] == {"database": "ok", "schema": "ok", "broker": "ok",
                                      "consumers": "ok"}
    scraped = requests.get(f"{base}/metrics", timeout=5)
    assert scraped.status_code == 200 and "ronghe_" in scraped.text

    child.send_signal(signal.SIGTERM)
    started = time.monotonic()
    try:
        code = child.wait(timeout=STOP_WITHIN_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{process} still running {STOP_WITHIN_SECONDS}s after SIGTERM:\n{_tail(log)}")
    elapsed = time.monotonic() - started
    assert code == 0, f"{process} exited {code} on SIGTERM:\n{_tail(log)}"
    assert elapsed < STOP_WITHIN_SECONDS
    assert "stopping (signal 15)" in _tail(log, 100000)


def test_production_mode_refuses_development_secrets(image_commands, environment):
    """The same command line with a development default secret must not start."""
    env = dict(environment, JWT_SECRET="dev-jwt-secret-change-me")
    result = subprocess.run(local_argv(image_commands["gateway"]), cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "JWT_SECRET" in result.stderr


def _tail(log, chars=3000):
    log.flush()
    log.seek(0)
    return log.read()[-chars:]
