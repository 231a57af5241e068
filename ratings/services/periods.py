"""The quarterly rating job, publication and appeals.

Score of an estate for a quarter (DOMAIN.md §5, our documented rounding):
  inspection component = mean of the totals of the quarter's submitted (not
  superseded) inspections, rounded half-up to 0.01 (the figure shown is the
  figure used);
  score = inspection × w_i/100 + opinion × w_o/100 + satisfaction × w_s/100,
  rounded half-up to 0.01; tier = highest tier whose threshold ≤ score.
"""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.bulk import insert_rows
from accounts.models import User
from accounts.money import round_half_up
from accounts.scope import scope_of
from communities.models import District
from inspections.models import Inspection
from inspections.selectors import quarter_of

from ..models import (
    Appeal,
    AppealStatus,
    Application,
    ApplicationStatus,
    ComponentKind,
    ComponentScore,
    Disqualification,
    NoTierReason,
    PeriodStatus,
    RatingPeriod,
    StarRating,
)
from .policy import ensure_default_policy, policy_for, tier_for

HUNDRED = Decimal("100")


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    if not 1 <= quarter <= 4:
        raise ValidationError(_("季度必须为 1–4。"))
    return quarter_of(datetime.date(year, 3 * quarter - 2, 1))


def _locked_period(district: District, year: int, quarter: int) -> RatingPeriod:
    """Get or create the period row and lock it; a concurrent creator waits, then finds it."""
    _start, end = quarter_bounds(year, quarter)
    policy = policy_for(district.pk, end) or ensure_default_policy(district)
    try:
        with transaction.atomic():
            RatingPeriod.objects.get_or_create(district=district, year=year, quarter=quarter,
                                               defaults={"policy": policy})
    except IntegrityError:
        pass  # another worker created it first
    return RatingPeriod.objects.select_for_update().select_related("policy").get(
        district=district, year=year, quarter=quarter)


# The values a result row carries, in this order (computed_at aside).
VALUE_FIELDS = ("firm_id", "inspection_count", "inspection_score", "opinion_score", "satisfaction_score", "score",
                "tier", "no_tier_reason")


def compute_values(period: RatingPeriod) -> dict[int, tuple]:
    """estate_id -> VALUE_FIELDS for every participating estate, computed from scratch (nothing is written)."""
    policy = period.policy
    start, end = quarter_bounds(period.year, period.quarter)
    in_district = {"estate__community__street__district_id": period.district_id}
    participants = dict(
        Application.objects.filter(year=period.year, status=ApplicationStatus.ACCEPTED, **in_district)
        .values_list("estate_id", "firm_id")
    )
    inspections = {
        r["estate_id"]: (r["n"], r["s"])
        for r in Inspection.objects.counted().filter(date__range=(start, end), **in_district)
        .values("estate_id").annotate(n=Count("pk"), s=Sum("total")).order_by()
    }
    components = {
        (estate_id, kind): score
        for estate_id, kind, score in ComponentScore.objects.filter(
            year=period.year, quarter=period.quarter, **in_district).values_list("estate_id", "kind", "score")
    }
    disqualified = set(
        Disqualification.objects.filter(year=period.year, quarter=period.quarter, **in_district)
        .values_list("estate_id", flat=True)
    )
    adjusted = dict(
        Appeal.objects.filter(rating__period=period, status=AppealStatus.UPHELD, adjusted_tier__isnull=False)
        .values_list("rating__estate_id", "adjusted_tier")
    )
    w_i, w_o, w_s = (policy.weight_inspection / HUNDRED, policy.weight_opinion / HUNDRED,
                     policy.weight_satisfaction / HUNDRED)
    values = {}
    for estate_id, firm_id in participants.items():
        n, total = inspections.get(estate_id, (0, None))
        insp = round_half_up(total / n) if n else None
        opinion = components.get((estate_id, ComponentKind.OPINION))
        satisfaction = components.get((estate_id, ComponentKind.SATISFACTION))
        score, tier, reason = None, 0, ""
        if insp is not None and opinion is not None and satisfaction is not None:
            score = round_half_up(insp * w_i + opinion * w_o + satisfaction * w_s)
        if estate_id in disqualified:
            reason = NoTierReason.DISQUALIFIED
        elif n == 0:
            reason = NoTierReason.NO_INSPECTION
        elif score is None:
            reason = NoTierReason.MISSING_COMPONENT
        else:
            tier = tier_for(policy, score)
            reason = "" if tier else NoTierReason.BELOW
        if estate_id in adjusted and reason != NoTierReason.DISQUALIFIED:
            tier, reason = adjusted[estate_id], ("" if adjusted[estate_id] else reason or NoTierReason.BELOW)
        values[estate_id] = (firm_id, n, insp, opinion, satisfaction, score, tier, str(reason))
    return values


