"""The console's 合作伙伴 and 资源库 pages and the events month view and list, in headless
Chromium (tests/browser/drive_partners.py in a child process, as test_console.py explains),
with an axe-core scan of each page: no "serious" or "critical" violation.

Screenshots land in the test's tmp_path, or in RONGHE_SCREENSHOTS
(``RONGHE_SCREENSHOTS=docs/screenshots`` refreshes the documentation's)."""
import json
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.browser.test_console import CHROMIUM, _missing, run_driver, shrink

DRIVER = Path(__file__).with_name("drive_partners.py")
AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"


def _why_not():
    if _missing():
        return _missing()
    if not AXE.exists():
        return f"{AXE} is missing: npm install --prefix tests/browser (.ci/run does)"
    return None


pytestmark = [pytest.mark.skipif(_why_not() is not None, reason=str(_why_not())),
              pytest.mark.slow]


def last_month_day():
    """The 10th of last month in Xiamen."""
    today = (datetime.now(timezone.utc) + timedelta(hours=8)).date()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=10)


@pytest.mark.timeout(900)
def test_partners_resources_and_event_month_in_chromium(full_stack, tmp_path):
    client = full_stack.client()
    day = last_month_day().isoformat()
    title = "上月长者手工坊（浏览器测试）"
    event = client.post("/events", json={
        "title": title, "plan": "culture", "kind": "activity", "target_groups": ["elderly"],
        "start": f"{day}T14:30:00+08:00", "end": f"{day}T16:00:00+08:00", "capacity": 20})
    assert event.status_code == 201, event.text
    shots = Path(os.environ.get("RONGHE_SCREENSHOTS") or tmp_path / "screenshots")
    staging = tmp_path / "shots"

    code, output = run_driver([
        "--base", full_stack.url("gateway"), "--user", full_stack.ADMIN[0],
        "--password", full_stack.ADMIN[1], "--event-title", title, "--event-month", day[:7],
        "--out", str(tmp_path), "--shots", str(staging), "--chromium", CHROMIUM], tmp_path, driver=DRIVER)
    assert code == 0, f"browser journey failed (rc={code}); see {tmp_path}/failure.png\n{output}"
    steps = [line.split()[1] for line in output.splitlines() if line.startswith("STEP ")]
    assert steps == ["login", "partners_by_category", "resource_library",
                     "partner_edit_and_delete", "events_month_and_list",
                     "screenshots_and_accessibility"], output
    result = json.loads(next(line[7:] for line in output.splitlines()
                             if line.startswith("RESULT ")))

    # What the browser did, seen through the API.
    first, second = result["partners"]
    partners = {p["id"]: p for p in client.get("/partners", params={
        "status": "all", "per_page": 100}).json()["items"]}
    assert (partners[first]["five_society"], partners[first]["status"],
            partners[first]["contact_name"]) == ("self_governance", "active", "郑秀珍")
    assert second not in partners  # archived, then deleted: nothing referred to it
    resource = client.get(f"/resources/{result['resource_id']}").json()
    assert (resource["type"], resource["partner_id"], resource["available_from"],
            resource["quantity"], resource["status"]) == (
        "funding", first, "2026-09-01", 8, "archived")
    # the refused partner and resource left nothing behind
    names = [p["name"] for p in partners.values()]
    assert names.count("和通社区书画协会（浏览器测试）") == 1, names
    assert client.get("/resources", params={"type": "funding", "status": "all"}).json()["total"] == 1
    # showing the contact in full was audited
    with full_stack.engine("gateway").connect() as db:
        audited = db.execute(text("SELECT username, action FROM audit_log WHERE target = :t"),
                             {"t": f"partner:{first}"}).all()
    assert [tuple(row) for row in audited] == [(full_stack.ADMIN[0], "reveal_partner_contact")]
    assert len(result["axe_pages"]) == 15, result["axe_pages"]

    paths = sorted(staging.glob("*.png"))
    shrink(paths)
    names = {p.name for p in paths}
    for page in ("partners", "partner-detail", "resources", "resource-detail", "resource-new",
                 "events-month", "events-list"):
        assert {f"{page}-375.png", f"{page}-desktop.png"} <= names, page
    mine = [p for p in paths if p.name != "login-desktop.png"]
    shots.mkdir(parents=True, exist_ok=True)
    for path in mine:
        shutil.copyfile(path, shots / path.name)
