"""The one cell every export writes: text never starts a formula, numbers stay numbers."""
import io

from openpyxl import Workbook, load_workbook

from common import spreadsheet


def test_text_that_could_start_a_formula_gets_an_apostrophe():
    for text in ("=1+2", "+1", "-1", "@A1", "\t=1+2", "\r=1+2"):
        assert spreadsheet.cell(text) == "'" + text
    assert spreadsheet.cell("王五") == "王五"
    assert spreadsheet.cell("a\x01b") == "ab"  # XLSX refuses control characters


def test_negative_numbers_stay_numbers_in_xlsx_and_csv():
    workbook = Workbook()
    spreadsheet.append(workbook.active, [-5, -2.5, "-5", None])
    sheet = load_workbook(io.BytesIO(spreadsheet.to_bytes(workbook))).active
    assert [c.value for c in sheet[1]][:3] == [-5, -2.5, "'-5"]
    assert [c.data_type for c in sheet[1]][:2] == ["n", "n"]
    assert spreadsheet.csv_bytes([[-5, "-5", "\t=1"]]).decode("utf-8-sig") == "-5,'-5,'\t=1\r\n"
