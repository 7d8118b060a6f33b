"""The periodic report as the evaluators and the district print it: XLSX (指标 first, a
sheet per plan, month by month, activities by kind) and PDF (A4, Chinese, its font
embedded), through the gateway and the real broker, checked against the scenario's own
count and the targets file read independently."""
import io
import shutil
import subprocess
from collections import Counter

import pytest
import yaml
from openpyxl import load_workbook
from pypdf import PdfReader

from common import vocab
from common.config import ROOT
from services.reports import periodic, report_xlsx
from services.reports.tests.scenario import Scenario
from services.reports.tests.test_service import OVERRIDES, inbox_count, publish
from tests.fixtures import wait_until

STATUS_ZH = {"achieved": "已达成", "on_track": "进度正常", "at_risk": "有风险"}
PLAN_SHEETS = ["资源融和", "体系融和", "服务融和", "文化融和"]
TARGETS = yaml.safe_load((ROOT / "config/targets/hetong-year1.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def reported(stack, rabbit_config):
    """reports and the gateway, with a third of the scenario's autumn applied."""
    scenario = Scenario(scale=0.3)
    stack.start("reports", **OVERRIDES)
    stack.start("gateway")
    publish(rabbit_config["AMQP_URI"], scenario.envelopes)
    wait_until(lambda: inbox_count(stack) == len(scenario.envelopes), timeout=60,
               message="reports to apply the scenario")
    return scenario, stack.client()


def rows_by_code(sheet, header):
    """{代码: {column header: value}} of a sheet whose header row starts with 指标."""
    rows = list(sheet.iter_rows(values_only=True))
    at = next(i for i, row in enumerate(rows) if list(row[:len(header)]) == header)
    names = rows[at]
    return {row[1]: dict(zip(names, row)) for row in rows[at + 1:] if row[1]}


def kinds_held(scenario):
    held = Counter(p["kind"] for p, _ in scenario.facts["event_completed"])
    served = Counter(p["kind"] for p, _ in scenario.facts["attendance_recorded"])
    return held, served


def expected_actual(scenario, expected, code, kpis):
    """A KPI's actual as the scenario counts it; a KPI that counts a figure under a key
    (activities of one plan) from the scenario's figures of that key, else the board's."""
    if code in expected:
        return expected[code]
    spec = TARGETS["targets"][code]
    where = spec.get("where") or {}
    if set(where) == {"plan"}:
        return scenario.expected(plan=where["plan"])[spec["metric"]]
    return kpis[code]["actual"]


def test_xlsx_of_a_year_kpis_first_then_plans_months_and_activities(reported):
    scenario, client = reported
    expected = scenario.expected()
    kpis = {k["kpi"]: k for k in client.get("/reports/kpis").json()["kpis"]}

    response = client.get("/reports/periodic?period=2026&format=xlsx")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["指标", "汇总"] + PLAN_SHEETS + ["逐月", "活动类型", "补录",
                                                             "预算执行"]

    # 指标: every KPI of the targets file, its target and status read back.
    kpi_rows = rows_by_code(wb["指标"], ["指标", "代码"])
    assert list(kpi_rows) == list(TARGETS["targets"])
    for code, spec in TARGETS["targets"].items():
        row = kpi_rows[code]
        assert row["指标"] == spec["label"] and row["单位"] == spec["unit"]
        assert row["目标"] == spec["target"]
        actual = expected_actual(scenario, expected, code, kpis)
        assert row["实际"] == actual, code
        assert row["年度时间进度（%）"] == 91.8
        assert row["完成率（%）"] == round(100.0 * actual / spec["target"], 1)
        assert row["状态"] == STATUS_ZH[kpis[code]["status"]], code
    assert kpi_rows["activities_held"]["状态"] == "有风险"  # 5 of 120 with 92 % of the year gone
    caption = " ".join(str(c) for c in next(wb["指标"].iter_rows(values_only=True)) if c)
    assert "2026-01-01" in caption and "2026-12-31" in caption and "2026-12-01" in caption

    # One sheet per plan: that plan's figures for the year.
    for plan, label in vocab.PLANS.items():
        got = {code: row["数值"] for code, row in rows_by_code(wb[label], ["指标", "代码"]).items()}
        for name, value in scenario.expected(plan=plan).items():
            if name in got:
                assert got[name] == value, (plan, name)
        assert got["activities_held"] == scenario.expected(plan=plan)["activities_held"]

    # Month by month: a column for every month of the year, zeros where nothing happened.
    months = rows_by_code(wb["逐月"], ["指标", "代码"])
    header = list(next(iter(months.values())))
    assert header[3:] == [f"2026-{m:02d}" for m in range(1, 13)]
    for month in ("2026-09", "2026-10", "2026-11"):
        for name, value in scenario.expected(month=month).items():
            if name in months:
                assert months[name][month] == value, (month, name)
    assert months["people_served"]["2026-03"] == 0

    # Activities held by kind.
    held, served = kinds_held(scenario)
    kinds = {row["代码"]: row for row in rows_by_code(wb["活动类型"], ["活动类型", "代码"]).values()}
    assert {k: r["开展活动场次"] for k, r in kinds.items() if r["开展活动场次"]} == dict(held)
    assert {k: r["服务人次"] for k, r in kinds.items() if r["服务人次"]} == dict(served)
    assert all(r["活动类型"] == vocab.EVENT_KINDS[k] for k, r in kinds.items())


def tokens(pdf_text):
    return pdf_text.split()


def has_row(words, *cells):
    """The cells, in order and side by side, somewhere in the extracted text."""
    cells = [str(c) for c in cells]
    return any(words[i:i + len(cells)] == cells for i in range(len(words)))


def shown(value):
    """A figure as the PDF prints it: exact, a whole number without ".0", none as —."""
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def test_pdf_of_a_quarter_is_a4_chinese_with_its_font_embedded(reported, tmp_path):
    scenario, client = reported
    expected = scenario.expected()
    kpis = client.get("/reports/kpis").json()["kpis"]
    by_code = {k["kpi"]: k for k in kpis}

    response = client.get("/reports/periodic?period=2026-Q4&format=pdf")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content[:5] == b"%PDF-"
    reader = PdfReader(io.BytesIO(response.content))
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == \
            (595, 842)
    cover = reader.pages[0].extract_text()
    for text in ("治在融和", "和通社区", "2026年第四季度", "2026-10-01", "2026-12-31",
                 "出具日期", "2026-12-01"):
        assert text in cover, text
    words = tokens("\n".join(page.extract_text() for page in reader.pages))

    # The KPI table: label (unit), target, actual, % done, % of the year, status.
    for kpi in kpis:
        assert has_row(words, f"{kpi['label']}（{kpi['unit']}）", shown(kpi["target"]),
                       shown(expected_actual(scenario, expected, kpi["kpi"], by_code)),
                       shown(kpi["percent_done"]) + "%",
                       shown(kpi["percent_year_elapsed"]) + "%", STATUS_ZH[kpi["status"]]), kpi

    # Month by month: the quarter's three months, each with its own figures.
    for month in ("2026-10", "2026-11", "2026-12"):
        exp = scenario.expected(month=month) if month != "2026-12" else \
            dict.fromkeys(expected, 0) | {"mean_satisfaction": None}
        assert has_row(words, month, *(shown(exp[name]) for name in (
            "activities_held", "people_served", "distinct_people", "volunteer_hours_approved",
            "needs_matched", "needs_closed", "resource_value_linked", "mean_satisfaction"))), \
            month

    # The activities of the quarter by kind, with their counts.
    q4 = [p for p, m in scenario.facts["event_completed"] if m >= "2026-10"]
    held = Counter(p["kind"] for p in q4)
    served = Counter(p["kind"] for p, m in scenario.facts["attendance_recorded"]
                     if m >= "2026-10")
    assert held
    for kind, count in held.items():
        assert has_row(words, vocab.EVENT_KINDS[kind], count, served[kind]), kind
    assert "本期开展的活动" in " ".join(words)

    # Every font is embedded (a subset of WenQuanYi Micro Hei), none merely named.
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert fonts and all("WenQuanYi" in name for name in fonts), sorted(fonts)
    for name, font in fonts.items():
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), name
    if shutil.which("pdffonts"):  # poppler's own view, where it is installed
        path = tmp_path / "report.pdf"
        path.write_bytes(response.content)
        listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                                 check=True).stdout
        rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
        assert rows and all(row[-5] == "yes" for row in rows), listing  # the emb column


