"""The quarterly inspection plan: how many inspections an estate needs per quarter.

Rules are InspectionFrequency rows; the most specific one wins (selectors.FrequencyRules).
Only the district's administrators keep them.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from communities.models import Category, District, Street

from ..models import InspectionFrequency

MIN_PER_QUARTER, MAX_PER_QUARTER = 1, 31


def _check_district(actor: User, district: District) -> None:
    if not District.objects.editable_by(actor).filter(pk=district.pk).exists():
        raise ValidationError(_("只有本区管理员可以设置检查频次。"))


@transaction.atomic
def frequency_set(*, actor: User, district: District, street: Street | None = None, category: int | None = None,
                  per_quarter) -> InspectionFrequency:
    """Create or change the rule for (district, street?, category?); per_quarter is 1..31."""
    _check_district(actor, district)
    errors: dict[str, list[str]] = {}
    if street is not None and street.district_id != district.pk:
        errors["street"] = [_("该街道不属于%(d)s。") % {"d": district.name}]
    if category is not None and category not in Category.values:
        errors["category"] = [_("小区类别无效。")]
    try:
        count = int(str(per_quarter).strip())
    except (TypeError, ValueError):
        count = None
    if count is None or not (MIN_PER_QUARTER <= count <= MAX_PER_QUARTER):
        errors["per_quarter"] = [_("每季度检查次数须为 %(a)d 到 %(b)d 之间的整数。")
                                 % {"a": MIN_PER_QUARTER, "b": MAX_PER_QUARTER}]
    if errors:
        raise ValidationError(errors)
    District.objects.select_for_update().get(pk=district.pk)  # serialise writers of one district's rules
    rule, _created = InspectionFrequency.objects.update_or_create(
        district=district, street=street, category=category, defaults={"per_quarter": count},
    )
    return rule


@transaction.atomic
def frequency_delete(*, actor: User, rule: InspectionFrequency) -> None:
    """Remove a rule: the next less specific one (or the default of 1) applies again."""
    _check_district(actor, rule.district)
    InspectionFrequency.objects.filter(pk=rule.pk).delete()
