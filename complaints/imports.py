"""Reading and checking a hotline export (12345): pure functions, no database.

A file goes through three steps, each a plain function of its input:

1. `sniff(file)` decides from the bytes (not only the name) whether it is an .xlsx or a .csv, and refuses
   anything else (a PNG renamed .xlsx, an old .xls, a file over the size limit) with a Chinese message.
2. `open_rows(file, kind)` yields `(line, values)` for every row, line numbers as the spreadsheet shows
   them (the first row is line 1); a CSV is read as UTF-8 (with or without BOM) or, failing that, as
   GB18030 (what Chinese Excel writes). `find_layout(rows, spec)` finds the header row among the first
   rows and the column of each mapped field, or refuses the file naming the missing headers.
3. `RowChecker(spec, layout).check(line, values)` turns one row into a `ParsedRow` or into the reasons it
   is wrong ("受理时间“2026-02-30 10:00”不是有效日期"), and remembers 工单编号 to name a repeat inside
   the file with both lines.

Rows stream through: nothing holds the whole file, so memory stays flat with 100,000 rows (the checker keeps
only the set of 工单编号 seen, about 100 bytes a row).
"""
from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in hotline exports
MAX_LISTED_ERRORS = 1000  # a file with more is summarised ("另有 N 处错误未列出")


@dataclass(frozen=True)
class ImportField:
    name: str
    label: Any
    required: bool = False
    max_length: int | None = None


