"""The web console in a real browser: headless Chromium from Debian
(/usr/bin/chromium), driven by Playwright for Python through tests/browser/drive.py.

The stack runs here, in the test process (real RabbitMQ, SQLite), on eventlet's hub. The
browser is driven from a child process: Playwright's sync API called in this process
(tried: launch, goto the console, log in) hangs until pytest-timeout kills the test. Its
asyncio loop, run on a greenlet over eventlet's monkey-patched selectors, does not give
eventlet's hub the turns it needs to serve the gateway the page is waiting for. In a plain
child process both sides are ordinary; this process waits for it with eventlet.sleep, so
the gateway keeps answering the browser. The child prints one line per step; its output
is shown when it fails (with failure.png in the test's tmp_path).

Screenshots of the main pages at 375 px and at desktop width land in the test's tmp_path,
or in RONGHE_SCREENSHOTS (``RONGHE_SCREENSHOTS=docs/screenshots`` refreshes the
documentation's), reduced to small palette PNGs.
"""
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import eventlet
import pytest

from tests.fixtures import wait_until

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("RONGHE_CHROMIUM", "/usr/bin/chromium")
DRIVER = Path(__file__).with_name("drive.py")


def _missing():
    if not os.path.exists(CHROMIUM):
        return (f"{CHROMIUM} is missing: install the Debian packages chromium and "
                "chromium-driver (.ci/run does)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright (Python) is not installed: pip install -r requirements.txt"
    return None


pytestmark = [pytest.mark.skipif(_missing() is not None, reason=str(_missing())),
              pytest.mark.slow]


def event_day(kpis):
    """Tomorrow in Xiamen, kept inside the project year so the KPIs count the event."""
    xiamen_today = (datetime.now(timezone.utc) + timedelta(hours=8)).date()
    day = xiamen_today + timedelta(days=1)
    start, end = date.fromisoformat(kpis["year_start"]), date.fromisoformat(kpis["year_end"])
    return min(max(day, start), end)


def run_driver(args, out, timeout=480, driver=DRIVER):
    """The browser journey in a child process; eventlet keeps serving while it runs."""
    log_path = out / "driver.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, str(driver), *args], cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                break
            eventlet.sleep(0.25)
    return proc.returncode, log_path.read_text(encoding="utf-8", errors="replace")


def shrink(paths):
    """Screenshots as 256-colour PNGs: a few tens of kB each."""
    from PIL import Image

    for path in paths:
        with Image.open(path) as image:
            small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)


