"""Every write to an estate: create, update and the Excel import.

Keyword-only, typed, one transaction each; scope is checked again inside the
transaction. The serving firm and its start date are not written here: the
service contracts maintain them.
"""
from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import xlsxwriter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import (
    MIN_COMPLETION_YEAR,
    Category,
    Community,
    Estate,
    EstateArea,
    EstateType,
    ManagementMode,
)
from communities.selectors import area_in_force

# The fields a street office keeps; `firm` and `firm_since` belong to the contracts.
EDITABLE_FIELDS = (
    "community", "name", "address", "completion_year", "total_area", "building_count", "household_count",
    "has_lift", "estate_type", "management_mode", "category", "in_renovation_programme",
    "renovation_accepted", "service_content", "contact_name", "contact_phone", "notes",
)
MAX_AREA = Decimal("10000000000")  # max_digits=12, decimal_places=2
MAX_COUNT = 2_147_483_647
PHONE_RE = re.compile(r"^[0-9+\-\s()转]{5,20}$")


# --- Validation (shared by the form, the services and the import) -------------

def validate_estate_data(data: dict[str, Any], *, estate: Estate | None = None,
                         check_duplicate: bool = True) -> None:
    """Raise ValidationError({field: [message]}) for every business rule `data` breaks.

    Keys missing from `data` (a field that already failed basic validation) are skipped.
    """
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    name = (data.get("name") or "").strip()
    if "name" in data and not name:
        add("name", _("请填写小区名称"))

    area = data.get("total_area")
    if area is not None and area <= 0:
        add("total_area", _("总建筑面积必须大于 0"))
    elif area is not None and area >= MAX_AREA:
        add("total_area", _("总建筑面积过大，请检查单位是否为平方米"))

    year = data.get("completion_year")
    if year is not None:
        this_year = timezone.localdate().year
        if year > this_year:
            add("completion_year", _("建成年份不能晚于今年（%(year)s 年）") % {"year": this_year})
        elif year < MIN_COMPLETION_YEAR:
            add("completion_year", _("建成年份不能早于 %(year)s 年") % {"year": MIN_COMPLETION_YEAR})

    for count in ("building_count", "household_count"):
        if data.get(count) is not None and data[count] < 0:
            add(count, _("不能为负数"))
        elif data.get(count) is not None and data[count] > MAX_COUNT:
            add(count, _("数值过大"))

    if data.get("renovation_accepted") and not data.get("in_renovation_programme"):
        add("renovation_accepted", _("只有纳入老旧小区改造的小区才能标记为改造达标"))

    phone = (data.get("contact_phone") or "").strip()
    if phone and not PHONE_RE.match(phone):
        add("contact_phone", _("联系电话格式不正确（只能包含数字、空格、+、- 和括号）"))

    community = data.get("community")
    if check_duplicate and community is not None and name:
        same = Estate.objects.filter(community=community, name=name)
        if estate is not None and estate.pk:
            same = same.exclude(pk=estate.pk)
        if same.exists():
            add("name", _("“%(community)s”已有名为“%(name)s”的小区") % {"community": community, "name": name})

    if errors:
        raise ValidationError(errors)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    values = {k: data[k] for k in EDITABLE_FIELDS if k in data}
    for key in ("name", "address", "service_content", "contact_name", "contact_phone"):
        if isinstance(values.get(key), str):
            values[key] = values[key].strip()
    return values


def _editable_community(actor, community: Community | None) -> Community:
    if community is None:
        raise ValidationError({"community": [_("请选择社区")]})
    if not Community.objects.editable_by(actor).filter(pk=community.pk).exists():
        raise ValidationError({"community": [_("该社区不在您的管辖范围内")]})
    return community


# --- Create and update ------------------------------------------------------------

def estate_create(*, actor, data: dict[str, Any], reason: str | None = None) -> Estate:
    """Create an estate in a community the actor may edit."""
    values = _clean(data)
    with transaction.atomic():
        _editable_community(actor, values.get("community"))
        validate_estate_data(values)
        estate = Estate(**values)
        estate._history_user = actor
        estate._change_reason = reason or _("新增小区")
        estate.save()
    return estate


