"""The periodic report (``periodic.document``) as an XLSX workbook with Chinese headers:

- 指标: the project year's KPIs (target, actual, % done, % of the year gone, status);
- 汇总: every figure of the period;
- one sheet per plan (资源融和, 体系融和, 服务融和, 文化融和): that plan's figures;
- 逐月: every figure, a column per month of the period;
- 活动类型: the activities held and attended, by kind;
- 补录: the late entries (补录) the report shows — entries made after a month was
  reported, each figure entered late beside the figure as reported and as amended;
- 预算执行: the budget statement of the project year (when the contract has budget lines):
  per line and in total budget, spent, remaining, % spent; burn; costs.

Each figure row is [label, code, value(s), unit]: people read the label, a program the
code; the values are the JSON's, unrounded.
"""
from decimal import Decimal

from common import spreadsheet
from services.reports import periods

CONTENT_TYPE = spreadsheet.CONTENT_TYPE
HEADERS = ["指标", "代码", "数值", "单位"]
SUMMARY_SHEET = "汇总"
KPI_SHEET = "指标"
KPI_HEADERS = ["指标", "代码", "单位", "目标", "实际", "完成率（%）", "年度时间进度（%）", "状态"]
MONTH_SHEET = "逐月"
KIND_SHEET = "活动类型"
LATE_SHEET = "补录"
LATE_HEADERS = ["所属月份", "补录于", "指标", "代码", "单位", "补录数值", "报送数值",
                "更正后数值"]


def figure_rows(report, values, names):
    """[label, code, value, unit] for each name."""
    labels = {m["name"]: (m["label"], m["unit"]) for m in report["metrics"]}
    for name in names:
        label, unit = labels.get(name, (name, ""))
        yield [label, name, values.get(name), unit]


def _kpi_sheet(sheet, report):
    kpis = report["kpis"]
    spreadsheet.append(sheet, [
        f"项目第{kpis['project_year']}年（{kpis['year_start']} 至 {kpis['year_end']}）"
        f"指标完成情况，截至 {kpis['as_of']}"])
    if kpis.get("sample_targets"):
        spreadsheet.append(sheet, ["目标为示例数据，非合同约定值"])
    spreadsheet.header(sheet, KPI_HEADERS)
    for item in kpis["kpis"]:
        spreadsheet.append(sheet, [item["label"], item["kpi"], item["unit"], item["target"],
                                   item["actual"], item["percent_done"],
                                   item["percent_year_elapsed"], item["status_label"]])
    spreadsheet.widths(sheet, [20, 26, 8, 10, 10, 12, 16, 10])
    sheet.freeze_panes = sheet.cell(row=sheet.max_row - len(kpis["kpis"]) + 1, column=1)


def _figure_sheet(sheet, caption, report, values, names):
    spreadsheet.append(sheet, caption)
    spreadsheet.header(sheet, HEADERS)
    for row in figure_rows(report, values, names):
        spreadsheet.append(sheet, row)
    spreadsheet.widths(sheet, [22, 30, 14, 8])


def _month_sheet(sheet, report):
    months = [m["month"] for m in report["months"]]
    labels = {m["name"]: (m["label"], m["unit"]) for m in report["metrics"]}
    spreadsheet.append(sheet, [MONTH_SHEET, report["period"], report["from"], report["to"]])
    spreadsheet.header(sheet, ["指标", "代码", "单位"] + months)
    names = list(report["months"][0]["figures"]) if report["months"] else []
    for name in names:
        label, unit = labels.get(name, (name, ""))
        spreadsheet.append(sheet, [label, name, unit] +
                           [m["figures"].get(name) for m in report["months"]])
    spreadsheet.widths(sheet, [22, 30, 8] + [10] * len(months))
    sheet.freeze_panes = "D3"