@pytest.mark.timeout(900)
def test_console_journeys_in_chromium(full_stack, tmp_path):
    client = full_stack.client()
    volunteer = client.post("/volunteers", json={
        "name": "林秀兰", "phone": "13712345678", "compound": "fulong_huayuan",
        "skills": ["first_aid", "calligraphy"], "talent": True})
    assert volunteer.status_code == 201, volunteer.text
    volunteer_id = volunteer.json()["id"]
    user = client.post("/users", json={"username": "linxiulan", "password": "volunteer-pass-1",
                                       "role": "volunteer", "volunteer_id": volunteer_id})
    assert user.status_code == 201, user.text
    reviewer = client.post("/users", json={"username": "chenjing", "password": "reviewer-pass-1",
                                           "role": "social_worker"})
    assert reviewer.status_code == 201, reviewer.text
    kpis = client.get("/reports/kpis").json()
    day = event_day(kpis).isoformat()
    # The documentation's screenshots are refreshed only when asked
    # (RONGHE_SCREENSHOTS=docs/screenshots): a test run leaves the tree as it found it.
    shots = Path(os.environ.get("RONGHE_SCREENSHOTS") or tmp_path / "screenshots")
    staging = tmp_path / "shots"

    code, output = run_driver([
        "--base", full_stack.url("gateway"), "--user", full_stack.ADMIN[0],
        "--password", full_stack.ADMIN[1], "--volunteer", str(volunteer_id),
        "--event-date", day, "--out", str(tmp_path), "--shots", str(staging),
        "--chromium", CHROMIUM, "--volunteer-user", "linxiulan", "--volunteer-password", "volunteer-pass-1",
        "--reviewer-user", "chenjing", "--reviewer-password", "reviewer-pass-1"], tmp_path)
    assert code == 0, f"browser journey failed (rc={code}); see {tmp_path}/failure.png\n{output}"
    steps = [line.split()[1] for line in output.splitlines() if line.startswith("STEP ")]
    assert steps == ["login", "validation_error", "validation_error_event_end",
                     "create_and_publish_event", "register_two_residents", "check_in_one",
                     "complete_event", "feedback_seen", "kpi_board_changes",
                     "approve_hours_in_bulk", "certificate_pdf",
                     "certificate_superseded_reissued", "volunteer_search",
                     "needs_intake_match_close", "sample_data_cleared",
                     "recurring_booking_conflict_listed",
                     "linkage_idea_vote_meeting_overdue",
                     "report_xlsx", "trend_degrades", "screenshots",
                     "volunteer_sees_own_records", "api_docs"], output
    result = json.loads(next(line[7:] for line in output.splitlines()
                             if line.startswith("RESULT ")))

    # What the browser did, seen through the API.
    event = client.get(f"/events/{result['event_id']}").json()
    assert event["status"] == "completed"
    bookings = client.get(f"/venues/{result['venue_id']}/bookings", params={
        "from": f"{day}T00:00:00+08:00", "to": f"{day}T23:59:00+08:00",
        "include_cancelled": "true"}).json()
    bookings = bookings.get("bookings", bookings.get("items", [])) \
        if isinstance(bookings, dict) else bookings
    assert any(b.get("event_id") == result["event_id"] for b in bookings), bookings
    assert event["counts"]["confirmed"] == 1 and event["counts"]["waitlisted"] == 1
    assert event["counts"]["attended"] == 1 and event["counts"]["people_served"] == 1
    assert [r["name"] for r in event["roles"]] == ["签到引导"]
    wait_until(lambda: client.get("/shifts", params={"event_id": result["event_id"]})
               .json()["total"] == 1, timeout=15, message="the role's shift to open")
    approved = client.get("/hours", params={"volunteer_id": volunteer_id,
                                            "status": "approved"}).json()["items"]
    assert [(e["minutes"], e["recorded_by"], e["decided_by"]) for e in approved] == [
        (150, full_stack.ADMIN[0], "chenjing"), (30, "chenjing", full_stack.ADMIN[0])]
    assert client.get("/hours", params={"status": "pending"}).json()["total"] == 0
    certificates = client.get(f"/volunteers/{volunteer_id}/certificates").json()["items"]
    assert [(c["number"], c["status"], c["approved_minutes"], c["replaced_by"], c["replaces"])
            for c in certificates] == [
        (result["certificate"], "superseded", 150, result["reissued"], None),
        (result["reissued"], "valid", 180, None, result["certificate"])]
    # The room calendar: the parents' meeting, the term without its conflicting day (the
    # preview wrote nothing), one occurrence cancelled from the grid.
    rooms = result["rooms"]
    term = client.get(f"/venues/{rooms['venue_id']}/bookings", params={
        "from": rooms["first"], "to": rooms["until"], "include_cancelled": "true"}).json()
    term = term["items"]
    assert [b["purpose"] for b in term if b["series_id"] is None] == ["家长会"]
    occurrences = [b for b in term if b["series_id"] is not None]
    assert len(occurrences) == 44
    assert [b["status"] for b in occurrences].count("cancelled") == 1
    assert full_stack.kpi(client, "activities_held") == 1
    assert full_stack.kpi(client, "people_served") == 1

    # Screenshots: small, and every main page at both widths.
    paths = sorted(staging.glob("*.png"))
    shrink(paths)
    names = {p.name for p in paths}
    for page in ("kpi-board", "events-week", "event-detail", "volunteers", "volunteer-detail",
                 "hours", "needs", "linkage", "reports", "rooms"):
        assert {f"{page}-375.png", f"{page}-desktop.png"} <= names, page
    assert {"event-checkin-375.png", "validation-error-desktop.png",
            "volunteer-self-375.png"} <= names
    total = sum(p.stat().st_size for p in paths)
    assert total < 3 * 1024 * 1024, total
    shots.mkdir(parents=True, exist_ok=True)
    for path in paths:
        shutil.copyfile(path, shots / path.name)
