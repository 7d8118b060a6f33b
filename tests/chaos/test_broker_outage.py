"""A broker outage under load: the whole stack run as in production (``python -m
common.cli run``, the supervisor of the five processes) on a RabbitMQ node of the test's
own, a client writing about 40 volunteers a second through the gateway, and the node
stopped for five seconds (``stop_app``; ``start_app``) or SIGKILLed and started again.

Afterwards, without anyone touching a process: every process is ready again (/health
200) and takes writes, no request was ever answered 500, and the volunteers stored are
exactly the writes the client saw accepted.

The recovery time (from the node serving again to every process ready and a write
accepted) is printed; docs/operations.md gives the figures measured here."""
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests

from common.config import PROCESSES, ROOT
from tests.fixtures import ApiClient, free_port, wait_until

# A broker node of its own, an outage and the catch-up take about a minute alone, longer
# beside the rest of the suite on two cores: a deadline above pytest.ini's 120 s.
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(300)]

ADMIN = ("admin", "outage-admin-password")
WRITES_PER_SECOND = 40
# How long every process may take to serve again once the broker does: the restart delay
# of the supervisor (2 s for a first failure), a process start (~5-10 s on a loaded
# machine), a consumer's reconnection (kombu retries within 2 s). Measured: see
# docs/operations.md.
RECOVERY_BOUND_SECONDS = 60


class SupervisedStack:
    """``python -m common.cli run`` with its own ports and databases, on ``amqp_uri``."""

    def __init__(self, tmp_path, amqp_uri, make_db_uri):
        self.ports = {process: free_port() for process in PROCESSES}
        self.env = dict(os.environ, AMQP_URI=amqp_uri, SAMPLE_DATA="false",
                        RONGHE_ADMIN_USER=ADMIN[0], RONGHE_ADMIN_PASSWORD=ADMIN[1],
                        RPC_TIMEOUT_SECONDS="3", PUBLIC_RATE_LIMIT_PER_MINUTE="100000",
                        PYTHONUNBUFFERED="1")
        for process in PROCESSES:
            self.env[f"{process.upper()}_PORT"] = str(self.ports[process])
            # PostgreSQL, as in production: SQLite's one writer would hold every
            # greenthread of a process while 40 writes a second queue for its lock.
            self.env[f"{process.upper()}_DB_URI"] = make_db_uri(process, "postgresql")
        self.log_path = tmp_path / "supervisor.log"
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "common.cli", "run"], cwd=ROOT,
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_until(self.all_ready, timeout=90, interval=0.5,
                   message="every process to be ready")
        return self

    def ready(self, process):
        if self.proc.poll() is not None:
            raise AssertionError(f"the supervisor exited: {self.log_tail()}")
        try:
            return requests.get(f"http://127.0.0.1:{self.ports[process]}/health",
                                timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def not_ready(self):
        report = {}
        for process in PROCESSES:
            try:
                response = requests.get(f"http://127.0.0.1:{self.ports[process]}/health",
                                        timeout=2)
                if response.status_code != 200:
                    report[process] = response.text
            except requests.RequestException as exc:
                report[process] = type(exc).__name__
        return report

    def all_ready(self):
        return all(self.ready(process) for process in PROCESSES)

    def client(self):
        return ApiClient(f"http://127.0.0.1:{self.ports['gateway']}").login(*ADMIN)

    def restarts(self):
        """Lines of the supervisor's log saying a process exited (and is restarted)."""
        return [line for line in self.log_path.read_text(errors="replace").splitlines()
                if "exited with" in line]

    def log_tail(self, size=4000):
        return self.log_path.read_text(errors="replace")[-size:]

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # the supervisor stops its children
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


class WriteLoad:
    """Registers volunteers through the gateway at about ``rate`` a second from a few
    threads. Each write carries an ``Idempotency-Key``; a 503 or a lost connection is
    retried with the same key and body until it is answered. Counts what the client saw."""

    THREADS = 30

    def __init__(self, client, rate=WRITES_PER_SECOND):
        self.client = client
        self.interval = self.THREADS / rate
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.created = 0            # writes answered 201
        self.stored_before = 0      # retries answered 409: an attempt answered 503 was stored
        self.retried = 0            # attempts answered 503 or lost, then retried
        self.statuses = {}
        self.unexpected = []
        self.sequence = 0
        self.threads = [threading.Thread(target=self._run, daemon=True)
                        for _ in range(self.THREADS)]

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    @property
    def accepted(self):
        return self.created + self.stored_before

    def _next_body(self):
        with self.lock:
            self.sequence += 1
            n = self.sequence
        # 139 + 8 digits; a phone is unique, so a retried write that was stored is a 409
        return {"name": f"压测{n}", "phone": f"139{n:08d}"}

    def _run(self):
        while not self.stopping.is_set():
            started = time.monotonic()
            self._write(self._next_body(), str(uuid.uuid4()))
            self.stopping.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def _write(self, body, key):
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.client.post("/volunteers", json=body,
                                            headers={"Idempotency-Key": key})
                status = response.status_code
            except requests.RequestException:
                status = "no answer"
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 201:
                    self.created += 1
                    return
                if status == 409 and attempt > 1:
                    self.stored_before += 1
                    return
                if status not in (503, "no answer"):
                    self.unexpected.append((status, body, getattr(response, "text", "")[:300]))
                    return
                self.retried += 1
            time.sleep(0.5)

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in self.threads), "a write never answered"


