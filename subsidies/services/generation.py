"""Monthly payout generation: 先考核后拨付, by service month, to the firm that served, exactly once.

The rule (README "Subsidy policy"; DOMAIN.md §6):
- The subsidy for a service month is paid at the tier of the quarter that
  contains it, once that quarter's rating is published: never earlier, never
  on another quarter's result. The batch of month M (generated early in M+1)
  settles every service month up to M whose quarter is published and that no
  batch has settled yet; a month still waiting for its quarter is listed on
  the batch as deferred (顺延) with the reason and settled by a later batch:
  never lost, never zeroed for lateness.
- Participation is the quarter's own rating: an estate with no result in the
  published quarter did not take part (未参加星级评定); a disqualified or
  no-star result pays nothing for the quarter's months, with the reason.
- The month's amount = area in force on the month's 1st × the rate of the
  tier under the subsidy policy in force for that month, half-up to the fen.
  It is split between the firms whose contracts covered the month's days,
  pro rata by days, half-up to the fen, the last part taking the remainder so
  the parts add up exactly; days with no serving firm pay nothing (a zero line
  "无服务企业"). One line per (estate, service month, firm).
- A published rating corrected later (a new version) gets adjusting lines in
  the next batch generated, automatically, for lines in batches already
  checked (a batch still only generated is simply regenerated).

Exactly once, whatever happens:
- the batch row is created under a unique (district, month) constraint and
  locked (SELECT … FOR UPDATE) before anything is computed, so a second
  worker waits and then sees the finished batch;
- the whole batch is written in one transaction: a worker killed mid-batch
  leaves nothing, and the next run writes it whole;
- a month is settled once per district (unique BatchMonth) and each line is
  unique per (estate, service month, firm) (partial unique indexes);
- a batch past "generated" is never recomputed.
"""
from __future__ import annotations

import calendar
import datetime
import re
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.bulk import insert_rows
from accounts.capabilities import roles_at
from accounts.models import User
from accounts.money import round_half_up
from accounts.scope import scope_of
from communities.models import District, Estate
from communities.selectors import area_in_force, area_versions
from enterprises.selectors import days_by_firm, spans_by_estate
from ratings.models import NoTierReason, PeriodStatus, RatingPeriod, StarRating

from ..models import Adjustment, BatchMonth, BatchStatus, Payout, PayoutBatch, PayoutKind
from ..selectors import budget_use
from .approvals import batch_notice
from .policy import add_months, in_window, policy_for

REASON_OUTSIDE = "不在补贴期内"
REASON_NOT_PARTICIPATING = "未参加星级评定"
REASON_DISQUALIFIED = "取消参评资格"
REASON_NO_STAR = "未评上星级"
REASON_NO_FIRM = "无服务企业"
ZERO = Decimal("0.00")


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


def quarter_of_month(month: datetime.date) -> tuple[int, int]:
    return month.year, (month.month - 1) // 3 + 1


