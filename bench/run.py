"""`make bench`: the gateway beside the peers a team would build instead, measured
interleaved in one run on this machine, printed as a table of ratios against the targets.

    python -m bench.run [--rounds N] [--seconds S] [--connections C] [--facts N]
                        [--skip kpi,make_run,pipeline,echo] [--write-docs] [--dry-run]

Environment: BENCH_ROUNDS (3), BENCH_SECONDS (30), BENCH_CONNECTIONS (20), BENCH_FACTS
(5000), BENCH_SKIP (none); flags win. A quick run: ``BENCH_ROUNDS=1 BENCH_SECONDS=5 make
bench``.

The peers (bench/peers/): a Django REST Framework monolith on SQLite under gunicorn with
2 sync workers, and a plain nameko stack (gateway ``@http`` → ``@rpc`` → SQLAlchemy on
SQLite). Each holds the same 10,000 events and answers the same page. Each round measures
ours, the monolith and the plain stack one after the other (the order turns every round),
reads then writes; then, the gateway restarted once with ``READ_MODEL_ENABLED=false``, as
many rounds of ours' cold path beside the monolith's read again. A figure is the median
of its rounds. The pipeline, ours beside a plain nameko dispatcher → handler, alternates
the same way.

Every child runs in a process group of its own and is stopped with it on SIGTERM, SIGINT
or SIGHUP of the benchmark (bench/procs.py), in the foreground, in the background or
under ``nohup``. ``--dry-run`` starts the long-lived children only (the RPC echo server on
a throw-away vhost, and a child with a child of its own), prints ``ready``, and waits for
a signal: what tests/test_bench_cleanup.py stops.
"""
import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

from bench import procs
from bench.harness import ROOT, Stack, Vhost, free_port

PY = sys.executable
PEERS = ROOT / "bench" / "peers"
PEERS_VENV = ROOT / "var" / "bench-peers-venv"
DOCS = ROOT / "docs" / "performance.md"
READ_PATH = "/events?page=3&per_page=20"
LAG_METRIC = "ronghe_read_model_lag_seconds"

WRITE_SCRIPT = r"""
local counter = 0
local id = 0
setup = function(thread)
  thread:set("tid", id)
  id = id + 1
end
request = function()
  counter = counter + 1
  -- A phone of its own per request of every run: one registration per phone and event.
  local phone = string.format("13%09d", (RUN * 4 + tid) * 1000000 + counter)
  local body = '{"name":"压测","phone":"' .. phone .. '","target_group":"elderly"}'
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
"""


def log(message):
    print(message, file=sys.stderr, flush=True)


def run_json(*args, timeout=1800):
    out = procs.run([PY, "-m", *args], cwd=ROOT, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- load ---------------------------------------------------------------------------------

class Load:
    """wrk with C connections on 2 threads; every run's writes with phones of their own."""

    def __init__(self, seconds, connections, workdir):
        self.seconds, self.connections = seconds, connections
        self.workdir = Path(workdir)
        self.runs = 0

    def __call__(self, url, headers=None, write=False, seconds=None):
        cmd = ["wrk", "-t2", f"-c{self.connections}", f"-d{seconds or self.seconds}s",
               "--latency", "--timeout", "10s"]
        for name, value in (headers or {}).items():
            cmd += ["-H", f"{name}: {value}"]
        if write:
            self.runs += 1
            script = self.workdir / f"write-{self.runs}.lua"
            script.write_text(f"RUN = {self.runs}\n" + WRITE_SCRIPT)
            cmd += ["-s", str(script)]
        out = procs.run(cmd + [url], timeout=(seconds or self.seconds) + 60, check=True).stdout
        return parse_wrk(out)


def parse_wrk(out):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
            "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1).strip() if socket_errors else ""}


def _ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wait_ok(url, timeout=120, proc=None, headers=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2, headers=headers).ok:
                return
        except requests.RequestException:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited ({proc.returncode})")
        time.sleep(0.2)
    raise RuntimeError(f"{url} not answering in {timeout}s")


# -- memory -------------------------------------------------------------------------------

def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def children_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry))
    return found


