"""A consultation (意见征集) in a real browser (headless Chromium through Playwright, in a
child process: see test_console.py for why): staff create it in the console, a resident
answers on the public page at 375 px, the console's result chart moves. Screenshots land
in the test's tmp_path, or in RONGHE_SCREENSHOTS (``=docs/screenshots`` refreshes the
documentation's)."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import eventlet
import pytest

from tests.browser.test_console import CHROMIUM, ROOT, _missing, shrink

AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"


def _missing_here():
    if not AXE.exists():
        return f"{AXE} is missing: npm ci --prefix tests/browser"
    return _missing()


pytestmark = [pytest.mark.skipif(_missing_here() is not None, reason=str(_missing_here())),
              pytest.mark.slow]


def run_journey(args, out, timeout=300, module="tests.browser.drive_consultations"):
    """The journey in a child process; eventlet keeps serving the gateway meanwhile."""
    log_path = out / "driver.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                break
            eventlet.sleep(0.25)
    return proc.returncode, log_path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.timeout(600)
def test_a_resident_answers_on_a_phone_and_the_result_chart_moves(stack, tmp_path):
    stack.start("resources", "events", "reports", "gateway")  # resources: the vocabularies
    staff = stack.client()
    staging = tmp_path / "shots"
    code, output = run_journey([
        "--base", stack.url("gateway"), "--user", stack.ADMIN[0],
        "--password", stack.ADMIN[1], "--out", str(tmp_path), "--shots", str(staging),
        "--chromium", CHROMIUM], tmp_path)
    assert code == 0, f"browser journey failed (rc={code}); see {tmp_path}/failure.png\n{output}"
    steps = [line.split()[1] for line in output.splitlines() if line.startswith("STEP ")]
    assert steps == ["login", "create_consultation", "resident_answers_at_375",
                     "second_answer_refused", "console_chart_moves",
                     "public_page_accessible"], output

    # What the browser did, seen through the API: one resident, counted once.
    consultation = staff.get("/consultations", params={"status": "open"}).json()["items"][0]
    assert consultation["answers"] == 1 and consultation["compounds"] == ["gangwu_xiaoqu"]
    results = staff.get(f"/consultations/{consultation['id']}/results").json()
    assert [c["count"] for c in results["questions"][0]["choices"]] == [0, 1, 0]

    paths = sorted(p for p in staging.glob("*.png") if p.name.startswith("consult"))
    shrink(paths)
    assert {"consult-375.png", "consult-thanks-375.png", "consultation-results-375.png",
            "consultation-results-desktop.png"} <= {p.name for p in paths}
    shots = Path(os.environ.get("RONGHE_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    for path in paths:
        shutil.copyfile(path, shots / path.name)
