"""Evidence attachments through the gateway on the real broker: staff upload photos and
files of an event or a joint meeting (multipart, as a phone's browser sends them); a photo
comes back upright and without its EXIF location, with a thumbnail; the same photo twice
is kept once; bad files are refused with a clear 4xx and leave nothing behind; only staff
read them; the facts reach reports."""
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image
from sqlalchemy import select

from services.events.models import metadata
from services.reports.models import figures
from tests.fixtures import ApiClient, wait_until

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo_with_location(width=40, height=20, color=(200, 30, 30)):
    """A camera's JPEG: GPS position (Xiamen), a camera model, and orientation 6 (the
    phone was held upright: shown turned 90° clockwise)."""
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x0110] = "PhoneCam X"  # Model
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (24.0, 28.0, 12.5), 3: "E", 4: (118.0, 5.0, 30.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def png(width=30, height=30):
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 128, 0, 128)).save(out, "PNG")
    return out.getvalue()


def office(kind):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml" if kind == "xlsx" else "word/document.xml",
                         "<x/>")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture
def attachments_dir(tmp_path):
    return tmp_path / "attachments"


@pytest.fixture
def running(stack, attachments_dir):
    stack.start("events", ATTACHMENTS_DIR=str(attachments_dir))
    stack.start("reports", "gateway")
    return stack


