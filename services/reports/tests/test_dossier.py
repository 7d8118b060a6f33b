"""The evaluation dossier (评估台账) of a scripted year, through the gateway and the real
broker with every service running: asked for, followed while it builds (the API keeps
answering), read back (PDF with pypdf, ZIP with zipfile), and refused to volunteers.

The scripted year here is small (13 events across the four plans, one a joint meeting
with a decision) so that the test runs in seconds; bench/dossier_year.py builds the
full 120-event year."""
import hashlib
import io
import time
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from services.events.tests.test_attachments_interface import PDF, photo_with_location, upload
from services.events.tests.test_interface import event_body
from services.reports.tests.test_service import OVERRIDES
from tests.fixtures import ApiClient, wait_until

PLANS = ("resources", "system", "service", "culture")


def script_year(staff, public, activities=12):
    """Activities across the plans, each with two registered residents who came and
    walk-ins, then one joint meeting with a decision. Returns (titles, people served)."""
    titles, served = [], 0
    for n in range(activities):
        plan = PLANS[n % 4]
        day = 5 + n % 20
        title = f"台账活动{n + 1:03d}·{plan}"
        created = staff.post("/events", json=event_body(
            title=title, plan=plan, kind="activity", capacity=10,
            start=f"2026-12-{day:02d}T01:00:00Z", end=f"2026-12-{day:02d}T03:00:00Z"))
        assert created.status_code == 201, created.text
        eid = created.json()["id"]
        assert staff.post(f"/events/{eid}/publish").status_code == 200
        for k in (1, 2):
            reg = public.post(f"/events/{eid}/registrations", json={
                "name": f"居民{n}-{k}", "phone": f"159{n:04d}{k:04d}",
                "target_group": "children", "compound": "banshan_linhai"})
            assert reg.status_code == 201, reg.text
            assert staff.post(f"/events/{eid}/attendance",
                              json={"registration_id": reg.json()["id"]}).status_code == 201
        walk_ins = n % 3
        for _ in range(walk_ins):
            assert staff.post(f"/events/{eid}/attendance", json={
                "walk_in": True, "target_group": "elderly"}).status_code == 201
        assert staff.post(f"/events/{eid}/complete").status_code == 200
        titles.append(title)
        served += 2 + walk_ins
    mid = staff.post("/events", json=event_body(
        title="台账联席会", plan="system", kind="joint_meeting", capacity=0,
        target_groups=["all_residents"], start="2026-12-28T01:00:00Z",
        end="2026-12-28T03:00:00Z",
        attendees=[{"organisation": "居委会", "category": "community"}])).json()["id"]
    assert staff.post(f"/events/{mid}/publish").status_code == 200
    decision = staff.post(f"/events/{mid}/decisions", json={
        "summary": "增设共享书架", "action_items": [
            {"title": "采购书架", "owner": "社工站", "due_date": "2026-12-31"}]})
    assert decision.status_code == 201, decision.text
    assert staff.post(f"/events/{mid}/complete").status_code == 200
    return titles + ["台账联席会"], served


@pytest.fixture
def running(stack, tmp_path):
    stack.start("resources", "volunteers", "events")
    stack.start("reports", DOSSIER_DIR=str(tmp_path / "dossiers"), **OVERRIDES)
    stack.start("gateway")
    return stack