def _kind_sheet(sheet, report):
    labels = {m["name"]: m["label"] for m in report["metrics"]}
    names = list(report["activities"][0]["figures"]) if report["activities"] else \
        ["activities_held", "people_served"]
    spreadsheet.append(sheet, ["本期活动（按活动类型）", report["period"], report["from"],
                               report["to"]])
    spreadsheet.header(sheet, ["活动类型", "代码"] + [labels.get(n, n) for n in names])
    for group in report["activities"]:
        spreadsheet.append(sheet, [group["label"], group["kind"]] +
                           [group["figures"].get(n) for n in names])
    spreadsheet.widths(sheet, [14, 14] + [12] * len(names))


def _late_sheet(sheet, report):
    labels = {m["name"]: (m["label"], m["unit"]) for m in report["metrics"]}
    rows = periods.late_rows(report)
    spreadsheet.append(sheet, [f"补录（{report['period']}）", periods.LATE_NOTE])
    spreadsheet.header(sheet, LATE_HEADERS)
    for row in rows:
        label, unit = labels.get(row["name"], (row["name"], ""))
        spreadsheet.append(sheet, [row["period"], row["shown_in"], label, row["name"], unit,
                                   row["late"], row["reported"], row["amended"]])
    if not rows:
        spreadsheet.append(sheet, ["本期无补录"])
    spreadsheet.widths(sheet, [10, 10, 22, 30, 8, 10, 10, 10])


BUDGET_SHEET = "预算执行"
BUDGET_HEADERS = ["预算科目", "代码", "预算（元）", "已支出（元）", "剩余（元）", "执行率（%）"]


def _budget_sheet(sheet, report):
    money = report["budget"]
    spreadsheet.append(sheet, [f"项目第{money['project_year']}年（{money['year_start']} 至 "
                               f"{money['year_end']}）预算执行情况，截至 {money['as_of']}"])
    if money.get("sample_budget"):
        spreadsheet.append(sheet, ["预算为示例数据，非合同约定值"])
    spreadsheet.header(sheet, BUDGET_HEADERS)
    for line in money["lines"] + [money["total"]]:
        # Amounts as numbers (exact yuan from the JSON's text), shown with two decimals.
        spreadsheet.append(sheet, [line["label"], line["budget_line"],
                                   Decimal(line["budget"]), Decimal(line["spent"]),
                                   Decimal(line["remaining"]), line["percent_spent"]])
        for c in sheet[sheet.max_row][2:5]:
            c.number_format = "0.00"
    burn = money["burn"]
    spreadsheet.append(sheet, ["年度时间进度（%）", "percent_year_elapsed",
                               burn["percent_year_elapsed"]])
    for label, name in (("每场活动成本（元）", "cost_per_activity"),
                        ("每服务人次成本（元）", "cost_per_person_served")):
        value = money[name]
        spreadsheet.append(sheet, [label, name, None if value is None else Decimal(value)])
    spreadsheet.widths(sheet, [20, 22, 14, 14, 14, 12])


def render(report):
    from openpyxl import Workbook  # here: the process holds openpyxl once it renders

    wb = Workbook()
    _kpi_sheet(wb.active, report)
    wb.active.title = KPI_SHEET
    _figure_sheet(wb.create_sheet(SUMMARY_SHEET),
                  ["报告期", report["period"], report["from"], report["to"]], report,
                  report["summary"], [m["name"] for m in report["metrics"]])
    for plan, values in report["plans"].items():
        label = report["plan_labels"][plan]
        _figure_sheet(wb.create_sheet(label), ["计划", label, plan, report["period"]], report,
                      values, report["plan_metrics"])
    _month_sheet(wb.create_sheet(MONTH_SHEET), report)
    _kind_sheet(wb.create_sheet(KIND_SHEET), report)
    _late_sheet(wb.create_sheet(LATE_SHEET), report)
    if report.get("budget"):
        _budget_sheet(wb.create_sheet(BUDGET_SHEET), report)
    return spreadsheet.to_bytes(wb)
