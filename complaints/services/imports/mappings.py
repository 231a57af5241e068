"""Column mappings as data: the district's default mapping for the typical export, their validation,
create and update, and `mapping_spec` (what a check needs from a mapping, as plain values)."""
from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.capabilities import allows
from communities.models import District
from workdays.selectors import local_zone

from ... import imports as reader
from ...models import Category, ImportMapping, MatterType, Source, Urgency

DEFAULT_MAPPING_NAME = "12345 热线标准导出"
DEFAULT_COLUMNS = {
    "external_no": "工单编号", "received_at": "受理时间", "matter_type": "诉求类型", "category": "诉求分类编码",
    "urgency": "紧急程度", "title": "标题", "content": "诉求内容", "address": "诉求地址",
    "complainant_name": "来电人", "complainant_phone": "联系电话",
}
DEFAULT_DATE_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S"]
# 0306 物业管理 and its sub-codes; longest prefix wins, so 030699 and any new 0306xx fall to "other".
DEFAULT_CATEGORY_CODES = {
    "0306": "other", "030601": "sanitation", "030602": "order_parking", "030603": "facilities", "030604": "fees",
    "030605": "decoration", "030606": "group_rental", "030607": "attitude", "030699": "other",
}
DEFAULT_URGENCY_VALUES = {"一般": Urgency.NORMAL, "普通": Urgency.NORMAL, "紧急": Urgency.URGENT,
                          "加急": Urgency.URGENT, "特急": Urgency.CRITICAL, "特别紧急": Urgency.CRITICAL}
DEFAULT_MATTER_VALUES = {"投诉": MatterType.COMPLAINT, "举报": MatterType.REPORT, "求助": MatterType.HELP,
                         "咨询": MatterType.CONSULT, "建议": MatterType.SUGGESTION, "意见建议": MatterType.SUGGESTION,
                         "表扬": MatterType.PRAISE}


def may_edit_mappings(user, district: District) -> bool:
    return allows(user, "records.edit", level="district", unit_id=district.pk)


def mapping_ensure_default(*, district: District) -> ImportMapping:
    """The district's ready mapping for the typical export ("12345 热线标准导出"), created when missing."""
    mapping = ImportMapping.objects.filter(district=district, name=DEFAULT_MAPPING_NAME).first()
    if mapping is not None:
        return mapping
    with transaction.atomic():
        mapping, _created = ImportMapping.objects.get_or_create(
            district=district, name=DEFAULT_MAPPING_NAME,
            defaults={"source": Source.HOTLINE, "columns": dict(DEFAULT_COLUMNS),
                      "date_formats": list(DEFAULT_DATE_FORMATS), "category_codes": dict(DEFAULT_CATEGORY_CODES),
                      "urgency_values": {k: str(v) for k, v in DEFAULT_URGENCY_VALUES.items()},
                      "matter_values": {k: str(v) for k, v in DEFAULT_MATTER_VALUES.items()}})
    return mapping


