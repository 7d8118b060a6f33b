"""The dossier's sources: a section whose service does not offer its method yet prints
暂无记录; once offered (budget statement, costs, attachments) it is in the PDF and the
ZIP with no other change. And a build cut short by a restart is marked failed."""
import base64
import hashlib
import io
import json
import zipfile
from datetime import datetime, timezone

import pytest
from nameko.exceptions import MethodNotFound, RemoteError
from PIL import Image
from pypdf import PdfReader

from common import vocab
from common.testing import store_fixture
from services.reports import dossier, dossier_pdf
from services.reports.models import dossiers, metadata
from services.reports.tests.test_service import OVERRIDES

PARAMS = {"year": 1, "from": "2026-01-01", "to": "2026-12-31", "plan": None,
          "year_start": "2026-01-01", "year_end": "2026-12-31"}


class FakeService:
    def __init__(self, **methods):
        self.methods = methods

    def __getattr__(self, name):
        try:
            return self.__dict__["methods"][name]
        except KeyError:
            def missing(*args):
                raise MethodNotFound(name)
            return missing


class FakeRpc:
    def __init__(self, events=None, volunteers=None, reports=None):
        self.events = FakeService(**(events or {}))
        self.volunteers = FakeService(**(volunteers or {}))
        self.reports = FakeService(**(reports or {}))


def photo():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def event(eid, kind="activity"):
    return {"id": eid, "title": f"活动{eid}", "plan": "service", "plan_label": "服务融和",
            "kind": kind, "kind_label": vocab.EVENT_KINDS[kind], "series_label": None,
            "start": "2026-11-12T01:00:00Z", "end": "2026-11-12T03:00:00Z", "venue_id": None,
            "target_groups": ["children"], "volunteers": 2, "decisions": [],
            "counts": {"confirmed": 3, "waitlisted": 0, "people_served": 4, "walk_ins": 1,
                       "feedback_count": 0, "satisfaction_mean": None}}


def core_methods():
    listed = [{"id": 1}, {"id": 2}]
    return {
        "list_events": lambda q, staff: {"items": listed if q["page"] == 1 else [],
                                         "total": len(listed)},
        "get_event": lambda eid, staff: event(eid),
        "list_consultations": lambda q, staff: {"items": [], "total": 0},
    }, {"list_hours": lambda q: {"items": [{"event_id": 1, "volunteer_id": 7, "minutes": 90},
                                            {"event_id": 1, "volunteer_id": 8, "minutes": 30}],
                                 "total": 2}}


def build(rpc):
    sources = dossier.Sources(rpc)
    records = dossier.gather(sources, PARAMS, lambda *a: None)
    summary = dossier.summarise(records)
    kpis = {"as_of": "2026-12-01", "kpis": []}
    document = dossier_pdf.Dossier(params=PARAMS, records=records, kpis=kpis, summary=summary,
                                   community=vocab.of_community("hetong"), project="治在融和",
                                   issued_on="2026-12-01")
    return sources, records, summary, dossier_pdf.render(document)


def squeezed(pdf_bytes):
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return reader, "".join("".join(p.extract_text() for p in reader.pages).split())


def test_sections_not_offered_yet_print_none_recorded():
    events, volunteers = core_methods()
    sources, records, summary, pdf_bytes = build(FakeRpc(events, volunteers))
    assert sources.budget_statement(1) is None
    assert sources.event_costs(PARAMS) == {}
    assert sources.attachments_of("event", 1) == []
    assert sources.attachment_content({"id": 7, "sha256": "ab" * 32}) is None
    assert records["activities"][0]["volunteer_hours"] == 2.0  # 90 + 30 minutes
    assert summary["events"] == 2 and summary["attendance"] == 8 and summary["attachments"] == 0
    _, text = squeezed(pdf_bytes)
    assert "费用暂无记录" in text and "活动照片：暂无" in text
    assert "五、经费预算执行情况暂无记录" in text and "四、意见征集及结果暂无记录" in text


def test_a_remote_method_not_found_counts_as_not_offered_other_failures_do_not():
    def remote(kind):
        def call(*args):
            raise RemoteError(kind, "boom")
        return call

    sources = dossier.Sources(FakeRpc(reports={"get_budget_statement": remote("MethodNotFound")},
                                      events={"list_attachments": remote("OperationalError")}))
    assert sources.budget_statement(1) is None
    with pytest.raises(RemoteError):
        sources.attachments_of("event", 1)


