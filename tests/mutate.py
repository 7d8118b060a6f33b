"""Mutation testing of the rules (``make mutate``): mutmut changes one rule module at a
time (a ``<`` into ``<=``, a deleted check, a changed constant) and runs that module's fast
unit tests against each change; a change no test notices "survives".

Each module runs alone, in a scratch copy of the work tree (``var/mutate/<module>/``, so
the work tree is never changed), one test process at a time (the machine's two cores are
shared), within a time box; what was not reached in the time box is counted as not
checked. Afterwards it prints, per module, killed / survived / timeout / not checked and
the score (killed + timeout over all checked), and the names of the survivors
(``--survivors``), which ``mutmut show NAME`` run in the module's scratch folder explains.
Known equivalent mutants (a change no behaviour can tell apart) are listed in
``tests/mutation_equivalents.txt`` with a one-line reason each and are left out of the
score. Usage::

    python -m tests.mutate [--time-box SECONDS] [--survivors] [MODULE ...]
    python -m tests.mutate services/volunteers/domain.py --functions sign_up cancel_signup
"""
import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "var" / "mutate"
EQUIVALENTS = ROOT / "tests" / "mutation_equivalents.txt"

# The rule modules and the fast tests (no browser, no broker-heavy interface folders) that
# run against each of their mutants.
MODULES = {
    "services/reports/catalogue.py": ["services/reports/tests/test_catalogue.py",
                                      "services/reports/tests/test_kpi_rules.py",
                                      "services/reports/tests/test_domain.py"],
    "services/reports/domain.py": ["services/reports/tests/test_kpi_rules.py",
                                   "services/reports/tests/test_domain.py"],
    "services/volunteers/domain.py": ["services/volunteers/tests/test_rules.py",
                                      "services/volunteers/tests/test_domain.py",
                                      "services/volunteers/tests/test_applications_domain.py"],
    "services/resources/domain.py": ["services/resources/tests/test_booking_rules.py",
                                     "services/resources/tests/test_domain.py",
                                     "services/resources/tests/test_series.py"],
    "services/resources/recurrence.py": ["services/resources/tests/test_series.py"],
    "services/events/domain.py": ["services/events/tests/test_domain.py",
                                  "services/events/tests/test_attendance_rules.py",
                                  "services/events/tests/test_door_rules.py"],
    "services/events/booking.py": ["services/events/tests/test_domain.py"],
    "common/inbox.py": ["common/tests/test_inbox.py", "common/tests/test_inbox_times.py"],
    "common/outbox.py": ["common/tests/test_outbox_log.py"],
}
# Modules whose other parts need a broker and green threads (the outbox's relay and its
# confirming publisher: common/tests/test_delivery.py, tests/chaos): only these functions
# are mutated, unless --functions says otherwise.
FUNCTIONS = {
    "common/outbox.py": ["record", "read_event_log", "pending_count"],
}
# Copied beside the mutated module so that its package and the tests import as usual.
ALSO_COPY = ["common", "services", "gateway", "tests", "config", "conftest.py", "pytest.ini"]
KILLED = {1, 3}
TIMEOUT = {36, 24, -24, 152, 255}
SURVIVED = {0}


def _slug(module):
    return module.replace("/", ".").removesuffix(".py")


def equivalents():
    """{mutant name or glob: reason} from tests/mutation_equivalents.txt (``name  # reason``).
    A glob (``common.inbox.x_define_table__mutmut_*``) leaves out a whole function that
    runs once at import, before mutmut switches any mutant on."""
    found = {}
    if EQUIVALENTS.exists():
        for line in EQUIVALENTS.read_text(encoding="utf-8").splitlines():
            name, _, reason = line.partition("#")
            if name.strip():
                found[name.strip()] = reason.strip()
    return found


def prepare(module, tests):
    """A scratch copy of the work tree's files with a mutmut configuration for ``module``."""
    scratch = SCRATCH / _slug(module)
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file() and name.split("/", 1)[0] in ALSO_COPY:
            target = scratch / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    lines = ["[mutmut]", f"source_paths = {module}", "also_copy ="]
    lines += [f"    {path}" for path in ALSO_COPY]
    lines += ["pytest_add_cli_args_test_selection ="] + [f"    {t}" for t in tests]
    lines += ["pytest_add_cli_args =", "    -p", "    no:cacheprovider", "    -m",
              "    not cluster and not postgres"]
    # mutmut runs pytest in its own process, whose timers eventlet's patch of ``threading``
    # breaks: the rule tests (SQLite, no broker, no service) run unpatched in the copy.
    conftest = scratch / "conftest.py"
    conftest.write_text(conftest.read_text(encoding="utf-8").replace(
        "\neventlet.monkey_patch()\n", "\n# eventlet.monkey_patch(): not for mutation runs\n"),
        encoding="utf-8")
    (scratch / "setup.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return scratch


def patterns(module, functions):
    """mutmut's names of the mutants of ``functions`` (module-level, or ``Class.method``)."""
    names = []
    for function in functions:
        cls, _, method = function.rpartition(".")
        name = f"x\u01c1{cls}\u01c1{method}" if cls else f"x_{function}"
        names.append(f"{_slug(module)}.{name}__mutmut_*")
    return names


def run(module, tests, time_box, functions=()):
    scratch = prepare(module, tests)
    log = scratch / "mutmut.log"
    command = [str(Path(sys.executable).parent / "mutmut"), "run", "--max-children", "1",
               *patterns(module, functions)]
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(command, cwd=scratch, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True,
                                   env=dict(os.environ, PYTHONUNBUFFERED="1"))
        try:
            process.wait(timeout=time_box)
            boxed = False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 15)
            process.wait()
            boxed = True
    return scratch, time.monotonic() - started, boxed