class PeakRss:
    """Samples {name: pid} every half second: each process's peak and the peak of the sum."""

    def __init__(self, pids):
        self.pids = pids
        self.peak, self.peak_total = {}, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            sample = {name: rss_mb(pid) for name, pid in self.pids().items()}
            for name, mb in sample.items():
                self.peak[name] = max(self.peak.get(name, 0.0), mb)
            self.peak_total = max(self.peak_total, sum(sample.values()))
            self._stop.wait(0.5)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def report(self):
        return {"total_mb": self.peak_total, "per_process_mb": dict(self.peak)}


# -- the three systems ---------------------------------------------------------------------

class Ours(contextlib.ExitStack):
    name = "ours"

    def start(self):
        from bench.gateway import drained, seed_events

        vhost = self.enter_context(Vhost())
        self.stack = self.enter_context(Stack(vhost.amqp_uri, {
            "PUBLIC_RATE_LIMIT_PER_MINUTE": "100000000", "SAMPLE_DATA": "false"}))
        self.stack.migrate("events")
        log("  ours: seeding 10,000 events ...")
        seed_events(self.stack.db_uri("events"))
        self.stack.start("resources", "volunteers", "events", "reports", "gateway",
                         extra_env={"READ_MODEL_ENABLED": "true"})
        deadline = time.monotonic() + 300
        while not drained(self.stack) and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(5)  # let reports (and the read model) finish applying the seeded facts
        base = self.stack.url("gateway") + "/api/v1"
        token = requests.post(base + "/auth/login", json={
            "username": "admin", "password": "ronghe-admin"}, timeout=10).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        self.read_url = base + READ_PATH
        self.write_url = base + "/events/1/registrations"
        self.wait_warm()
        self.wait_quiet()
        check_listing(self.read_url, self.headers)
        return self

    def pids(self):
        return self.stack.pids()

    def read_model(self, enabled):
        """The gateway restarted with ``READ_MODEL_ENABLED``."""
        self.stack.restart("gateway", {"READ_MODEL_ENABLED": "true" if enabled else "false"})
        wait_ok(self.read_url, headers=self.headers)

    def wait_warm(self, timeout=120):
        """Until the gateway says its read model answers (``ronghe_read_model_warm`` 1);
        at once when it has no read model."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                text = requests.get(self.stack.url("gateway") + "/metrics", timeout=10).text
            except requests.RequestException:
                text = ""
            warm = [line for line in text.splitlines()
                    if line.startswith("ronghe_read_model_warm{") and 'model="events"' in line]
            if not warm or any(line.rsplit(None, 1)[-1] == "1.0" for line in warm):
                return
            time.sleep(0.5)
        log("  ours: the read model was not warm in time; measuring all the same")

    def wait_quiet(self, still_seconds=3, timeout=300):
        """Until the read model has applied the seeding's facts (its lag count still for
        a few seconds), so that the rounds' lag is the rounds' own."""
        deadline = time.monotonic() + timeout
        last, still_since = None, time.monotonic()
        while time.monotonic() < deadline:
            count = self.lag_snapshot().get(float("inf"), 0.0)
            if count != last:
                last, still_since = count, time.monotonic()
            elif time.monotonic() - still_since >= still_seconds:
                return
            time.sleep(0.5)

    def lag_snapshot(self):
        """The gateway's read-model lag histogram now ({} when it has none)."""
        try:
            return lag_buckets(requests.get(self.stack.url("gateway") + "/metrics",
                                            timeout=10).text)
        except requests.RequestException:
            return {}


class Drf(contextlib.ExitStack):
    name = "drf"

    def start(self, venv):
        tmp = Path(tempfile.mkdtemp(prefix="ronghe-bench-drf-"))
        self.callback(shutil.rmtree, tmp, True)
        env = dict(os.environ, PEER_DB_PATH=str(tmp / "peer.db"),
                   DJANGO_SETTINGS_MODULE="peer.settings")
        env.pop("PYTHONPATH", None)
        cwd = PEERS / "drf"
        python = str(venv / "bin" / "python")
        procs.run([python, "manage.py", "migrate", "-v0"], cwd=cwd, env=env, check=True,
                  timeout=300)
        log("  drf: seeding 10,000 events ...")
        procs.run([python, "manage.py", "seed_events", "10000"], cwd=cwd, env=env, check=True,
                  timeout=300)
        port = free_port()
        log_file = self.enter_context(open(tmp / "gunicorn.log", "w"))
        self.master = procs.spawn(
            [str(venv / "bin" / "gunicorn"), "--workers", "2", "--worker-class", "sync",
             "--bind", f"127.0.0.1:{port}", "peer.wsgi"],
            cwd=cwd, env=env, stdout=log_file, stderr=log_file)
        self.callback(procs.stop, self.master)
        self.read_url = f"http://127.0.0.1:{port}{READ_PATH}"
        self.write_url = f"http://127.0.0.1:{port}/events/1/registrations"
        self.headers = {}
        wait_ok(self.read_url, proc=self.master)
        check_listing(self.read_url, {})
        return self

    def pids(self):
        pids = {"gunicorn master": self.master.pid}
        for i, pid in enumerate(sorted(children_of(self.master.pid))):
            pids[f"worker {i + 1}"] = pid
        return pids


