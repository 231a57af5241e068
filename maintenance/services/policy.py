"""A district's maintenance-fund policy: the version in force, and a new version (district admins)."""
from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.versions import version_in_force
from communities.models import District

from ..models import MaintenancePolicy

POLICY_FIELDS = ["lift_cap", "no_lift_cap", "match_ratio", "yearly_budget", "note"]
TWO_PLACES = Decimal("0.01")


def policy_for(district_id: int, on: datetime.date) -> MaintenancePolicy | None:
    return version_in_force(MaintenancePolicy, district_id, on)


def _number(data: dict, name: str, errors: dict, *, positive: bool) -> Decimal | None:
    try:
        value = Decimal(str(data[name]))
    except (InvalidOperation, KeyError, TypeError):
        errors[name] = [_("请填写数字。")]
        return None
    if not value.is_finite() or value != value.quantize(TWO_PLACES):
        errors[name] = [_("最多两位小数。")]
    elif positive and value <= 0:
        errors[name] = [_("必须大于 0。")]
    elif value < 0:
        errors[name] = [_("不能为负数。")]
    return value


def validate_policy(data: dict) -> None:
    errors: dict = {}
    _number(data, "lift_cap", errors, positive=True)
    _number(data, "no_lift_cap", errors, positive=True)
    _number(data, "match_ratio", errors, positive=False)
    _number(data, "yearly_budget", errors, positive=False)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def policy_create(*, actor: User, district: District, effective_from: datetime.date,
                  data: dict) -> MaintenancePolicy:
    """A new version from `effective_from`: applications already submitted keep the numbers they were
    computed with."""
    if not District.objects.editable_by(actor).filter(pk=district.pk).exists():
        raise ValidationError(_("只有本区管理员可以修改维修资金政策。"))
    validate_policy(data)
    if MaintenancePolicy.objects.filter(district=district, effective_from=effective_from).exists():
        raise ValidationError({"effective_from": _("该日期已有一个政策版本。")})
    policy = MaintenancePolicy(district=district, effective_from=effective_from, created_by=actor,
                               **{k: data[k] for k in POLICY_FIELDS if k in data})
    policy._history_user = actor
    policy.save()
    return policy
