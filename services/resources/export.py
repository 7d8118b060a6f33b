"""The resource list (资源清单) as CSV or XLSX, with Chinese column headers: every active
resource with its provider and estimated value, sample data left out. Built from the
dicts of ``domain.resource_list`` (no database access here)."""
import io

from common import downloads, spreadsheet, times, vocab
from common.errors import ValidationFailed

COLUMNS = [
    ("序号", lambda i, r: i),
    ("资源编号", lambda i, r: r["id"]),
    ("资源名称", lambda i, r: r["title"]),
    ("资源类型", lambda i, r: vocab.label("resource_types", r["type"])),
    ("提供单位", lambda i, r: r["partner_name"] or "社区自有"),
    ("服务小区", lambda i, r: _labels("compounds", r.get("partner_compounds") or [])),
    ("服务对象", lambda i, r: _labels("target_groups", r["target_groups"])),
    ("可回应需求", lambda i, r: _labels("need_categories", r["need_categories"])),
    ("数量", lambda i, r: r["quantity"] if r["quantity"] is not None else "不限"),
    ("剩余", lambda i, r: r["quantity_left"] if r["quantity_left"] is not None else "不限"),
    ("单位", lambda i, r: r["unit"] or ""),
    ("可用期间", lambda i, r: _window(r)),
    ("可用说明", lambda i, r: r["availability_note"] or ""),
    ("估值（元）", lambda i, r: estimated_value(r)),
    ("说明", lambda i, r: r["description"] or ""),
]
HEADERS = [name for name, _ in COLUMNS]
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SHEET_TITLE = "资源清单"


def _labels(vocabulary, codes):
    """Codes as people read them: their Chinese labels, joined with 、."""
    return "、".join(vocab.label(vocabulary, code) for code in codes)


def estimated_value(resource):
    """The resource's value in yuan: its stated value, else its unit value times its
    quantity (one unit when the quantity is unlimited)."""
    if resource["value_yuan"] or resource.get("unit_value_yuan") is None:
        return resource["value_yuan"]
    return round(resource["unit_value_yuan"] * (resource["quantity"] or 1), 2)


def _window(resource):
    start, end = resource["available_from"], resource["available_to"]
    if not start and not end:
        return "长期"
    return f"{start or ''} 至 {end or '长期'}"


def rows_of(resources):
    return [[get(i, r) for _name, get in COLUMNS] for i, r in enumerate(resources, 1)]


def to_csv(resources):
    return spreadsheet.csv_bytes([HEADERS] + rows_of(resources))


def to_xlsx(resources, generated_at=None):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    generated_at = generated_at or times.local(times.now())
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row in rows_of(resources):
        spreadsheet.append(sheet, row)
    sheet.freeze_panes = "A2"
    widths = [6, 10, 30, 10, 24, 24, 24, 20, 8, 8, 8, 24, 20, 12, 40]
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    value_column = HEADERS.index("估值（元）") + 1
    for (cell,) in sheet.iter_rows(min_row=2, min_col=value_column, max_col=value_column):
        cell.number_format = "#,##0.00"

    community = vocab.community()  # its name and project (config/communities/)
    project = f"“{community.project}”" if community.project else ""
    about = workbook.create_sheet("说明")
    spreadsheet.append(about, ["项目", f"{community.name}{project}资源清单"])
    spreadsheet.append(about, ["社区", community.name])
    spreadsheet.append(about, ["生成时间", generated_at.strftime("%Y-%m-%d %H:%M")])
    spreadsheet.append(about, ["在用资源数", len(resources)])
    spreadsheet.append(about, ["估值合计（元）",
                               round(sum(estimated_value(r) for r in resources), 2)])
    spreadsheet.append(about, ["说明", "仅含状态为“可用”的资源；已归档资源和系统示例数据不列入。"])
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_resources(resources, fmt="csv", community_id=None):
    if fmt not in CONTENT_TYPES:
        raise ValidationFailed("unknown_export_format",
                               {"format": ["one_csv_xlsx"]}, fmt=repr(fmt))
    content = to_csv(resources) if fmt == "csv" else to_xlsx(resources)
    stamp = times.local_today().strftime("%Y%m%d")
    filename = f"resources-{community_id or 'community'}-{stamp}.{fmt}"
    return downloads.answer(content, filename, CONTENT_TYPES[fmt],
                            title=filename.replace("resources", "资源清单", 1),
                            count=len(resources))