def _record_area(estate: Estate, new_area: Decimal, effective_from, actor, today: datetime.date) -> Decimal:
    """Record an area change as a version (the first change also records the area before it); returns
    the area in force today, which becomes `Estate.total_area`."""
    if not isinstance(effective_from, datetime.date):
        raise ValidationError({"area_effective_from": [_("修改总建筑面积时请填写面积生效日期")]})
    if effective_from > today:
        raise ValidationError({"area_effective_from": [_("面积生效日期不能晚于今天")]})
    rows = EstateArea.objects.select_for_update().filter(estate=estate)
    if not rows.exists():
        first = datetime.date(min(estate.completion_year, effective_from.year), 1, 1)
        if first < effective_from:
            EstateArea.objects.create(estate=estate, area=estate.total_area, effective_from=first, recorded_by=actor)
    EstateArea.objects.update_or_create(estate=estate, effective_from=effective_from,
                                        defaults={"area": new_area, "recorded_by": actor})
    versions = list(EstateArea.objects.filter(estate=estate).order_by("effective_from")
                    .values_list("effective_from", "area"))
    return area_in_force(versions, today, new_area)


def estate_update(*, actor, estate: Estate, data: dict[str, Any], reason: str | None = None,
                  today: datetime.date | None = None) -> Estate:
    """Change an estate the actor may edit (moving it only into a community they may edit).

    A change of the total area needs `data["area_effective_from"]`: the area is versioned
    (EstateArea), so a payout of an earlier service month keeps the area then in force.
    """
    today = today or timezone.localdate()
    values = _clean(data)
    with transaction.atomic():
        try:
            locked = (Estate.objects.editable_by(actor).select_for_update(of=("self",))
                      .get(pk=estate.pk))
        except Estate.DoesNotExist:
            raise ValidationError(_("该小区不存在或不在您的管辖范围内")) from None
        if "community" in values and values["community"].pk != locked.community_id:
            _editable_community(actor, values["community"])
        merged = {name: getattr(locked, name) for name in EDITABLE_FIELDS}
        merged.update(values)
        validate_estate_data(merged, estate=locked)
        if "total_area" in values and values["total_area"] != locked.total_area:
            values["total_area"] = _record_area(locked, values["total_area"], data.get("area_effective_from"),
                                                actor, today)
        for name, value in values.items():
            setattr(locked, name, value)
        locked._history_user = actor
        locked._change_reason = reason or _("修改小区信息")
        locked.save()
    return locked


# --- Excel import -----------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool = False
    example: Any = ""


def _columns(street: str = "", community: str = "") -> list[Column]:
    return [
        Column(_("街道"), "street", example=street),
        Column(_("社区"), "community", required=True, example=community),
        Column(_("小区名称"), "name", required=True, example="幸福家园"),
        Column(_("地址"), "address", example="幸福路 18 号"),
        Column(_("建成年份"), "completion_year", required=True, example=2003),
        Column(_("总建筑面积（㎡）"), "total_area", required=True, example=36000.5),
        Column(_("楼栋数"), "building_count", example=12),
        Column(_("户数"), "household_count", example=480),
        Column(_("有电梯"), "has_lift", example=_("否")),
        Column(_("小区类型"), "estate_type", example=str(EstateType.OLD.label)),
        Column(_("物业管理性质"), "management_mode", example=str(ManagementMode.MARKET.label)),
        Column(_("类别"), "category", example=_("一类")),
        Column(_("纳入老旧小区改造"), "in_renovation_programme", example=_("是")),
        Column(_("改造达标"), "renovation_accepted", example=_("否")),
        Column(_("服务内容"), "service_content", example=_("保洁、秩序维护、绿化")),
        Column(_("物业负责人"), "contact_name", example=_("（负责人姓名）")),
        Column(_("联系电话"), "contact_phone", example="0632-1234567"),
        Column(_("备注"), "notes", example=""),
    ]


SHORT_CATEGORY = {1: "一类", 2: "二类", 3: "三类"}


