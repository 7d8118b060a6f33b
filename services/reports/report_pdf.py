"""The periodic report (``periodic.document``) as an A4 PDF in Chinese, for the funder's
file: a cover (project, community, period, date of issue), the project year's KPIs, the
period by plan, month by month, the activities by kind, the late entries (补录) beside
the figures as reported and as amended, the project year's budget statement (when the
contract has budget lines), and every figure of the period.
Figures are printed exactly as the JSON has them (``common.pdf.figure``)."""
from common import pdf
from services.reports import periods

CONTENT_TYPE = pdf.CONTENT_TYPE
# The columns of the month-by-month table: what a funder asks about first.
MONTH_COLUMNS = ("activities_held", "people_served", "distinct_people",
                 "volunteer_hours_approved", "needs_matched", "needs_closed",
                 "resource_value_linked", "mean_satisfaction")
KIND_COLUMNS = ("activities_held", "people_served", "walk_ins", "distinct_people",
                "mean_satisfaction")


def _labels(report):
    return {m["name"]: (m["label"], m["unit"]) for m in report["metrics"]}


def _titled(labels, name):
    label, unit = labels.get(name, (name, ""))
    return f"{label}（{unit}）" if unit else label


def _percent(value):
    return "—" if value is None else f"{pdf.figure(value)}%"


def _cover(doc, report):
    kind = "季度" if "-Q" in report["period"] else \
        ("月度" if "-" in report["period"] and ".." not in report["period"] else "年度")
    place = report["community"]
    doc.space(45)
    doc.text(f"{place['district']} {place['name']}".strip(), "subtitle")
    doc.space(8)
    doc.text(f"“{report['project']}”项目", "cover")
    doc.text(f"{kind}工作报告", "cover")
    doc.space(25)
    doc.text(f"报告期：{report['period_label']}（{report['from']} 至 {report['to']}）",
             "subtitle")
    kpis = report["kpis"]
    doc.text(f"项目第{kpis['project_year']}年：{kpis['year_start']} 至 {kpis['year_end']}",
             "subtitle")
    if report.get("budget_yuan"):
        doc.text(f"年度经费：{pdf.figure(report['budget_yuan'])} 元", "subtitle")
    doc.text(f"出具日期：{report['issued_on']}", "subtitle")
    doc.space(30)
    doc.text(f"出具单位：{place['name']}", "subtitle")
    if kpis.get("sample_targets"):
        doc.space(10)
        doc.text("注：本报告所用指标目标为示例数据，非合同约定值。", "note")
    doc.page_break()


def _kpis(doc, report):
    kpis = report["kpis"]
    doc.text(f"一、项目年度指标完成情况（截至 {kpis['as_of']}）", "heading")
    rows = [["指标", "目标", "实际", "完成率", "年度时间进度", "状态"]]
    for item in kpis["kpis"]:
        rows.append([f"{item['label']}（{item['unit']}）", item["target"], item["actual"],
                     _percent(item["percent_done"]), _percent(item["percent_year_elapsed"]),
                     item["status_label"]])
    doc.table(rows, widths=[0.32, 0.12, 0.12, 0.12, 0.16, 0.16], numeric=range(1, 5))
    doc.text("完成率 = 实际 ÷ 目标；年度时间进度为项目年度已过去的比例。平均值类指标（满意度、"
             "对接时长）按目标本身评判，不随时间累计。", "note")


def _plans(doc, report, labels):
    doc.text(f"二、本期工作概况（{report['period_label']}，分计划）", "heading")
    plans = list(report["plans"])
    rows = [["指标"] + [report["plan_labels"][p] for p in plans] + ["合计"]]
    for name in report["plan_metrics"]:
        rows.append([_titled(labels, name)] + [report["plans"][p].get(name) for p in plans] +
                    [report["summary"].get(name)])
    doc.table(rows, widths=[0.30] + [0.14] * (len(plans) + 1),
              numeric=range(1, len(plans) + 2))
    doc.text("服务人数按人去重：一人参加多个计划的活动时在各计划各计一人，合计只计一人。", "note")


