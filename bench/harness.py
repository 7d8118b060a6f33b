"""Helpers for the benchmarks: real processes started with the production command line
on a throw-away vhost and SQLite files, measured from outside."""
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
MGMT = "http://127.0.0.1:15672/api"
AUTH = ("guest", "guest")


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Vhost:
    def __init__(self, prefix="bench"):
        self.name = f"{prefix}_{uuid.uuid4().hex[:8]}"

    def __enter__(self):
        requests.put(f"{MGMT}/vhosts/{self.name}", auth=AUTH, timeout=10).raise_for_status()
        requests.put(f"{MGMT}/permissions/{self.name}/guest", auth=AUTH, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{self.name}"
        return self

    def __exit__(self, *exc):
        requests.delete(f"{MGMT}/vhosts/{self.name}", auth=AUTH, timeout=30)


class Stack:
    """Processes of the real code, `python -m common.cli serve <process>`."""

    def __init__(self, amqp_uri, extra_env=None):
        self.tmp = Path(tempfile.mkdtemp(prefix="ronghe-bench-"))
        self.env = dict(os.environ, AMQP_URI=amqp_uri, SAMPLE_DATA="true", LOG_LEVEL="WARNING")
        self.env.update(extra_env or {})
        self.procs = {}
        self.ports = {}
        for process in ("resources", "volunteers", "events", "reports", "gateway"):
            self.env[f"{process.upper()}_DB_URI"] = f"sqlite:///{self.tmp}/{process}.db"

    def db_uri(self, process):
        return self.env[f"{process.upper()}_DB_URI"]

    def migrate(self, *processes):
        for process in processes:
            subprocess.run([sys.executable, "-m", "common.cli", "migrate", process], cwd=ROOT,
                           env=self.env, check=True, capture_output=True)

    def start(self, *processes):
        self.migrate(*processes)
        for process in processes:
            port = free_port()
            self.ports[process] = port
            env = dict(self.env, **{f"{process.upper()}_PORT": str(port)})
            log = open(self.tmp / f"{process}.log", "w")
            self.procs[process] = subprocess.Popen(
                [sys.executable, "-m", "common.cli", "serve", process], cwd=ROOT, env=env,
                stdout=log, stderr=log)
        for process in processes:
            self.wait_healthy(process)
        return self

    def url(self, process):
        return f"http://127.0.0.1:{self.ports[process]}"

    def wait_healthy(self, process, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url(process) + "/health", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            if self.procs[process].poll() is not None:
                raise RuntimeError(f"{process} exited; see {self.tmp}/{process}.log")
            time.sleep(0.2)
        raise RuntimeError(f"{process} not healthy in {timeout}s")

    def rss_mb(self, process):
        pid = self.procs[process].pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
        return None

    def stop(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def percentile(values, pct):
    if not values:
        return float("nan")
    values = sorted(values)
    index = min(len(values) - 1, max(0, int(round(pct / 100.0 * len(values) + 0.5)) - 1))
    return values[index]


class RssSampler:
    """Samples the RSS of a stack's processes in a background thread."""

    def __init__(self, stack, interval=0.5):
        import threading

        self.stack, self.interval = stack, interval
        self.peak = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for process in self.stack.procs:
                try:
                    rss = self.stack.rss_mb(process)
                except OSError:
                    continue
                if rss:
                    self.peak[process] = max(self.peak.get(process, 0), rss)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