class PlainNameko(contextlib.ExitStack):
    name = "plain_nameko"

    def start(self):
        from bench.peers.plain_nameko.service import seed

        vhost = self.enter_context(Vhost(prefix="bench_plain"))
        tmp = Path(tempfile.mkdtemp(prefix="ronghe-bench-plain-"))
        self.callback(shutil.rmtree, tmp, True)
        db_uri = f"sqlite:///{tmp}/plain.db"
        log("  plain nameko: seeding 10,000 events ...")
        seed(db_uri)
        port = free_port()
        config = tmp / "config.yaml"
        config.write_text(json.dumps({  # JSON is YAML
            "AMQP_URI": vhost.amqp_uri, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            "DB_URI": db_uri, "max_workers": 10,
            "LOGGING": {"version": 1, "root": {"level": "WARNING"}}}))
        self.procs = {}
        for service in ("EventsService", "GatewayService"):
            log_file = self.enter_context(open(tmp / f"{service}.log", "w"))
            proc = procs.spawn([str(Path(PY).parent / "nameko"), "run", "--config", str(config),
                                f"bench.peers.plain_nameko.service:{service}"],
                               cwd=ROOT, env=dict(os.environ), stdout=log_file, stderr=log_file)
            self.procs[service] = proc
            self.callback(procs.stop, proc)
        self.read_url = f"http://127.0.0.1:{port}{READ_PATH}"
        self.write_url = f"http://127.0.0.1:{port}/events/1/registrations"
        self.headers = {}
        wait_ok(self.read_url, proc=self.procs["GatewayService"])
        check_listing(self.read_url, {})
        return self

    def pids(self):
        return {name: proc.pid for name, proc in self.procs.items()}


def check_listing(url, headers):
    listing = requests.get(url, headers=headers, timeout=10).json()
    assert len(listing["items"]) == 20 and listing["total"] >= 10_000, listing


def lag_buckets(metrics_text, model="events"):
    """{le: cumulative count} of the read model's lag histogram; {} when it is absent."""
    buckets = {}
    for line in metrics_text.splitlines():
        if not line.startswith(LAG_METRIC + "_bucket{"):
            continue
        labels, value = line[len(LAG_METRIC + "_bucket{"):].rsplit("}", 1)
        pairs = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if pairs.get("model") != model:
            continue
        le = float("inf") if pairs["le"] == "+Inf" else float(pairs["le"])
        buckets[le] = buckets.get(le, 0.0) + float(value.split()[0])
    return buckets


def bucket_p99(buckets):
    """The upper bound of the bucket holding the 99th percentile; None without samples."""
    if not buckets:
        return None
    total = buckets.get(float("inf"), max(buckets.values()))
    if not total:
        return None
    for le in sorted(buckets):
        if buckets[le] >= 0.99 * total:
            return le
    return None


# -- the peers' virtualenv -----------------------------------------------------------------

