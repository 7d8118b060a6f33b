"""A private three-node RabbitMQ cluster on this machine, for chaos tests that kill a node.

Each node has its own name (``ronghe-q<n>-<pid>@localhost``), AMQP and distribution ports,
data and log directories under one temporary directory, its own configuration file and
Erlang cookie, so it never meets the machine's own broker (rabbit@localhost on 5672). The
nodes are started from RabbitMQ's own scripts (not the system wrapper, which would run
them as the system broker's user with its environment file), joined with
``stop_app; join_cluster; start_app``, and killed afterwards with their directory.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.fixtures import free_port, wait_until

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")


def rabbitmq_available():
    return (RABBITMQ_BIN / "rabbitmq-server").exists()


class Node:
    def __init__(self, cluster, index):
        self.cluster = cluster
        self.name = f"ronghe-q{index}-{os.getpid()}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.base = cluster.base / f"q{index}"
        self.proc = None
        self.os_pid = None

    @property
    def amqp_uri(self):
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def env(self):
        config = self.base / "rabbitmq"
        return dict(
            os.environ,
            HOME=str(self.cluster.base),  # the shared .erlang.cookie
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.base / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.base / "log"),
            RABBITMQ_CONFIG_FILE=str(config),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.base / "advanced.config"),
            RABBITMQ_CONF_ENV_FILE=str(self.base / "rabbitmq-env.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(self.base / "pid"),
            # One scheduler and no busy-waiting: three nodes share a small machine.
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=(
                "+S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none "
                "-kernel inet_dist_use_interface {127,0,0,1}"),
            ERL_EPMD_ADDRESS="127.0.0.1",
        )

    def write_files(self):
        self.base.mkdir(parents=True)
        (self.base / "rabbitmq.conf").write_text(
            "loopback_users = none\n"
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            "disk_free_limit.absolute = 10MB\n"
            "log.console = false\n"
            "log.file.level = warning\n")
        (self.base / "advanced.config").write_text("[].\n")
        (self.base / "rabbitmq-env.conf").write_text("")
        (self.base / "enabled_plugins").write_text("[].\n")

    def start(self):
        self.log = open(self.base / "server.out", "ab")
        self.proc = subprocess.Popen([str(RABBITMQ_BIN / "rabbitmq-server")], env=self.env(),
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 120
        while True:  # await_startup needs the node registered with epmd first
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.server_output()}")
            try:
                self.ctl("await_startup", "--timeout", "120", timeout=130)
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.os_pid = int(self.ctl("eval", "list_to_integer(os:getpid()).").strip())

    def server_output(self):
        return (self.base / "server.out").read_text(errors="replace")[-3000:]

    def ctl(self, *args, timeout=60, tool="rabbitmqctl"):
        out = subprocess.run([str(RABBITMQ_BIN / tool), "-n", self.name, *args],
                             env=self.env(), capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} on {self.name} failed: "
                               f"{out.stdout[-500:]} {out.stderr[-1000:]}")
        return out.stdout

    def sigkill(self):
        """SIGKILL the Erlang VM (and its port programs): no goodbye to its peers or its
        clients."""
        if self.proc is None:
            return
        for kill in (lambda: os.kill(self.os_pid, signal.SIGKILL) if self.os_pid else None,
                     lambda: os.killpg(self.proc.pid, signal.SIGKILL)):
            try:
                kill()
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=30)
        self.os_pid = None

    def stop(self):
        """Its data goes with its directory: no need for a clean stop."""
        self.sigkill()
        if self.proc is not None:
            self.log.close()
            self.proc = None


class BrokerCluster:
    """``with BrokerCluster(3) as cluster:`` starts and joins the nodes; ``amqp_uri`` names
    them all (kombu's ``;`` failover list)."""

    def __init__(self, size=3):
        self.base = Path(tempfile.mkdtemp(prefix="ronghe-cluster-"))
        cookie = self.base / ".erlang.cookie"
        cookie.write_text(f"RONGHECLUSTER{os.getpid()}{int(time.time())}")
        cookie.chmod(0o400)
        self.nodes = [Node(self, i + 1) for i in range(size)]

    @property
    def amqp_uri(self):
        return ";".join(node.amqp_uri for node in self.nodes)

    def alive(self):
        return [node for node in self.nodes if node.os_pid is not None]

    def start(self):
        for node in self.nodes:
            node.write_files()
            node.start()
        first = self.nodes[0]
        for node in self.nodes[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", first.name)
            node.ctl("start_app")
        running = first.ctl("eval", "length(rabbit_nodes:all_running()).").strip()
        assert running == str(len(self.nodes)), f"cluster has {running} running nodes"
        return self

    def stop(self):
        for node in reversed(self.nodes):
            node.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    # -- asking the cluster ---------------------------------------------------------------

    def any_node(self):
        return self.alive()[0]

    def quorum_leader(self, queue, vhost="/"):
        """The node leading ``queue`` (a quorum queue), as the cluster sees it."""
        out = self.any_node().ctl("list_queues", "-p", vhost, "-q", "--no-table-headers",
                                  "name", "leader")
        for line in out.splitlines():
            parts = line.split()
            if parts and parts[0] == queue:
                return self.node_named(parts[1])
        raise AssertionError(f"no queue {queue}: {out}")

    def node_named(self, name):
        for node in self.nodes:
            if node.name == name:
                return node
        raise AssertionError(f"{name} is not one of our nodes")

    def queue_type(self, queue, vhost="/"):
        out = self.any_node().ctl("list_queues", "-p", vhost, "-q", "--no-table-headers",
                                  "name", "type")
        for line in out.splitlines():
            parts = line.split()
            if parts and parts[0] == queue:
                return parts[1]
        raise AssertionError(f"no queue {queue}")

    def queue_drained(self, queue, vhost="/"):
        """True once ``queue`` holds nothing, neither ready nor delivered and unacked.
        Asked of the queue's Raft leader itself: the counts of ``list_queues`` for a
        quorum queue are refreshed only every few seconds, and a stale zero would pass."""
        expression = (
            f'{{ok, Q}} = rabbit_amqqueue:lookup(rabbit_misc:r(<<"{vhost}">>, queue, '
            f'<<"{queue}">>)), {{ok, {{_, M}}, _}} = ra:leader_query(amqqueue:get_pid(Q), '
            'fun rabbit_fifo:overview/1), '
            '{maps:get(num_ready_messages, M), maps:get(num_checked_out, M)}.')
        return self.any_node().ctl("eval", expression).strip() == "{0,0}"

    def wait_queue_leader_elected(self, queue, timeout=60):
        wait_until(lambda: self._leader_alive(queue), timeout=timeout, interval=0.5,
                   message=f"a new leader for {queue}")

    def _leader_alive(self, queue):
        try:
            return self.quorum_leader(queue).os_pid is not None
        except (AssertionError, RuntimeError, subprocess.TimeoutExpired):
            return False
