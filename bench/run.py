"""`make bench`: every figure of DESIGN.md's Performance table beside its ceiling, measured
on this machine in this run, printed as a table of ratios against the targets.

Run it on a quiet machine; the figures go to docs/performance.md with the date.
"""
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

import requests

from bench.harness import ROOT, Vhost, free_port

PY = sys.executable


def run_json(*args, timeout=900):
    out = subprocess.run([PY, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def rpc_ceiling(concurrency=20, seconds=15):
    with Vhost() as vhost:
        server = subprocess.Popen([PY, "-m", "bench.echo", "serve", vhost.amqp_uri], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(3)
            return run_json("bench.echo", "load", vhost.amqp_uri, str(concurrency), str(seconds))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=20)


def pipeline_ceiling(total=5000):
    with Vhost() as vhost:
        return run_json("bench.pipeline", "ceiling", vhost.amqp_uri, str(total))


def make_run_to_healthy():
    """`python -m common.cli run` (what `make run` does once installed) on empty data."""
    import tempfile

    tmp = tempfile.mkdtemp(prefix="ronghe-makerun-")
    with Vhost() as vhost:
        env = dict(os.environ, AMQP_URI=vhost.amqp_uri)
        ports = {}
        for process in ("gateway", "resources", "volunteers", "events", "reports"):
            ports[process] = free_port()
            env[f"{process.upper()}_PORT"] = str(ports[process])
            env[f"{process.upper()}_DB_URI"] = f"sqlite:///{tmp}/{process}.db"
        started = time.monotonic()
        proc = subprocess.Popen([PY, "-m", "common.cli", "run"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)


def row(figure, value, ceiling, ratio, target, ok):
    return f"| {figure} | {value} | {ceiling} | {ratio} | {target} | {'yes' if ok else 'NO'} |"


def main():
    results = {}
    print("measuring the RPC ceiling ...", file=sys.stderr)
    results["rpc_ceiling"] = rpc_ceiling()
    print("measuring the gateway ...", file=sys.stderr)
    results["gateway"] = run_json("bench.gateway", timeout=1800)
    print("measuring the pipeline ceiling ...", file=sys.stderr)
    results["pipeline_ceiling"] = pipeline_ceiling()
    print("measuring our pipeline ...", file=sys.stderr)
    results["pipeline"] = run_json("bench.pipeline", "ours", "5000")
    print("measuring KPI queries over 1,000,000 events ...", file=sys.stderr)
    # Building a million events' read model takes minutes; reuse it when it is there.
    keep = ["--keep"] if os.path.exists("/tmp/ronghe-bench/kpi_query.db") else []
    results["kpi"] = run_json("bench.kpi_query", *keep, timeout=1800)
    print("measuring make run to healthy ...", file=sys.stderr)
    results["make_run"] = make_run_to_healthy()

    ceiling = results["rpc_ceiling"]["rps"]
    gw = results["gateway"]
    pipe, pipe_ceiling = results["pipeline"], results["pipeline_ceiling"]["facts_per_s"]
    rss = dict(gw.get("rss_mb", {}))
    for process, mb in pipe.get("rss_mb", {}).items():
        rss[process] = max(rss.get(process, 0), mb)
    lines = [
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        "`make bench`.", "",
        "| figure | ours | ceiling | ratio | target | met |", "|---|---|---|---|---|---|",
        row("gateway read GET /events (20 clients), req/s",
            f"{gw['read']['rps']:.0f} (p50 {gw['read']['p50_ms']:.0f} ms, p99 {gw['read']['p99_ms']:.0f} ms)",
            f"{ceiling:.0f} RPC echo/s", f"{gw['read']['rps'] / ceiling:.2f}",
            "≥ 0.6, p99 ≤ 150 ms",
            gw['read']['rps'] >= 0.6 * ceiling and gw['read']['p99_ms'] <= 150),
        row("gateway write POST /events/{id}/registrations, req/s",
            f"{gw['write']['rps']:.0f} (p99 {gw['write']['p99_ms']:.0f} ms)",
            f"{ceiling:.0f} RPC echo/s", f"{gw['write']['rps'] / ceiling:.2f}", "≥ 0.4",
            gw['write']['rps'] >= 0.4 * ceiling),
        row("event pipeline, facts/s commit → projection",
            f"{pipe['facts_per_s']:.0f}", f"{pipe_ceiling:.0f} plain nameko",
            f"{pipe['facts_per_s'] / pipe_ceiling:.2f}", "≥ 2.0",
            pipe['facts_per_s'] >= 2 * pipe_ceiling),
        row("pipeline lag p99 at half rate", f"{pipe['lag_p99_ms']:.0f} ms "
            f"(at {pipe['lag_rate_per_s']:.0f}/s)", "—", "—", "≤ 1000 ms",
            pipe['lag_p99_ms'] <= 1000),
        row("GET /reports/kpis, 1,000,000 events applied, p99",
            f"{results['kpi']['p99_ms']:.1f} ms", "—", "—", "≤ 50 ms",
            results['kpi']['p99_ms'] <= 50),
        row("RSS per service under load (peak)",
            ", ".join(f"{k} {v:.0f} MB" for k, v in sorted(rss.items())), "—", "—", "≤ 150 MB",
            all(v <= 150 for v in rss.values())),
        row("make run to all healthy (installed)", f"{results['make_run']['seconds']:.1f} s",
            "—", "—", "≤ 20 s", results['make_run']['seconds'] <= 20
            and not results['make_run']['unhealthy']),
    ]
    print("\n".join(lines))
    print(json.dumps(results), file=sys.stderr)


if __name__ == "__main__":
    main()
