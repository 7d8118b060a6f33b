"""Where a write's time goes: CPU per request in each process (the five processes and
RabbitMQ), and the RSS of each process idle and under load.

    python -m bench.profile_write [--requests 1500] [--clients 10] [--py-spy DIR]

Starts its own stack (bench.harness), stores 20 published events, then sends
``POST /events/{id}/registrations`` and ``POST /volunteers`` (an admin's token, distinct
phones) from ``--clients`` threads and reads each process's CPU time
(/proc/<pid>/stat) before and after. With ``--py-spy DIR`` it also samples the gateway
and the service of each write (py-spy, ``--format raw``: collapsed stacks) into DIR and
prints the functions that held the most samples. Prints JSON.
"""
import argparse
import json
import os
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import requests

from bench.gateway import drained, seed_events
from bench.harness import RssSampler, Stack, Vhost

PROCESSES = ("resources", "volunteers", "events", "reports", "gateway")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rabbit_pid():
    found = subprocess.run(["pgrep", "-o", "beam.smp"], capture_output=True, text=True)
    return int(found.stdout.split()[0]) if found.stdout.strip() else None


def pids(stack):
    named = {process: stack.procs[process].pid for process in PROCESSES}
    beam = rabbit_pid()
    if beam:
        named["rabbitmq"] = beam
    return named


def run_load(total, clients, make_request):
    """``total`` requests from ``clients`` threads; the statuses counted."""
    statuses = Counter()
    lock = threading.Lock()
    counter = iter(range(total))

    def worker():
        session = requests.Session()
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            status = make_request(session, n)
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return dict(statuses)


def top_functions(raw_file, limit=25):
    """The functions with the most samples on top of the stack (self time), in %."""
    own = Counter()
    total = 0
    for line in Path(raw_file).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        total += int(count)
        own[stack.split(";")[-1]] += int(count)
    return [(frame, round(100.0 * n / total, 1)) for frame, n in own.most_common(limit)]


def measure(stack, name, total, clients, make_request, spy_dir, spied):
    before = {p: cpu_seconds(pid) for p, pid in pids(stack).items()}
    spies = []
    if spy_dir:
        for process in spied:
            out = Path(spy_dir) / f"{name}-{process}.txt"
            spies.append((process, out, subprocess.Popen(
                ["py-spy", "record", "--format", "raw", "--rate", "250", "--nonblocking",
                 "-o", str(out), "-p", str(stack.procs[process].pid)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
        time.sleep(1)
    started = time.monotonic()
    statuses = run_load(total, clients, make_request)
    elapsed = time.monotonic() - started
    after = {p: cpu_seconds(pid) for p, pid in pids(stack).items()}
    profiles = {}
    for process, out, spy in spies:
        spy.send_signal(2)
        spy.wait(timeout=60)
        if out.exists():
            profiles[process] = top_functions(out)
    cpu = {p: round(1000.0 * (after[p] - before[p]) / total, 2) for p in after}
    return {"requests": total, "statuses": statuses, "rps": round(total / elapsed, 1),
            "cpu_ms_per_request": cpu, "profiles": profiles}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--py-spy", dest="spy_dir", default=None)
    args = parser.parse_args()
    env = {"PUBLIC_RATE_LIMIT_PER_MINUTE": "100000000", "SAMPLE_DATA": "false"}
    with Vhost() as vhost, Stack(vhost.amqp_uri, env) as stack:
        stack.migrate("events")
        seed_events(stack.db_uri("events"), total=20)
        stack.start(*PROCESSES)
        deadline = time.monotonic() + 120
        while not drained(stack) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(5)
        idle = {p: round(stack.rss_mb(p), 1) for p in PROCESSES}
        base = stack.url("gateway") + "/api/v1"
        token = requests.post(base + "/auth/login", json={
            "username": "admin", "password": "ronghe-admin"}, timeout=10).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def register(session, n):
            return session.post(base + "/events/1/registrations", headers=headers, timeout=30,
                                json={"name": "压测", "phone": f"139{n:08d}",
                                      "target_group": "elderly"}).status_code

        def volunteer(session, n):
            return session.post(base + "/volunteers", headers=headers, timeout=30,
                                json={"name": "志愿者", "phone": f"137{n:08d}",
                                      "gender": "female", "birth_year": 1980,
                                      "skills": ["first_aid"]}).status_code

        warm = args.requests // 10
        results = {}
        with RssSampler(stack) as rss:
            run_load(warm, args.clients, lambda s, n: register(s, 90_000_000 + n))
            results["POST /events/{id}/registrations"] = measure(
                stack, "registrations", args.requests, args.clients, register, args.spy_dir,
                ("gateway", "events"))
            run_load(warm, args.clients, lambda s, n: volunteer(s, 90_000_000 + n))
            results["POST /volunteers"] = measure(
                stack, "volunteers", args.requests, args.clients, volunteer, args.spy_dir,
                ("gateway", "volunteers"))
        print(json.dumps({"rss_mb_idle": idle,
                          "rss_mb_peak_under_load": {p: round(v, 1)
                                                     for p, v in rss.peak.items()},
                          "writes": results}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
