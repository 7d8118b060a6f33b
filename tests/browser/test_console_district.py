"""The console's 区级汇总 and 审计日志 in headless Chromium (tests/browser/drive_district.py
in a child process, as test_console.py explains), on a district instance: reports in
district mode with two communities' summaries on its queue, and the gateway; volunteers
runs beside them so that a social worker can reveal a volunteer's phone for the audit
log to list.

Screenshots land in the test's tmp_path, or in RONGHE_SCREENSHOTS
(``RONGHE_SCREENSHOTS=docs/screenshots`` refreshes the documentation's)."""
import json
import os
import shutil
from pathlib import Path

import pytest

from common import contracts
from services.reports.tests.test_district_page import (  # noqa: F401 - a fixture
    DISTRICT, communities)
from services.reports.tests.test_service import publish
from tests.browser.test_console import CHROMIUM, _missing, run_driver, shrink
from tests.fixtures import wait_until

DRIVER = Path(__file__).with_name("drive_district.py")

# The main KPIs of Hetong's contract: (label, unit, target); each community's actuals.
KPIS = {"activities_held": ("开展活动场次", "场", 120),
        "people_served": ("服务人次", "人次", 6000),
        "volunteer_hours_approved": ("志愿服务时长", "小时", 3000),
        "joint_meetings_held": ("联席会议", "次", 12),
        "needs_matched": ("需求对接", "件", 150),
        "mean_satisfaction": ("平均满意度", "分", 4.5)}
ACTUALS = {"hetong": {"activities_held": 118, "people_served": 5600,
                      "volunteer_hours_approved": 3120, "joint_meetings_held": 11,
                      "needs_matched": 141, "mean_satisfaction": 4.7},
           "binhai": {"activities_held": 64, "people_served": 2300,
                      "volunteer_hours_approved": 1450, "joint_meetings_held": 12,
                      "needs_matched": 60, "mean_satisfaction": 4.2}}
REPORTED = {"hetong": "2026-11-30T08:00:00Z", "binhai": "2026-11-28T02:30:00Z"}


def summary(community):
    figures = dict(ACTUALS[community], feedback_count=40, need_satisfaction_count=0)
    return contracts.envelope("community_summary_published", {
        "community_id": community, "project_year": 1, "as_of": REPORTED[community],
        "figures": figures, "targets": {k: t for k, (_l, _u, t) in KPIS.items()},
        "labels": {k: label for k, (label, _u, _t) in KPIS.items()},
        "units": {k: unit for k, (_l, unit, _t) in KPIS.items()},
        "counted": list(KPIS), "project": "治在融和", "sample_targets": True,
        "year_start": "2026-01-01", "year_end": "2026-12-31"}, "reports", community)

pytestmark = [pytest.mark.skipif(_missing() is not None, reason=str(_missing())),
              pytest.mark.slow]


@pytest.mark.timeout(600)
def test_district_page_and_audit_log_in_chromium(stack, rabbit_config, communities, tmp_path):
    stack.start("reports", **DISTRICT)
    stack.start("volunteers")
    stack.start("gateway", COMMUNITY_ID="huli")
    admin = stack.client()
    publish(rabbit_config["AMQP_URI"], [summary("hetong"), summary("binhai")])
    wait_until(lambda: admin.get("/district/communities").json()["community_count"] == 2,
               message="both summaries at the district")
    for username, role in (("huli-viewer", "district_viewer"), ("sw-reveal", "social_worker")):
        created = admin.post("/users", json={"username": username, "password": "password-123",
                                             "role": role})
        assert created.status_code == 201, created.text
    worker = stack.client(login=False).login("sw-reveal", "password-123")
    volunteer = worker.post("/volunteers", json={"name": "王丽华", "phone": "13612345670"})
    assert volunteer.status_code == 201, volunteer.text
    target = f"volunteer:{volunteer.json()['id']}"
    assert worker.get(f"/volunteers/{volunteer.json()['id']}",
                      params={"reveal": "true"}).status_code == 200
    shots = Path(os.environ.get("RONGHE_SCREENSHOTS") or tmp_path / "screenshots")
    staging = tmp_path / "shots"

    setup = {"viewer": ["huli-viewer", "password-123"],
             "communities": {"hetong": "和通社区", "binhai": "滨海社区"},
             "reveal": {"actor": "sw-reveal", "target": target}}
    code, output = run_driver([
        "--base", stack.url("gateway"), "--user", stack.ADMIN[0],
        "--password", stack.ADMIN[1], "--out", str(tmp_path), "--shots", str(staging),
        "--chromium", CHROMIUM, "--setup", json.dumps(setup, ensure_ascii=False)], tmp_path,
        driver=DRIVER)
    assert code == 0, f"browser journey failed (rc={code}); see {tmp_path}/failure.png\n{output}"
    steps = [line.split()[1] for line in output.splitlines() if line.startswith("STEP ")]
    assert steps == ["login", "district_page", "login", "audit_log_lists_the_reveal"], output
    district_step = next(line for line in output.splitlines() if "STEP district_page" in line)
    facts = json.loads(district_step.split(" ok ", 1)[1])
    assert facts["rows"] == ["滨海社区", "和通社区", "全区合计"]

    paths = sorted(staging.glob("*.png"))
    shrink(paths)
    names = {p.name for p in paths}
    for page in ("district", "district-community", "audit"):
        assert {f"{page}-375.png", f"{page}-desktop.png"} <= names, page
    shots.mkdir(parents=True, exist_ok=True)
    for path in paths:
        shutil.copyfile(path, shots / path.name)