# The fields a mapping can fill, in the order the forms and the preview show them.
FIELDS: tuple[ImportField, ...] = (
    ImportField("external_no", gettext_lazy("工单编号"), required=True, max_length=50),
    ImportField("received_at", gettext_lazy("受理时间"), required=True),
    ImportField("matter_type", gettext_lazy("诉求类型")),
    ImportField("category", gettext_lazy("类别编码")),
    ImportField("urgency", gettext_lazy("紧急程度")),
    ImportField("title", gettext_lazy("标题"), max_length=200),
    ImportField("content", gettext_lazy("诉求内容"), required=True, max_length=5000),
    ImportField("address", gettext_lazy("诉求地址"), required=True, max_length=300),
    ImportField("complainant_name", gettext_lazy("投诉人"), max_length=50),
    ImportField("complainant_phone", gettext_lazy("联系电话"), max_length=30),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
REQUIRED_FIELDS = tuple(f.name for f in FIELDS if f.required)
TITLE_FROM_CONTENT = 30  # characters of the content used as the title when the file has none


@dataclass(frozen=True)
class MappingSpec:
    """What a check needs from an ImportMapping, as plain values.

    `category_codes`: hotline code or code prefix -> Category.code (longest prefix wins; the key "*"
    catches every other code); `urgency_values` / `matter_values`: text in the file -> stored value
    (the stored values and their Chinese labels are always understood too); `categories`: the
    Category codes that exist; `tz`: the zone of the file's times; `latest`: a received time after
    it is refused (the moment of the check).
    """

    columns: dict[str, str]
    date_formats: tuple[str, ...]
    category_codes: dict[str, str]
    urgency_values: dict[str, str]
    matter_values: dict[str, str]
    categories: frozenset[str]
    tz: datetime.tzinfo
    latest: datetime.datetime | None = None
    default_category: str = "other"


@dataclass(frozen=True)
class Layout:
    header_line: int
    headers: tuple[str, ...]  # every header of the file (raw keys), "列3" for an empty one
    index: dict[str, int]  # field -> column index


@dataclass
class ParsedRow:
    line: int
    external_no: str
    received_at: datetime.datetime
    matter_type: str
    category: str  # Category.code
    urgency: str
    title: str
    content: str
    address: str
    complainant_name: str
    complainant_phone: str
    raw: dict = field(repr=False)


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


def clean_header(value) -> str:
    return "".join(text(value).split()).replace("\ufeff", "")


def text(value) -> str:
    """A cell as text: numbers without a trailing .0 (工单编号 and phones stored as numbers), no padding."""
    if type(value) is str:  # the common case first: most cells are text
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def is_empty(values) -> bool:
    return not any(text(v) for v in values)


def find_layout(rows: Iterator[tuple[int, tuple]], spec: MappingSpec) -> Layout:
    """Consume rows up to and including the header (the one among the first rows naming most mapped
    columns) and say where each mapped field is; a ValidationError names what is missing."""
    missing_fields = [FIELD_BY_NAME[f].label for f in REQUIRED_FIELDS if not spec.columns.get(f)]
    if missing_fields:
        raise ValidationError(_("列映射没有指定这些必填字段对应的列：%(f)s。请先修改列映射。")
                              % {"f": "、".join(str(f) for f in missing_fields)})
    wanted = {field_name: clean_header(header) for field_name, header in spec.columns.items() if clean_header(header)}
    best = None
    for line, values in rows:
        headers = [clean_header(v) for v in values]
        hits = sum(1 for h in wanted.values() if h in headers)
        if hits and (best is None or hits > best[0]):
            best = (hits, line, headers)
        if hits == len(wanted) or line >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise ValidationError(_("文件前 %(n)s 行里没有找到表头（如“%(h)s”），请检查文件或选择其他列映射。")
                              % {"n": HEADER_SEARCH_ROWS, "h": spec.columns.get("external_no", "")})
    _hits, line, headers = best
    missing = [h for h in wanted.values() if h not in headers]
    if missing:
        raise ValidationError(_("文件缺少列映射要求的列：%(cols)s。文件里的列有：%(have)s。")
                              % {"cols": "、".join(f"“{h}”" for h in missing),
                                 "have": "、".join(h for h in headers if h) or "—"})
    repeated = sorted({h for h in wanted.values() if headers.count(h) > 1})
    if repeated:
        raise ValidationError(_("文件里这些列出现了不止一次：%(cols)s。") % {"cols": "、".join(f"“{h}”" for h in repeated)})
    keys, seen = [], set()
    for i, h in enumerate(headers):
        key = h or _("列%(n)s") % {"n": i + 1}
        while key in seen:
            key += "'"
        seen.add(key)
        keys.append(key)
    return Layout(header_line=line, headers=tuple(keys),
                  index={name: headers.index(h) for name, h in wanted.items()})


def data_rows(rows: Iterable[tuple[int, tuple]], layout: Layout) -> Iterator[tuple[int, tuple]]:
    """The rows after the header that hold anything."""
    for line, values in rows:
        if line > layout.header_line and not is_empty(values):
            yield line, values


def _raw_value(value):
    if type(value) is str:
        return value.strip()
    if isinstance(value, (datetime.datetime, datetime.date)):
        return text(value)
    if isinstance(value, Decimal):
        return text(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _choice_table(values: dict[str, str], choices) -> dict[str, str]:
    """The mapping's own words first, then every choice's value and Chinese label."""
    table = {str(label): value for value, label in choices}
    table.update({value: value for value, _label in choices})
    table.update({clean_header(k): v for k, v in (values or {}).items()})
    return table


class RowChecker:
    """Checks rows one by one (keeps the 工单编号 seen, to name a repeat with both line numbers)."""

    def __init__(self, spec: MappingSpec, layout: Layout):
        from .models import MatterType, Urgency

        self.spec = spec
        self.layout = layout
        self.seen: dict[str, int] = {}
        self.urgency = _choice_table(spec.urgency_values, Urgency.choices)
        self.matter = _choice_table(spec.matter_values, MatterType.choices)
        self.codes = {clean_header(k): v for k, v in spec.category_codes.items()}
        self.code_lengths = sorted({len(k) for k in self.codes if k != "*"}, reverse=True)
        self.header = {name: layout.headers[i] for name, i in layout.index.items()}
        self.default_urgency = Urgency.NORMAL
        self.default_matter = MatterType.COMPLAINT

    def raw(self, values) -> dict:
        return {h: _raw_value(values[i]) if i < len(values) else None for i, h in enumerate(self.layout.headers)}

    def _cell(self, values, name):
        i = self.layout.index.get(name)
        if i is None or i >= len(values):
            return None
        return values[i]

    def check(self, line: int, values) -> tuple[ParsedRow | None, list[str]]:
        """(the row, []) or (None, reasons); a reason names the file's column and the value."""
        reasons: list[str] = []
        get = {name: text(self._cell(values, name)) for name in self.layout.index}

        def need(name):
            value = get.get(name, "")
            if not value:
                reasons.append(_("%(col)s不能为空") % {"col": self.header[name]})
            return value

        def fits(name, value):
            limit = FIELD_BY_NAME[name].max_length
            if limit and len(value) > limit:
                reasons.append(_("%(col)s超过 %(max)s 字（现有 %(n)s 字）")
                               % {"col": self.header[name], "max": limit, "n": len(value)})

        external_no = need("external_no")
        fits("external_no", external_no)
        if external_no:
            first = self.seen.get(external_no)
            if first is not None:
                reasons.append(_("工单编号“%(no)s”与第 %(line)s 行重复") % {"no": external_no, "line": first})
            else:
                self.seen[external_no] = line
        received_at = self._received_at(self._cell(values, "received_at"), reasons)
        content = need("content")
        fits("content", content)
        address = need("address")
        fits("address", address)
        title = get.get("title", "")
        fits("title", title)
        for name in ("complainant_name", "complainant_phone"):
            fits(name, get.get(name, ""))
        category = self._category(self._cell(values, "category"), reasons)
        urgency = self._choice("urgency", get.get("urgency", ""), self.urgency, self.default_urgency, reasons)
        matter = self._choice("matter_type", get.get("matter_type", ""), self.matter, self.default_matter, reasons)
        if reasons:
            return None, reasons
        return ParsedRow(
            line=line, external_no=external_no, received_at=received_at, matter_type=matter, category=category,
            urgency=urgency, title=title or content[:TITLE_FROM_CONTENT], content=content, address=address,
            complainant_name=get.get("complainant_name", ""), complainant_phone=get.get("complainant_phone", ""),
            raw=self.raw(values),
        ), []

    def _received_at(self, value, reasons) -> datetime.datetime | None:
        header = self.header["received_at"]
        moment = None
        if value is None or (isinstance(value, str) and not value.strip()):
            reasons.append(_("%(col)s不能为空") % {"col": header})
            return None
        if isinstance(value, datetime.datetime):
            moment = value
        elif isinstance(value, datetime.date):
            moment = datetime.datetime.combine(value, datetime.time())
        else:
            raw = text(value)
            for fmt in self.spec.date_formats:
                try:
                    moment = datetime.datetime.strptime(raw, fmt)
                    break
                except ValueError:
                    continue
            if moment is None:
                reasons.append(_("%(col)s“%(value)s”不是有效日期") % {"col": header, "value": raw})
                return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.spec.tz)
        if self.spec.latest is not None and moment > self.spec.latest:
            reasons.append(_("%(col)s“%(value)s”晚于当前时间") % {"col": header, "value": text(value)})
            return None
        return moment

    def _category(self, value, reasons) -> str:
        code = clean_header(value)
        if not code:
            return self.spec.default_category
        candidates = [code]
        if isinstance(value, (int, float)) and len(code) % 2:  # 030601 stored as the number 30601
            candidates.append("0" + code)
        for candidate in candidates:
            for n in self.code_lengths:
                target = self.codes.get(candidate[:n]) if len(candidate) >= n else None
                if target:
                    return self._known(target, code, reasons)
        if "*" in self.codes:
            return self._known(self.codes["*"], code, reasons)
        reasons.append(_("%(col)s“%(value)s”没有对应的投诉类别（请在列映射的类别代码对应中补充）")
                       % {"col": self.header["category"], "value": code})
        return self.spec.default_category

    def _known(self, target, code, reasons) -> str:
        if target not in self.spec.categories:
            reasons.append(_("类别编码“%(value)s”对应的类别“%(target)s”不存在或已停用")
                           % {"value": code, "target": target})
        return target

    def _choice(self, name, value, table, default, reasons):
        if not value:
            return default
        found = table.get(clean_header(value))
        if found is None:
            reasons.append(_("%(col)s“%(value)s”无法识别（可在列映射中补充对应关系）")
                           % {"col": self.header[name], "value": value})
            return default
        return found


def line_message(line: int, reason: str) -> str:
    return _("第 %(line)s 行：%(reason)s") % {"line": line, "reason": reason}
