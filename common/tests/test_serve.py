"""``python -m common.cli serve``'s process: it ends with a non-zero status when its
service container dies on its own (so the supervisor, compose or Kubernetes start it
again), and with 0 when asked to stop."""
import signal
import subprocess
import sys

import eventlet
import requests
from nameko.extensions import DependencyProvider
from nameko.web.handlers import http

from common.cli import EXIT_CONTAINER_DIED
from common.config import ROOT
from tests.fixtures import free_port, wait_until


class DiesAfterServing(DependencyProvider):
    """Fails in a thread of the container once it has answered a request, as a
    consumer or a reply does when the broker vanishes under it: nameko kills the
    container."""

    def setup(self):
        self.served = eventlet.event.Event()

    def start(self):
        self.container.spawn_managed_thread(self._fail_after_serving)

    def _fail_after_serving(self):
        self.served.wait()
        eventlet.sleep(0.2)
        raise ConnectionResetError(104, "Connection reset by peer")

    def get_dependency(self, worker_ctx):
        return self.served


class Pinged:
    name = "pinged"

    @http("GET", "/ping")
    def ping(self, request):
        return "pong"


class DyingAfterPing(Pinged):
    name = "dying"
    served = DiesAfterServing()

    @http("GET", "/ping")
    def ping(self, request):
        if not self.served.ready():
            self.served.send()
        return "pong"


def start(service, port):
    code = ("import eventlet; eventlet.monkey_patch(); import sys; "
            "from common.cli import run_service; from common.tests import test_serve; "
            f"sys.exit(run_service(test_serve.{service}, "
            f"{{'AMQP_URI': 'memory://', 'WEB_SERVER_ADDRESS': '127.0.0.1:{port}'}}, "
            f"'{service}'))")
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def pong(port):
    try:
        return requests.get(f"http://127.0.0.1:{port}/ping", timeout=2).text == "pong"
    except requests.RequestException:
        return False


def test_a_process_whose_container_died_exits_non_zero():
    port = free_port()
    proc = start("DyingAfterPing", port)
    try:
        wait_until(lambda: pong(port), timeout=30, interval=0.2, message="the service to serve")
        assert proc.wait(timeout=30) == EXIT_CONTAINER_DIED
        assert "service container died" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_process_asked_to_stop_exits_zero():
    port = free_port()
    proc = start("Pinged", port)
    try:
        wait_until(lambda: pong(port), timeout=30, interval=0.2, message="the service to serve")
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
