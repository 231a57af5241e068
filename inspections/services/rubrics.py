"""Rubric versions: drafts are edited; active and used versions never are."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils.translation import gettext as _

from accounts.models import User
from communities.models import District

from ..default_rubric import DEFAULT_RUBRIC
from ..models import Rubric, RubricCategory, RubricItem, RubricStatus

TOTAL_POINTS = Decimal("100")
HALF = Decimal("0.5")


@dataclass
class ItemData:
    category: str
    title: str
    max_points: Decimal
    deduction_rule: str = ""


def _check_district(actor: User, district: District) -> None:
    if not District.objects.editable_by(actor).filter(pk=district.pk).exists():
        raise ValidationError(_("只有本区管理员可以维护评分细则。"))


def _next_version(district: District, year: int) -> int:
    current = Rubric.objects.filter(district=district, year=year).aggregate(m=Max("version"))["m"]
    return (current or 0) + 1


def _write_items(rubric: Rubric, items: list[ItemData]) -> None:
    categories: dict[str, RubricCategory] = {}
    per_category: dict[str, int] = {}
    rows = []
    for i, data in enumerate(items, start=1):
        if data.category not in categories:
            categories[data.category] = RubricCategory.objects.create(
                rubric=rubric, name=data.category, order=len(categories) + 1
            )
        per_category[data.category] = per_category.get(data.category, 0) + 1
        category = categories[data.category]
        rows.append(RubricItem(
            rubric=rubric, category=category, code=f"{category.order}.{per_category[data.category]}",
            title=data.title, max_points=data.max_points, deduction_rule=data.deduction_rule, order=i,
        ))
    RubricItem.objects.bulk_create(rows)


def validate_items(items: list[ItemData]) -> list[str]:
    """Every problem with a list of items, in Chinese; empty when fine (the total is checked at activation)."""
    errors = []
    if not items:
        errors.append(_("评分细则至少需要一个检查项目。"))
    for n, data in enumerate(items, start=1):
        if not data.category.strip():
            errors.append(_("第 %(n)d 项：类别不能为空。") % {"n": n})
        if not data.title.strip():
            errors.append(_("第 %(n)d 项：检查项目不能为空。") % {"n": n})
        if data.max_points is None or data.max_points <= 0:
            errors.append(_("第 %(n)d 项：分值必须大于 0。") % {"n": n})
        elif data.max_points % HALF:
            errors.append(_("第 %(n)d 项：分值须为 0.5 的整数倍。") % {"n": n})
    return errors


@transaction.atomic
def rubric_create(*, actor: User, district: District, year: int, name: str = "",
                  items: list[ItemData] | None = None) -> Rubric:
    """A new draft version for (district, year); the default items when none are given."""
    _check_district(actor, district)
    items = items if items is not None else default_items()
    errors = validate_items(items)
    if errors:
        raise ValidationError(errors)
    District.objects.select_for_update().get(pk=district.pk)  # serialise version numbers
    rubric = Rubric.objects.create(
        district=district, year=year, version=_next_version(district, year),
        name=name or _("%(year)d 年度物业服务评分细则") % {"year": year}, created_by=actor,
    )
    _write_items(rubric, items)
    return rubric


def default_items() -> list[ItemData]:
    return [ItemData(cat, title, pts, rule) for cat, rows in DEFAULT_RUBRIC for title, pts, rule in rows]


def rubric_items(rubric: Rubric) -> list[ItemData]:
    return [
        ItemData(i.category.name, i.title, i.max_points, i.deduction_rule)
        for i in rubric.items.select_related("category").order_by("category__order", "order")
    ]


@transaction.atomic
def rubric_new_draft(*, actor: User, rubric: Rubric) -> Rubric:
    """"Edit" of an active or used version: a new draft copying its items."""
    _check_district(actor, rubric.district)
    District.objects.select_for_update().get(pk=rubric.district_id)
    draft = Rubric.objects.create(
        district=rubric.district, year=rubric.year, version=_next_version(rubric.district, rubric.year),
        name=rubric.name, based_on=rubric, created_by=actor,
    )
    _write_items(draft, rubric_items(rubric))
    return draft


@transaction.atomic
def rubric_replace_items(*, actor: User, rubric: Rubric, items: list[ItemData], name: str | None = None) -> Rubric:
    """Replace a draft's items. A version that is active, retired or has scored anything is refused."""
    _check_district(actor, rubric.district)
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if rubric.status != RubricStatus.DRAFT or rubric.inspections.exists():
        raise ValidationError(_("该版本已启用或已用于评分，不能直接修改；请基于它创建新版本。"))
    errors = validate_items(items)
    if errors:
        raise ValidationError(errors)
    rubric.items.all().delete()
    rubric.categories.all().delete()
    _write_items(rubric, items)
    if name:
        rubric.name = name
        rubric.save(update_fields=["name"])
    return rubric


