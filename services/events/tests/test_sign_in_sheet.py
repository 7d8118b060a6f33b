"""The sign-in sheet (签到表) of an event, through the gateway with the real resources
service (its sample venues): printable before the event (confirmed, then waitlisted, then
blank rows for walk-ins), archived after it (who came, and when, from the attendance
records). Names in full, phones masked, never a full phone number anywhere in the file."""
import io
import zipfile
from datetime import timedelta

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import text as text_sql

from common import times

PHONES = {"王小明": "15900001234", "=SUM(1,2)": "15900005678", "李候补": "15900009012",
          "张取消": "15900003456"}
WALK_IN_PHONE = "13800001111"
HEADER = ["序号", "姓名", "联系电话", "服务对象", "小区", "备注", "签到时间", "签名"]


def masked(phone):
    return phone[:3] + "****" + phone[-4:]


def sheet_rows(content):
    """(the rows above the table, {序号: row as a dict}) of the XLSX sign-in sheet."""
    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    at = next(i for i, r in enumerate(values) if r[:len(HEADER)] == HEADER)
    table = [dict(zip(HEADER, r)) for r in values[at + 1:] if r[0] is not None]
    return values[:at], table, ws


def every_text_of(xlsx):
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def assert_no_full_phone(*texts):
    for text in texts:
        for phone in list(PHONES.values()) + [WALK_IN_PHONE]:
            assert phone not in text


def test_sign_in_sheet_before_and_after_the_event(stack):
    stack.start("resources", "events", "gateway")
    staff = stack.client()
    venues = staff.get("/venues").json()
    hall = next(v for v in (venues["items"] if isinstance(venues, dict) else venues)
                if v["code"] == "C-H1")  # open 08:30-12:00 local time
    day = (times.local_today() + timedelta(days=7)).isoformat()
    created = staff.post("/events", json={
        "title": "儿童绘本共读", "plan": "service", "kind": "group",
        "target_groups": ["children"], "compounds": ["banshan_linhai"], "capacity": 2,
        "venue_id": hall["id"], "start": f"{day}T09:00:00", "end": f"{day}T11:00:00"})
    assert created.status_code == 201, created.text
    eid = created.json()["id"]
    assert staff.post(f"/events/{eid}/publish").status_code == 200
    regs = {}
    for name, phone in PHONES.items():
        reg = staff.post(f"/events/{eid}/registrations", json={
            "name": name, "phone": phone, "target_group": "children",
            "compound": "banshan_linhai"})
        assert reg.status_code == 201, reg.text
        regs[name] = reg.json()
    assert [r["status"] for r in regs.values()] == ["confirmed", "confirmed", "waitlisted",
                                                    "waitlisted"]
    assert staff.delete(f"/registrations/{regs['张取消']['id']}", json={}).status_code == 200

    # Before: confirmed, then the waitlist (marked), then numbered blank rows.
    xlsx = staff.get(f"/events/{eid}/sign-in-sheet", params={"format": "xlsx"})
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx.headers["Content-Disposition"]
    above, table, ws = sheet_rows(xlsx.content)
    heading = " ".join(str(c) for r in above for c in r if c)
    assert "儿童绘本共读" in heading and "签到表" in heading
    assert f"{day} 09:00–11:00" in heading  # local time, as typed
    assert hall["name"] in heading
    listed = [(r["序号"], r["姓名"], r["联系电话"], r["备注"]) for r in table if r["姓名"]]
    assert listed == [(1, "王小明", masked(PHONES["王小明"]), None),
                      (2, "'=SUM(1,2)", masked(PHONES["=SUM(1,2)"]), None),
                      (3, "李候补", masked(PHONES["李候补"]), "候补1")]
    assert all(r["服务对象"] == "儿童" and r["小区"] == "半山林海"
               for r in table if r["姓名"])
    assert all(r["签名"] is None and r["签到时间"] is None for r in table)
    blanks = [r for r in table if not r["姓名"]]
    assert len(blanks) >= 3 and [r["序号"] for r in blanks][:1] == [4]
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)
    assert_no_full_phone(every_text_of(xlsx.content))

    pdf = staff.get(f"/events/{eid}/sign-in-sheet", params={"format": "pdf"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("签到表", "儿童绘本共读", hall["name"], f"{day}", "09:00", "王小明",
                     "=SUM(1,2)", "李候补", "候补1", masked(PHONES["王小明"]),
                     masked(PHONES["李候补"]), "签名"):
        assert expected in text, expected
    assert "张取消" not in text
    assert_no_full_phone(text, pdf.content.decode("latin-1"))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            assert "/FontFile2" in font.get_object()["/FontDescriptor"].get_object()

    # After: who came and when, from the attendance records, walk-ins included.
    came = staff.post(f"/events/{eid}/attendance",
                      json={"registration_id": regs["王小明"]["id"]})
    assert came.status_code == 201, came.text
    walk_in = staff.post(f"/events/{eid}/attendance", json={
        "walk_in": True, "name": "赵大爷", "phone": WALK_IN_PHONE, "target_group": "elderly"})
    assert walk_in.status_code == 201, walk_in.text
    assert staff.post(f"/events/{eid}/complete", json={}).status_code == 200
    at = {r.json()["id"]: times.local(times.parse(r.json()["attended_at"])).strftime("%H:%M")
          for r in (came, walk_in)}

    archived = staff.get(f"/events/{eid}/sign-in-sheet", params={"format": "xlsx"})
    assert archived.status_code == 200, archived.text
    above, table, _ws = sheet_rows(archived.content)
    assert "签到 2 人" in " ".join(str(c) for r in above for c in r if c)
    rows = {r["姓名"]: r for r in table}
    assert rows["王小明"]["签到时间"] == at[came.json()["id"]]
    assert rows["李候补"]["签到时间"] == "未到" and rows["李候补"]["备注"] == "候补1"
    assert rows["赵大爷"]["备注"] == "现场参与" and rows["赵大爷"]["服务对象"] == "老年人"
    assert rows["赵大爷"]["签到时间"] == at[walk_in.json()["id"]]
    assert not rows["赵大爷"]["联系电话"]
    assert None not in rows  # no blank rows once the event is over
    assert_no_full_phone(every_text_of(archived.content))
    archived_pdf = staff.get(f"/events/{eid}/sign-in-sheet", params={"format": "pdf"})
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(archived_pdf.content)).pages)
    assert "赵大爷" in text and "现场参与" in text and at[came.json()["id"]] in text
    assert_no_full_phone(text)
    engine = stack.engine("gateway")  # printing names in full is on the audit trail
    with engine.connect() as conn:
        audits = conn.execute(text_sql("SELECT action, target FROM audit_log")).all()
    engine.dispose()
    assert [tuple(a) for a in audits] == [("print_sign_in_sheet", f"event:{eid}")] * 4

    # Wrong format, unknown event, and a cancelled event has no sheet.
    assert staff.get(f"/events/{eid}/sign-in-sheet", params={"format": "doc"}).status_code == 422
    assert staff.get("/events/999999/sign-in-sheet", params={"format": "pdf"}).status_code == 404
    other = staff.post("/events", json={
        "title": "取消的活动", "plan": "culture", "kind": "lecture", "target_groups": ["elderly"],
        "start": f"{day}T14:00:00", "end": f"{day}T15:00:00"}).json()
    assert staff.post(f"/events/{other['id']}/cancel", json={}).status_code == 200
    assert staff.get(f"/events/{other['id']}/sign-in-sheet").status_code == 409
    assert stack.client(login=False).get(f"/events/{eid}/sign-in-sheet").status_code == 401
