"""A periodic report: ``domain.periodic`` (the period's totals and one block per plan) with
what the printed forms add to it (the project year's KPIs, the period month by month, the
activities by kind, and the words a reader needs), rendered as CSV here, XLSX in
report_xlsx and PDF in report_pdf. Every rendering shows exactly the numbers of the JSON.
"""

from datetime import date

from common import downloads, spreadsheet, vocab
from common.errors import ValidationFailed
from common.messages import msg
from services.reports import budget, catalogue, domain, report_xlsx
from services.reports.report_xlsx import HEADERS, SUMMARY_SHEET, figure_rows

FORMATS = ("json", "csv", "xlsx", "pdf")
# report_pdf (reportlab) is imported when a PDF is rendered, not with this module.
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": report_xlsx.CONTENT_TYPE,
                 "pdf": "application/pdf"}
NO_DATA = "暂无数据"  # nothing counted yet (a mean nobody has given a score for)
STATUS_LABELS = {"achieved": "已达成", "on_track": "进度正常", "at_risk": "有风险",
                 "no_data": NO_DATA}
QUARTERS = {"1": "第一季度", "2": "第二季度", "3": "第三季度", "4": "第四季度"}


def check_format(fmt):
    if fmt not in FORMATS:
        raise ValidationFailed("bad_format",
                               {"format": [msg("one_of_formats", formats=', '.join(FORMATS))]})


def period_label(period):
    """2026-11 → 2026年11月, 2026-Q4 → 2026年第四季度, 2026 → 2026年度,
    2026-03..2027-02 → 2026年3月至2027年2月."""
    if ".." in str(period):
        first, last = str(period).split("..")
        return f"{period_label(first)}至{period_label(last)}"
    year, _, rest = str(period).partition("-")
    if not rest:
        return f"{year}年度"
    if rest.startswith("Q"):
        return f"{year}年{QUARTERS[rest[1:]]}"
    return f"{year}年{int(rest)}月"


def status_label(item):
    return NO_DATA if item["actual"] is None else STATUS_LABELS[item["status"]]


def first_day(period):
    """2026-11 → 1 Nov 2026, 2026-Q4 → 1 Oct 2026, 2026 → 1 Jan 2026 (None if unreadable:
    the report itself then refuses the period)."""
    if ".." in str(period):
        period = str(period).split("..")[0]
    year, _, rest = str(period).partition("-")
    try:
        if not rest:
            return date(int(year), 1, 1)
        if rest.startswith("Q"):
            return date(int(year), 3 * int(rest[1:]) - 2, 1)
        return date(int(year), int(rest), 1)
    except ValueError:
        return None


def months_of(start, end):
    """Every YYYY-MM from ``start`` to ``end`` (a project year may cross a new year)."""
    year, month, out = int(start[:4]), int(start[5:7]), []
    while f"{year}-{month:02d}" <= end:
        out.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def project_year_period(year):
    """The period of a whole project year: its calendar year when it is one, else its
    months ("2026-03..2027-02")."""
    if (year.start.month, year.start.day, year.end.month, year.end.day) == (1, 1, 12, 31) \
            and year.start.year == year.end.year:
        return str(year.start.year)
    return f"{year.start:%Y-%m}..{year.end:%Y-%m}"


def document(session, period, community_id, today, targets, budget_year=None):
    """The report of a period as every format shows it; for a month marked reported,
    the report as it was sent, with its amendments (``closed``, ``amendments``). With
    ``budget_year`` (the contract's project year the period falls in), the budget
    statement of that year as it stands (``budget``)."""
    sent = domain.sent_report(session, period, today)
    if sent is not None:
        return sent
    report = domain.periodic(session, period, community_id, today)
    start, end = report["from"][:7], report["to"][:7]
    kpis = domain.kpis(session, targets, today)
    for item in kpis["kpis"]:
        item["status_label"] = status_label(item)
    by_month = {g["key"]: g["figures"]
                for g in domain.summary(session, start, end, "month", today)["groups"]}
    by_kind = domain.summary(session, start, end, "kind", today)["groups"]
    nothing = catalogue.derive({}, catalogue.metrics_for("month"))
    place = vocab.of_community(community_id)
    report.update(
        period_label=period_label(period), issued_on=today.isoformat(),
        community={"name": place.name, "district": place.district or ""},
        project=targets.get("project") or place.project,
        budget_yuan=targets.get("budget_yuan"),
        kpis=kpis,
        # The KPIs that add up, over this period: a year's monthly reports add up to it.
        period_kpis=domain.period_kpis(session, targets, start, end, today),
        months=[{"month": m, "figures": by_month.get(m, nothing)} for m in months_of(start, end)],
        # The read model counts activities by kind (not event by event): the kinds held
        # or attended in the period, in the vocabulary's order.
        activities=[{"kind": g["key"], "label": vocab.EVENT_KINDS.get(g["key"], g["key"]),
                     "figures": g["figures"]}
                    for g in sorted(by_kind, key=lambda g: _kind_order(g["key"]))
                    if g["figures"]["activities_held"] or g["figures"]["people_served"]])
    if budget_year is not None and budget_year.lines:
        report["budget"] = budget.statement(session, budget_year, today)
    return report


def _kind_order(kind):
    kinds = list(vocab.EVENT_KINDS)
    return (kinds.index(kind) if kind in kinds else len(kinds), kind)


def to_csv(report):
    rows = [["报告期", report["period"], "起", report["from"], "止", report["to"]],
            ["范围"] + HEADERS]
    names = [m["name"] for m in report["metrics"]]
    for row in figure_rows(report, report["summary"], names):
        rows.append([SUMMARY_SHEET] + ["" if v is None else v for v in row])
    for plan, values in report["plans"].items():
        for row in figure_rows(report, values, report["plan_metrics"]):
            rows.append([report["plan_labels"][plan]] + ["" if v is None else v for v in row])
    return spreadsheet.csv_bytes(rows)


def render(report, fmt, font_file=None):
    """The file of a ``document`` for RPC (``common.downloads.answer``)."""
    if fmt == "csv":
        content = to_csv(report)
    elif fmt == "xlsx":
        content = report_xlsx.render(report)
    else:
        from services.reports import report_pdf

        content = report_pdf.render(report, font_file)
    return downloads.answer(
        content, f"ronghe-report-{report['community_id'] or 'community'}-{report['period']}.{fmt}",
        CONTENT_TYPES[fmt],
        title=f"{report['community']['name']}{report['period_label']}工作报告.{fmt}")