@transaction.atomic
def rubric_activate(*, actor: User, rubric: Rubric, now: datetime.datetime) -> Rubric:
    """Activate a draft whose maxima sum to exactly 100 (activated at `now`); the year's previous version retires."""
    _check_district(actor, rubric.district)
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if rubric.status != RubricStatus.DRAFT:
        raise ValidationError(_("只有草稿版本可以启用。"))
    total = rubric.items.aggregate(s=Sum("max_points"))["s"] or Decimal("0")
    if total != TOTAL_POINTS:
        raise ValidationError(
            _("各项分值合计为 %(total)s 分，必须正好为 100 分才能启用。") % {"total": total.normalize()}
        )
    Rubric.objects.filter(district=rubric.district, year=rubric.year, status=RubricStatus.ACTIVE).update(
        status=RubricStatus.RETIRED
    )
    rubric.status = RubricStatus.ACTIVE
    rubric.activated_at = now
    rubric.save(update_fields=["status", "activated_at"])
    return rubric


def ensure_default_rubric(*, district: District, year: int, now: datetime.datetime) -> Rubric:
    """The active rubric for (district, year), creating the default one, activated at `now`, if none exists
    (demo/setup)."""
    active = Rubric.objects.filter(district=district, year=year, status=RubricStatus.ACTIVE).first()
    if active:
        return active
    with transaction.atomic():
        District.objects.select_for_update().get(pk=district.pk)
        rubric = Rubric.objects.create(
            district=district, year=year, version=_next_version(district, year),
            name=_("%(year)d 年度物业服务评分细则") % {"year": year},
        )
        _write_items(rubric, default_items())
        rubric.status = RubricStatus.ACTIVE
        rubric.activated_at = now
        rubric.save(update_fields=["status", "activated_at"])
    return rubric


# --- Excel ------------------------------------------------------------------------------------

RUBRIC_HEADERS = ["类别", "检查项目", "分值", "扣分标准"]


def parse_rubric_sheet(file) -> list[ItemData]:
    """Read the rubric Excel (headers 类别/检查项目/分值/扣分标准); raise ValidationError listing bad rows."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception:
        raise ValidationError(_("文件不是有效的 Excel（.xlsx）文件。"))
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, [])]
    if header[: len(RUBRIC_HEADERS)] != RUBRIC_HEADERS:
        raise ValidationError(_("表头应为：%(h)s") % {"h": "、".join(RUBRIC_HEADERS)})
    items, errors = [], []
    for line, row in enumerate(rows, start=2):
        if row is None or all(c in (None, "") for c in row):
            continue
        cat, title, pts, rule = (list(row) + [None] * 4)[:4]
        try:
            points = Decimal(str(pts).strip())
        except (InvalidOperation, TypeError):
            errors.append(_("第 %(n)d 行：分值“%(v)s”不是数字。") % {"n": line, "v": pts})
            continue
        items.append(ItemData(str(cat or "").strip(), str(title or "").strip(), points, str(rule or "").strip()))
    if errors:
        raise ValidationError(errors)
    return items
