"""Children of the benchmarks, stopped whatever stops the benchmark.

Every child is started in a session (and process group) of its own, so that stopping it
stops whatever it started too, and so that a terminal's Ctrl-C reaches only the benchmark,
which then stops its children in order. The benchmark turns SIGTERM, SIGINT and SIGHUP
into an exception (``Stopped``), so that its ``finally`` blocks and ``with`` blocks run:
processes stopped, vhosts deleted, temporary files removed. A signal the benchmark was
started ignoring stays ignored for SIGHUP (``nohup``); SIGTERM and SIGINT are always
handled, since a background shell starts its jobs ignoring SIGINT.

Children are stopped with SIGTERM to their group, then SIGKILL to the group after a grace
period: nothing is left behind even when a child ignores SIGINT.
"""
import atexit
import os
import signal
import subprocess
import threading
import time

_children = []
_lock = threading.Lock()

try:  # bound before any fork: the child only calls it
    import ctypes

    _prctl = ctypes.CDLL(None).prctl
except (ImportError, OSError, AttributeError):  # not Linux: the group stop is all there is
    _prctl = None


class Stopped(BaseException):
    """The benchmark was asked to stop by a signal."""

    def __init__(self, signum):
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


def _on_signal(signum, _frame):
    # Once: a second signal while cleaning up must not interrupt the clean-up itself.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        try:
            signal.signal(sig, signal.SIG_IGN)
        except (OSError, ValueError):
            pass
    raise Stopped(signum)


def install():
    """In the main thread of a benchmark process, before it starts any child."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        if sig == signal.SIGHUP and signal.getsignal(sig) == signal.SIG_IGN:
            continue  # nohup: the caller asked for the benchmark to outlive the terminal
        signal.signal(sig, _on_signal)
    atexit.register(stop_all)
    # `make bench`: make does not pass a SIGTERM on to its recipe; stopping make stops us.
    try:
        parent = open(f"/proc/{os.getppid()}/comm").read().strip()
    except OSError:
        parent = ""
    if parent == "make" and _prctl is not None:
        _prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def _die_with_parent():
    # Linux: the child gets SIGTERM if the benchmark dies without stopping it (SIGKILL).
    if _prctl is not None:
        _prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def spawn(cmd, **kwargs):
    """``subprocess.Popen`` in a new session, remembered until ``stop``."""
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    proc = subprocess.Popen(cmd, start_new_session=True, preexec_fn=_die_with_parent,
                            **kwargs)
    with _lock:
        _children.append(proc)
    return proc


def signal_group(proc, sig=signal.SIGTERM):
    try:
        os.killpg(proc.pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def stop(proc, grace=20.0):
    """SIGTERM to the child's group; SIGKILL to what is left of it after ``grace`` s."""
    signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    # The leader may be gone while something it started is not: the group outlives it.
    deadline = time.monotonic() + (grace if proc.returncode is None else 2.0)
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    signal_group(proc, signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    with _lock:
        if proc in _children:
            _children.remove(proc)


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    # Zombies of our own still count for killpg; a reaped leader's group with only
    # zombies left is as good as gone.
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def stop_all(grace=20.0):
    with _lock:
        children = list(reversed(_children))
    for proc in children:
        stop(proc, grace)


def run(cmd, timeout=None, check=False, **kwargs):
    """``subprocess.run`` whose child is stopped, with its group, on any way out."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    kwargs.setdefault("text", True)
    proc = spawn(cmd, **kwargs)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        stop(proc, grace=5.0)
    if check and proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd, out, err)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
