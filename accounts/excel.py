"""Excel helpers shared by every list export (XlsxWriter) and import (openpyxl)."""
from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Iterable, Sequence

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone
from urllib.parse import quote

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def build_workbook(headers: Sequence[str], rows: Iterable[Sequence], *, sheet: str = "Sheet1",
                   title: str | None = None) -> bytes:
    """One sheet: optional title row, a bold header row, the rows; returns the file's bytes."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "remove_timezone": True})
    ws = wb.add_worksheet(sheet[:31])
    bold = wb.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1})
    money = wb.add_format({"num_format": "#,##0.00"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    r = 0
    if title:
        ws.write(0, 0, title, wb.add_format({"bold": True, "font_size": 14}))
        r = 1
    for c, h in enumerate(headers):
        ws.write(r, c, str(h), bold)
        ws.set_column(c, c, max(10, len(str(h)) * 2 + 2))
    ws.freeze_panes(r + 1, 0)
    for row in rows:
        r += 1
        for c, value in enumerate(row):
            if value is None:
                ws.write_blank(r, c, None)
            elif isinstance(value, Decimal):
                ws.write_number(r, c, float(value), money)
            elif isinstance(value, bool):
                ws.write_string(r, c, "是" if value else "否")
            elif isinstance(value, (int, float)):
                ws.write_number(r, c, value)
            elif isinstance(value, datetime.datetime):
                ws.write_datetime(r, c, timezone.localtime(value) if timezone.is_aware(value) else value, date_fmt)
            elif isinstance(value, datetime.date):
                ws.write_datetime(r, c, value, date_fmt)
            else:
                ws.write_string(r, c, str(value))
    wb.close()
    return buf.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