def peers_venv():
    """var/bench-peers-venv with bench/peers/requirements.txt: made once, reused while its
    stamp matches the requirements file."""
    requirements = PEERS / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = PEERS_VENV / ".requirements-sha256"
    if (stamp.exists() and stamp.read_text().strip() == digest
            and (PEERS_VENV / "bin" / "gunicorn").exists()):
        return PEERS_VENV
    log(f"making {PEERS_VENV.relative_to(ROOT)} from bench/peers/requirements.txt ...")
    shutil.rmtree(PEERS_VENV, ignore_errors=True)
    PEERS_VENV.parent.mkdir(parents=True, exist_ok=True)
    procs.run([PY, "-m", "venv", str(PEERS_VENV)], check=True, timeout=300)
    procs.run([str(PEERS_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
               "-r", str(requirements)], check=True, timeout=900)
    stamp.write_text(digest + "\n")
    return PEERS_VENV


# -- measurements ---------------------------------------------------------------------------

def measure_http(settings):
    """Reads and writes of ours, the DRF monolith and the plain nameko stack, interleaved;
    then ours with the read model off; all rounds of each figure, and peak RSS."""
    venv = peers_venv()
    rounds = {key: [] for key in ("ours_read", "drf_read", "plain_nameko_read", "ours_write",
                                  "drf_write", "plain_nameko_write", "ours_cold_read",
                                  "drf_read_beside_cold")}
    workdir = Path(tempfile.mkdtemp(prefix="ronghe-bench-wrk-"))
    try:
        load = Load(settings.seconds, settings.connections, workdir)
        with Ours() as ours, Drf() as drf, PlainNameko() as plain:
            log("starting ours (five processes) ...")
            ours.start()
            log("starting the DRF monolith (gunicorn, 2 workers) ...")
            drf.start(venv)
            log("starting the plain nameko stack ...")
            plain.start()
            systems = [ours, drf, plain]
            with PeakRss(ours.pids) as ours_rss, PeakRss(drf.pids) as drf_rss, \
                    PeakRss(plain.pids) as plain_rss:
                for system in systems:  # warm-up: imports, caches, SQLite pages
                    load(system.read_url, system.headers, seconds=3)
                # The lag of the facts of the rounds only (the seeding's facts were
                # committed before the gateway started).
                lag_before = ours.lag_snapshot()
                for r in range(settings.rounds):
                    order = systems[r % 3:] + systems[:r % 3]
                    log(f"round {r + 1}/{settings.rounds}: reads, then writes "
                        f"({', '.join(s.name for s in order)}) ...")
                    for system in order:
                        rounds[f"{system.name}_read"].append(
                            load(system.read_url, system.headers))
                    for system in order:
                        rounds[f"{system.name}_write"].append(
                            load(system.write_url, system.headers, write=True))
                lag_after = ours.lag_snapshot()
                # Then the cold path beside the monolith again: one restart of the gateway
                # for all rounds, so that no round reads a read model still filling up.
                ours.read_model(False)
                load(ours.read_url, ours.headers, seconds=3)
                for r in range(settings.rounds):
                    log(f"round {r + 1}/{settings.rounds}: ours without the read model, "
                        "the monolith ...")
                    pair = [("ours_cold_read", ours), ("drf_read_beside_cold", drf)]
                    for key, system in (pair if r % 2 == 0 else reversed(pair)):
                        rounds[key].append(load(system.read_url, system.headers))
            lag = {le: count - lag_before.get(le, 0.0) for le, count in lag_after.items()}
            return {"rounds": rounds, "read_model_lag_p99_s": bucket_p99(lag),
                    "lag_samples": lag.get(float("inf"), 0),
                    "rss": {"ours": ours_rss.report(), "drf": drf_rss.report(),
                            "plain_nameko": plain_rss.report()}}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure_pipeline(settings):
    rounds = {"ours": [], "plain_nameko": []}
    for r in range(settings.rounds):
        log(f"pipeline round {r + 1}/{settings.rounds} ...")
        steps = [("plain_nameko", lambda: pipeline_ceiling(settings.facts)),
                 ("ours", lambda: run_json("bench.pipeline", "ours", str(settings.facts)))]
        for name, step in (steps if r % 2 == 0 else reversed(steps)):
            rounds[name].append(step())
    return rounds


def pipeline_ceiling(total):
    with Vhost() as vhost:
        return run_json("bench.pipeline", "ceiling", vhost.amqp_uri, str(total))


def rpc_ceiling(concurrency, seconds):
    """A bare nameko ``@rpc echo``: how fast this machine is today."""
    with Vhost() as vhost:
        server = procs.spawn([PY, "-m", "bench.echo", "serve", vhost.amqp_uri], cwd=ROOT,
                             stdout=procs.subprocess.DEVNULL, stderr=procs.subprocess.DEVNULL)
        try:
            time.sleep(3)
            return run_json("bench.echo", "load", vhost.amqp_uri, str(concurrency),
                            str(seconds))
        finally:
            procs.stop(server)


def make_run_to_healthy():
    """`python -m common.cli run` (what `make run` does once installed) on empty data."""
    tmp = tempfile.mkdtemp(prefix="ronghe-makerun-")
    try:
        with Vhost() as vhost:
            env = dict(os.environ, AMQP_URI=vhost.amqp_uri)
            ports = {}
            for process in ("gateway", "resources", "volunteers", "events", "reports"):
                ports[process] = free_port()
                env[f"{process.upper()}_PORT"] = str(ports[process])
                env[f"{process.upper()}_DB_URI"] = f"sqlite:///{tmp}/{process}.db"
            started = time.monotonic()
            proc = procs.spawn([PY, "-m", "common.cli", "run"], cwd=ROOT, env=env,
                               stdout=procs.subprocess.DEVNULL,
                               stderr=procs.subprocess.DEVNULL)
            try:
                pending = set(ports)
                while pending and time.monotonic() - started < 120:
                    for process in list(pending):
                        try:
                            if requests.get(f"http://127.0.0.1:{ports[process]}/health",
                                            timeout=1).ok:
                                pending.discard(process)
                        except requests.RequestException:
                            pass
                    time.sleep(0.1)
                return {"seconds": time.monotonic() - started, "unhealthy": sorted(pending)}
            finally:
                procs.stop(proc, grace=30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- the table ------------------------------------------------------------------------------

def median_of(runs, key):
    return statistics.median(run[key] for run in runs)


def summary(runs):
    """Medians of the rounds, and the non-2xx answers of all of them."""
    return {"rps": median_of(runs, "rps"), "p50_ms": median_of(runs, "p50_ms"),
            "p99_ms": median_of(runs, "p99_ms"), "non_2xx": sum(r["non_2xx"] for r in runs),
            "runs": [round(r["rps"]) for r in runs]}


def cell(s, p50=False):
    text = f"{s['rps']:,.0f} req/s ("
    text += f"p50 {s['p50_ms']:.0f} ms, " if p50 else ""
    text += f"p99 {s['p99_ms']:.0f} ms)"
    if s["non_2xx"]:
        text += f", {s['non_2xx']:,} non-2xx"
    return text


def row(*cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def met(ok):
    return "yes" if ok else "no"


def table(results, settings):
    lines = ["| figure | ours | peer | ratio | target | met |", "|---|---|---|---|---|---|"]
    http = results.get("http")
    if http:
        s = {key: summary(runs) for key, runs in http["rounds"].items()}
        read, drf_read, plain_read = s["ours_read"], s["drf_read"], s["plain_nameko_read"]
        ratio = read["rps"] / drf_read["rps"]
        lines.append(row("`GET /events` (page 3, 20 a page, of 10,000 stored; "
                         f"{settings.connections} clients), read model on",
                         cell(read, p50=True), "DRF monolith " + cell(drf_read, p50=True),
                         f"{ratio:.2f} ×", "≥ 3 ×, p99 ≤ 50 ms",
                         met(ratio >= 3 and read["p99_ms"] <= 50 and not read["non_2xx"])))
        lines.append(row("the same", "", "plain nameko " + cell(plain_read, p50=True),
                         f"{read['rps'] / plain_read['rps']:.2f} ×", "—", "—"))
        lag = http["read_model_lag_p99_s"]
        lines.append(row("read-model lag p99, commit → applied "
                         f"(`{LAG_METRIC}`, model events)",
                         "n/a" if lag is None else f"≤ {lag:g} s "
                         f"({http['lag_samples']:,.0f} facts)", "—", "—", "≤ 1 s",
                         "—" if lag is None else met(lag <= 1)))
        cold, drf_beside = s["ours_cold_read"], s["drf_read_beside_cold"]
        ratio = cold["rps"] / drf_beside["rps"]
        lines.append(row("`GET /events` without the read model (cold path, RPC; "
                         "`READ_MODEL_ENABLED=false`)", cell(cold, p50=True),
                         "DRF monolith " + cell(drf_beside, p50=True), f"{ratio:.2f} ×",
                         "≥ 1.2 ×", met(ratio >= 1.2 and not cold["non_2xx"])))
        write, drf_write, plain_write = (s["ours_write"], s["drf_write"],
                                         s["plain_nameko_write"])
        ratio = write["rps"] / drf_write["rps"]
        lines.append(row("`POST /events/{id}/registrations` (outbox, PII encryption, auth)",
                         cell(write), "DRF monolith, plain validated insert " + cell(drf_write),
                         f"{ratio:.2f} ×", "≥ 1.5 ×, p99 ≤ 100 ms",
                         met(ratio >= 1.5 and write["p99_ms"] <= 100 and not write["non_2xx"])))
        lines.append(row("the same", "", "plain nameko " + cell(plain_write),
                         f"{write['rps'] / plain_write['rps']:.2f} ×", "—", "—"))
        rss = http["rss"]
        ours_rss = rss["ours"]
        per = ", ".join(f"{k} {v:.0f}" for k, v in sorted(ours_rss["per_process_mb"].items()))
        lines.append(row("RSS of our five processes under load (peak of the sum)",
                         f"{ours_rss['total_mb']:.0f} MB ({per})",
                         f"DRF monolith {rss['drf']['total_mb']:.0f} MB (master + 2 workers); "
                         f"plain nameko {rss['plain_nameko']['total_mb']:.0f} MB (2 processes)",
                         f"{ours_rss['total_mb'] / rss['drf']['total_mb']:.2f} × DRF",
                         "≤ 300 MB", met(ours_rss["total_mb"] <= 300)))
    else:
        lines.append(row("HTTP rows", "not measured in this run", "", "", "", ""))
    pipe = results.get("pipeline")
    if pipe:
        ours_rate = median_of(pipe["ours"], "facts_per_s")
        plain_rate = median_of(pipe["plain_nameko"], "facts_per_s")
        lines.append(row("event pipeline, facts/s from the service's commit to the projection",
                         f"{ours_rate:,.0f}", f"plain nameko dispatcher → handler "
                         f"{plain_rate:,.0f} (a SQLite commit per event)",
                         f"{ours_rate / plain_rate:.2f} ×", "≥ 2.0 ×",
                         met(ours_rate >= 2 * plain_rate)))
        lag = median_of(pipe["ours"], "lag_p99_ms")
        lines.append(row("pipeline lag p99 at half that rate", f"{lag:,.0f} ms", "—", "—",
                         "≤ 1 s", met(lag <= 1000)))
    kpi = results.get("kpi")
    if kpi:
        lines.append(row("`GET /reports/kpis` with 1,000,000 events applied, p99",
                         f"{kpi['p99_ms']:.1f} ms", "—", "—", "≤ 50 ms",
                         met(kpi["p99_ms"] <= 50)))
    make_run = results.get("make_run")
    if make_run:
        lines.append(row("`make run` to all healthy (installed)",
                         f"{make_run['seconds']:.1f} s", "—", "—", "≤ 20 s",
                         met(make_run["seconds"] <= 20 and not make_run["unhealthy"])))
    echo = results.get("echo")
    if echo:
        lines.append(row("this machine today: bare nameko RPC echo, 20 clients",
                         f"{echo['rps']:,.0f} calls/s (p99 {echo['p99_ms']:.0f} ms)", "—", "—",
                         "(reference)", "—"))
    return lines


def machine():
    load = os.getloadavg()
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, load average {load[0]:.1f} at the start")


def heading(settings, started, machine_text):
    return (f"{started:%Y-%m-%d %H:%M} UTC, {machine_text}; "
            f"{settings.rounds} round{'s' if settings.rounds != 1 else ''} of "
            f"{settings.seconds} s per figure (wrk, {settings.connections} connections, "
            "median of the rounds), `make bench`"
            + (f" with `BENCH_ROUNDS={settings.rounds} BENCH_SECONDS={settings.seconds}`"
               if (settings.rounds, settings.seconds) != (3, 30) else "")
            + (f", skipped: {', '.join(sorted(settings.skip))}" if settings.skip else "")
            + ":")


def write_docs(text):
    """Replaces the body of docs/performance.md's "## Latest run" section."""
    doc = DOCS.read_text()
    start = doc.index("## Latest run\n")
    end = doc.index("\n## ", start + 1)
    DOCS.write_text(doc[:start] + "## Latest run\n\n" + text.rstrip() + "\n" + doc[end:])


# -- main -----------------------------------------------------------------------------------

def settings_from(argv):
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--rounds", type=int, default=int(env.get("BENCH_ROUNDS", 3)))
    parser.add_argument("--seconds", type=int, default=int(env.get("BENCH_SECONDS", 30)))
    parser.add_argument("--connections", type=int,
                        default=int(env.get("BENCH_CONNECTIONS", 20)))
    parser.add_argument("--facts", type=int, default=int(env.get("BENCH_FACTS", 5000)))
    parser.add_argument("--skip", default=env.get("BENCH_SKIP", ""),
                        help="comma-separated: http, pipeline, kpi, make_run, echo")
    parser.add_argument("--write-docs", action="store_true",
                        help="write the table into docs/performance.md's Latest run")
    parser.add_argument("--dry-run", action="store_true",
                        help="start the long-lived children only and wait for a signal")
    settings = parser.parse_args(argv)
    settings.skip = {part.strip() for part in settings.skip.split(",") if part.strip()}
    return settings


def dry_run():
    with Vhost() as vhost:
        procs.spawn([PY, "-m", "bench.echo", "serve", vhost.amqp_uri], cwd=ROOT,
                    stdout=procs.subprocess.DEVNULL, stderr=procs.subprocess.DEVNULL)
        # A child with a child of its own, as a service under a runner has.
        procs.spawn([PY, "-c", "import subprocess, time; "
                     "subprocess.Popen(['sleep', '600']); time.sleep(600)"])
        print(f"ready {vhost.name}", flush=True)
        try:
            while True:
                time.sleep(1)
        finally:
            procs.stop_all()  # before the vhost goes: a consumer whose vhost is gone stalls


def main(argv=None):
    procs.install()
    settings = settings_from(argv)
    try:
        if settings.dry_run:
            dry_run()
            return 0
        if shutil.which("wrk") is None and os.geteuid() == 0 and shutil.which("apt-get"):
            log("installing wrk (Debian package) ...")
            procs.run(["apt-get", "install", "-y", "wrk"], timeout=600)
        if shutil.which("wrk") is None:
            log("wrk is missing: apt-get install -y wrk")
            return 2
        started = datetime.now(timezone.utc)
        machine_text = machine()
        results = {}
        if "echo" not in settings.skip:
            log("measuring the RPC echo (this machine today) ...")
            results["echo"] = rpc_ceiling(20, min(settings.seconds, 15))
        if "http" not in settings.skip:
            log("measuring GET /events and POST registrations, ours beside the peers ...")
            results["http"] = measure_http(settings)
        if "pipeline" not in settings.skip:
            log("measuring the event pipeline beside plain nameko ...")
            results["pipeline"] = measure_pipeline(settings)
        if "kpi" not in settings.skip:
            log("measuring KPI queries over 1,000,000 events ...")
            # Building a million events' read model takes minutes; reuse it when it is there.
            keep = ["--keep"] if os.path.exists("/tmp/ronghe-bench/kpi_query.db") else []
            results["kpi"] = run_json("bench.kpi_query", *keep, timeout=1800)
        if "make_run" not in settings.skip:
            log("measuring make run to healthy ...")
            results["make_run"] = make_run_to_healthy()
        lines = [heading(settings, started, machine_text), ""] + table(results, settings)
        if (settings.rounds, settings.seconds) < (3, 30):
            lines += ["", "A quick run: it shows that the bench works end to end; its figures "
                      "are not the measurement (a full run is 3 rounds of 30 s on a quiet "
                      f"machine). Load average at the end: {os.getloadavg()[0]:.1f}."]
        text = "\n".join(lines)
        print(text, flush=True)
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / f"run-{started:%Y%m%d-%H%M}.json").write_text(
            json.dumps(results, indent=1, default=str))
        if settings.write_docs:
            write_docs(text)
            log(f"written to {DOCS.relative_to(ROOT)}")
        return 0
    except procs.Stopped as stopped:
        log(f"stopped by signal {stopped.signum}; stopping the children ...")
        return 128 + stopped.signum
    finally:
        procs.stop_all()


if __name__ == "__main__":
    sys.exit(main())
