"""The console's 班次 pages, the 签到/签退 kiosk and the 联席会 pages in headless Chromium
(tests/browser/drive_shifts.py in a child process, as test_console.py explains), on the
whole stack; what the browser did is then checked through the API.

Screenshots land in the test's tmp_path, or in RONGHE_SCREENSHOTS
(``RONGHE_SCREENSHOTS=docs/screenshots`` refreshes the documentation's)."""
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.browser.test_console import CHROMIUM, _missing, run_driver, shrink

DRIVER = Path(__file__).with_name("drive_shifts.py")

pytestmark = [pytest.mark.skipif(_missing() is not None, reason=str(_missing())),
              pytest.mark.slow]

VOLUNTEERS = [
    {"name": "陈美玲", "phone": "13812345601", "compound": "fulong_huayuan"},
    {"name": "黄志强", "phone": "13912347702", "compound": "banshan_linhai"},
]
PARTNERS = [
    {"name": "和通社区居委会", "kind": "government", "five_society": "community"},
    {"name": "益心社会工作服务中心", "kind": "social_org", "five_society": "social_org"},
    {"name": "和通社工站", "kind": "social_org", "five_society": "social_worker"},
]


@pytest.mark.timeout(600)
def test_shifts_kiosk_and_joint_meeting_in_chromium(full_stack, tmp_path):
    client = full_stack.client()
    volunteers = []
    for body in VOLUNTEERS:
        response = client.post("/volunteers", json=body)
        assert response.status_code == 201, response.text
        volunteers.append({"id": response.json()["id"], "name": body["name"],
                           "phone": body["phone"]})
    partners = []
    for body in PARTNERS:
        response = client.post("/partners", json=body)
        assert response.status_code == 201, response.text
        partners.append({"id": response.json()["id"], "name": body["name"],
                         "five_society": body["five_society"]})
    shots = Path(os.environ.get("RONGHE_SCREENSHOTS") or tmp_path / "screenshots")
    staging = tmp_path / "shots"

    code, output = run_driver([
        "--base", full_stack.url("gateway"), "--user", full_stack.ADMIN[0],
        "--password", full_stack.ADMIN[1], "--out", str(tmp_path), "--shots", str(staging),
        "--chromium", CHROMIUM,
        "--setup", json.dumps({"volunteers": volunteers, "partners": partners})], tmp_path,
        driver=DRIVER)
    assert code == 0, f"browser journey failed (rc={code}); see {tmp_path}/failure.png\n{output}"
    steps = [line.split()[1] for line in output.splitlines() if line.startswith("STEP ")]
    assert steps == ["login", "create_shift", "sign_up_two_volunteers",
                     "kiosk_check_in_and_out", "pending_hours_found", "cancel_waitlisted",
                     "joint_meeting_recorded", "joint_meeting_action_item", "screenshots"], output
    result = json.loads(next(line[7:] for line in output.splitlines()
                             if line.startswith("RESULT ")))

    # What the browser did, seen through the API.
    first, second = volunteers
    signups = client.get("/signups", params={"shift_id": result["shift_id"]}).json()["items"]
    assert [(s["volunteer_id"], s["status"]) for s in signups] == [
        (first["id"], "confirmed"), (second["id"], "cancelled")]
    assert signups[0]["checked_in_at"] and signups[0]["checked_out_at"]
    pending = client.get("/hours", params={"status": "pending",
                                           "volunteer_id": first["id"]}).json()["items"]
    assert [(e["id"], e["source"], e["shift_id"]) for e in pending] == [
        (result["hours_entry_id"], "check_out", result["shift_id"])]
    assert signups[0]["hours_entry_id"] == result["hours_entry_id"]

    meeting = client.get(f"/events/{result['meeting_id']}").json()
    assert meeting["kind"] == "joint_meeting" and meeting["status"] == "published"
    assert [(a["partner_id"], a["category"], a["count"]) for a in meeting["attendees"]] == [
        (partners[0]["id"], "community", 2), (partners[1]["id"], "social_org", 1),
        (partners[2]["id"], "social_worker", 1), (None, "social_resource", 1)]
    assert (meeting["residents"], meeting["others"]) == (12, 3)
    assert meeting["minutes"].startswith("与会各方同意")
    [decision] = meeting["decisions"]
    assert [(a["title"], a["owner"], a["status"]) for a in decision["action_items"]] == [
        ("提交修缮方案", "和通物业", "open")]
    # The refused first submission wrote nothing: one meeting only.
    meetings = client.get("/events", params={"kind": "joint_meeting"}).json()["items"]
    assert [m["id"] for m in meetings if "浏览器测试" in m["title"]] == [result["meeting_id"]]

    paths = sorted(staging.glob("*.png"))
    shrink(paths)
    names = {p.name for p in paths}
    for page in ("shifts", "shift-detail", "kiosk-shifts", "kiosk-checkin", "meeting-new",
                 "meeting-detail"):
        assert {f"{page}-375.png", f"{page}-desktop.png"} <= names, page
    shots.mkdir(parents=True, exist_ok=True)
    for path in paths:
        shutil.copyfile(path, shots / path.name)