def month_last_day(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def split_by_days(amount: Decimal, parts: list[tuple[int | None, int]], month_days: int
                  ) -> list[tuple[int | None, int, Decimal]]:
    """Split a month's amount between firms by the days each served: [(firm or None, days, amount)].

    Each firm's part is amount × days / month days, half-up to the fen; the last firm's part is what
    remains, so the firms' parts add up exactly to amount × covered days / month days (the whole
    amount when every day was served). Days with no firm (None) get 0.00.
    Worked example: 9,000.00 over April (30 days), 甲 1–25, 乙 26–30: 7,500.00 + 1,500.00.
    """
    served = [(f, d) for f, d in parts if f is not None]
    covered = sum(d for _f, d in served)
    target = amount if covered == month_days else round_half_up(amount * covered / month_days)
    out, running = [], ZERO
    for i, (firm_id, days) in enumerate(served):
        share = target - running if i == len(served) - 1 else round_half_up(amount * days / month_days)
        running += share
        out.append((firm_id, days, share))
    out += [(None, d, ZERO) for f, d in parts if f is None]
    return out


def _locked_batch(district: District, month: datetime.date, policy) -> PayoutBatch:
    try:
        with transaction.atomic():
            PayoutBatch.objects.get_or_create(district=district, month=month,
                                              defaults={"policy": policy, "generated_at": timezone.now()})
    except IntegrityError:
        pass  # created by a concurrent worker
    return PayoutBatch.objects.select_for_update().get(district=district, month=month)


LINE_FIELDS = ("batch_id", "kind", "estate_id", "month", "street_id", "firm_id", "area", "tier", "rate", "rating_id",
               "amount", "reason", "adjusts_id", "days", "month_days")


class _District:
    """What generating a district's lines reads, loaded once per batch (a handful of queries)."""

    def __init__(self, district_id: int):
        self.district_id = district_id
        self.estates = list(Estate.objects.filter(community__street__district_id=district_id)
                            .values_list("pk", "community__street_id", "total_area").order_by("pk"))
        ids = [e[0] for e in self.estates]
        self.spans = spans_by_estate(ids)
        self.areas = area_versions(ids)
        self._policies: dict = {}
        self._pilots: dict = {}
        self._ratings: dict = {}

    def policy(self, month: datetime.date):
        if month not in self._policies:
            self._policies[month] = policy_for(self.district_id, month)
        return self._policies[month]

    def pilots(self, policy) -> set[int]:
        if policy.pk not in self._pilots:
            self._pilots[policy.pk] = set(policy.pilot_estates.values_list("pk", flat=True))
        return self._pilots[policy.pk]

    def ratings(self, period_id: int) -> dict[int, tuple[int, int, str]]:
        """estate id -> (rating id, tier, no-tier reason) of the current published versions of a period."""
        if period_id not in self._ratings:
            self._ratings[period_id] = {
                estate_id: (pk, tier, reason) for pk, estate_id, tier, reason in
                StarRating.objects.published().filter(period_id=period_id)
                .values_list("pk", "estate_id", "tier", "no_tier_reason")}
        return self._ratings[period_id]

    def month_parts(self, estate_id: int, month: datetime.date) -> list[tuple[int | None, int]]:
        return days_by_firm(self.spans.get(estate_id, []), month, month_last_day(month))

    def area(self, estate_id: int, current: Decimal, month: datetime.date) -> Decimal:
        return area_in_force(self.areas.get(estate_id, []), month, current)

    def split(self, estate_id: int, month: datetime.date, area: Decimal, rate: Decimal
              ) -> list[tuple[int | None, int, Decimal]]:
        """The month's amount (area × rate, half-up) split between the firms by the days each served."""
        return split_by_days(round_half_up(area * rate), self.month_parts(estate_id, month), month_last_day(month).day)


def _zero_reason(no_tier_reason: str) -> str:
    disqualified = (NoTierReason.DISQUALIFIED, NoTierReason.FIRM_SANCTIONED)
    return REASON_DISQUALIFIED if no_tier_reason in disqualified else REASON_NO_STAR


def month_lines(ctx: _District, batch_id: int, month: datetime.date, period_id: int) -> list[tuple]:
    """The lines (LINE_FIELDS) of one settled service month for every estate of the district."""
    policy = ctx.policy(month)
    pilots = ctx.pilots(policy) if policy else set()
    ratings = ctx.ratings(period_id)
    n_days = month_last_day(month).day
    lines = []
    for estate_id, street_id, current_area in ctx.estates:
        area = ctx.area(estate_id, current_area, month)
        parts = ctx.month_parts(estate_id, month)
        main_firm = max((p for p in parts if p[0] is not None), key=lambda p: p[1], default=(None, 0))[0]

        def zero(reason, rating_id=None, tier=0):
            return (batch_id, PayoutKind.REGULAR.value, estate_id, month, street_id, main_firm, area, tier,
                    Decimal("0"), rating_id, ZERO, reason, None, None, n_days)

        rating = ratings.get(estate_id)
        if policy is None or not in_window(policy, month, pilot=estate_id in pilots):
            lines.append(zero(REASON_OUTSIDE))
        elif rating is None:
            lines.append(zero(REASON_NOT_PARTICIPATING))
        elif rating[1] == 0:
            lines.append(zero(_zero_reason(rating[2]), rating[0]))
        elif main_firm is None:
            lines.append(zero(REASON_NO_FIRM, rating[0], rating[1]))
        else:
            rating_id, tier, _reason = rating
            rate = policy.rate_for(tier)
            for firm_id, days, amount in ctx.split(estate_id, month, area, rate):
                lines.append((batch_id, PayoutKind.REGULAR.value, estate_id, month, street_id, firm_id, area, tier,
                              rate if firm_id else Decimal("0"), rating_id, amount,
                              "" if firm_id else REASON_NO_FIRM, None, days, n_days))
    return lines


def window_months(policy, upto: datetime.date) -> list[datetime.date]:
    """Service months of the programme (pilots' earlier start included) up to and including `upto`."""
    start = min(filter(None, [policy.programme_start, policy.pilot_start]))
    end = min(add_months(policy.programme_start, policy.programme_months), add_months(upto, 1))  # exclusive
    months, m = [], start
    while m < end:
        months.append(m)
        m = add_months(m, 1)
    return months


def _deferral_reason(year: int, quarter: int, period: RatingPeriod | None) -> str:
    if period is None:
        return _("%(y)d年第%(q)d季度尚未评定，顺延至评定结果公布后拨付") % {"y": year, "q": quarter}
    return _("%(y)d年第%(q)d季度评定结果尚未公布（%(s)s），顺延至公布后拨付") % {
        "y": year, "q": quarter, "s": period.get_status_display()}


def generate_batch(*, district: District, month: datetime.date, recompute: bool = False) -> PayoutBatch | None:
    """Generate the district's batch of `month`; None when `month` is outside the programme window.

    A batch that exists is left as it is (the job's second run adds nothing);
    `recompute=True` (the district's "重新生成" before checking) rebuilds a
    batch that is still only generated, from the data as it is now.
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
        if batch.months.exists() and not recompute:
            return batch  # already complete (it was written in one transaction)
        _clear(batch)
        ctx = _District(district.pk)
        settled = set(BatchMonth.objects.filter(district=district, settled=True).values_list("month", flat=True))
        periods = {(p.year, p.quarter): p for p in RatingPeriod.objects.filter(district=district)}
        rows, lines = [], []
        for m in window_months(policy, month):
            if m in settled:
                continue
            period = periods.get(quarter_of_month(m))
            if period is not None and period.status == PeriodStatus.PUBLISHED:
                rows.append(BatchMonth(batch=batch, district=district, month=m, settled=True))
                lines += month_lines(ctx, batch.pk, m, period.pk)
            else:
                rows.append(BatchMonth(batch=batch, district=district, month=m,
                                       reason=_deferral_reason(*quarter_of_month(m), period)))
        BatchMonth.objects.bulk_create(rows)
        insert_rows(Payout, LINE_FIELDS, lines)
        _include_pending_adjustments(batch)
        insert_rows(Payout, LINE_FIELDS, correction_lines(batch, ctx))
        batch.policy = policy
        batch.generated_at = timezone.now()
        _update_totals(batch)
        batch.save()
        refresh_budget_flags(district_id=district.pk, after=month)
    return batch


def _clear(batch: PayoutBatch) -> None:
    """Remove what generation wrote into a batch still only generated (a clerk's adjustments stay)."""
    manual = Adjustment.objects.filter(line__batch=batch).values("line_id")
    batch.lines.filter(kind=PayoutKind.ADJUSTMENT).exclude(pk__in=manual).delete()
    batch.lines.filter(kind=PayoutKind.REGULAR).delete()
    batch.months.all().delete()


def correction_lines(batch: PayoutBatch, ctx: _District) -> list[tuple]:
    """Adjusting lines for months already paid on a rating version since corrected (DOMAIN.md §6).

    For each (estate, service month) with a regular line in a checked-or-later batch whose rating was
    superseded, the month's parts are recomputed with the current version (same area, same days) and
    each firm's difference to what it has been paid so far (lines and adjustments) becomes a line.
    Recomputed every time, so it adds nothing once the difference is paid.
    """
    stale = (Payout.objects.filter(batch__district_id=batch.district_id, kind=PayoutKind.REGULAR,
                                   rating__superseded_at__isnull=False)
             .exclude(batch__status=BatchStatus.GENERATED).exclude(batch=batch)
             .values_list("estate_id", "month").distinct())
    out = []
    for estate_id, month in sorted(set(stale)):
        regular = list(Payout.objects.filter(estate_id=estate_id, month=month, kind=PayoutKind.REGULAR)
                       .select_related("rating"))
        old = regular[0].rating
        current = StarRating.objects.published().filter(period_id=old.period_id, estate_id=estate_id).first()
        if current is None:
            continue
        paid: dict[int | None, Decimal] = defaultdict(lambda: ZERO)
        for firm_id, amount in Payout.objects.filter(estate_id=estate_id, month=month).values_list("firm_id",
                                                                                                  "amount"):
            paid[firm_id] += amount
        policy = ctx.policy(month)
        area, n_days = regular[0].area, month_last_day(month).day
        rate = policy.rate_for(current.tier) if policy and current.tier else Decimal("0")
        expected: dict[int | None, Decimal] = defaultdict(lambda: ZERO)
        for firm_id, _days, amount in ctx.split(estate_id, month, area, rate):
            expected[firm_id] += amount
        by_firm = {line.firm_id: line for line in regular}
        for firm_id in sorted(set(paid) | set(expected), key=lambda f: (f is None, f or 0)):
            delta = expected[firm_id] - paid[firm_id]
            if delta == 0:
                continue
            original = by_firm.get(firm_id) or regular[0]
            reason = _("评定结果更正（第%(v)d版 %(t)d★，原 %(o)d★）") % {
                "v": current.version, "t": current.tier, "o": original.tier}
            out.append((batch.pk, PayoutKind.ADJUSTMENT.value, estate_id, month, original.street_id, firm_id, area,
                        current.tier, rate, current.pk, delta, reason[:100], original.pk, None, n_days))
    return out


def _include_pending_adjustments(batch: PayoutBatch) -> None:
    pending = (Adjustment.objects.select_for_update()
               .filter(line__isnull=True, original__batch__district_id=batch.district_id)
               .select_related("original"))
    for adj in pending:
        o = adj.original
        adj.line = Payout.objects.create(
            batch=batch, kind=PayoutKind.ADJUSTMENT, estate_id=o.estate_id, month=o.month, street_id=o.street_id,
            firm_id=o.firm_id, area=o.area, tier=o.tier, rate=o.rate, rating_id=o.rating_id, amount=adj.delta,
            reason=adj.reason[:100], adjusts=o, month_days=o.month_days)
        adj.save(update_fields=["line"])


def _update_totals(batch: PayoutBatch) -> None:
    agg = batch.lines.aggregate(total=Sum("amount"))
    batch.total = round_half_up(agg["total"] or ZERO)  # SQLite's SUM of decimals is not exact to the fen
    batch.line_count = batch.lines.count()
    use = budget_use(batch)
    batch.year_to_date = next(u["earlier"] for u in use if u["year"] == batch.month.year)
    batch.over_budget = any(u["over"] for u in use)


def refresh_budget_flags(*, district_id: int, after: datetime.date) -> None:
    """A regenerated batch changes what later batches count as spent: refresh their figures (those not
    yet approved; an approved batch's figures are what its approver saw)."""
    later = PayoutBatch.objects.select_for_update().filter(
        district_id=district_id, month__gt=after, status__in=[BatchStatus.GENERATED, BatchStatus.CHECKED]
    ).select_related("policy").order_by("month")
    for b in later:
        _update_totals(b)
        b.save(update_fields=["total", "line_count", "year_to_date", "over_budget"])


def generate_all(*, month: datetime.date, district_ids: list[int] | None = None) -> list[PayoutBatch]:
    districts = District.objects.all() if district_ids is None else District.objects.filter(pk__in=district_ids)
    batches = []
    for d in districts.order_by("pk"):
        if policy_for(d.pk, month) is None:
            continue  # a district without a subsidy policy has no programme
        existed = PayoutBatch.objects.filter(district=d, month=month).exists()
        batch = generate_batch(district=d, month=month)
        if batch is not None:
            batches.append(batch)
            if not existed:
                _generated_notice(batch, actor=None)
    return batches


def _generated_notice(batch: PayoutBatch, *, actor: User | None) -> int:
    """A new batch waits for the district's staff to check it (once per batch: a regeneration tells nobody)."""
    return batch_notice(batch, "batch.generated", key=str(batch.pk), actor=actor)


def previous_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


# The browser's "生成" / "重新生成" button (district admins and staff). The monthly job calls
# generate_all/generate_batch directly; this adds who may press it and a message for each "no".
GENERATE_ROLES = set(roles_at("subsidies.generate", "district"))  # accounts/capabilities.py


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
        _generated_notice(batch, actor=actor)
        return batch, "created"
    return batch, "recomputed" if recompute else "existing"
