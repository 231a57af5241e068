"""Reads of the ratings app: the tier a month pays on, yearly ratings, public list."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import F, OuterRef, Subquery

from accounts.money import round_half_up
from communities.models import Estate

from .models import PeriodStatus, StarRating
from .services.policy import ensure_default_policy, policy_for, tier_for


def _quarter_index(day: datetime.date) -> int:
    return day.year * 4 + (day.month - 1) // 3 + 1


def published_before(month: datetime.date):
    """Published ratings of quarters that ended before `month` began ("assess first, pay after")."""
    last_closed = _quarter_index(month) - 1  # the quarter before the one `month` lies in
    return (StarRating.objects.filter(period__status=PeriodStatus.PUBLISHED)
            .annotate(qidx=F("period__year") * 4 + F("period__quarter"))
            .filter(qidx__lte=last_closed))


def published_tier(estate: Estate | int, month: datetime.date) -> StarRating | None:
    """The published rating that holds for `month`: the latest published quarter ended before it."""
    estate_id = estate if isinstance(estate, int) else estate.pk
    return (published_before(month).filter(estate_id=estate_id).select_related("period")
            .order_by("-qidx").first())


def estates_with_published_rating(month: datetime.date, estates=None):
    """Estates annotated with `rating_id` of the rating that holds for `month` (one query, for the payout job)."""
    latest = published_before(month).filter(estate_id=OuterRef("pk")).order_by("-qidx").values("pk")[:1]
    return (estates if estates is not None else Estate.objects.all()).annotate(rating_id=Subquery(latest))


def yearly_rating(estate: Estate, year: int) -> tuple[Decimal | None, int]:
    """Mean of the year's published quarter scores (half-up, 0.01) and the tier it earns."""
    scores = list(StarRating.objects.published().filter(estate=estate, period__year=year, score__isnull=False)
                  .values_list("score", flat=True))
    if not scores:
        return None, 0
    mean = round_half_up(sum(scores, Decimal("0")) / len(scores))
    district = estate.community.street.district
    policy = policy_for(district.pk, datetime.date(year, 12, 31)) or ensure_default_policy(district)
    return mean, tier_for(policy, mean)


def public_ratings():
    """Published, starred results for the public page (no login)."""
    return (StarRating.objects.published().filter(tier__gt=0)
            .select_related("estate__community__street__district", "firm", "period")
            .order_by("-period__year", "-period__quarter", "-tier", "estate__name"))
