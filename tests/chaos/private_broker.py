"""A RabbitMQ node of the test's own: its own node name, ports, data and log directories,
configuration and Erlang cookie under a temporary directory, so a chaos test can stop,
start and SIGKILL it without touching the machine's broker (which other suites share).

    broker = PrivateBroker(tmp_path).start()
    broker.amqp_uri          # amqp://guest:guest@127.0.0.1:<port>/
    broker.stop_app(); broker.start_app()
    broker.kill(); broker.start()
    broker.stop()
"""
import atexit
import os
import signal
import subprocess
import uuid
from pathlib import Path

import requests

from tests.fixtures import free_port, wait_until

RABBITMQ_BIN = Path(os.environ.get("RONGHE_RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


class PrivateBroker:
    def __init__(self, base_dir, name=None):
        self.base = Path(base_dir) / "rabbitmq"
        self.nodename = f"{name or f'ronghe-chaos-{os.getpid()}-{uuid.uuid4().hex[:6]}'}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.management_port = free_port()
        self.proc = None
        self._prepare()

    # -- addresses --------------------------------------------------------------------

    @property
    def amqp_uri(self):
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def management_uri(self):
        return f"http://guest:guest@127.0.0.1:{self.management_port}"

    # -- lifecycle --------------------------------------------------------------------

    def start(self, timeout=60):
        """Boot the node (the Erlang VM and the broker) and wait until it takes AMQP
        connections and its management API answers."""
        self.log = open(self.base / "server.out", "ab")
        self.proc = subprocess.Popen([str(RABBITMQ_BIN / "rabbitmq-server")], env=self.env,
                                     cwd=self.base, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        atexit.register(self._kill_if_running)  # a test run cut short leaves no node behind
        self.wait_serving(timeout)
        return self

    def stop_app(self):
        """``rabbitmqctl stop_app``: the broker closes every connection, the VM stays."""
        self.ctl("stop_app")

    def start_app(self, timeout=60):
        self.ctl("start_app", timeout=timeout)
        self.wait_serving(timeout)

    def kill(self):
        """SIGKILL the node's VM (and whatever it spawned): no goodbye to any client."""
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.log.close()

    def _kill_if_running(self):
        if self.proc is not None and self.proc.poll() is None:
            self.kill()

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.ctl("stop", timeout=30)
            self.proc.wait(timeout=30)
        except (subprocess.SubprocessError, OSError):
            pass
        if self.proc.poll() is None:
            self.kill()
        else:
            self.log.close()

    # -- inspection -------------------------------------------------------------------

    def ctl(self, *args, timeout=60):
        """``rabbitmqctl -n <this node> ...``: its output."""
        return subprocess.run([str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.nodename, *args],
                              env=self.env, check=True, capture_output=True, text=True,
                              timeout=timeout).stdout

    def queues(self, vhost="/"):
        """{queue name: (ready, unacked, consumers)}, read from the queues themselves."""
        out = self.ctl("list_queues", "-p", vhost, "-q", "--no-table-headers", "name",
                       "messages_ready", "messages_unacknowledged", "consumers")
        rows = (line.split() for line in out.splitlines() if line.strip())
        return {name: (int(ready), int(unacked), int(consumers))
                for name, ready, unacked, consumers in rows}

    def serving(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"RabbitMQ node {self.nodename} exited:\n{self.log_tail()}")
        try:
            return requests.get(f"http://127.0.0.1:{self.management_port}/api/overview",
                                auth=("guest", "guest"), timeout=2).ok
        except requests.RequestException:
            return False

    def wait_serving(self, timeout=60):
        wait_until(self.serving, timeout=timeout, interval=0.3,
                   message=f"RabbitMQ node {self.nodename} to serve")

    def log_tail(self, size=3000):
        return (self.base / "server.out").read_text(errors="replace")[-size:]

    # -- setup ------------------------------------------------------------------------

    def _prepare(self):
        home = self.base / "home"
        for sub in ("home", "mnesia", "log"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        cookie = home / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(os.urandom(16).hex())
            cookie.chmod(0o400)
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            f"management.tcp.port = {self.management_port}\n"
            "management.tcp.ip = 127.0.0.1\n"
            # A chaos test restarts the node; statistics collected a little less often
            # cost less on a shared machine.
            "collect_statistics_interval = 10000\n")
        (self.base / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (self.base / "rabbitmq-env.conf").write_text("")
        self.env = dict(
            {k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")},
            HOME=str(home),
            RABBITMQ_NODENAME=self.nodename,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CONF_ENV_FILE=str(self.base / "rabbitmq-env.conf"),
            RABBITMQ_CONFIG_FILE=str(self.base / "rabbitmq.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(self.base / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.base / "log"),
            RABBITMQ_PID_FILE=str(self.base / "node.pid"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.base / "advanced.config"),
            ERL_EPMD_ADDRESS="127.0.0.1",
            ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}",
        )