def text_of(pdf_bytes):
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_dossier_of_a_year_builds_in_the_background_and_reads_back(running):
    staff = running.client()
    public = running.client(login=False)
    titles, served = script_year(staff, public)
    # Money and evidence: materials bought for the first activity, a photo of it, the
    # meeting's minutes as a PDF.
    events = staff.get("/events", params={"per_page": 100}).json()["items"]
    first_event = next(e for e in events if e["title"] == titles[0])
    meeting = next(e for e in events if e["kind"] == "joint_meeting")
    for amount, line, event_id in (("1234.56", "materials", first_event["id"]),
                                   ("800.00", "activities", None)):
        spent = staff.post("/expenditures", json={
            "spent_on": "2026-12-05", "amount": amount, "budget_line": line, "plan": "service",
            "payee": "厦门某文具店", **({"event_id": event_id} if event_id else {})})
        assert spent.status_code == 201, spent.text
    kept = {}
    for kind, owner, content, name in (("event", first_event["id"], photo_with_location(),
                                        "合影.jpg"),
                                       ("meeting", meeting["id"], PDF, "会议纪要.pdf")):
        added = upload(staff, kind, owner, content, filename=name,
                       mimetype="application/pdf" if name.endswith(".pdf") else "image/jpeg")
        assert added.status_code == 201, added.text
        kept[name] = added.json()["sha256"]

    asked = time.monotonic()
    response = staff.post("/reports/dossiers", json={"year": 1})
    assert response.status_code == 202, response.text
    assert time.monotonic() - asked < 2
    dossier = response.json()
    assert dossier["status"] in ("queued", "building") and dossier["files"] is None
    # One build at a time (DOSSIER_CONCURRENCY=1): a second request waits its turn.
    second = staff.post("/reports/dossiers", json={"year": 1, "plan": "culture"}).json()
    waiting = staff.get(f"/reports/dossiers/{second['id']}").json()
    first = staff.get(f"/reports/dossiers/{dossier['id']}").json()
    if first["status"] == "building":
        assert waiting["status"] == "queued", (first, waiting)

    # While it builds the API answers as usual.
    listings, states = [], []
    while True:
        started = time.monotonic()
        listing = staff.get("/events", params={"per_page": 20})
        listings.append((listing.status_code, time.monotonic() - started))
        state = staff.get(f"/reports/dossiers/{dossier['id']}")
        assert state.status_code == 200, state.text
        states.append(state.json())
        if state.json()["status"] in ("ready", "failed"):
            break
        assert len(states) < 600, states[-1]
        time.sleep(0.05)
    assert states[-1]["status"] == "ready", states[-1]
    assert all(code == 200 for code, _ in listings)
    assert max(seconds for _, seconds in listings) < 2.0, listings
    # At least one listing was answered while the dossier was still queued or building.
    assert any(s["status"] in ("queued", "building") for s in states[:-1]), states
    final = states[-1]
    assert final["progress"]["percent"] == 100
    assert final["summary"]["events"] == len(titles)
    assert final["summary"]["attendance"] == served
    assert final["year"] == 1 and final["from"] == "2026-01-01" and final["to"] == "2026-12-31"
    culture = wait_until(lambda: (lambda s: s if s["status"] in ("ready", "failed") else None)(
        staff.get(f"/reports/dossiers/{second['id']}").json()), timeout=60,
        message="the second dossier")
    assert culture["status"] == "ready" and culture["summary"]["events"] == 3  # 3 of 12

    # The PDF: every event, the counts, the KPI table, a table of contents, masked phones.
    pdf = staff.get(final["files"]["pdf"])
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    reader, text = text_of(pdf.content)
    squeezed = "".join(text.split())
    for title in titles:
        assert title in squeezed, title
    assert "目录" in squeezed and "二、活动记录" in squeezed
    assert f"开展活动（场）{len(titles)}" in squeezed
    assert f"签到服务（人次）{served}" in squeezed
    assert "年度指标完成情况" in squeezed and "开展活动场次（场）120" in squeezed
    assert "159****0001" in squeezed and "15900000001" not in squeezed
    assert "增设共享书架" in squeezed and "采购书架" in squeezed
    # The budget statement: the year's lines, what was spent, the total; the activity's cost.
    assert "五、经费预算执行情况" in squeezed and "暂无记录" not in squeezed.split("五、经费预算执行情况")[1][:20]
    assert "物资耗材30000.001234.5628765.44" in squeezed
    assert "合计420000.002034.56417965.44" in squeezed
    assert "1234.56元" in squeezed and "活动照片（1张）" in squeezed
    assert final["summary"]["attachments"] == 2
    fonts = {str(f) for page in reader.pages[:3]
             for f in (page["/Resources"].get("/Font") or {}).values()}
    assert fonts  # the font travels with the file
    assert reader.outline  # bookmarks beside the table of contents

    # The ZIP: the same PDF and the XLSX reports.
    archive = staff.get(final["files"]["zip"])
    assert archive.status_code == 200 and archive.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        names = z.namelist()
        assert z.read("评估台账.pdf") == pdf.content
        sheets = [n for n in names if n.endswith(".xlsx")]
        assert "报表/活动清单.xlsx" in sheets and any("周期报表" in n for n in sheets)
        listed = load_workbook(io.BytesIO(z.read("报表/活动清单.xlsx")))["活动清单"]
        assert {row[1] for row in listed.iter_rows(min_row=3, values_only=True)} == set(titles)
        periodic = load_workbook(io.BytesIO(z.read(next(n for n in sheets if "周期报表" in n))))
        assert "指标" in periodic.sheetnames
        # Every attachment, byte for byte as kept (the photo without its location).
        held = {hashlib.sha256(z.read(n)).hexdigest(): n for n in names
                if n.startswith("attachments/")}
        assert set(held) == set(kept.values()), names
        assert held[kept["会议纪要.pdf"]].endswith("会议纪要.pdf")


def test_dossier_of_one_plan_and_a_period(running):
    staff = running.client()
    public = running.client(login=False)
    script_year(staff, public, activities=4)
    response = staff.post("/reports/dossiers", json={"year": 1, "plan": "culture",
                                                      "from": "2026-12-01", "to": "2026-12-31"})
    assert response.status_code == 202, response.text
    state = wait_until(lambda: (lambda s: s if s["status"] in ("ready", "failed") else None)(
        staff.get(f"/reports/dossiers/{response.json()['id']}").json()), timeout=60,
        message="the dossier")
    assert state["status"] == "ready", state
    assert state["summary"]["events"] == 1  # 台账活动004·culture
    _, text = text_of(staff.get(state["files"]["pdf"]).content)
    squeezed = "".join(text.split())
    assert "台账活动004·culture" in squeezed and "台账活动001" not in squeezed


def test_staff_only_unknown_404_bad_request_422_not_ready_409(running):
    staff = running.client()
    vid = staff.post("/volunteers", json={"name": "林晓燕", "phone": "13812345678"}).json()["id"]
    assert staff.post("/users", json={"username": "vol_a", "password": "password-123",
                                      "role": "volunteer", "volunteer_id": vid}).status_code == 201
    volunteer = ApiClient(running.url("gateway")).login("vol_a", "password-123")
    assert volunteer.post("/reports/dossiers", json={"year": 1}).status_code == 403

    # Refusals first, while no build shares the reports service's CPU (a build's
    # rendering can slow its other answers on a busy machine).
    assert staff.get("/reports/dossiers/0123456789abcdef").status_code == 404
    assert staff.get("/reports/dossiers/0123456789abcdef/zip").status_code == 404
    bad = staff.post("/reports/dossiers", json={"year": 1, "from": "2026-13-01x"})
    assert bad.status_code in (400, 422) and "from" in bad.text
    assert staff.post("/reports/dossiers", json={"year": 7}).status_code == 404  # no targets
    assert staff.post("/reports/dossiers", json={"plan": "nope"}).status_code in (400, 422)

    dossier = staff.post("/reports/dossiers", json={"year": 1}).json()
    assert volunteer.get(f"/reports/dossiers/{dossier['id']}").status_code == 403
    assert volunteer.get(f"/reports/dossiers/{dossier['id']}/pdf").status_code == 403
