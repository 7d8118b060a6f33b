"""Run the test suite as several pytest processes side by side, then one coverage report.

Most of a test's time is spent waiting on RabbitMQ and the databases, or in a service of
its own process, so two or three processes on two cores finish the suite in about half the
time of one. pytest-xdist cannot be used: its workers run execnet's I/O threads, which
deadlock once eventlet has patched ``threading`` (every nameko test needs that patch).

Each process collects the whole suite and keeps its share (``RONGHE_TEST_SHARD=k/n``, see
``pytest_collection_modifyitems`` in the top-level conftest.py); each writes its own
coverage data, combined at the end. Usage::

    python -m tests.shards [--shards N] [--fail-under P] [pytest arguments...]
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COVERAGE_DIR = ROOT / "var" / "coverage"


def _start(index, count, pytest_args, log_path):
    env = dict(os.environ,
               RONGHE_TEST_SHARD=f"{index}/{count}",
               PYTHONUNBUFFERED="1",  # the log shows progress while the shard runs
               COVERAGE_FILE=str(COVERAGE_DIR / f".coverage.shard{index}"))
    log = open(log_path, "w", encoding="utf-8")
    command = [sys.executable, "-m", "pytest", *pytest_args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=int(os.environ.get("TEST_SHARDS", "3")))
    parser.add_argument("--fail-under", type=float, default=None,
                        help="fail when the combined line coverage is below this percentage")
    options, pytest_args = parser.parse_known_args(argv)
    COVERAGE_DIR.mkdir(parents=True, exist_ok=True)
    for old in COVERAGE_DIR.glob(".coverage*"):
        old.unlink()

    started = time.monotonic()
    runs = []
    for index in range(1, options.shards + 1):
        log_path = COVERAGE_DIR.parent / f"test-shard{index}.log"
        process, log = _start(index, options.shards, pytest_args, log_path)
        runs.append((index, process, log, log_path))

    failed = False
    for index, process, log, log_path in runs:
        code = process.wait()
        log.close()
        # pytest exits 5 when a shard collected nothing (e.g. a -k that matches few tests).
        ok = code in (0, 5)
        failed |= not ok
        print(f"===== shard {index}/{options.shards}: exit {code} ({log_path}) =====")
        sys.stdout.write(log_path.read_text(encoding="utf-8", errors="replace"))
    print(f"===== {options.shards} shards in {time.monotonic() - started:.0f} s =====")

    data = sorted(str(p) for p in COVERAGE_DIR.glob(".coverage.shard*"))
    if data:
        coverage = [sys.executable, "-m", "coverage"]
        env = dict(os.environ, COVERAGE_FILE=str(COVERAGE_DIR / ".coverage"))
        subprocess.run([*coverage, "combine", "-q", *data], cwd=ROOT, env=env, check=True)
        report = [*coverage, "report"]
        if options.fail_under is not None:
            report.append(f"--fail-under={options.fail_under}")
        failed |= subprocess.run(report, cwd=ROOT, env=env).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
