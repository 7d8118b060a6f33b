"""Evidence photos in a real browser (headless Chromium through Playwright, in a child
process: see test_console.py for why): staff upload a photo from the event page's camera
control and see its thumbnail, a program renamed .jpg is refused in Chinese, a PDF goes on
a joint meeting's page; what the browser sent is then read back through the API (the
photo kept without its location). Screenshots land in the test's tmp_path, or in
RONGHE_SCREENSHOTS (``=docs/screenshots`` refreshes the documentation's)."""
import io
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.browser.test_console import CHROMIUM, _missing, shrink
from tests.browser.test_consultations import AXE, run_journey


def _missing_here():
    if not AXE.exists():
        return f"{AXE} is missing: npm ci --prefix tests/browser"
    return _missing()


pytestmark = [pytest.mark.skipif(_missing_here() is not None, reason=str(_missing_here())),
              pytest.mark.slow]


@pytest.mark.timeout(600)
def test_a_photo_uploaded_from_the_event_page_shows_its_thumbnail(stack, tmp_path):
    stack.start("resources", "events", "reports", "gateway")  # resources: the vocabularies
    staff = stack.client()
    event = staff.post("/events", json={
        "title": "重阳节敬老活动", "plan": "culture", "kind": "festival",
        "target_groups": ["elderly"], "start": "2026-10-29T09:00", "end": "2026-10-29T11:00"})
    meeting = staff.post("/events", json={
        "title": "第四季度五社联席会", "plan": "system", "kind": "joint_meeting",
        "target_groups": ["all_residents"], "start": "2026-11-20T14:00",
        "end": "2026-11-20T16:00"})
    assert event.status_code == 201 and meeting.status_code == 201, (event.text, meeting.text)
    eid, mid = event.json()["id"], meeting.json()["id"]
    staging = tmp_path / "shots"
    code, output = run_journey([
        "--base", stack.url("gateway"), "--user", stack.ADMIN[0],
        "--password", stack.ADMIN[1], "--event", str(eid), "--meeting", str(mid),
        "--out", str(tmp_path), "--shots", str(staging), "--chromium", CHROMIUM],
        tmp_path, module="tests.browser.drive_attachments")
    assert code == 0, f"browser journey failed (rc={code}); see {tmp_path}/failure.png\n{output}"
    steps = [line.split()[1] for line in output.splitlines() if line.startswith("STEP ")]
    assert steps == ["login", "photo_uploaded_thumbnail_shown", "program_refused",
                     "phone_width_and_accessibility", "pdf_on_meeting_page"], output

    photos = staff.get("/attachments", params={"owner_kind": "event", "owner_id": eid}).json()
    assert [p["filename"] for p in photos["items"]] == ["IMG_20261114_093000.jpg"]
    kept = Image.open(io.BytesIO(staff.get(photos["items"][0]["file_url"][len("/api/v1"):])
                                 .content))
    assert kept.size == (600, 800) and not kept.getexif()  # upright, no location
    files = staff.get("/attachments", params={"owner_kind": "meeting", "owner_id": mid}).json()
    assert [(f["filename"], f["content_type"]) for f in files["items"]] == [
        ("联席会纪要.pdf", "application/pdf")]

    paths = sorted(staging.glob("*.png"))
    shrink(paths)
    names = {p.name for p in paths}
    assert {"event-attachments-desktop.png", "event-attachments-375.png"} <= names, names
    shots = Path(os.environ.get("RONGHE_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    for path in paths:
        if path.name.startswith("event-attachments"):
            shutil.copyfile(path, shots / path.name)