def test_once_offered_budget_costs_and_photos_are_in_the_pdf_and_the_zip(tmp_path):
    picture = photo()
    digest = hashlib.sha256(picture).hexdigest()
    stored = {digest: picture}
    events, volunteers = core_methods()
    events.update(
        list_attachments=lambda query: {
            "items": [{"id": 7, "sha256": digest, "filename": "合影.jpg",
                       "content_type": "image/jpeg", "size": len(picture)}]
            if (query["owner_kind"], query["owner_id"]) == ("event", 1) else [],
            "total": 1 if query["owner_id"] == 1 else 0},
        read_attachment=lambda attachment_id: {"content_base64": __import__("base64").b64encode(
            stored[digest]).decode()} if attachment_id == 7 else None)
    reports = {
        "get_budget_statement": lambda year: {
            "lines": [{"code": "activities", "label": "活动经费", "budget": "150000.00",
                       "spent": "40210.50", "remaining": "109789.50", "percent_spent": 26.8}],
            "total": {"budget": "420000.00", "spent": "40210.50", "remaining": "379789.50",
                      "percent_spent": 9.6}},
        "get_event_costs": lambda date_from, date_to: {"1": "1234.56"}}
    sources, records, summary, pdf_bytes = build(FakeRpc(events, volunteers, reports))
    assert summary["attachments"] == 1 and summary["budget_recorded"]
    reader, text = squeezed(pdf_bytes)
    assert "1234.56元" in text and "活动照片（1张）" in text
    assert "活动经费150000.0040210.50109789.5026.8%" in text
    assert "合计420000.0040210.50379789.509.6%" in text
    images = [name for page in reader.pages
              for name in (page["/Resources"].get("/XObject") or {})]
    assert images  # the photo is drawn

    attachments = [(f"event-{r['event']['id']}", a) for r in records["activities"]
                   for a in r["attachments"]]
    dossier.write_files(tmp_path, pdf_bytes, [("活动清单.xlsx", b"xlsx")], attachments, sources)
    with zipfile.ZipFile(tmp_path / "dossier.zip") as z:
        names = [n for n in z.namelist() if n.startswith("attachments/")]
        assert names == [f"attachments/event-1/{digest[:12]}-合影.jpg"]
        assert hashlib.sha256(z.read(names[0])).hexdigest() == digest
    assert (tmp_path / "dossier.pdf").read_bytes() == pdf_bytes


def test_a_build_cut_short_by_a_restart_is_marked_failed(stack, tmp_path):
    config = stack.config_for("reports", DOSSIER_DIR=str(tmp_path), **OVERRIDES)
    stack.create_schema("reports")
    engine = stack.engine("reports")
    with engine.begin() as conn:
        conn.execute(dossiers.insert().values(
            id="a" * 32, status="building", params=json.dumps(PARAMS), requested_by="admin",
            requested_at=datetime.now(timezone.utc), stage="reading events", done=3, total=9))
    engine.dispose()
    stack.start("reports", **config)
    stack.start("gateway")
    state = stack.client().get(f"/reports/dossiers/{'a' * 32}")
    assert state.status_code == 200, state.text
    assert state.json()["status"] == "failed"
    assert "中断" in state.json()["error"]  # the console shows it as it is
    assert stack.client().get(f"/reports/dossiers/{'a' * 32}/pdf").status_code == 409


store = store_fixture(metadata, "reports")


def test_a_stored_file_is_read_part_by_part(store, tmp_path):
    with store.session() as session:
        answer = dossier.create(session, PARAMS, "admin")
        dossier.update(session, answer["id"], status="ready", stage="ready")
    (tmp_path / answer["id"]).mkdir()
    content = bytes(range(256)) * 40
    (tmp_path / answer["id"] / "dossier.zip").write_bytes(content)
    parts, offset = [], 0
    with store.session() as session:
        while True:
            part = dossier.ready_file(session, tmp_path, answer["id"], "zip", offset, 4000)
            assert part["size"] == len(content) and part["content_type"] == "application/zip"
            data = base64.b64decode(part["content_base64"])
            if not data:
                break
            parts.append(data)
            offset += len(data)
    assert len(parts) == 3 and b"".join(parts) == content