def tally(module, scratch, functions=()):
    """({status: count}, [survivor names]) from mutmut's record of the module (of the
    mutants of ``functions`` only, when given)."""
    meta = scratch / "mutants" / (module + ".meta")
    exit_codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
    if functions:
        wanted = patterns(module, functions)
        exit_codes = {k: v for k, v in exit_codes.items()
                      if any(fnmatch.fnmatchcase(k, p) for p in wanted)}
    skip = equivalents()
    counts = {"killed": 0, "survived": 0, "timeout": 0, "not checked": 0, "other": 0,
              "equivalent": 0}
    survivors, stale = [], []
    for name, code in sorted(exit_codes.items()):
        listed = name in skip or any(fnmatch.fnmatchcase(name, p) for p in skip if "*" in p)
        if listed and code in KILLED | TIMEOUT and name in skip:
            # A test tells it apart, so it is no equivalent: mutmut numbers a function's
            # mutants anew when its code changes, and the entry now names another mutant.
            stale.append(name)
        if listed and name not in stale:
            counts["equivalent"] += 1
        elif code in KILLED:
            counts["killed"] += 1
        elif code in TIMEOUT:
            counts["timeout"] += 1
        elif code in SURVIVED:
            counts["survived"] += 1
            survivors.append(name)
        elif code is None:
            counts["not checked"] += 1
        else:
            counts["other"] += 1
            survivors.append(f"{name} (exit {code})")
    survivors += [f"{name} (listed as equivalent, yet killed: its entry is out of date)"
                  for name in stale]
    return counts, survivors


def score(counts):
    checked = counts["killed"] + counts["timeout"] + counts["survived"] + counts["other"]
    return 100.0 * (counts["killed"] + counts["timeout"]) / checked if checked else 0.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"default: all of {', '.join(MODULES)}")
    parser.add_argument("--time-box", type=float, default=1200,
                        help="seconds per module (default 1200); the rest is 'not checked'")
    parser.add_argument("--functions", nargs="+", default=[], metavar="NAME",
                        help="only the mutants of these functions (or Class.method) of the "
                             "one module given")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    parser.add_argument("--report-only", action="store_true",
                        help="print the last run's results without running again")
    options = parser.parse_args(argv)
    modules = options.modules or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"no tests known for {', '.join(unknown)}; one of {', '.join(MODULES)}")
    if options.functions and len(modules) != 1:
        parser.error("--functions takes exactly one module")
    rows = []
    for module in modules:
        scratch = SCRATCH / _slug(module)
        took, boxed = 0.0, False
        functions = options.functions or FUNCTIONS.get(module, [])
        if not options.report_only:
            print(f"mutating {module}{' (' + ', '.join(functions) + ')' if functions else ''}"
                  f" (time box {options.time_box:.0f} s) ...", flush=True)
            scratch, took, boxed = run(module, MODULES[module], options.time_box, functions)
        counts, survivors = tally(module, scratch, functions)
        rows.append((module, counts, took, boxed))
        summary = re.sub(r"\s+", " ", ", ".join(f"{v} {k}" for k, v in counts.items() if v))
        print(f"{module}: {summary or 'no result (see ' + str(scratch / 'mutmut.log') + ')'}; "
              f"score {score(counts):.1f} %"
              + (f"; {took:.0f} s" if took else "") + ("; time box reached" if boxed else ""),
              flush=True)
        if options.survivors:
            for name in survivors:
                print(f"    survived: {name}")
    total = {k: sum(c[k] for _m, c, _t, _b in rows) for k in rows[0][1]} if rows else {}
    if len(rows) > 1:
        print(f"all: {total['killed']} killed, {total['timeout']} timeout, "
              f"{total['survived'] + total['other']} survived, {total['not checked']} not "
              f"checked, {total['equivalent']} equivalent; score {score(total):.1f} %")
    if EQUIVALENTS.exists() and options.survivors:
        print(f"equivalent mutants (left out of the score): {EQUIVALENTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