def _category_names() -> dict[str, int]:
    names = {}
    for value, label in Category.choices:
        names[str(label)] = value
        names[_(SHORT_CATEGORY[value])] = value
        names[str(value)] = value
    return names


def estate_import_template(*, actor) -> bytes:
    """The import template: Chinese headers, one example row, a sheet of allowed values.

    The example row names a street and community of the actor's own scope (the first it may
    edit), never another office's places."""
    example = (Community.objects.editable_by(actor).select_related("street").order_by("street__name", "name")
               .first())
    columns = _columns(example.street.name if example else "", example.name if example else "")
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(_("小区"))
    head = wb.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1})
    req = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    for c, col in enumerate(columns):
        ws.write(0, c, col.header, req if col.required else head)
        ws.set_column(c, c, max(10, len(col.header) * 2 + 4))
        if isinstance(col.example, (int, float)):
            ws.write_number(1, c, col.example)
        else:
            ws.write_string(1, c, str(col.example))
    ws.freeze_panes(1, 0)

    lists = {
        "estate_type": [str(label) for _v, label in EstateType.choices],
        "management_mode": [str(label) for _v, label in ManagementMode.choices],
        "category": [_(SHORT_CATEGORY[v]) for v, _label in Category.choices],
        "yes_no": [_("是"), _("否")],
    }
    ref = wb.add_worksheet(_("可选值"))
    ref_headers = [(_("小区类型"), "estate_type"), (_("物业管理性质"), "management_mode"),
                   (_("类别"), "category"), (_("是/否"), "yes_no")]
    ref_cols = {}
    for c, (header, key) in enumerate(ref_headers):
        ref.write(0, c, header, head)
        ref.set_column(c, c, 24)
        for r, value in enumerate(lists[key], start=1):
            ref.write_string(r, c, value)
        ref_cols[key] = (c, len(lists[key]))
    ref.write(0, len(ref_headers) + 1, _("说明"), head)
    notes = [
        _("红色表头为必填列；第 2 行是示例，导入前请删除或改写。"),
        _("社区须在您的管辖范围内；不同街道有同名社区时请填写街道。"),
        _("类别填“一类”“二类”或“三类”；是/否列留空视为“否”。"),
        _("任何一行有错误时整个文件都不会导入。"),
    ]
    for r, text in enumerate(notes, start=1):
        ref.write_string(r, len(ref_headers) + 1, text)
    ref.set_column(len(ref_headers) + 1, len(ref_headers) + 1, 60)

    # Drop-down lists on the data sheet, pointing at the allowed values.
    sheet_name = _("可选值")
    for c, col in enumerate(columns):
        key = "yes_no" if col.field in ("has_lift", "in_renovation_programme", "renovation_accepted") \
            else col.field
        if key in ref_cols:
            rc, n = ref_cols[key]
            letter = xlsxwriter.utility.xl_col_to_name(rc)
            ws.data_validation(1, c, 5000, c, {
                "validate": "list", "source": f"='{sheet_name}'!${letter}$2:${letter}${n + 1}",
                "error_message": _("请从下拉列表中选择"),
            })
    wb.close()
    return buf.getvalue()


@dataclass
class RowError:
    line: int
    name: str
    reasons: list[str]


@dataclass
class ImportResult:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _as_int(value, label, reasons, *, required=False, default=0):
    text = _text(value)
    if not text:
        if required:
            reasons.append(_("%(label)s不能为空") % {"label": label})
        return None if required else default
    try:
        number = Decimal(text)
        if number != number.to_integral_value():
            raise InvalidOperation
        return int(number)
    except InvalidOperation:
        reasons.append(_("%(label)s“%(value)s”不是整数") % {"label": label, "value": text})
        return None


def _as_decimal(value, label, reasons):
    text = _text(value).replace(",", "")
    if not text:
        reasons.append(_("%(label)s不能为空") % {"label": label})
        return None
    try:
        number = Decimal(text)
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        reasons.append(_("%(label)s“%(value)s”不是数字") % {"label": label, "value": text})
        return None
    return number.quantize(Decimal("0.01"))