def stored_volunteers(client):
    response = client.get("/volunteers", params={"per_page": 1})
    assert response.status_code == 200, response.text
    return response.json()["total"]


@pytest.fixture
def supervised(private_broker, tmp_path, make_db_uri):
    stack = SupervisedStack(tmp_path, private_broker.amqp_uri, make_db_uri)
    try:
        yield stack.start()
    finally:
        stack.stop()


def run_outage(stack, broker, fault):
    client = stack.client()
    load = WriteLoad(client).start()
    load_started = time.monotonic()
    try:
        wait_until(lambda: load.accepted >= 100, timeout=30, interval=0.2,
                   message="writes to be flowing")
        fault(broker)
        broker_back = time.monotonic()
        try:
            wait_until(stack.all_ready, timeout=RECOVERY_BOUND_SECONDS, interval=0.5,
                       message="every process to be ready again")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; not ready: {stack.not_ready()}\n"
                                 f"{stack.log_tail()}") from None
        created_then = load.created
        wait_until(lambda: load.created > created_then, timeout=RECOVERY_BOUND_SECONDS,
                   interval=0.1, message="a write to be accepted again")
        recovered = time.monotonic() - broker_back
        wait_until(lambda: load.created >= created_then + 40, timeout=30, interval=0.2,
                   message="the client's writes to be accepted again")
    finally:
        load.stop()
    rate = sum(load.statuses.values()) / (time.monotonic() - load_started)
    print(f"\nrecovered {recovered:.1f} s after the broker served again; "
          f"{rate:.0f} requests/s; statuses {load.statuses}; restarts {stack.restarts()}")

    assert load.unexpected == []
    assert not any(isinstance(s, int) and s >= 500 and s != 503 for s in load.statuses)
    # Every write the client saw accepted is stored, and nothing else: a 503 whose write
    # was stored anyway is found by its retry and counted once. Today the retry finds it
    # because a phone is unique (409); with Idempotency-Key honoured by the gateway the
    # retry gets the first answer (201) instead, which the count takes the same way.
    stored = stored_volunteers(stack.client())
    assert stored == load.accepted, (stored, load.accepted, load.statuses)
    return recovered


def stop_app_for_five_seconds(broker):
    broker.stop_app()
    time.sleep(5)  # the outage itself: how long the broker is away
    broker.start_app()


def sigkill_and_start_again(broker):
    broker.kill()
    broker.start()


def test_broker_stopped_for_five_seconds_under_load(supervised, private_broker):
    run_outage(supervised, private_broker, stop_app_for_five_seconds)


def test_broker_node_sigkilled_under_load_and_started_again(supervised, private_broker):
    run_outage(supervised, private_broker, sigkill_and_start_again)
