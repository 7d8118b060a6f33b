"""The residents' public site in headless Chromium at 375 px (tests/browser/drive_public.py
in a child process, as test_console.py does): from the service menu to a 我们的节日 event,
waitlisted, moved up after a cancellation, checked in by the door QR code's URL (decoded
from the PNG with zbarimg), feedback, 金点子; axe-core on every page (no serious or
critical violation). Screenshots in RONGHE_SCREENSHOTS if set."""
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import eventlet
import pytest

from common import times
from tests.browser.test_console import CHROMIUM, ROOT, _missing, shrink

DRIVER = Path(__file__).with_name("drive_public.py")

AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"


def _missing_here():
    if _missing():
        return _missing()
    if not AXE.exists():
        return f"{AXE} is missing: npm install --prefix tests/browser"
    return None


pytestmark = [pytest.mark.skipif(_missing_here() is not None, reason=str(_missing_here())),
              pytest.mark.slow]


def run(args, out, timeout=300):
    log_path = out / "driver.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, str(DRIVER), *args], cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                break
            eventlet.sleep(0.25)
    return proc.returncode, log_path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.timeout(600)
def test_resident_journey_on_the_public_site(stack, tmp_path):
    stack.start("events", "gateway")
    staff = stack.client()
    now = times.now()
    created = staff.post("/events", json={
        "title": "端午包粽子", "plan": "culture", "kind": "festival", "series": "festivals",
        "target_groups": ["families"], "description": "一起包粽子、挂香囊",
        "start": times.iso(now - timedelta(minutes=5)),
        "end": times.iso(now + timedelta(hours=2)), "capacity": 1})
    assert created.status_code == 201, created.text
    event = created.json()
    assert staff.post(f"/events/{event['id']}/publish").status_code == 200
    first = staff.post(f"/events/{event['id']}/registrations", json={
        "name": "李明", "phone": "13900001111", "target_group": "families"}).json()
    assert first["status"] == "confirmed"
    door_png = tmp_path / "door.png"
    door_png.write_bytes(staff.get(f"/events/{event['id']}/qr",
                                   params={"code": "door"}).content)
    door_url = subprocess.run(["zbarimg", "--quiet", "--raw", str(door_png)], check=True,
                              capture_output=True, text=True).stdout.strip()
    assert door_url.startswith(stack.url("gateway") + "/#/door/")

    shots = Path(os.environ.get("RONGHE_SCREENSHOTS") or tmp_path / "screenshots")
    code, output = run([
        "--base", stack.url("gateway"), "--token", staff.token, "--event", str(event["id"]),
        "--title", event["title"], "--phone", "13800002222",
        "--first-registration", str(first["id"]), "--first-code", first["cancel_code"],
        "--door-url", door_url, "--out", str(tmp_path), "--shots", str(shots),
        "--chromium", CHROMIUM], tmp_path)
    assert code == 0, f"public site journey failed (rc={code}); see {tmp_path}\n{output}"
    steps = [line.split()[1] for line in output.splitlines() if line.startswith("STEP ")]
    assert steps == ["menu_to_event", "registered_waitlisted", "promoted_after_cancellation",
                     "checked_in_at_door", "feedback_given", "idea_submitted_and_voted",
                     "screenshots"], output
    result = json.loads(next(line[7:] for line in output.splitlines()
                             if line.startswith("RESULT ")))
    shrink(result["screenshots"])
    assert result["axe_pages"] == ["menu", "calendar", "event-waitlisted",
                                   "event-cancel-refused", "door", "event-feedback",
                                   "ideas"], result

    # What the browser did, seen through the API.
    done = staff.get(f"/events/{event['id']}").json()
    assert done["status"] == "completed" and done["counts"]["attended"] == 1, done
