"""The .xlsx row reader gives what openpyxl's read-only iter_rows(values_only=True) gives, on workbooks
written by XlsxWriter (inline strings, real dates, numbers, booleans, gaps) and by openpyxl (shared strings,
rich text), and falls back to openpyxl for a layout it does not know. No database."""
import datetime
import io
import zipfile

import pytest
import xlsxwriter
from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from complaints import imports as reader
from complaints.imports import xlsx as xlsx_reader


def trimmed(rows):
    out = []
    for line, values in rows:
        values = list(values)
        while values and values[-1] is None:
            values.pop()
        out.append((line, tuple(values)))
    while out and not out[-1][1]:
        out.pop()
    return out


def with_openpyxl(data: bytes):
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return trimmed(enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1))
    finally:
        wb.close()


def with_reader(data: bytes):
    with reader.open_rows(io.BytesIO(data), "xlsx") as rows:
        return trimmed(rows)


def xlsxwriter_book(constant_memory: bool) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": constant_memory, "in_memory": True})
    ws = wb.add_worksheet("工单")
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = wb.add_format({"num_format": "yyyy\"年\"m\"月\"d\"日\""})
    money = wb.add_format({"num_format": "#,##0.00"})
    ws.write_row(0, 0, ["工单编号", "受理时间", "编码", "金额", "紧急", "日"])
    ws.write_string(1, 0, "ZZ001")
    ws.write_datetime(1, 1, datetime.datetime(2026, 11, 30, 10, 15, 30), when)
    ws.write_number(1, 2, 30601)
    ws.write_number(1, 3, 12.5, money)
    ws.write_boolean(1, 4, True)
    ws.write_datetime(1, 5, datetime.datetime(2026, 2, 28), day)
    ws.write_string(4, 0, "ZZ004")  # rows 3 and 4 (lines 3, 4) missing: empty rows
    ws.write_string(4, 3, "只有第四列")  # a sparse row
    ws.write_number(5, 0, 2026120100001)  # a long number kept whole
    ws.write_string(5, 1, "  前后空格  ")
    wb.close()
    return buf.getvalue()


def openpyxl_book() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["工单编号", "诉求内容", "受理时间"])
    ws.append(["A1", "楼道垃圾", datetime.datetime(2026, 11, 30, 9, 0)])
    ws.append(["A2", "楼道垃圾", "2026-11-30 09:00"])  # the same text twice: one shared string
    ws["B4"] = CellRichText("加粗", TextBlock(InlineFont(b=True), "的部分"), "和其余")
    ws["A6"] = 3.25
    ws["C6"] = False
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("data", [xlsxwriter_book(True), xlsxwriter_book(False), openpyxl_book()],
                         ids=["xlsxwriter-inline", "xlsxwriter-shared", "openpyxl-rich"])
def test_reader_agrees_with_openpyxl(data):
    assert with_reader(data) == with_openpyxl(data)


def test_reader_values():
    rows = dict(with_reader(xlsxwriter_book(True)))
    assert rows[2] == ("ZZ001", datetime.datetime(2026, 11, 30, 10, 15, 30), 30601, 12.5, True,
                       datetime.datetime(2026, 2, 28))
    assert rows[3] == () and rows[4] == ()
    assert rows[5] == ("ZZ004", None, None, "只有第四列")
    assert rows[6] == (2026120100001, "  前后空格  ")
    assert dict(with_reader(openpyxl_book()))[4] == (None, "加粗的部分和其余")


def test_unknown_layout_falls_back_to_openpyxl():
    data = openpyxl_book()
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:  # the same book without the workbook's relationships part
        for item in src.infolist():
            if item.filename != "xl/_rels/workbook.xml.rels":
                out.writestr(item, src.read(item.filename))
    with pytest.raises(ValidationError, match="不是有效的 Excel"):
        with_reader(buf.getvalue())  # openpyxl cannot read it either: the clerk's message


def test_damaged_sheet_is_a_clear_error():
    data = xlsxwriter_book(True)
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]  # cut in the middle
            out.writestr(item, content)
    with pytest.raises(ValidationError, match="读取 Excel 文件时出错"):
        with_reader(buf.getvalue())


@pytest.mark.parametrize("code, is_date", [
    ("yyyy-mm-dd hh:mm", True), ('yyyy"年"m"月"d"日"', True), ("[$-804]aaaa", False), ("#,##0.00", False),
    ("0%", False), ("General", False), ('"h"0', False), ("[Red]0.00", False), ("h:mm AM/PM", True),
])
def test_date_format_codes(code, is_date):
    assert xlsx_reader._is_date_format(code) is is_date


def test_shared_strings_are_read_only_as_far_as_the_rows_need():
    """The upload's header check must not read a big file's whole shared-string table."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)  # as Excel does, every string goes into xl/sharedStrings.xml
    ws = book.add_worksheet()
    ws.write_row(0, 0, ["工单编号", "诉求内容"])
    for i in range(2000):
        ws.write_row(i + 1, 0, [f"GD{i:06d}", f"第{i}件诉求"])
    book.close()
    assert "xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()
    sheet = xlsx_reader._SheetReader(io.BytesIO(buf.getvalue()))
    try:
        rows = sheet.rows()
        assert next(rows) == (1, ("工单编号", "诉求内容"))
        assert len(sheet.shared.items) == 2  # the header's strings only
        last = list(rows)[-1]
        assert last == (2001, ("GD001999", "第1999件诉求"))
        assert len(sheet.shared.items) == 4002
    finally:
        sheet.close()
