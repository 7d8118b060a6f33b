"""Rendering of a periodic report (``domain.periodic``) as CSV or XLSX, with Chinese
headers and exactly the numbers of the JSON."""
import base64
import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

HEADERS = ["指标", "代码", "数值", "单位"]
SUMMARY_SHEET = "汇总"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _rows(report, values, names):
    labels = {m["name"]: (m["label"], m["unit"]) for m in report["metrics"]}
    for name in names:
        label, unit = labels.get(name, (name, ""))
        yield [label, name, values.get(name), unit]


def to_csv(report):
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 with a BOM correctly
    writer = csv.writer(out)
    writer.writerow(["报告期", report["period"], "起", report["from"], "止", report["to"]])
    writer.writerow(["范围"] + HEADERS)
    names = [m["name"] for m in report["metrics"]]
    for row in _rows(report, report["summary"], names):
        writer.writerow([SUMMARY_SHEET] + ["" if v is None else v for v in row])
    for plan, values in report["plans"].items():
        for row in _rows(report, values, report["plan_metrics"]):
            writer.writerow([report["plan_labels"][plan]] + ["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def to_xlsx(report):
    wb = Workbook()
    ws = wb.active
    ws.title = SUMMARY_SHEET
    bold = Font(bold=True)
    ws.append(["报告期", report["period"], report["from"], report["to"]])
    ws.append(HEADERS)
    for cell in ws[2]:
        cell.font = bold
    for row in _rows(report, report["summary"], [m["name"] for m in report["metrics"]]):
        ws.append(row)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 30
    for plan, values in report["plans"].items():
        sheet = wb.create_sheet(report["plan_labels"][plan])
        sheet.append(["计划", report["plan_labels"][plan], plan, report["period"]])
        sheet.append(HEADERS)
        for cell in sheet[2]:
            cell.font = bold
        for row in _rows(report, values, report["plan_metrics"]):
            sheet.append(row)
        sheet.column_dimensions["A"].width = 22
        sheet.column_dimensions["B"].width = 30
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render(report, fmt):
    """{"content_type", "filename", "content_base64"} for RPC (bytes do not cross JSON)."""
    data = to_csv(report) if fmt == "csv" else to_xlsx(report)
    return {"content_type": CONTENT_TYPES[fmt],
            "filename": f"ronghe-report-{report['community_id'] or 'community'}-"
                        f"{report['period']}.{fmt}",
            "content_base64": base64.b64encode(data).decode("ascii")}
