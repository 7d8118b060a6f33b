"""The console's 预算与支出 in headless Chromium (tests/browser/drive_budget.py in a child
process, as test_console.py explains): events keeps the ledger, reports the statement.
Screenshots land in the test's tmp_path, or in RONGHE_SCREENSHOTS."""
import json
import os
import shutil
from pathlib import Path

import pytest

from services.events.tests.test_expenditures_interface import contract_files
from tests.browser.test_console import CHROMIUM, _missing, run_driver, shrink

DRIVER = Path(__file__).with_name("drive_budget.py")

pytestmark = [pytest.mark.skipif(_missing() is not None, reason=str(_missing())),
              pytest.mark.slow]


@pytest.mark.timeout(600)
def test_budget_page_records_refuses_and_overrides_in_chromium(stack, tmp_path):
    stack.start("events", "reports", "gateway", KPI_TARGETS_FILE=contract_files(tmp_path),
                KPI_CHECK_INTERVAL_SECONDS="0", SUMMARY_INTERVAL_SECONDS="0")
    admin = stack.client()
    created = admin.post("/users", json={"username": "sw-budget", "password": "password-123",
                                         "role": "social_worker"})
    assert created.status_code == 201, created.text
    staging = tmp_path / "shots"
    code, output = run_driver([
        "--base", stack.url("gateway"), "--user", stack.ADMIN[0],
        "--password", stack.ADMIN[1], "--out", str(tmp_path), "--shots", str(staging),
        "--chromium", CHROMIUM,
        "--setup", json.dumps({"worker": ["sw-budget", "password-123"]})], tmp_path,
        driver=DRIVER)
    assert code == 0, f"browser journey failed (rc={code}); see {tmp_path}/failure.png\n{output}"
    steps = [line.split()[1] for line in output.splitlines() if line.startswith("STEP ")]
    assert steps == ["login", "worker_refused_past_the_line", "login",
                     "admin_override_recorded", "admin_voided"], output
    listed = admin.get("/expenditures?budget_line=activities").json()["items"]
    assert [(e["amount"], e["over_budget"]) for e in listed] == [("100.00", True),
                                                                 ("950.00", False)]
    paths = sorted(staging.glob("*.png"))
    shrink(paths)
    assert {"budget-375.png", "budget-desktop.png"} <= {p.name for p in paths}
    shots = os.environ.get("RONGHE_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        for path in paths:
            shutil.copyfile(path, Path(shots) / path.name)
