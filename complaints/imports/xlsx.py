"""An .xlsx's first worksheet, row by row: `_SheetReader` streams the sheet's XML with the standard library;
`_xlsx_rows` reads openpyxl's read-only sheet, for a workbook `_SheetReader` does not understand."""
from __future__ import annotations

import datetime
import re
import zipfile
from typing import Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _xlsx_rows(ws) -> Iterator[tuple[int, tuple]]:
    try:
        # Read-only sheets yield an empty tuple for each row missing from the file, so the count
        # stays the spreadsheet's line number.
        for line, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield line, values
    except ValidationError:
        raise
    except Exception as exc:
        raise ValidationError(_("读取 Excel 文件时出错，文件可能已损坏。")) from exc


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Built-in number formats that are dates or times (ECMA-376 18.8.30, and the zh-CN ones 27–36, 50–58).
_DATE_FORMAT_IDS = frozenset({*range(14, 23), *range(27, 37), 45, 46, 47, *range(50, 59)})
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
_EXCEL_EPOCH_1904 = datetime.datetime(1904, 1, 1)


def _is_date_format(code: str) -> bool:
    """A custom number format shows a date or time when, outside quotes and [..], it has y m d h or s."""
    code = re.sub(r'"[^"]*"|\\.|\[[^]]*\]', "", code or "")
    return bool(re.search(r"[ymdhs]", code, re.IGNORECASE)) and code.lower() != "general"


class _SharedStrings:
    """The shared-string table, read only as far as the rows asked so far need it: the upload's header check
    reads the first strings, not the whole table (1.4 s for the table of a 100,000-row Excel file)."""

    def __init__(self, stream):
        from xml.etree.ElementTree import iterparse

        self.items: list[str] = []
        self._events = iterparse(stream)

    def __getitem__(self, index: int) -> str:
        while index >= len(self.items):
            if not self._more():
                raise IndexError(index)
        return self.items[index]

    def _more(self) -> bool:
        for _event, el in self._events:
            if el.tag == f"{_NS}si":
                # the text runs (<t>, or <r><t>), not the phonetic guides (<rPh>)
                self.items.append("".join(t.text or "" for t in el.iterfind(f"{_NS}t"))
                                  + "".join(t.text or "" for t in el.iterfind(f"{_NS}r/{_NS}t")))
                el.clear()
                return True
        return False


class _SheetReader:
    """The first worksheet of an .xlsx, row by row, as openpyxl's `iter_rows(values_only=True)` gives it:
    shared and inline strings, numbers (int when whole), booleans, and date-formatted numbers as datetimes.

    Memory stays flat: each row's cells are dropped once read (the shared-string table, which openpyxl
    also holds, is the only thing kept).
    """

    def __init__(self, file):
        from xml.etree.ElementTree import parse

        self.zf = zipfile.ZipFile(file)
        names = set(self.zf.namelist())
        workbook = parse(self.zf.open("xl/workbook.xml")).getroot()
        pr = workbook.find(f"{_NS}workbookPr")
        self.epoch = _EXCEL_EPOCH_1904 if pr is not None and pr.get("date1904") in ("1", "true") else _EXCEL_EPOCH
        first = workbook.find(f"{_NS}sheets/{_NS}sheet")
        rel_id = first.get(f"{_REL_NS}id")
        rels = parse(self.zf.open("xl/_rels/workbook.xml.rels")).getroot()
        target = next(r.get("Target") for r in rels.iter(f"{_PKG_REL_NS}Relationship") if r.get("Id") == rel_id)
        self.sheet = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if self.sheet not in names:
            raise KeyError(self.sheet)
        self.shared = self._shared_strings() if "xl/sharedStrings.xml" in names else []
        self.date_styles = self._date_styles() if "xl/styles.xml" in names else frozenset()

    def close(self):
        self.zf.close()

    def _shared_strings(self) -> "_SharedStrings":
        return _SharedStrings(self.zf.open("xl/sharedStrings.xml"))

    def _date_styles(self) -> frozenset[int]:
        from xml.etree.ElementTree import parse

        styles = parse(self.zf.open("xl/styles.xml")).getroot()
        custom = {int(f.get("numFmtId")): f.get("formatCode", "") for f in styles.iterfind(f"{_NS}numFmts/{_NS}numFmt")}
        out = set()
        for i, xf in enumerate(styles.iterfind(f"{_NS}cellXfs/{_NS}xf")):
            fmt = int(xf.get("numFmtId", "0"))
            if fmt in _DATE_FORMAT_IDS or (fmt in custom and _is_date_format(custom[fmt])):
                out.add(i)
        return frozenset(out)

    def _number(self, text: str, style: str | None):
        number = float(text) if ("." in text or "e" in text or "E" in text) else int(text)
        if style is not None and self.date_styles and int(style) in self.date_styles and number >= 0:
            return self.epoch + datetime.timedelta(seconds=round(float(number) * 86400))
        if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
            return int(number)
        return number

    def rows(self) -> Iterator[tuple[int, tuple]]:
        """Only "end" events (a "start" handler doubles the parsing time); each row is cleared once read,
        which frees its cells (an empty row element, ~100 bytes, stays until the end of the sheet)."""
        from xml.etree.ElementTree import iterparse

        ROW, V, T = f"{_NS}row", f"{_NS}v", f"{_NS}t"
        shared, columns = self.shared, {}
        line = 0
        try:
            for _event, el in iterparse(self.zf.open(self.sheet)):
                if el.tag != ROW:
                    continue
                number = int(el.get("r") or line + 1)
                while line + 1 < number:  # rows missing from the file are empty rows
                    line += 1
                    yield line, ()
                values: list = []
                for c in el:
                    ref = c.get("r")
                    if ref:
                        letters = ref.rstrip("0123456789")
                        col = columns.get(letters)
                        if col is None:
                            col = 0
                            for ch in letters:
                                col = col * 26 + ord(ch) - 64
                            col = columns[letters] = col - 1
                        while len(values) < col:
                            values.append(None)
                    kind = c.get("t")
                    if kind == "inlineStr":
                        values.append("".join(t.text or "" for t in c.iter(T)))
                        continue
                    v = c.find(V)
                    text = v.text if v is not None else None
                    if text is None:
                        values.append(None)
                    elif kind == "s":
                        values.append(shared[int(text)])
                    elif kind in ("str", "e"):
                        values.append(text)
                    elif kind == "b":
                        values.append(text == "1")
                    elif kind == "d":
                        values.append(datetime.datetime.fromisoformat(text.rstrip("Z")))
                    else:
                        values.append(self._number(text, c.get("s")))
                el.clear()
                line = number
                yield line, tuple(values)
        except ValidationError:
            raise
        except Exception as exc:
            raise ValidationError(_("读取 Excel 文件时出错，文件可能已损坏。")) from exc
