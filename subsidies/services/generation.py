"""Monthly payout generation: one batch per district and month, one line per estate, exactly once.

Exactly once, whatever happens:
- the batch row is created under a unique (district, month) constraint and
  locked (SELECT … FOR UPDATE) before anything is computed, so a second
  worker waits and then sees the finished batch;
- the whole batch is written in one transaction: a worker killed mid-batch
  leaves nothing, and the next run writes it whole;
- a partial unique index makes (estate, month) unique for regular lines;
- a batch past "generated" is never recomputed.
"""
from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.bulk import insert_rows
from accounts.money import round_half_up
from accounts.scope import scope_of
from communities.models import District, Estate
from ratings.models import Application, ApplicationStatus, NoTierReason, StarRating
from ratings.selectors import estates_with_published_rating

from ..models import Adjustment, BatchStatus, Payout, PayoutBatch, PayoutKind
from .policy import in_window, policy_for

REASON_OUTSIDE = "不在补贴期内"
REASON_NOT_PARTICIPATING = "未参加星级评定"
REASON_NO_RATING = "无已公布的星级评定结果"
REASON_DISQUALIFIED = "取消参评资格"
REASON_NO_STAR = "未评上星级"


def parse_month(text: str, *, today: datetime.date | None = None) -> datetime.date:
    """'2025-03' -> 2025-03-01; a clear Chinese error for a bad format or a month not yet over."""
    today = today or timezone.localdate()
    m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text or "")
    if not m or not 1 <= int(m[2]) <= 12:
        raise ValidationError(_("月份格式应为“2025-03”，收到“%(t)s”。") % {"t": text})
    month = datetime.date(int(m[1]), int(m[2]), 1)
    if month >= today.replace(day=1):
        raise ValidationError(_("%(m)s 尚未结束，只能为已结束的月份生成补贴。") % {"m": f"{month:%Y-%m}"})
    return month


def _locked_batch(district: District, month: datetime.date, policy) -> PayoutBatch:
    try:
        with transaction.atomic():
            PayoutBatch.objects.get_or_create(district=district, month=month,
                                              defaults={"policy": policy, "generated_at": timezone.now()})
    except IntegrityError:
        pass  # created by a concurrent worker
    return PayoutBatch.objects.select_for_update().get(district=district, month=month)


LINE_FIELDS = ("batch_id", "kind", "estate_id", "month", "street_id", "firm_id", "area", "tier", "rate", "rating_id",
               "amount", "reason", "adjusts_id")


def build_lines(batch: PayoutBatch) -> list[tuple]:
    """Every estate of the district (LINE_FIELDS tuples), with its amount or the reason it gets nothing."""
    month, policy = batch.month, batch.policy
    pilots = set(policy.pilot_estates.values_list("pk", flat=True))
    accepted = Application.objects.filter(estate=OuterRef("pk"), year=month.year, status=ApplicationStatus.ACCEPTED)
    rows = list(
        estates_with_published_rating(month, Estate.objects.filter(community__street__district_id=batch.district_id))
        .annotate(participates=Exists(accepted))
        .values_list("pk", "community__street_id", "firm_id", "total_area", "participates", "rating_id")
        .order_by("pk")
    )
    used_ids = [r[5] for r in rows if r[5]]
    ratings = {pk: (tier, reason) for pk, tier, reason in
               StarRating.objects.filter(pk__in=used_ids).values_list("pk", "tier", "no_tier_reason")}
    zero = Decimal("0.00")
    lines = []
    for estate_id, street_id, firm_id, area, participates, rating_id in rows:
        tier, rate, amount, reason, used = 0, Decimal("0"), zero, "", None
        if not in_window(policy, month, pilot=estate_id in pilots):
            reason = REASON_OUTSIDE
        elif not participates:
            reason = REASON_NOT_PARTICIPATING
        elif rating_id is None:
            reason = REASON_NO_RATING
        else:
            used = rating_id
            tier, no_tier_reason = ratings[rating_id]
            if tier == 0:
                reason = REASON_DISQUALIFIED if no_tier_reason == NoTierReason.DISQUALIFIED else REASON_NO_STAR
            else:
                rate = policy.rate_for(tier)
                amount = round_half_up(area * rate)
        lines.append((batch.pk, PayoutKind.REGULAR.value, estate_id, month, street_id, firm_id, area, tier, rate,
                      used, amount, reason, None))
    return lines


