"""Every page of the console passes an axe-core scan at desktop width and at 375 px: no
violation of impact "serious" or "critical" (tests/browser/drive_accessibility.py in a
child process, as test_console.py explains). Staff pages as admin, with one record of each
kind created through the API for the pages that show one; then a volunteer's own pages."""
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from common import times
from tests.browser.test_console import CHROMIUM, _missing, run_driver

DRIVER = Path(__file__).with_name("drive_accessibility.py")
APP = Path(__file__).parents[2] / "gateway" / "console" / "js" / "app.js"
AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"

# One community's board needs a district of several communities (test_console_district.py
# builds one); the district's list is scanned here.
NOT_VISITED = {r"^\/district\/([\w-]+)$"}

# Pages known not to pass yet, each with the reason: the scan still runs on them and
# reports what it finds, but only the pages not named here must be clean.
KNOWN_EXCEPTIONS = {}


def _why_not():
    if _missing():
        return _missing()
    if not AXE.exists():
        return f"{AXE} is missing: npm ci --prefix tests/browser (.ci/run does)"
    return None


pytestmark = [pytest.mark.skipif(_why_not() is not None, reason=str(_why_not())),
              pytest.mark.slow]


def created(response):
    assert response.status_code == 201, response.text
    return response.json()["id"]


def one_record_of_each_kind(client):
    """name=/path for each console page that shows one record."""
    start = times.now() + timedelta(days=3)
    span = {"start": times.iso(start), "end": times.iso(start + timedelta(hours=2))}
    event = created(client.post("/events", json={
        "title": "长者手工坊", "plan": "culture", "kind": "activity",
        "target_groups": ["elderly"], "capacity": 20, **span}))
    meeting = created(client.post("/events", json={
        "title": "五社联席会", "plan": "system", "kind": "joint_meeting",
        "target_groups": ["all_residents"], "attendees": [], **span}))
    volunteer = created(client.post("/volunteers", json={
        "name": "陈美玲", "phone": "13812345601", "compound": "fulong_huayuan"}))
    need = created(client.post("/needs", json={
        "target_group": "elderly", "category": "care", "description": "陪同就医"}))
    partner = created(client.post("/partners", json={
        "name": "和通社区居委会", "kind": "government", "five_society": "community"}))
    resource = created(client.post("/resources", json={
        "type": "material", "title": "爱心书包", "partner_id": partner,
        "target_groups": ["children"], "need_categories": ["material"], "quantity": 20}))
    shift = created(client.post("/shifts", json={
        "name": "绘本角志愿者", "places": 2, "skills": ["reading"], **span}))
    today = times.now().date()
    consultation = created(client.post("/consultations", json={
        "title": "楼道照明意见征集", "opens_on": (today - timedelta(days=1)).isoformat(),
        "closes_on": (today + timedelta(days=2)).isoformat(),
        "questions": [{"kind": "rating", "text": "满意度"},
                      {"kind": "text", "text": "建议", "required": False}]}))
    case = created(client.post("/cases", json={
        "person": {"name": "林阿婆", "birth_year": 1940, "gender": "female",
                   "compound": "fulong_huayuan", "target_groups": ["elderly"]},
        "consent": {"given_by": "self", "name": "林阿婆", "scope": ["case_work"]},
        "category": "care", "target_group": "elderly"}))
    records = {"event": f"/events/{event}", "case": f"/cases/{case}", "event-checkin": f"/events/{event}/checkin",
               "meeting": f"/meetings/{meeting}", "volunteer": f"/volunteers/{volunteer}",
               "need": f"/needs/{need}", "partner": f"/partners/{partner}",
               "resource": f"/resources/{resource}", "shift": f"/shifts/{shift}",
               "consultation": f"/consultations/{consultation}"}
    return records, volunteer


@pytest.mark.timeout(900)
def test_every_console_page_passes_axe_at_both_widths(full_stack, tmp_path):
    client = full_stack.client()
    records, volunteer = one_record_of_each_kind(client)
    created(client.post("/users", json={"username": "chenmeiling", "password": "volunteer-pass-1",
                                        "role": "volunteer", "volunteer_id": volunteer}))
    args = ["--base", full_stack.url("gateway"), "--user", full_stack.ADMIN[0],
            "--password", full_stack.ADMIN[1], "--volunteer-user", "chenmeiling",
            "--volunteer-password", "volunteer-pass-1", "--out", str(tmp_path),
            "--chromium", CHROMIUM]
    for name, path in records.items():
        args += ["--record", f"{name}={path}"]

    code, output = run_driver(args, tmp_path, driver=DRIVER)
    assert code == 0, f"browser run failed (rc={code}); see {tmp_path}/failure.png\n{output}"
    steps = [line.split()[1] for line in output.splitlines() if line.startswith("STEP ")]
    assert steps == ["public_pages", "login", "staff_pages", "volunteer_pages"], output
    result = json.loads(next(line[7:] for line in output.splitlines()
                             if line.startswith("RESULT ")))

    # every route of the console was visited (a new route must be added to the driver)
    routes = re.findall(r"^  \[/(.+?)/, ", APP.read_text(encoding="utf-8"), re.M)
    assert len(routes) > 30, routes
    for route in set(routes) - NOT_VISITED:
        pattern = re.compile(route.replace("\\/", "/"))
        assert any(pattern.match(path) for path in result["paths"]), f"{route} not scanned"

    violations = result["violations"]
    scanned = set(result.get("axe_pages", [])) | set(violations)
    pages = {label.rsplit("-", 1)[0] for label in scanned}
    # the routes without an id, each record's page, and the volunteer's own: both widths
    assert len(pages) >= 2 + 25 + len(records) + 2, sorted(pages)
    assert all(f"{page}-desktop" in scanned and f"{page}-375" in scanned for page in pages)
    failing = {label: found for label, found in violations.items()
               if label.rsplit("-", 1)[0] not in KNOWN_EXCEPTIONS}
    assert not failing, "\n".join(failing.values())
