"""Helpers for the benchmarks: real processes started with the production command line
on a throw-away vhost and SQLite files, measured from outside."""
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

from bench import procs

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
            procs.run([sys.executable, "-m", "common.cli", "migrate", process], cwd=ROOT,
                      env=self.env, check=True, timeout=300)

    def start(self, *processes, extra_env=None):
        self.migrate(*processes)
        for process in processes:
            self._spawn(process, extra_env)
        for process in processes:
            self.wait_healthy(process)
        return self

    def _spawn(self, process, extra_env=None):
        port = self.ports.get(process) or free_port()
        self.ports[process] = port
        env = dict(self.env, **{f"{process.upper()}_PORT": str(port)}, **(extra_env or {}))
        with open(self.tmp / f"{process}.log", "a") as log:
            self.procs[process] = procs.spawn(
                [sys.executable, "-m", "common.cli", "serve", process], cwd=ROOT, env=env,
                stdout=log, stderr=log)

    def restart(self, process, extra_env=None):
        """The same process on the same port and database, with ``extra_env`` on top."""
        procs.stop(self.procs.pop(process))
        for _ in range(50):  # the port is free once the old process has closed it
            self._spawn(process, extra_env)
            try:
                self.wait_healthy(process)
                return
            except RuntimeError:
                procs.stop(self.procs.pop(process))
                time.sleep(0.2)
        raise RuntimeError(f"{process} did not restart; see {self.tmp}/{process}.log")

    def pids(self):
        return {process: proc.pid for process, proc in self.procs.items()}

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

    def stop(self, remove=True):
        """Every process stopped; the databases and logs removed unless ``remove`` is
        false (kept after a failure, to read the logs)."""
        for proc in self.procs.values():  # all asked at once, then each waited for
            procs.signal_group(proc)
        for proc in self.procs.values():
            procs.stop(proc)
        self.procs.clear()
        if remove:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.stop(remove=exc_type is None or exc_type is procs.Stopped)


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