def _write_results(period: RatingPeriod, values: dict[int, tuple], now) -> None:
    """Make the stored rows equal `values`, writing only what differs (a rerun on unchanged data writes nothing)."""
    existing = {
        row[0]: (row[1], row[2:])
        for row in StarRating.objects.filter(period=period).values_list("estate_id", "pk", *VALUE_FIELDS)
    }
    gone = [pk for estate_id, (pk, _v) in existing.items() if estate_id not in values]
    if gone:
        StarRating.objects.filter(pk__in=gone).delete()
    fields = ("period_id", "estate_id", "computed_at", *VALUE_FIELDS)
    new, updated = [], []
    for estate_id, v in values.items():
        if estate_id not in existing:
            new.append((period.pk, estate_id, now, *v))
        elif existing[estate_id][1] != v:
            updated.append((period.pk, estate_id, now, *v))
    insert_rows(StarRating, fields, new)
    insert_rows(StarRating, fields, updated, conflict=("period_id", "estate_id"), update=fields[2:])


def run_period(*, district: District, year: int, quarter: int, today: datetime.date | None = None) -> RatingPeriod:
    """Compute (or recompute) a district's provisional results for a quarter. Idempotent.

    One transaction under a lock on the period row: a second run, or a second
    worker, waits and then recomputes the same rows; the unique (period,
    estate) constraint and the upsert make duplicates impossible. A published
    period is returned untouched.
    """
    today = today or timezone.localdate()
    _start, end = quarter_bounds(year, quarter)
    if end >= today:
        raise ValidationError(_("%(y)dQ%(q)d 尚未结束，不能评定。") % {"y": year, "q": quarter})
    with transaction.atomic():
        period = _locked_period(district, year, quarter)
        if period.status == PeriodStatus.PUBLISHED:
            return period
        now = timezone.now()
        _write_results(period, compute_values(period), now)
        period.computed_at = now
        period.appeal_deadline = today + datetime.timedelta(days=period.policy.appeal_days)
        period.save(update_fields=["computed_at", "appeal_deadline"])
    return period


def period_run(*, actor: User, district: District, year: int, quarter: int,
               today: datetime.date | None = None) -> RatingPeriod:
    """run_period started by a person (the page's 计算 button): only the district's admin may."""
    if not District.objects.editable_by(actor).filter(pk=district.pk).exists():
        raise ValidationError(_("只有本区管理员可以计算评定结果。"))
    period = run_period(district=district, year=year, quarter=quarter, today=today)
    if period.status == PeriodStatus.PUBLISHED:
        raise ValidationError(_("%(p)s 评定结果已公布，不能重新计算。") % {"p": period.label})
    return period


def run_all_districts(*, year: int, quarter: int, district_ids: list[int] | None = None) -> list[RatingPeriod]:
    districts = District.objects.all() if district_ids is None else District.objects.filter(pk__in=district_ids)
    return [run_period(district=d, year=year, quarter=quarter) for d in districts]


def previous_quarter(today: datetime.date) -> tuple[int, int]:
    q = (today.month - 1) // 3 + 1
    return (today.year, q - 1) if q > 1 else (today.year - 1, 4)


