from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.versions import version_in_force
from communities.models import District

from ..models import SubsidyPolicy

RATE_FIELDS = ["rate_5", "rate_4", "rate_3", "rate_2", "rate_1"]


def policy_for(district_id: int, month: datetime.date) -> SubsidyPolicy | None:
    return version_in_force(SubsidyPolicy, district_id, month)


def add_months(month: datetime.date, n: int) -> datetime.date:
    y, m = divmod(month.month - 1 + n, 12)
    return datetime.date(month.year + y, m + 1, 1)


def in_window(policy: SubsidyPolicy, month: datetime.date, *, pilot: bool = False) -> bool:
    """Is `month` inside the programme (pilot estates start earlier, end with the others)?"""
    end = add_months(policy.programme_start, policy.programme_months)  # exclusive
    start = policy.pilot_start if pilot and policy.pilot_start else policy.programme_start
    return start <= month < end


def validate_policy(data: dict) -> None:
    errors = {}
    try:
        cap = Decimal(str(data["cap"]))
    except (InvalidOperation, KeyError):
        raise ValidationError({"cap": _("请填写补贴上限。")})
    for f in RATE_FIELDS:
        try:
            rate = Decimal(str(data[f]))
        except (InvalidOperation, KeyError):
            errors[f] = [_("请填写数字。")]
            continue
        if rate < 0:
            errors[f] = [_("补贴标准不能为负数。")]
        elif rate > cap:
            errors[f] = [_("补贴标准 %(r)s 元/㎡/月 超过上限 %(c)s 元/㎡/月。") % {"r": rate, "c": cap}]
    if data.get("programme_start") and data["programme_start"].day != 1:
        errors["programme_start"] = [_("补贴起始月请选择某月 1 日。")]
    if data.get("pilot_start"):
        if data["pilot_start"].day != 1:
            errors["pilot_start"] = [_("试点起始月请选择某月 1 日。")]
        elif data.get("programme_start") and data["pilot_start"] > data["programme_start"]:
            errors["pilot_start"] = [_("试点起始月不能晚于补贴起始月。")]
    if Decimal(str(data.get("yearly_budget", 0))) < 0:
        errors["yearly_budget"] = [_("年度预算不能为负数。")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def policy_create(*, actor: User, district: District, effective_from: datetime.date, data: dict,
                  pilot_estates=None) -> SubsidyPolicy:
    if not District.objects.editable_by(actor).filter(pk=district.pk).exists():
        raise ValidationError(_("只有本区管理员可以修改补贴政策。"))
    validate_policy(data)
    if SubsidyPolicy.objects.filter(district=district, effective_from=effective_from).exists():
        raise ValidationError({"effective_from": _("该日期已有一个政策版本。")})
    fields = RATE_FIELDS + ["cap", "programme_start", "programme_months", "pilot_start", "yearly_budget"]
    policy = SubsidyPolicy.objects.create(district=district, effective_from=effective_from, created_by=actor,
                                          **{k: data[k] for k in fields if k in data})
    if pilot_estates:
        policy.pilot_estates.set(pilot_estates)
    return policy
