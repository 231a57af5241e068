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

from accounts.money import round_half_up
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


def build_lines(batch: PayoutBatch) -> list[Payout]:
    """Every estate of the district, with its amount or the reason it gets nothing."""
    month, policy = batch.month, batch.policy
    pilots = set(policy.pilot_estates.values_list("pk", flat=True))
    accepted = Application.objects.filter(estate=OuterRef("pk"), year=month.year, status=ApplicationStatus.ACCEPTED)
    estates = (
        estates_with_published_rating(month, Estate.objects.filter(community__street__district_id=batch.district_id))
        .annotate(participates=Exists(accepted))
        .values_list("pk", "community__street_id", "firm_id", "total_area", "participates", "rating_id")
        .order_by("pk")
    )
    rows = list(estates)
    ratings = {r.pk: r for r in StarRating.objects.filter(pk__in=[r[5] for r in rows if r[5]])
               .only("pk", "tier", "no_tier_reason", "firm_id")}
    lines = []
    for estate_id, street_id, firm_id, area, participates, rating_id in rows:
        tier, rate, amount, reason, rating = 0, Decimal("0"), Decimal("0.00"), "", None
        if not in_window(policy, month, pilot=estate_id in pilots):
            reason = REASON_OUTSIDE
        elif not participates:
            reason = REASON_NOT_PARTICIPATING
        elif rating_id is None:
            reason = REASON_NO_RATING
        else:
            rating = ratings[rating_id]
            tier = rating.tier
            if tier == 0:
                reason = REASON_DISQUALIFIED if rating.no_tier_reason == NoTierReason.DISQUALIFIED else REASON_NO_STAR
            else:
                rate = policy.rate_for(tier)
                amount = round_half_up(area * rate)
        lines.append(Payout(batch=batch, kind=PayoutKind.REGULAR, estate_id=estate_id, month=month,
                            street_id=street_id, firm_id=firm_id, area=area, tier=tier, rate=rate,
                            rating=rating, amount=amount, reason=reason))
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
        Payout.objects.bulk_create(build_lines(batch), batch_size=5000)
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