def _months(doc, report, labels):
    doc.text("三、逐月情况", "heading")
    rows = [["月份"] + [_titled(labels, n) for n in MONTH_COLUMNS]]
    for month in report["months"]:
        rows.append([month["month"]] + [month["figures"].get(n) for n in MONTH_COLUMNS])
    doc.table(rows, widths=[0.12] + [0.11] * len(MONTH_COLUMNS),
              numeric=range(1, len(MONTH_COLUMNS) + 1), font_size=8.5)


def _activities(doc, report, labels):
    doc.text("四、本期开展的活动（按活动类型）", "heading")
    if not report["activities"]:
        doc.text("本期没有已开展或有人参加的活动。")
        return
    rows = [["活动类型"] + [_titled(labels, n) for n in KIND_COLUMNS]]
    for group in report["activities"]:
        rows.append([group["label"]] + [group["figures"].get(n) for n in KIND_COLUMNS])
    doc.table(rows, widths=[0.20] + [0.16] * len(KIND_COLUMNS),
              numeric=range(1, len(KIND_COLUMNS) + 1))
    doc.text("按活动类型汇总；每场活动的签到表可在活动页面下载。", "note")


def _late_entries(doc, report, labels):
    doc.text("五、补录（已报送月份报送后录入的数据）", "heading")
    closed = report.get("closed")
    if closed:
        doc.text(f"本报告已于 {closed['closed_at'][:10]} 报送（{closed['closed_by']}），"
                 "以下为报送后的补录与更正。", "note")
    rows = periods.late_rows(report)
    if not rows:
        doc.text("本期没有补录。")
        return
    table = [["所属月份", "补录于", "指标", "补录数值", "报送数值", "更正后数值"]]
    for row in rows:
        table.append([row["period"], row["shown_in"] or "—", _titled(labels, row["name"]),
                      "—" if row["late"] is None else row["late"], row["reported"],
                      row["amended"]])
    doc.table(table, widths=[0.12, 0.12, 0.31, 0.15, 0.15, 0.15], numeric=range(3, 6))
    doc.text(periods.LATE_NOTE, "note")


def _budget(doc, report):
    money = report["budget"]
    doc.text(f"六、预算执行情况（项目第{money['project_year']}年，截至 {money['as_of']}）",
             "heading")
    rows = [["预算科目", "预算（元）", "已支出（元）", "剩余（元）", "执行率"]]
    for line in money["lines"] + [money["total"]]:
        rows.append([line["label"], line["budget"], line["spent"], line["remaining"],
                     _percent(line["percent_spent"])])
    doc.table(rows, widths=[0.28, 0.18, 0.18, 0.18, 0.18], numeric=range(1, 5))
    burn = money["burn"]
    doc.text(f"年度时间进度 {_percent(burn['percent_year_elapsed'])}；每场活动成本 "
             f"{money['cost_per_activity'] or '—'} 元；每服务人次成本 "
             f"{money['cost_per_person_served'] or '—'} 元。", "note")
    if money.get("sample_budget"):
        doc.text("注：预算为示例数据，非合同约定值。", "note")


def _all_figures(doc, report, labels):
    doc.text(f"附表：本期全部统计指标（{report['from']} 至 {report['to']}）", "heading")
    names = [m["name"] for m in report["metrics"]]
    half = (len(names) + 1) // 2
    rows = [["指标", "数值", "指标", "数值"]]
    for left, right in zip(names[:half], names[half:] + [None]):
        rows.append([_titled(labels, left), report["summary"].get(left),
                     _titled(labels, right) if right else "",
                     report["summary"].get(right) if right else ""])
    doc.table(rows, widths=[0.33, 0.17, 0.33, 0.17], numeric=(1, 3), font_size=8)


def render(report, font_file=None):
    """The PDF's bytes; ServiceUnavailable (503) if the font file is missing."""
    place = report["community"]
    doc = pdf.Document(f"{place['name']}“{report['project']}”{report['period_label']}工作报告",
                       footer=f"{place['name']} · “{report['project']}” · "
                              f"{report['period_label']}",
                       author=place["name"], font_file=font_file)
    labels = _labels(report)
    _cover(doc, report)
    _kpis(doc, report)
    _plans(doc, report, labels)
    _months(doc, report, labels)
    _activities(doc, report, labels)
    _late_entries(doc, report, labels)
    if report.get("budget"):
        _budget(doc, report)
    _all_figures(doc, report, labels)
    return doc.render()
