"""A volunteer's road in headless Chromium (tests/browser/drive_volunteer.py in a child
process, as test_console.py explains): applies on the public form at 375 px, is approved
by staff (one-time password), logs in on the phone, changes the password, signs up for a
shift and checks in; and the 用户 and 修改密码 pages.

Screenshots land in the test's tmp_path, or in RONGHE_SCREENSHOTS
(``RONGHE_SCREENSHOTS=docs/screenshots`` refreshes the documentation's)."""
import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from common import times
from tests.browser.test_console import CHROMIUM, _missing, run_driver, shrink
from tests.fixtures import ApiClient

DRIVER = Path(__file__).with_name("drive_volunteer.py")

pytestmark = [pytest.mark.skipif(_missing() is not None, reason=str(_missing())),
              pytest.mark.slow]


@pytest.mark.timeout(900)
def test_a_volunteer_applies_is_approved_and_checks_in_from_the_phone(stack, tmp_path):
    stack.start("volunteers", "gateway")
    staff = stack.client()
    # Starts within the check-in window; the applicant declares no weekly hours (flexible).
    start = times.now() + timedelta(minutes=30)
    shift = staff.post("/shifts", json={"name": "绘本角志愿者", "places": 2,
                                        "skills": ["reading"], "start": times.iso(start),
                                        "end": times.iso(start + timedelta(hours=2))})
    assert shift.status_code == 201, shift.text
    shots = Path(os.environ.get("RONGHE_SCREENSHOTS") or tmp_path / "screenshots")
    staging = tmp_path / "shots"

    code, output = run_driver([
        "--base", stack.url("gateway"), "--user", stack.ADMIN[0], "--password", stack.ADMIN[1],
        "--shift-name", "绘本角志愿者", "--out", str(tmp_path), "--shots", str(staging),
        "--chromium", CHROMIUM], tmp_path, driver=DRIVER)
    assert code == 0, f"browser journey failed (rc={code}); see {tmp_path}/failure.png\n{output}"
    steps = [line.split()[1] for line in output.splitlines() if line.startswith("STEP ")]
    assert steps == ["apply", "login", "approve", "volunteer_login", "password_changed",
                     "signed_up", "checked_in", "profile_saved", "login", "users", "login",
                     "new_user_changed_password"], output
    result = json.loads(next(line[7:] for line in output.splitlines()
                             if line.startswith("RESULT ")))

    if result["axe"]:  # tests/browser/node_modules has axe-core: every new page scanned
        assert len(result["axe_pages"]) == 7, result["axe_pages"]

    # What the browser did, seen through the API.
    volunteer = ApiClient(stack.url("gateway")).login(result["username"], result["new_password"])
    me = volunteer.get("/me").json()
    signups = volunteer.get("/signups").json()["items"]
    assert [(s["shift_id"], s["status"], bool(s["checked_in_at"])) for s in signups] == [
        (shift.json()["id"], "confirmed", True)]
    profile = volunteer.get(f"/volunteers/{me['volunteer_id']}").json()
    assert profile["skills"] == ["first_aid", "reading"]
    assert profile["compound"] == "banshan_linhai"
    users = staff.get("/users").json()["items"]
    assert {u["username"]: u["role"] for u in users}["sw-browser"] == "social_worker"
    ApiClient(stack.url("gateway")).login("sw-browser", "Hetong-Social-88")
    old = ApiClient(stack.url("gateway")).post("/auth/login", json={
        "username": "sw-browser", "password": "Hetong-Social-77"})
    assert old.status_code == 401

    paths = sorted(staging.glob("*.png"))
    shrink(paths)
    names = {p.name for p in paths}
    for page in ("users", "password", "applications-approved"):
        assert {f"{page}-375.png", f"{page}-desktop.png"} <= names, page
    assert {"volunteer-apply-375.png", "volunteer-mine-375.png",
            "applications-desktop.png"} <= names, names
    shots.mkdir(parents=True, exist_ok=True)
    for path in paths:
        if path.name != "login-desktop.png":
            shutil.copyfile(path, shots / path.name)
