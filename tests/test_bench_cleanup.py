"""`make bench` stops every process it started when it is stopped itself, also when it
was started in the background (SIGINT ignored, as a non-interactive shell's `&` does) or
under `nohup` (SIGHUP ignored)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


def descendants(pid):
    """Every process below ``pid``, by walking /proc's parent links."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[0] != "Z":
                parents.setdefault(int(stat[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def background_under_nohup():
    # What `nohup cmd &` in a script leaves to the command: SIGINT and SIGHUP ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def foreground():
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


@pytest.mark.parametrize("signum, started", [
    (signal.SIGTERM, background_under_nohup),
    (signal.SIGINT, background_under_nohup),
    (signal.SIGHUP, foreground),  # the terminal closed
], ids=["sigterm-background", "sigint-background", "sighup-foreground"])
def test_a_stopped_bench_leaves_no_process_and_no_vhost(signum, started):
    bench = subprocess.Popen([sys.executable, "-m", "bench.run", "--dry-run"], cwd=ROOT,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True,
                             preexec_fn=started)
    try:
        line = bench.stdout.readline()
        assert line.startswith("ready "), (line, bench.stderr.read() if bench.poll() else "")
        vhost = line.split()[1]
        # The echo server, the child with a child of its own, and that grandchild.
        deadline = time.monotonic() + 10
        while len(children := descendants(bench.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(children) >= 3, children
        time.sleep(1)  # the echo server's runner started (it ignored SIGINT when it leaked)
        bench.send_signal(signum)
        assert bench.wait(timeout=25) == 128 + signum
        left = [pid for pid in children if alive(pid)]
        assert left == [], left
        listed = requests.get("http://127.0.0.1:15672/api/vhosts", auth=("guest", "guest"),
                              timeout=10).json()
        assert vhost not in {v["name"] for v in listed}
    finally:
        if bench.poll() is None:
            os.killpg(bench.pid, signal.SIGKILL)
        for pid in descendants(bench.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        bench.communicate()
