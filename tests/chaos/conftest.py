import os
import signal
import subprocess
import sys
import tempfile

import pytest
import requests

from common.config import ROOT
from tests.chaos.private_broker import PrivateBroker
from tests.fixtures import Stack, free_port, wait_until


class ServiceProcess:
    """A service run exactly as in production (``python -m common.cli serve``), so that
    it can be SIGKILLed."""

    def __init__(self, process, env):
        self.process = process
        self.env = env
        self.port = None
        self.proc = None

    def start(self):
        self.port = free_port()
        env = dict(os.environ, **self.env)
        env[f"{self.process.upper()}_PORT"] = str(self.port)
        # Logs go to a file: an unread pipe would fill up and stall the service.
        self.log = tempfile.NamedTemporaryFile(prefix=f"{self.process}-", suffix=".log",
                                               delete=False)
        self.proc = subprocess.Popen([sys.executable, "-m", "common.cli", "serve", self.process],
                                     cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=self.log)
        wait_until(self.healthy, timeout=30, message=f"{self.process} to be healthy")
        return self

    def healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.process} exited: {self.log_tail()}")
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/health", timeout=1).ok
        except requests.RequestException:
            return False

    def log_tail(self, size=3000):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()[-size:]

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def service_process():
    started = []

    def make(process, env):
        sp = ServiceProcess(process, env)
        started.append(sp)
        return sp

    yield make
    for sp in started:
        sp.stop()


@pytest.fixture
def private_broker(tmp_path):
    """A RabbitMQ node of this test's own, which it may stop, restart and SIGKILL."""
    broker = PrivateBroker(tmp_path).start()
    yield broker
    broker.kill()  # its data is thrown away with tmp_path: no need to stop it gently


@pytest.fixture
def private_stack(private_broker, make_db_uri, container_factory):
    """``stack`` on the test's own broker node (``stack.broker``)."""
    stack = Stack(container_factory, {"AMQP_URI": private_broker.amqp_uri}, make_db_uri)
    stack.broker = private_broker
    yield stack
    # Before the node stops: a container killed with no broker waits for it forever.
    for container in stack.containers.values():
        container.kill()


def queue_drained(amqp_uri, queue, broker=None):
    """True once ``queue`` holds no message, neither waiting nor delivered and unacked:
    everything sent to it was handled (acked after its commit). Asked of the broker with
    rabbitmqctl, which reads the queue itself; the management API's counts are refreshed
    only every collect_statistics_interval (5 s) and a zero from it may be stale.
    ``broker``: a PrivateBroker, else the machine's own broker."""
    from urllib.parse import unquote, urlparse

    vhost = unquote(urlparse(amqp_uri).path[1:]) or "/"
    if broker is not None:
        queues = broker.queues(vhost)
        if queue not in queues:
            raise AssertionError(f"no queue {queue} in vhost {vhost}")
        ready, unacked, _consumers = queues[queue]
        return ready == 0 and unacked == 0
    out = subprocess.run(["rabbitmqctl", "list_queues", "-p", vhost, "-q", "--no-table-headers",
                          "name", "messages_ready", "messages_unacknowledged"],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    for line in out.splitlines():
        name, ready, unacked = line.split()
        if name == queue:
            return int(ready) == 0 and int(unacked) == 0
    raise AssertionError(f"no queue {queue} in vhost {vhost}")