def test_pdf_without_its_font_file_is_503_naming_the_setting(stack):
    stack.start("reports", REPORT_FONT_FILE="/nonexistent/wqy-microhei.ttc", **OVERRIDES)
    stack.start("gateway")
    client = stack.client()
    response = client.get("/reports/periodic?period=2026-11&format=pdf")
    assert response.status_code == 503, response.text
    assert "REPORT_FONT_FILE" in response.json()["message"]
    assert "fonts-wqy-microhei" in response.json()["message"]
    assert client.get("/reports/periodic?period=2026-11&format=xlsx").status_code == 200


def test_a_mean_nobody_scored_yet_reads_as_no_data():
    item = {"kpi": "mean_satisfaction", "label": "平均满意度", "unit": "分", "target": 4.5,
            "actual": None, "percent_done": None, "percent_year_elapsed": 91.8,
            "status": "on_track"}
    item["status_label"] = periodic.status_label(item)
    document = {"period": "2026-11", "from": "2026-11-01", "to": "2026-11-30",
                "metrics": [], "plan_metrics": [], "plan_labels": {}, "summary": {},
                "plans": {}, "months": [], "activities": [],
                "kpis": {"project_year": 1, "year_start": "2026-01-01",
                         "year_end": "2026-12-31", "as_of": "2026-12-01", "kpis": [item]}}
    wb = load_workbook(io.BytesIO(report_xlsx.render(document)))
    row = rows_by_code(wb["指标"], ["指标", "代码"])["mean_satisfaction"]
    assert row["状态"] == "暂无数据" and row["实际"] is None and row["完成率（%）"] is None
    scored = dict(item, actual=4.6, percent_done=102.2, status="achieved")
    assert periodic.status_label(scored) == "已达成"
