"""Versioned rating policy per district."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.versions import version_in_force
from communities.models import District

from ..models import DEFAULT_DISQUALIFYING_REASONS, RatingPolicy

POLICY_FIELDS = ["weight_inspection", "weight_opinion", "weight_satisfaction", "threshold_5", "threshold_4",
                 "threshold_3", "threshold_2", "threshold_1", "application_start", "application_end",
                 "appeal_days", "run_day", "disqualifying_reasons"]


def policy_for(district_id: int, on: datetime.date) -> RatingPolicy | None:
    return version_in_force(RatingPolicy, district_id, on)


def ensure_default_policy(district: District) -> RatingPolicy:
    policy = RatingPolicy.objects.filter(district=district).order_by("effective_from").first()
    if policy is None:
        policy = RatingPolicy.objects.create(district=district, effective_from=datetime.date(2000, 1, 1),
                                             disqualifying_reasons=list(DEFAULT_DISQUALIFYING_REASONS))
    return policy


def _month_day(value: str, field: str) -> tuple[int, int]:
    try:
        month, day = (int(x) for x in value.split("-"))
        datetime.date(2024, month, day)  # a leap year accepts 02-29
    except (ValueError, AttributeError):
        raise ValidationError({field: _("请按“月-日”填写，例如 01-15。")})
    return month, day


def validate_policy(data: dict) -> None:
    """Weights sum to 100; thresholds strictly descending within 0–100; a valid window."""
    errors = {}
    weights = [Decimal(data[k]) for k in ("weight_inspection", "weight_opinion", "weight_satisfaction")]
    if any(w < 0 for w in weights):
        errors["weight_inspection"] = [_("权重不能为负数。")]
    elif sum(weights) != Decimal("100"):
        errors["weight_inspection"] = [
            _("三项权重之和必须为 100，目前为 %(s)s。") % {"s": sum(weights).normalize()}]
    t = [Decimal(data[f"threshold_{n}"]) for n in (5, 4, 3, 2, 1)]
    if not all(a > b for a, b in zip(t, t[1:])) or t[-1] <= 0 or t[0] > 100:
        errors["threshold_5"] = [_("星级分数线必须从五星到一星严格递减，且在 0–100 之间。")]
    try:
        start = _month_day(data["application_start"], "application_start")
        end = _month_day(data["application_end"], "application_end")
        if end < start:
            errors["application_end"] = [_("申报截止日期不能早于开始日期。")]
    except ValidationError as e:
        for k, v in e.message_dict.items():
            errors[k] = v
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def policy_create(*, actor: User, district: District, effective_from: datetime.date, data: dict) -> RatingPolicy:
    """A new policy version; earlier periods keep the version they were computed with."""
    if not District.objects.editable_by(actor).filter(pk=district.pk).exists():
        raise ValidationError(_("只有本区管理员可以修改星级评定政策。"))
    validate_policy(data)
    if RatingPolicy.objects.filter(district=district, effective_from=effective_from).exists():
        raise ValidationError({"effective_from": _("该日期已有一个政策版本，请选择其他生效日期。")})
    try:
        with transaction.atomic():
            return RatingPolicy.objects.create(district=district, effective_from=effective_from, created_by=actor,
                                               **{k: data[k] for k in POLICY_FIELDS if k in data})
    except IntegrityError:
        raise ValidationError(_("政策参数不符合规则（权重之和为 100，分数线递减）。"))


def application_window(policy: RatingPolicy, year: int) -> tuple[datetime.date, datetime.date]:
    sm, sd = _month_day(policy.application_start, "application_start")
    em, ed = _month_day(policy.application_end, "application_end")
    if (em, ed) == (2, 29):
        ed = 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28
    return datetime.date(year, sm, sd if (sm, sd) != (2, 29) else 28), datetime.date(year, em, ed)


def tier_for(policy: RatingPolicy, score: Decimal) -> int:
    for tier, minimum in policy.thresholds():
        if score >= minimum:
            return tier
    return 0
