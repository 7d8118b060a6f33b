"""Expenditures through the gateway on the real broker: staff record them, volunteers
cannot; a write that would overspend a line is 409 with what is left; an admin's
override is accepted and recorded; reports project the facts into the budget statement
and a rebuild from the event logs lands on the same statement."""
import io

import yaml
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.fixtures import wait_until

LINES = {"personnel": {"label": "人员经费", "amount": "8000.00"},
         "activities": {"label": "活动经费", "amount": "1000.00"},
         "materials": {"label": "物资耗材", "amount": "600.00"},
         "management": {"label": "管理费用", "amount": "400.00"}}


def contract_files(where):
    """Two project years from 1 March 2026 (not the calendar year), ¥10,000 each."""
    for number in (1, 2):
        data = {"community_id": "hetong", "project": "治在融和", "project_year": number,
                "contract_start": "2026-03-01", "budget_yuan": "10000.00",
                "budget_lines": LINES, "sample": True,
                "targets": {"activities_held": {"label": "开展活动场次", "target": 10}}}
        (where / f"hetong-year{number}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(where / "hetong-year1.yaml")


def spending(amount, line="activities", day="2026-06-01", **extra):
    return {"spent_on": day, "amount": amount, "budget_line": line, "plan": "service",
            "payee": "厦门某文具店", "note": "六一儿童节活动物料", **extra}


def users(admin, volunteer_id):
    clients = {}
    for role, extra in (("social_worker", {}), ("volunteer", {"volunteer_id": volunteer_id}),
                        ("district_viewer", {})):
        made = admin.post("/users", json=dict(
            {"username": f"budget_{role}", "password": "budget-password-1", "role": role},
            **extra))
        assert made.status_code == 201, made.text
        clients[role] = admin.__class__(admin.base_url).login(f"budget_{role}",
                                                                "budget-password-1")
    return clients


RECEIPT_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
               b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def test_overspend_override_statement_and_replay(stack, tmp_path):
    targets = contract_files(tmp_path)
    stack.start("resources", "volunteers", "events", "reports", "gateway",
                KPI_TARGETS_FILE=targets, REPORTS_TODAY="2026-12-01",
                KPI_CHECK_INTERVAL_SECONDS="0", SUMMARY_INTERVAL_SECONDS="0")
    admin = stack.client()
    volunteer = admin.post("/volunteers", json={"name": "林阿姨", "phone": "13700000011"})
    clients = users(admin, volunteer.json()["id"])
    staff = clients["social_worker"]

    assert stack.client(login=False).post("/expenditures", json=spending("1.00")) \
        .status_code == 401
    assert clients["volunteer"].post("/expenditures", json=spending("1.00")).status_code == 403
    assert clients["district_viewer"].post("/expenditures",
                                           json=spending("1.00")).status_code == 403

    first = staff.post("/expenditures", json=spending("899.99"))
    assert first.status_code == 201, first.text
    assert first.json()["amount"] == "899.99" and first.json()["recorded_by"] == "budget_social_worker"
    assert first.json()["project_year"] == 1 and first.json()["warnings"] == []
    near = staff.post("/expenditures", json=spending("10.01"),
                      headers={"Idempotency-Key": "receipt-0042"})
    assert near.status_code == 201, near.text
    assert [w["code"] for w in near.json()["warnings"]] == ["budget_line_nearly_spent"]
    again = staff.post("/expenditures", json=spending("10.01"),
                       headers={"Idempotency-Key": "receipt-0042"})
    assert again.status_code == 201 and again.json()["id"] == near.json()["id"]

    refused = staff.post("/expenditures", json=spending("100.00"))
    assert refused.status_code == 409, refused.text
    assert refused.json()["details"]["budget_line"] == "activities"
    assert refused.json()["details"]["remaining"] == "90.00"
    assert refused.json()["message"] == \
        "第 1 项目年度的“活动经费”（activities）仅剩 90.00 元，不足 100.00 元"
    in_english = staff.post("/expenditures", json=spending("100.00"),
                            headers={"Accept-Language": "en"})
    assert in_english.json()["message"] == ("budget line activities (活动经费) of project year 1 "
                                            "has 90.00 left, less than 100.00")
    not_admin = staff.post("/expenditures", json=spending(
        "100.00", override_reason="区里追加的儿童节活动"))
    assert not_admin.status_code == 403, not_admin.text

    override = admin.post("/expenditures", json=spending(
        "100.00", override_reason="区里追加的儿童节活动"))
    assert override.status_code == 201, override.text
    recorded = admin.get(f"/expenditures/{override.json()['id']}").json()
    assert recorded["over_budget"] is True and recorded["overridden_by"] == "admin"
    assert recorded["override_reason"] == "区里追加的儿童节活动"
    assert [w["code"] for w in override.json()["warnings"]] == ["budget_line_overspent"]
    # Spending on an activity: what it cost, for the dossier.
    event = staff.post("/events", json={
        "title": "儿童绘本共读", "plan": "service", "kind": "group", "target_groups": ["children"],
        "start": "2026-06-01T01:00:00Z", "end": "2026-06-01T03:00:00Z"})
    assert event.status_code == 201, event.text
    for_event = staff.post("/expenditures", json=spending(
        "12.34", line="materials", event_id=event.json()["id"]))
    assert for_event.status_code == 201 and for_event.json()["event_id"] == event.json()["id"]
    # The receipt, photographed on a phone, kept with the expenditure.
    receipt = staff.post("/attachments", data={"owner_kind": "expenditure",
                                               "owner_id": for_event.json()["id"]},
                         files={"file": ("发票.pdf", RECEIPT_PDF, "application/pdf")})
    assert receipt.status_code == 201, receipt.text
    listed = staff.get("/attachments", params={"owner_kind": "expenditure",
                                               "owner_id": for_event.json()["id"]}).json()
    assert [a["filename"] for a in listed["items"]] == ["发票.pdf"]
    no_event = staff.post("/expenditures", json=spending("1.00", line="materials",
                                                         event_id=999999))
    assert no_event.status_code == 422, no_event.text
    assert no_event.json()["message"] == "活动 999999 不存在"
    assert no_event.json()["details"] == {"event_id": ["没有这个活动"]}
    # The second project year starts on 1 March 2027: its own lines, untouched.
    year2 = staff.post("/expenditures", json=spending("20.00", line="materials",
                                                      day="2027-03-01"))
    assert year2.status_code == 201 and year2.json()["project_year"] == 2
    listed = staff.get("/expenditures?year=1&budget_line=activities").json()
    assert listed["total"] == 3
    assert clients["volunteer"].get("/expenditures").status_code == 403

    ledger = clients["district_viewer"].get("/budget/lines?year=1").json()
    activities = next(line for line in ledger["lines"] if line["budget_line"] == "activities")
    assert (activities["spent"], activities["remaining"]) == ("1010.00", "-10.00")
    assert ledger["total"]["spent"] == "1022.34" and ledger["total"]["budget"] == "10000.00"

    def statement(year=1):
        response = clients["district_viewer"].get(f"/budget?year={year}")
        assert response.status_code == 200, response.text
        return response.json()

    wait_until(lambda: statement()["total"]["spent"] == "1022.34"
               and statement(2)["total"]["spent"] == "20.00",
               timeout=30, message="reports projected the expenditures")
    before = statement()
    lines = {line["budget_line"]: line for line in before["lines"]}
    assert lines["activities"]["remaining"] == "-10.00"
    assert lines["personnel"]["spent"] == "0.00" and lines["personnel"]["label"] == "人员经费"
    assert before["overrides"] == 1
    assert before["year_start"] == "2026-03-01" and before["year_end"] == "2027-02-28"
    assert before["burn"]["percent_spent"] == 10.2
    assert {p["plan"]: p["spent"] for p in before["by_plan"]}["service"] == "1022.34"
    assert before["by_month"] == [{"month": "2026-06", "spent": "1022.34"}]
    with stack.rpc() as rpc:
        assert rpc.reports.get_event_costs("2026-06-01", "2026-06-30") == {
            str(event.json()["id"]): "12.34"}
    compared = admin.get("/reports/years").json()
    assert [(y["project_year"], y["spent"]) for y in compared["years"]] == [
        (1, "1022.34"), (2, "20.00")]

    # The periodic report carries the year's budget statement, in every format.
    periodic = admin.get("/reports/periodic?period=2026-06").json()
    assert periodic["budget"] == before
    sheet = load_workbook(io.BytesIO(admin.get(
        "/reports/periodic?period=2026-06&format=xlsx").content))["预算执行"]
    rows = {row[1]: row for row in sheet.iter_rows(values_only=True) if row and row[1]}
    assert [f"{v:.2f}" for v in rows["activities"][2:5]] == ["1000.00", "1010.00", "-10.00"]
    assert rows["activities"][5] == 101.0 and f"{rows['total'][3]:.2f}" == "1022.34"
    pdf = admin.get("/reports/periodic?period=2026-06&format=pdf")
    assert pdf.status_code == 200, pdf.text[:300]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "预算执行情况" in text and "1022.34" in text and "-10.00" in text

    rebuild = admin.post("/reports/rebuild")
    assert rebuild.status_code == 202, rebuild.text
    wait_until(lambda: admin.get("/reports/rebuild").json()["status"] == "done",
               timeout=60, interval=0.2, message="the rebuild")
    assert admin.get("/reports/rebuild").json()["active_generation"] == \
        rebuild.json()["generation"]
    assert statement() == before
    assert statement(2)["total"]["spent"] == "20.00"


def test_a_mistyped_expenditure_is_voided_with_a_reason_and_every_figure_follows(
        stack, tmp_path):
    """¥1,000 typed for ¥100: voided (作废) with a reason, it stays listed and marked, its
    line has the money back, the right amount is recorded, and the statement, an
    activity's cost and a rebuild all count only the right one."""
    targets = contract_files(tmp_path)
    stack.start("events", "reports", "gateway", KPI_TARGETS_FILE=targets,
                REPORTS_TODAY="2026-12-01", KPI_CHECK_INTERVAL_SECONDS="0",
                SUMMARY_INTERVAL_SECONDS="0", REBUILD_SOURCES="events")
    admin = stack.client()
    event = admin.post("/events", json={
        "title": "六一游园会", "plan": "service", "kind": "festival",
        "target_groups": ["children"], "start": "2026-06-01T01:00:00Z",
        "end": "2026-06-01T03:00:00Z"}).json()
    wrong = admin.post("/expenditures", json=spending("1000.00", event_id=event["id"]))
    assert wrong.status_code == 201, wrong.text
    assert admin.post("/expenditures", json=spending("100.00")).status_code == 409  # no room

    no_reason = admin.post(f"/expenditures/{wrong.json()['id']}/void", json={})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["details"]
    voided = admin.post(f"/expenditures/{wrong.json()['id']}/void",
                        json={"reason": "金额录错，应为100.00元"})
    assert voided.status_code == 200, voided.text
    assert voided.json()["voided_by"] == "admin" and voided.json()["voided_at"]
    assert voided.json()["line"]["remaining"] == "1000.00"
    again = admin.post(f"/expenditures/{wrong.json()['id']}/void", json={"reason": "再次作废"})
    assert again.status_code == 409 and again.json()["message"] == \
        f"支出 {wrong.json()['id']} 已作废"
    assert admin.post("/expenditures/999999/void", json={"reason": "不存在"}).status_code == 404

    right = admin.post("/expenditures", json=spending("100.00", event_id=event["id"]))
    assert right.status_code == 201, right.text
    listed = admin.get("/expenditures?year=1").json()["items"]
    assert [(e["amount"], e["void_reason"]) for e in listed] == [
        ("100.00", None), ("1000.00", "金额录错，应为100.00元")]
    ledger = admin.get("/budget/lines?year=1").json()
    assert ledger["total"]["spent"] == "100.00"

    def statement():
        return admin.get("/budget?year=1").json()

    wait_until(lambda: statement()["total"]["spent"] == "100.00"
               and statement()["by_month"] == [{"month": "2026-06", "spent": "100.00"}],
               timeout=30, message="reports took the void")
    before = statement()
    with stack.rpc() as rpc:
        assert rpc.reports.get_event_costs("2026-06-01", "2026-06-30") == {
            str(event["id"]): "100.00"}
    assert admin.post("/reports/rebuild").status_code == 202
    wait_until(lambda: admin.get("/reports/rebuild").json()["status"] == "done",
               timeout=60, interval=0.2, message="the rebuild")
    assert statement() == before
