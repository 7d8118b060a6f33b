"""The evaluation dossier (评估台账) in a real browser (headless Chromium through
Playwright, in a child process: see test_console.py for why): staff ask for it on the
reports page, see it ready, and download its PDF and ZIP."""
import subprocess
import sys
import time
from pathlib import Path

import eventlet
import pytest

from services.reports.tests.test_dossier import script_year
from services.reports.tests.test_service import OVERRIDES
from tests.browser.test_console import CHROMIUM, ROOT, _missing

AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"


def _missing_here():
    if not AXE.exists():
        return f"{AXE} is missing: npm ci --prefix tests/browser"
    return _missing()


pytestmark = [pytest.mark.skipif(_missing_here() is not None, reason=str(_missing_here())),
              pytest.mark.slow]


def run_journey(args, out, timeout=300):
    log_path = out / "driver.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "tests.browser.drive_dossier", *args],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                break
            eventlet.sleep(0.25)
    return proc.returncode, log_path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.timeout(600)
def test_staff_build_and_download_the_dossier_in_the_console(stack, tmp_path):
    stack.start("resources", "volunteers", "events")
    stack.start("reports", DOSSIER_DIR=str(tmp_path / "dossiers"), **OVERRIDES)
    stack.start("gateway")
    script_year(stack.client(), stack.client(login=False), activities=2)
    code, output = run_journey([
        "--base", stack.url("gateway"), "--user", stack.ADMIN[0],
        "--password", stack.ADMIN[1], "--out", str(tmp_path), "--shots",
        str(tmp_path / "shots"), "--chromium", CHROMIUM], tmp_path)
    assert code == 0, f"browser journey failed (rc={code}); see {tmp_path}/failure.png\n{output}"
    steps = [line.split()[1] for line in output.splitlines() if line.startswith("STEP ")]
    assert steps == ["login", "dossier_built", "dossier_downloaded",
                     "dossier_state_on_return"], output