def scheduled_run(*, today: datetime.date | None = None) -> list[RatingPeriod]:
    """Beat task body: on each district's configured day after a quarter ends, rate the quarter just ended."""
    today = today or timezone.localdate()
    year, quarter = previous_quarter(today)
    _start, end = quarter_bounds(year, quarter)
    due = []
    for district in District.objects.all():
        policy = policy_for(district.pk, end) or ensure_default_policy(district)
        if (today - end).days >= policy.run_day:
            due.append(district.pk)
    return run_all_districts(year=year, quarter=quarter, district_ids=due)


def _check_district_admin(actor: User, period: RatingPeriod) -> None:
    if not District.objects.editable_by(actor).filter(pk=period.district_id).exists():
        raise ValidationError(_("只有本区管理员可以确认和公布评定结果。"))


@transaction.atomic
def publish_period(*, actor: User, period: RatingPeriod, today: datetime.date | None = None) -> RatingPeriod:
    today = today or timezone.localdate()
    _check_district_admin(actor, period)
    period = RatingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.status == PeriodStatus.PUBLISHED:
        raise ValidationError(_("%(p)s 评定结果已公布，不能重复公布。") % {"p": period.label})
    if period.computed_at is None:
        raise ValidationError(_("请先计算本期评定结果。"))
    if period.appeal_deadline and today <= period.appeal_deadline:
        raise ValidationError(_("申诉期至 %(d)s 结束，申诉期内不能公布。") % {"d": period.appeal_deadline})
    if Appeal.objects.filter(rating__period=period, status=AppealStatus.OPEN).exists():
        raise ValidationError(_("还有未处理的申诉，请先处理后再公布。"))
    period.status = PeriodStatus.PUBLISHED
    period.published_at = timezone.now()
    period.published_by = actor
    period.save(update_fields=["status", "published_at", "published_by"])
    return period


@transaction.atomic
def appeal_submit(*, actor: User, rating: StarRating, reason: str, today: datetime.date | None = None) -> Appeal:
    today = today or timezone.localdate()
    rating = StarRating.objects.select_related("period").select_for_update().get(pk=rating.pk)
    if rating.firm_id is None or rating.firm_id not in scope_of(actor).ids("firm", edit=True):
        raise ValidationError(_("只能对本企业服务小区的评定结果申诉。"))
    period = rating.period
    if period.status == PeriodStatus.PUBLISHED or (period.appeal_deadline and today > period.appeal_deadline):
        raise ValidationError(_("申诉期已过（截止 %(d)s），不能再申诉。") % {"d": period.appeal_deadline})
    if not reason.strip():
        raise ValidationError({"reason": _("请填写申诉理由。")})
    if Appeal.objects.filter(rating=rating, status=AppealStatus.OPEN).exists():
        raise ValidationError(_("该结果已有待处理的申诉。"))
    return Appeal.objects.create(rating=rating, firm_id=rating.firm_id, reason=reason.strip(), submitted_by=actor)


@transaction.atomic
def appeal_decide(*, actor: User, appeal: Appeal, upheld: bool, decision: str,
                  adjusted_tier: int | None = None) -> Appeal:
    appeal = Appeal.objects.select_for_update().select_related("rating__period").get(pk=appeal.pk)
    _check_district_admin(actor, appeal.rating.period)
    if appeal.status != AppealStatus.OPEN:
        raise ValidationError(_("该申诉已处理。"))
    if appeal.rating.period.status == PeriodStatus.PUBLISHED:
        raise ValidationError(_("本期结果已公布，不能再处理申诉。"))
    if not decision.strip():
        raise ValidationError({"decision": _("请填写处理意见。")})
    if upheld and adjusted_tier is not None and not 0 <= adjusted_tier <= 5:
        raise ValidationError({"adjusted_tier": _("星级必须为 0–5。")})
    appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.DISMISSED
    appeal.decision = decision.strip()
    appeal.adjusted_tier = adjusted_tier if upheld else None
    appeal.decided_by = actor
    appeal.decided_at = timezone.now()
    appeal.save()
    if upheld and adjusted_tier is not None:
        rating = appeal.rating
        rating.tier = adjusted_tier
        rating.no_tier_reason = "" if adjusted_tier else (rating.no_tier_reason or NoTierReason.BELOW)
        rating.save(update_fields=["tier", "no_tier_reason"])
    return appeal
