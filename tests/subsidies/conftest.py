import datetime
from decimal import Decimal

import pytest

from ratings.models import PeriodStatus, RatingPeriod, StarRating
from ratings.services.policy import ensure_default_policy
from subsidies.models import SubsidyPolicy
from tests.ratings.conftest import accept


@pytest.fixture
def sub_world(world):
    """A programme for 山亭区 from 2025-03 for 36 months, so the March 2025 batch settles March alone
    once 2025Q1 is published (先考核后拨付: a month is paid on its own quarter's rating). Tests of the
    window and of catching up earlier months set their own dates."""
    w = world
    w.rating_policy = ensure_default_policy(w.shanting)
    w.policy = SubsidyPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2021, 1, 1),
                                            programme_start=datetime.date(2025, 3, 1), programme_months=36,
                                            yearly_budget=Decimal("1000000.00"))
    return w


def published(w, estate, year, quarter, tier, reason=""):
    """A published rating of `estate` for (year, quarter) with the given tier."""
    period, _ = RatingPeriod.objects.get_or_create(
        district=w.shanting, year=year, quarter=quarter,
        defaults={"policy": w.rating_policy, "status": PeriodStatus.PUBLISHED,
                  "computed_at": datetime.datetime(year, 12, 1, tzinfo=datetime.UTC)})
    return StarRating.objects.create(period=period, estate=estate, firm=estate.firm, inspection_count=1,
                                     score=Decimal("80"), tier=tier, no_tier_reason=reason,
                                     computed_at=datetime.datetime(year, 12, 1, tzinfo=datetime.UTC))


def participating(w, estate, year, tier, quarter=None, area=None):
    if area is not None:
        estate.total_area = Decimal(area)
        estate.save(update_fields=["total_area"])
    accept(w, estate, year=year, firm=estate.firm or w.firm1)
    if quarter:
        return published(w, estate, year if quarter else year, quarter, tier)


def same_tiers(w, year, quarter, src=(2025, 1)):
    """Publish (year, quarter) with each estate's tier of quarter `src` (so the next month pays as before)."""
    for r in StarRating.objects.filter(period__district=w.shanting, period__year=src[0], period__quarter=src[1]):
        published(w, r.estate, year, quarter, r.tier, reason=r.no_tier_reason)