def generate_batch(*, district: District, month: datetime.date, recompute: bool = False) -> PayoutBatch | None:
    """Generate the district's batch for `month`; None when the month is outside the window.

    A batch that exists is left as it is (the job's second run adds nothing);
    `recompute=True` (the district's "重新生成" before checking) rebuilds a
    batch that is still only generated.
    """
    if month.day != 1:
        raise ValidationError(_("月份必须是某月 1 日。"))
    policy = policy_for(district.pk, month)
    if policy is None:
        raise ValidationError(_("%(d)s 尚未设置效能补贴政策。") % {"d": district.name})
    if not (in_window(policy, month) or (policy.pilot_start and in_window(policy, month, pilot=True))):
        return None
    with transaction.atomic():
        batch = _locked_batch(district, month, policy)
        if batch.status != BatchStatus.GENERATED:
            return batch  # checked or beyond: amounts are fixed
        if batch.line_count and not recompute:
            return batch  # already complete (it was written in one transaction)
        batch.lines.filter(kind=PayoutKind.REGULAR).delete()
        insert_rows(Payout, LINE_FIELDS, build_lines(batch))
        _include_pending_adjustments(batch)
        _update_totals(batch)
        batch.policy = policy
        batch.generated_at = timezone.now()
        batch.save()
    return batch


def _include_pending_adjustments(batch: PayoutBatch) -> None:
    pending = (Adjustment.objects.select_for_update()
               .filter(line__isnull=True, original__batch__district_id=batch.district_id)
               .select_related("original"))
    for adj in pending:
        o = adj.original
        adj.line = Payout.objects.create(
            batch=batch, kind=PayoutKind.ADJUSTMENT, estate_id=o.estate_id, month=o.month, street_id=o.street_id,
            firm_id=o.firm_id, area=o.area, tier=o.tier, rate=o.rate, rating_id=o.rating_id, amount=adj.delta,
            reason=adj.reason[:100], adjusts=o)
        adj.save(update_fields=["line"])


def _update_totals(batch: PayoutBatch) -> None:
    agg = batch.lines.aggregate(total=Sum("amount"))
    batch.total = agg["total"] or Decimal("0.00")
    batch.line_count = batch.lines.count()
    earlier = (PayoutBatch.objects.filter(district_id=batch.district_id, month__year=batch.month.year,
                                          month__lt=batch.month).aggregate(s=Sum("total"))["s"] or Decimal("0.00"))
    batch.year_to_date = earlier
    budget = batch.policy.yearly_budget
    batch.over_budget = bool(budget) and earlier + batch.total > budget


def generate_all(*, month: datetime.date, district_ids: list[int] | None = None) -> list[PayoutBatch]:
    districts = District.objects.all() if district_ids is None else District.objects.filter(pk__in=district_ids)
    batches = []
    for d in districts.order_by("pk"):
        if policy_for(d.pk, month) is None:
            continue  # a district without a subsidy policy has no programme
        batch = generate_batch(district=d, month=month)
        if batch is not None:
            batches.append(batch)
    return batches


def previous_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


# The browser's "生成" / "重新生成" button (district admins and staff). The monthly job calls
# generate_all/generate_batch directly; this adds who may press it and a message for each "no".
GENERATE_ROLES = {Role.DISTRICT_ADMIN, Role.DISTRICT_STAFF}


def may_generate(user: User, district_id: int) -> bool:
    scope = scope_of(user)
    return scope.city_admin or any(scope.holds(r, district_id) for r in GENERATE_ROLES)


def batch_generate(*, actor: User, district: District, month: datetime.date,
                   recompute: bool = False) -> tuple[PayoutBatch, str]:
    """Generate (or, while still only generated, recompute) a district's batch on a clerk's request.

    Returns (batch, outcome) with outcome "created", "recomputed" or "existing" (the batch was
    already there and nothing changed). Raises ValidationError with a message a clerk understands.
    """
    if not may_generate(actor, district.pk):
        raise ValidationError(_("只有本区管理员或工作人员可以生成补贴批次。"))
    existing = PayoutBatch.objects.filter(district=district, month=month).first()
    if existing is not None and recompute and existing.status != BatchStatus.GENERATED:
        raise ValidationError(_("%(m)s 的批次已%(s)s，金额已固定，不能重新生成；如需更正请登记调整。") % {
            "m": f"{month:%Y-%m}", "s": existing.get_status_display()})
    batch = generate_batch(district=district, month=month, recompute=recompute)
    if batch is None:
        raise ValidationError(_("%(m)s 不在%(d)s的补贴期内，未生成批次。") % {"m": f"{month:%Y-%m}",
                                                                           "d": district.name})
    if existing is None:
        return batch, "created"
    return batch, "recomputed" if recompute else "existing"
