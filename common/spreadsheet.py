"""Spreadsheets people open in Excel or WPS, XLSX and CSV alike: text cells that stay
text (never a formula), bold shaded header rows, column widths, and the file's bytes.

openpyxl is imported where a sheet is styled, not with this module: a process that only
writes CSV, or has not exported anything yet, does not hold it in memory."""
import csv
import io
import re

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
HEADER_COLOUR = "DDEBF7"
# What a spreadsheet may read as the start of a formula (TAB and CR too: some programs
# drop them and read on). Such text gets a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A value as a cell should hold it, in every export: text without control
    characters (XLSX refuses them) and never a formula (a name typed as "=..." must not
    run when the sheet is opened); numbers (negative ones too) and None as they are."""
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_bytes(rows):
    """Rows as CSV, each value through ``cell``, UTF-8 with a byte-order mark so that
    Excel opens the Chinese text as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([cell(v) for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def append(sheet, values):
    sheet.append([cell(v) for v in values])


def header(sheet, values):
    """A bold, shaded header row appended to ``sheet``."""
    from openpyxl.styles import Alignment, Font, PatternFill

    append(sheet, values)
    fill = PatternFill("solid", fgColor=HEADER_COLOUR)
    for c in sheet[sheet.max_row]:
        c.font = Font(bold=True)
        c.fill = fill
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def widths(sheet, values):
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(values, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def to_bytes(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
