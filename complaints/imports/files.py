"""Which file it is and its rows: `sniff` (an .xlsx or a CSV, from the bytes, within the size limit) and
`open_rows` (every row with its line number; a CSV as UTF-8 or GB18030, an .xlsx by xlsx.py)."""
from __future__ import annotations

import codecs
import csv
import io
import zipfile
from contextlib import contextmanager
from typing import Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .xlsx import _SheetReader, _xlsx_rows

MAX_BYTES = 20 * 1024 * 1024


def _size(file) -> int | None:
    size = getattr(file, "size", None)
    if size is None:
        try:
            pos = file.tell()
            file.seek(0, io.SEEK_END)
            size = file.tell()
            file.seek(pos)
        except (AttributeError, OSError):
            return None
    return size


def sniff(file, *, name: str | None = None, max_bytes: int = MAX_BYTES) -> str:
    """"xlsx" or "csv" from the file's content and name, or a ValidationError the clerk can act on."""
    name = (name if name is not None else getattr(file, "name", "")) or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    size = _size(file)
    if size is not None and size > max_bytes:
        raise ValidationError(_("文件过大（%(size).1f MB），最大允许 %(max)d MB，请分成几个文件导入。")
                              % {"size": size / 1024 / 1024, "max": max_bytes // 1024 // 1024})
    if size == 0:
        raise ValidationError(_("上传的文件是空的。"))
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    if ext == "xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(_("这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 或 CSV 后再上传。"))
    if ext not in ("xlsx", "csv"):
        raise ValidationError(_("只能导入 Excel（.xlsx）或 CSV 文件。"))
    if ext == "xlsx":
        if not head.startswith(b"PK\x03\x04") or not _is_workbook(file):
            raise ValidationError(_("文件“%(name)s”的内容不是 Excel（.xlsx）表格，请检查是否选错了文件。")
                                  % {"name": name})
        return "xlsx"
    if head.startswith(b"PK\x03\x04") or b"\x00" in head or _looks_binary(head):
        raise ValidationError(_("文件“%(name)s”的内容不是 CSV 文本表格，请检查是否选错了文件。") % {"name": name})
    return "csv"


def _is_workbook(file) -> bool:
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as zf:
            names = set(zf.namelist())
        return "xl/workbook.xml" in names
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        file.seek(0)


def _looks_binary(head: bytes) -> bool:
    """Control bytes other than tab/CR/LF in the first block: an image, an archive, a program."""
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls > max(2, len(head) // 100)


def _csv_encoding(file) -> str:
    """utf-8-sig when the first MB decodes as UTF-8, else gb18030 (Excel's CSV on a Chinese system)."""
    file.seek(0)
    sample = file.read(1024 * 1024)
    file.seek(0)
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")("strict").decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise ValidationError(_("无法识别 CSV 文件的文字编码，请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后再上传。")) from exc


@contextmanager
def open_rows(file, kind: str) -> Iterator[Iterator[tuple[int, tuple]]]:
    """`with open_rows(f, kind) as rows:` — `(line, values)` of every row, the first row being line 1.

    An .xlsx is read by `_SheetReader` (the standard library's expat through ElementTree.iterparse, about
    4.5 times faster than openpyxl's read-only mode here: 100,000 rows are read twice per import, at the
    check and at the import); a workbook it does not understand falls back to openpyxl read-only.
    """
    if kind == "xlsx":
        file.seek(0)
        try:
            sheet = _SheetReader(file)
        except Exception:  # an unusual layout: let openpyxl try (it raises the user's message if it fails too)
            sheet = None
        if sheet is not None:
            try:
                yield sheet.rows()
            finally:
                sheet.close()
            return
        from openpyxl import load_workbook

        file.seek(0)
        try:
            wb = load_workbook(file, read_only=True, data_only=True)
            ws = wb.worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds of errors for a damaged file
            raise ValidationError(_("无法读取该文件，它不是有效的 Excel（.xlsx）文件。")) from exc
        try:
            yield _xlsx_rows(ws)
        finally:
            wb.close()
    else:
        encoding = _csv_encoding(file)
        file.seek(0)
        text = io.TextIOWrapper(file, encoding=encoding, newline="")
        try:
            yield _csv_rows(text)
        finally:
            text.detach()  # leave the uploaded file open for its owner


def _csv_rows(text) -> Iterator[tuple[int, tuple]]:
    reader = csv.reader(text)
    line = 0
    try:
        for line, values in enumerate(reader, start=1):
            yield line, tuple(values)
    except UnicodeDecodeError as exc:
        raise ValidationError(_("CSV 文件第 %(line)s 行附近有无法识别的文字，请另存为“CSV UTF-8”或 .xlsx 后再上传。")
                              % {"line": line + 1}) from exc
    except csv.Error as exc:
        raise ValidationError(_("CSV 文件第 %(line)s 行格式有误：%(error)s") % {"line": line + 1, "error": exc}) from exc