def _as_bool(value, label, reasons):
    text = _text(value)
    if text in ("", _("否"), "0", "N", "n", "FALSE", "False", "false"):
        return False
    if text in (_("是"), "1", "Y", "y", "TRUE", "True", "true"):
        return True
    reasons.append(_("%(label)s只能填“是”或“否”，不能是“%(value)s”") % {"label": label, "value": text})
    return False


def _as_choice(value, label, names: dict[str, Any], default, reasons):
    text = _text(value)
    if not text:
        return default
    if text in names:
        return names[text]
    reasons.append(_("%(label)s“%(value)s”无效，可选值见模板的“可选值”表") % {"label": label, "value": text})
    return default


def _open_sheet(file):
    """The first sheet's rows, or a ValidationError the clerk can act on."""
    filename = getattr(file, "name", "") or ""
    if not filename.lower().endswith(".xlsx"):
        raise ValidationError(_("只能导入 Excel .xlsx 文件（请用模板填写后上传）"))
    size = getattr(file, "size", None)
    if size is not None and size > settings.IMPORT_MAX_BYTES:
        raise ValidationError(_("文件过大（%(size).1f MB），最大允许 %(max).1f MB")
                              % {"size": size / 1024 / 1024, "max": settings.IMPORT_MAX_BYTES / 1024 / 1024})
    from openpyxl import load_workbook

    try:
        file.seek(0)
        wb = load_workbook(file, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        return wb, list(ws.iter_rows(values_only=True, max_row=settings.IMPORT_MAX_ROWS + 2))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, TypeError) as exc:
        raise ValidationError(_("无法读取该文件，它不是有效的 Excel .xlsx 文件")) from exc
    except Exception as exc:  # openpyxl raises many kinds of errors for corrupt files
        raise ValidationError(_("无法读取该文件，它不是有效的 Excel .xlsx 文件")) from exc


def _header_map(header_row) -> dict[str, int]:
    columns = _columns()
    by_header = {col.header: col for col in columns}
    found: dict[str, int] = {}
    unknown, repeated = [], []
    for i, raw in enumerate(header_row or ()):
        header = _text(raw)
        if not header:
            continue
        col = by_header.get(header)
        if col is None:
            unknown.append(header)
        elif col.field in found:
            repeated.append(header)
        else:
            found[col.field] = i
    missing = [col.header for col in columns if col.required and col.field not in found]
    problems = []
    if missing:
        problems.append(_("缺少必填列：%(cols)s") % {"cols": "、".join(missing)})
    if unknown:
        problems.append(_("无法识别的列：%(cols)s") % {"cols": "、".join(unknown)})
    if repeated:
        problems.append(_("重复的列：%(cols)s") % {"cols": "、".join(repeated)})
    if problems:
        problems.append(_("请使用导入模板的表头：%(cols)s") % {"cols": "、".join(c.header for c in columns)})
        raise ValidationError(problems)
    return found