def event(staff, **overrides):
    body = {"title": "敬老院探访", "plan": "service", "kind": "activity",
            "target_groups": ["elderly"], "compounds": ["banshan_linhai"],
            "start": "2026-11-14T01:00:00Z", "end": "2026-11-14T03:00:00Z", "capacity": 0}
    body.update(overrides)
    created = staff.post("/events", json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def meeting(staff):
    return event(staff, title="第四季度五社联席会", plan="system", kind="joint_meeting",
                 target_groups=["all_residents"], attendees=[
                     {"organisation": "和通社区居委会", "category": "community", "count": 3}])


def upload(client, owner_kind, owner_id, content, filename="photo.jpg",
           mimetype="image/jpeg", **kwargs):
    return client.post("/attachments", data={"owner_kind": owner_kind, "owner_id": owner_id},
                       files={"file": (filename, content, mimetype)}, **kwargs)


def stored_files(root):
    root = Path(root)
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def rows(stack):
    table = metadata.tables["attachments"]
    engine = stack.engine("events")
    with engine.connect() as conn:
        found = conn.execute(select(table)).mappings().all()
    engine.dispose()
    return found


def facts(stack, prefix="attachment_"):
    table = metadata.tables["outbox"]
    engine = stack.engine("events")
    with engine.connect() as conn:
        envelopes = [json.loads(e) for e in conn.execute(
            select(table.c.envelope).order_by(table.c.seq)).scalars()]
    engine.dispose()
    return [e for e in envelopes if e["event_type"].startswith(prefix)]


def figure(stack, name, dimension="all", key="all", period="2026-11", generation=None):
    engine = stack.engine("reports")
    where = [figures.c.name == name, figures.c.dimension == dimension,
             figures.c.key == key, figures.c.period == period]
    if generation is not None:
        where.append(figures.c.generation == generation)
    with engine.connect() as conn:
        values = conn.execute(select(figures.c.value).where(*where)).scalars().all()
    engine.dispose()
    return sum(values)


def test_a_photo_comes_back_upright_without_location_with_a_thumbnail_and_is_kept_once(
        running, attachments_dir):
    staff = running.client()
    eid = event(staff)
    camera = photo_with_location()
    assert Image.open(io.BytesIO(camera)).getexif().get_ifd(GPS_IFD)  # it has a location

    first = upload(staff, "event", eid, camera, filename="探访合影.jpg")
    assert first.status_code == 201, first.text
    added = first.json()
    assert added["owner_kind"] == "event" and added["owner_id"] == eid
    assert added["filename"] == "探访合影.jpg" and added["content_type"] == "image/jpeg"
    assert added["kind"] == "image" and added["has_thumbnail"] is True
    assert (added["width"], added["height"]) == (20, 40)  # turned upright by its orientation
    assert added["created_by"] == "admin"

    served = staff.get(f"/attachments/{added['id']}/file")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert quote("探访合影.jpg") in served.headers["Content-Disposition"]
    kept = Image.open(io.BytesIO(served.content))
    assert kept.size == (20, 40)
    assert not kept.getexif()  # no EXIF at all: no location, no camera, no orientation
    assert b"Exif" not in served.content[:4096]

    thumb = staff.get(f"/attachments/{added['id']}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320

    # The same photo again (another name): a second record, one stored file.
    second = upload(staff, "event", eid, camera, filename="IMG_0001.jpg")
    assert second.status_code == 201, second.text
    assert second.json()["sha256"] == added["sha256"] and second.json()["id"] != added["id"]
    assert stored_files(attachments_dir) == [
        f"{added['sha256'][:2]}/{added['sha256']}",
        f"thumbnails/{added['sha256'][:2]}/{added['sha256']}.jpg"]
    listed = staff.get("/attachments", params={"owner_kind": "event", "owner_id": eid})
    assert listed.status_code == 200
    assert [a["filename"] for a in listed.json()["items"]] == ["探访合影.jpg", "IMG_0001.jpg"]

    # Removing one keeps the bytes the other uses; removing the last frees them.
    assert staff.delete(f"/attachments/{added['id']}").status_code == 200
    assert staff.get(f"/attachments/{added['id']}/file").status_code == 404
    assert staff.get(f"/attachments/{second.json()['id']}/file").content == served.content
    assert len(stored_files(attachments_dir)) == 2
    assert staff.delete(f"/attachments/{second.json()['id']}").status_code == 200
    assert stored_files(attachments_dir) == []
    assert staff.get("/attachments", params={"owner_kind": "event",
                                             "owner_id": eid}).json()["total"] == 0

    # Facts: ids, kind and hash, never the file's name; reports counts them in the
    # event's month, per event.
    kinds = [f["event_type"] for f in facts(running)]
    assert kinds == ["attachment_added"] * 2 + ["attachment_removed"] * 2
    assert "探访" not in json.dumps(facts(running), ensure_ascii=False)
    third = upload(staff, "event", eid, png(), filename="签到表.png", mimetype="image/png")
    assert third.status_code == 201, third.text
    wait_until(lambda: figure(running, "attachments") == 1, message="reports counts it")
    assert figure(running, "attachments", "event", str(eid)) == 1
    assert figure(running, "attachments", "kind", "image") == 1


def test_documents_and_meetings_are_taken_by_their_bytes(running, attachments_dir):
    staff = running.client()
    mid = meeting(staff)
    for name, content, declared, expected in (
            ("会议纪要.pdf", PDF, "application/pdf", "application/pdf"),
            ("签到.xlsx", office("xlsx"), "application/octet-stream",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("纪要.txt", office("docx"), "text/plain",  # named wrongly: the bytes decide
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document")):
        added = upload(staff, "meeting", mid, content, filename=name, mimetype=declared)
        assert added.status_code == 201, added.text
        assert added.json()["content_type"] == expected and added.json()["kind"] == "document"
        assert added.json()["thumbnail_url"] is None
        served = staff.get(f"/attachments/{added.json()['id']}/file")
        assert served.headers["Content-Type"] == expected and served.content == content
        assert served.headers["Content-Disposition"].startswith("attachment;")
        assert staff.get(f"/attachments/{added.json()['id']}/thumbnail").status_code == 404
    # A meeting is not an "event" owner, nor the other way round.
    assert upload(staff, "event", mid, PDF, filename="a.pdf").status_code == 404
    assert upload(staff, "meeting", event(staff), PDF, filename="a.pdf").status_code == 404
    assert upload(staff, "expenditure", 999, PDF, filename="a.pdf").status_code == 404
    assert upload(staff, "receipt", 1, PDF, filename="a.pdf").status_code == 422
    assert staff.get("/attachments", params={"owner_kind": "meeting",
                                             "owner_id": mid}).json()["total"] == 3
    # A phone that lost the answer sends the same file again with the same key: the first
    # answer, one record; the same key with another file is refused.
    retried = [upload(staff, "meeting", mid, PDF, filename="签到表.pdf",
                      headers={"Idempotency-Key": "upload-1"}) for _ in range(2)]
    assert [r.status_code for r in retried] == [201, 201]
    assert retried[0].json() == retried[1].json()
    other = upload(staff, "meeting", mid, office("xlsx"), filename="签到表.pdf",
                   headers={"Idempotency-Key": "upload-1"})
    assert other.status_code == 409 and other.json()["error"] == "IDEMPOTENCY_KEY_REUSED"
    assert staff.get("/attachments", params={"owner_kind": "meeting",
                                             "owner_id": mid}).json()["total"] == 4


def test_bad_uploads_are_refused_clearly_and_store_nothing(running, attachments_dir):
    staff = running.client()
    eid = event(staff)

    too_big = upload(staff, "event", eid, b"\xff\xd8\xff" + b"\x00" * (30 * 1024 * 1024))
    assert too_big.status_code == 413, too_big.text
    assert too_big.json()["message"] == f"文件太大：不能超过 20 MB（{20 * 1024 * 1024} 字节）"
    assert too_big.json()["details"] == {"file": [f"最多 {20 * 1024 * 1024} 字节"]}

    program = upload(staff, "event", eid, EXE, filename="holiday.jpg")
    assert program.status_code == 415, program.text
    assert program.json()["message"].startswith("文件类型不支持：这是一个程序（Windows 可执行文件）")
    english = upload(staff, "event", eid, EXE, filename="holiday.jpg",
                     headers={"Accept-Language": "en"})
    assert english.json()["details"] == {"file": [
        "a program (Windows executable); accepted: JPEG, PNG or WebP photos, PDF, XLSX or DOCX"]}

    empty = upload(staff, "event", eid, b"", filename="empty.jpg")
    assert empty.status_code == 422 and empty.json()["details"] == {"file": ["文件是空的（0 字节）"]}

    for path in ("../../etc/passwd.jpg", "photos/a.jpg", "C:\\Users\\me\\a.jpg", "/tmp/a.jpg"):
        refused = upload(staff, "event", eid, photo_with_location(), filename=path)
        assert refused.status_code == 422, (path, refused.text)
        assert refused.json()["details"] == {"file": ["文件名不能包含路径（/ 或 \\）"]}

    not_a_form = staff.post("/attachments", json={"owner_kind": "event", "owner_id": eid})
    assert not_a_form.status_code == 415
    assert not_a_form.json()["message"] == \
        "请求内容须为 multipart/form-data，而不是 application/json"
    no_file = staff.post("/attachments", files={"owner_kind": (None, "event"),
                                                "owner_id": (None, str(eid))})
    assert no_file.status_code == 422 and no_file.json()["details"] == {"file": ["请选择一个文件"]}
    cut_jpeg = upload(staff, "event", eid, photo_with_location()[:300], filename="cut.jpg")
    assert cut_jpeg.status_code == 422, cut_jpeg.text
    assert cut_jpeg.json()["message"].startswith("文件无效：照片无法读取")
    unknown_event = upload(staff, "event", 999999, photo_with_location())
    assert unknown_event.status_code == 404
    assert unknown_event.json()["message"] == "活动 999999 不存在"
    unknown_meeting = upload(staff, "meeting", eid, photo_with_location())
    assert unknown_meeting.json()["message"] == f"联席会 {eid} 不存在"
    bad_kind = upload(staff, "volunteer", eid, photo_with_location())
    assert bad_kind.status_code == 422, bad_kind.text
    assert bad_kind.json()["details"]["owner_kind"] == [
        "须为以下之一：event（活动）、expenditure（支出）、meeting（联席会）"]

    assert rows(running) == [] and facts(running) == []
    assert stored_files(attachments_dir) == []


def test_only_staff_with_a_token_reach_attachments(running):
    running.start("volunteers")
    staff = running.client()
    eid = event(staff)
    added = upload(staff, "event", eid, photo_with_location()).json()
    vid = staff.post("/volunteers", json={"name": "林阿姨", "phone": "13812345678"}).json()["id"]
    user = staff.post("/users", json={"username": "vol_lin", "password": "password-123",
                                      "role": "volunteer", "volunteer_id": vid})
    assert user.status_code == 201, user.text
    volunteer = ApiClient(running.url("gateway")).login("vol_lin", "password-123")
    public = running.client(login=False)
    aid = added["id"]
    for path in (f"/attachments/{aid}/file", f"/attachments/{aid}/thumbnail",
                 f"/attachments/{aid}"):
        assert volunteer.get(path).status_code == 403
        assert public.get(path).status_code == 401
    listing = {"owner_kind": "event", "owner_id": eid}
    assert volunteer.get("/attachments", params=listing).status_code == 403
    assert upload(volunteer, "event", eid, photo_with_location()).status_code == 403
    assert volunteer.delete(f"/attachments/{aid}").status_code == 403
    assert public.delete(f"/attachments/{aid}").status_code == 401
    assert len(rows(running)) == 1 and rows(running)[0]["removed_at"] is None


def test_a_rebuild_of_the_reports_keeps_the_attachments(stack, attachments_dir):
    stack.start("events", ATTACHMENTS_DIR=str(attachments_dir))
    stack.start("resources", "volunteers", "reports", "gateway")
    staff = stack.client()
    eid, mid = event(staff), meeting(staff)
    kept = upload(staff, "event", eid, photo_with_location())
    removed = upload(staff, "event", eid, png(), filename="b.png", mimetype="image/png")
    minutes = upload(staff, "meeting", mid, PDF, filename="纪要.pdf", mimetype="application/pdf")
    assert {kept.status_code, removed.status_code, minutes.status_code} == {201}
    assert staff.delete(f"/attachments/{removed.json()['id']}").status_code == 200
    wait_until(lambda: figure(stack, "attachments") == 2 and
               figure(stack, "attachments", "event", str(eid)) == 1,
               message="reports counts what is attached")

    started = staff.post("/reports/rebuild")
    assert started.status_code == 202, started.text

    def done():
        state = staff.get("/reports/rebuild").json()
        assert state["status"] != "failed", state
        return state["status"] == "done" and state
    state = wait_until(done, timeout=60, interval=0.2, message="the rebuild")
    served = state["active_generation"]
    assert figure(stack, "attachments", generation=served) == 2
    assert figure(stack, "attachments", "event", str(eid), generation=served) == 1
    assert figure(stack, "attachments", "event", str(mid), generation=served) == 1
    assert figure(stack, "attachments", "owner_kind", "meeting", generation=served) == 1
    assert figure(stack, "attachments", "kind", "document", generation=served) == 1
    counts = staff.get("/reports/attachments", params={"period": "2026-Q4"})
    assert counts.status_code == 200, counts.text
    assert counts.json() == {"period": "2026-Q4", "total": 2,
                             "by_kind": {"image": 1, "document": 1},
                             "by_owner_kind": {"event": 1, "meeting": 1},
                             "events": [{"event_id": eid, "attachments": 1},
                                        {"event_id": mid, "attachments": 1}]}
    assert staff.get("/reports/attachments", params={"period": "2026-10"}).json()["total"] == 0