def _validate_mapping(data: dict, *, district: District, instance: ImportMapping | None) -> dict:
    """The cleaned values of a mapping, or a ValidationError keyed by field (Chinese messages)."""
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors.setdefault("name", []).append(_("请填写映射名称。"))
    elif len(name) > 60:
        errors.setdefault("name", []).append(_("名称最多 60 字。"))
    elif ImportMapping.objects.filter(district=district, name=name).exclude(
            pk=getattr(instance, "pk", None)).exists():
        errors.setdefault("name", []).append(_("本区已有名为“%(n)s”的列映射。") % {"n": name})
    source = data.get("source") or Source.HOTLINE
    if source not in Source.values:
        errors.setdefault("source", []).append(_("来源无效。"))
    columns = {k: (v or "").strip() for k, v in (data.get("columns") or {}).items()
               if k in reader.FIELD_BY_NAME and (v or "").strip()}
    for f in reader.FIELDS:
        if f.required and not columns.get(f.name):
            errors.setdefault(f"col_{f.name}", []).append(_("“%(f)s”是必填字段，请填写它在文件中的列名。") % {"f": f.label})
    seen: dict[str, str] = {}
    for name_, header in columns.items():
        key = reader.clean_header(header)
        if key in seen:
            errors.setdefault(f"col_{name_}", []).append(
                _("列“%(h)s”已对应“%(f)s”，一列只能对应一个字段。") % {"h": header, "f": reader.FIELD_BY_NAME[seen[key]].label})
        else:
            seen[key] = name_
    formats = [f.strip() for f in (data.get("date_formats") or []) if f.strip()]
    if not formats:
        errors.setdefault("date_formats", []).append(_("请至少填写一种日期格式。"))
    sample = datetime.datetime(2026, 12, 31, 23, 59, 58)
    for fmt in formats:
        ok = all(d in fmt for d in ("%Y", "%m", "%d"))
        if ok:
            try:
                ok = datetime.datetime.strptime(sample.strftime(fmt), fmt).date() == sample.date()
            except ValueError:
                ok = False
        if not ok:
            errors.setdefault("date_formats", []).append(
                _("日期格式“%(f)s”无效：须包含 %%Y、%%m、%%d，例如 %%Y-%%m-%%d %%H:%%M:%%S。") % {"f": fmt})
    known = set(Category.objects.filter(active=True).values_list("code", flat=True))
    codes = {}
    for code, target in (data.get("category_codes") or {}).items():
        code = reader.clean_header(code)
        if target not in known:
            errors.setdefault("category_codes", []).append(
                _("编码“%(c)s”对应的类别“%(t)s”不存在或已停用。") % {"c": code, "t": target})
        codes[code] = target
    urgency = {}
    for text, value in (data.get("urgency_values") or {}).items():
        if value not in Urgency.values:
            errors.setdefault("urgency_values", []).append(_("“%(t)s”对应的紧急程度无效。") % {"t": text})
        urgency[reader.clean_header(text)] = value
    matter = {}
    for text, value in (data.get("matter_values") or {}).items():
        if value not in MatterType.values:
            errors.setdefault("matter_values", []).append(_("“%(t)s”对应的诉求类型无效。") % {"t": text})
        matter[reader.clean_header(text)] = value
    if errors:
        raise ValidationError(errors)
    return {"name": name, "source": source, "columns": columns, "date_formats": formats, "category_codes": codes,
            "urgency_values": urgency, "matter_values": matter, "active": bool(data.get("active", True))}


@transaction.atomic
def mapping_create(*, actor, district: District, data: dict) -> ImportMapping:
    if not may_edit_mappings(actor, district):
        raise ValidationError(_("只有区管理员可以维护列映射。"))
    return ImportMapping.objects.create(district=district, **_validate_mapping(data, district=district, instance=None))


@transaction.atomic
def mapping_update(*, actor, mapping: ImportMapping, data: dict) -> ImportMapping:
    mapping = ImportMapping.objects.select_for_update().select_related("district").get(pk=mapping.pk)
    if not may_edit_mappings(actor, mapping.district):
        raise ValidationError(_("只有区管理员可以维护列映射。"))
    for key, value in _validate_mapping(data, district=mapping.district, instance=mapping).items():
        setattr(mapping, key, value)
    mapping.save()
    return mapping


def mapping_spec(mapping: ImportMapping, *, now: datetime.datetime) -> reader.MappingSpec:
    return reader.MappingSpec(
        columns=dict(mapping.columns or {}), date_formats=tuple(mapping.date_formats or ()),
        category_codes=dict(mapping.category_codes or {}), urgency_values=dict(mapping.urgency_values or {}),
        matter_values=dict(mapping.matter_values or {}),
        categories=frozenset(Category.objects.filter(active=True).values_list("code", flat=True)),
        tz=local_zone(), latest=now + datetime.timedelta(minutes=5))  # complaint_receive's tolerance
