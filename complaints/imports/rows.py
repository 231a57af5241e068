"""The fields a mapping fills, the mapping as plain values (`MappingSpec`), finding the header row and
the mapped columns (`find_layout`), and checking each row (`RowChecker`)."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in hotline exports


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
        from ..models import MatterType, Urgency

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