def estate_import(*, actor, file) -> ImportResult:
    """Check every row, then create all of them in one transaction, or none.

    File-level problems (not .xlsx, too large, bad headers, no rows) raise
    ValidationError; row problems come back in ImportResult.errors with the
    Excel line number (the header is line 1).
    """
    wb, rows = _open_sheet(file)
    try:
        if not rows:
            raise ValidationError(_("文件是空的"))
        cols = _header_map(rows[0])
        data_rows = [(line, row) for line, row in enumerate(rows[1:], start=2)
                     if any(_text(v) for v in row)]
        if not data_rows:
            raise ValidationError(_("文件里没有数据行"))
        if len(rows) - 1 > settings.IMPORT_MAX_ROWS:
            raise ValidationError(_("一次最多导入 %(n)s 行，请分批导入") % {"n": settings.IMPORT_MAX_ROWS})
    finally:
        wb.close()

    labels = {col.field: col.header for col in _columns()}
    communities = list(Community.objects.editable_by(actor).select_related("street"))
    by_name: dict[str, list[Community]] = {}
    for community in communities:
        by_name.setdefault(community.name, []).append(community)
    modes = {str(label): value for value, label in ManagementMode.choices}
    types = {str(label): value for value, label in EstateType.choices}
    categories = _category_names()

    result = ImportResult()
    parsed: list[tuple[int, dict]] = []
    for line, row in data_rows:
        def cell(name):
            index = cols.get(name)
            return row[index] if index is not None and index < len(row) else None

        reasons: list[str] = []
        name = _text(cell("name"))
        data: dict[str, Any] = {"name": name}
        if not name:
            reasons.append(_("小区名称不能为空"))

        community_name, street_name = _text(cell("community")), _text(cell("street"))
        candidates = [c for c in by_name.get(community_name, [])
                      if not street_name or c.street.name == street_name]
        if not community_name:
            reasons.append(_("社区不能为空"))
        elif not candidates:
            where = f"{street_name} {community_name}".strip()
            reasons.append(_("社区“%(name)s”不存在或不在您的管辖范围内") % {"name": where})
        elif len(candidates) > 1:
            reasons.append(_("有多个名为“%(name)s”的社区，请填写街道") % {"name": community_name})
        else:
            data["community"] = candidates[0]

        data["address"] = _text(cell("address"))
        data["completion_year"] = _as_int(cell("completion_year"), labels["completion_year"], reasons,
                                          required=True)
        data["total_area"] = _as_decimal(cell("total_area"), labels["total_area"], reasons)
        for key in ("building_count", "household_count"):
            data[key] = _as_int(cell(key), labels[key], reasons)
        for key in ("has_lift", "in_renovation_programme", "renovation_accepted"):
            data[key] = _as_bool(cell(key), labels[key], reasons)
        data["estate_type"] = _as_choice(cell("estate_type"), labels["estate_type"], types,
                                         EstateType.COMMERCIAL, reasons)
        data["management_mode"] = _as_choice(cell("management_mode"), labels["management_mode"], modes,
                                             ManagementMode.NONE, reasons)
        data["category"] = _as_choice(cell("category"), labels["category"], categories, Category.ONE, reasons)
        for key in ("service_content", "contact_name", "contact_phone", "notes"):
            data[key] = _text(cell(key))
        for key, limit in (("name", 100), ("address", 200), ("service_content", 200),
                           ("contact_name", 50), ("contact_phone", 20)):
            if len(data[key]) > limit:
                reasons.append(_("%(label)s不能超过 %(n)s 个字") % {"label": labels[key], "n": limit})

        try:
            validate_estate_data({k: v for k, v in data.items() if v is not None}, check_duplicate=False)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                label = labels.get(field_name, "")
                reasons.extend(m if not label or label.split("（")[0] in m else f"{label}：{m}" for m in messages)
        if reasons:
            result.errors.append(RowError(line=line, name=name, reasons=reasons))
        else:
            parsed.append((line, data))

    # Duplicates inside the file and against the database, in one query.
    seen: dict[tuple[int, str], int] = {}
    existing = set(Estate.objects.filter(community__in=[d["community"] for _l, d in parsed])
                   .values_list("community_id", "name"))
    for line, data in parsed:
        key = (data["community"].pk, data["name"])
        reasons = []
        if key in seen:
            reasons.append(_("与第 %(line)s 行重复（同一社区同名小区）") % {"line": seen[key]})
        else:
            seen[key] = line
        if key in existing:
            reasons.append(_("“%(community)s”已有名为“%(name)s”的小区")
                           % {"community": data["community"], "name": data["name"]})
        if reasons:
            result.errors.append(RowError(line=line, name=data["name"], reasons=reasons))
    if result.errors:
        result.errors.sort(key=lambda e: e.line)
        return result

    reason = _("Excel 导入")
    with transaction.atomic():
        for line, data in parsed:
            try:
                estate_create(actor=actor, data=data, reason=reason)
            except ValidationError as exc:  # changed since the check (another clerk): nothing is kept
                transaction.set_rollback(True)
                messages = [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "error_dict") \
                    else exc.messages
                return ImportResult(created=0, errors=[RowError(line=line, name=data["name"], reasons=messages)])
        result.created = len(parsed)
    return result
