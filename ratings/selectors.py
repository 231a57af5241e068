"""Reads of the ratings app: the tier a month pays on, yearly ratings, public list, plaques, and which
results a user sees (current versions; firms only once announced)."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.core import signing
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils.crypto import constant_time_compare

from accounts.money import round_half_up
from communities.models import Estate
from inspections.models import Inspection

from accounts.scope import scope_of

from .models import (
    Application,
    ApplicationStatus,
    ComponentScore,
    PeriodStatus,
    RatingPeriod,
    RecheckDecision,
    StarRating,
)
from .services.periods import quarter_bounds
from .services.policy import ensure_default_policy, policy_for, tier_for
from .services.scores import SCORE_LEVELS


def sees_provisional(user) -> bool:
    """Whether the user sees results before the announcement: everyone who sees ratings but firm users
    (a firm sees its estates' results once announced, DOMAIN.md §5). A user who also holds a place role
    (district, street, community) or city-wide rights sees them."""
    scope = scope_of(user)
    return scope.city or bool(scope.ids("district") or scope.ids("street") or scope.ids("community"))


def results_visible_to(user, *, current: bool = True):
    """The results `user` may see: in scope, current versions (unless current=False, for one result's
    page and its history), and for firms only those of announced or published periods."""
    qs = StarRating.objects.visible_to(user)
    if current:
        qs = qs.current()
    if not sees_provisional(user):
        qs = qs.filter(period__status__in=(PeriodStatus.ANNOUNCED, PeriodStatus.PUBLISHED))
    return qs


def _quarter_index(day: datetime.date) -> int:
    return day.year * 4 + (day.month - 1) // 3 + 1


def published_before(month: datetime.date):
    """Published ratings of quarters that ended before `month` began ("assess first, pay after")."""
    last_closed = _quarter_index(month) - 1  # the quarter before the one `month` lies in
    return (StarRating.objects.published()
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


def held_rating(estate_id: int, year: int) -> StarRating | None:
    """The published (current) rating of the estate's latest published quarter of `year`: the tier its
    plaque shows when the yearly re-check is made."""
    return (StarRating.objects.published().filter(estate_id=estate_id, period__year=year)
            .order_by("-period__quarter").first())


def public_ratings():
    """Published, starred results for the public page (no login): newest quarter first, then district by
    district (one period each), five stars first, and within a tier in the order the estates were
    registered (estate id). The page reads it period by period and tier by tier from the
    rating_current_period_tier index (ratings/views/public.py), with no join needed to order a page."""
    return (StarRating.objects.published().filter(tier__gt=0)
            .select_related("estate__community__street__district", "firm", "period")
            .order_by("-period__year", "-period__quarter", "period__district__name", "period_id", "-tier",
                      "estate_id", "pk"))


def public_groups_in_order(keys: list[tuple]) -> list[tuple]:
    """The public page's groups, (period id, tier), in public_ratings()'s order."""
    periods = (RatingPeriod.objects.filter(pk__in={key[0] for key in keys})
               .order_by("-year", "-quarter", "district__name", "pk").values_list("pk", flat=True))
    rank = {pk: i for i, pk in enumerate(periods)}
    return sorted(keys, key=lambda key: (rank[key[0]], -key[1]))


# 3★ and above get a plaque (星级标牌, DOMAIN.md §5).
PLAQUE_MIN_TIER = 3
PLAQUE_SALT = "ratings.plaque"


def _revoking_decisions():
    """Re-check decisions that lowered the tier and revoke the plaque of the (OuterRef) rating: same estate
    and year, the rating's tier above the tier the yearly mean earns."""
    return RecheckDecision.objects.filter(estate_id=OuterRef("estate_id"), year=OuterRef("period__year"),
                                          tier_after__lt=F("tier_before")).filter(tier_after__lt=OuterRef("tier"))


def plaque_ratings():
    """Ratings that earn a plaque: published, current version, 3★ or more, not revoked by a re-check."""
    return (StarRating.objects.published().filter(tier__gte=PLAQUE_MIN_TIER)
            .exclude(Exists(_revoking_decisions())))


def revocation_of(rating: StarRating) -> RecheckDecision | None:
    """The yearly re-check decision that revoked this rating's plaque, if any."""
    return (RecheckDecision.objects.filter(estate_id=rating.estate_id, year=rating.period.year,
                                           tier_after__lt=F("tier_before"))
            .filter(tier_after__lt=rating.tier).select_related("decided_by").first())


def recheck_decision(estate_id: int, year: int) -> RecheckDecision | None:
    return RecheckDecision.objects.filter(estate_id=estate_id, year=year).select_related("decided_by").first()


def plaque_token(rating_id: int) -> str:
    """The signature printed (as a QR code) on a plaque, so verification URLs cannot be guessed."""
    return signing.Signer(salt=PLAQUE_SALT).signature(str(rating_id))


def rating_for_plaque(rating_id: int, token: str) -> StarRating | None:
    """The rating a plaque's QR code names, or None when the token is not ours (a forged plaque)."""
    if not constant_time_compare(plaque_token(rating_id), token or ""):
        return None
    return (StarRating.objects.select_related("estate__community__street__district", "period", "firm")
            .filter(pk=rating_id).first())


def participating_estates(user, year: int):
    """Estates whose application for `year` the district accepted, that `user` may score."""
    accepted = Application.objects.filter(estate=OuterRef("pk"), year=year, status=ApplicationStatus.ACCEPTED)
    return (Estate.objects.editable_by(user, levels=SCORE_LEVELS).filter(Exists(accepted))
            .select_related("community__street__district", "firm")
            .order_by("community__street__name", "community__name", "name", "pk"))


def component_grid(estates, year: int, quarter: int) -> dict[int, dict[str, ComponentScore]]:
    """{estate id: {kind: ComponentScore}} of a quarter, in one query."""
    grid: dict[int, dict[str, ComponentScore]] = {}
    for c in ComponentScore.objects.filter(estate__in=estates, year=year, quarter=quarter):
        grid.setdefault(c.estate_id, {})[c.kind] = c
    return grid


def quarter_inspections(user, rating: StarRating):
    """The inspections of the rating's estate and quarter that counted (those the user may see)."""
    start, end = quarter_bounds(rating.period.year, rating.period.quarter)
    return (Inspection.objects.visible_to(user).counted().filter(estate_id=rating.estate_id, date__range=(start, end))
            .order_by("date", "pk"))


def score_terms(rating: StarRating) -> dict | None:
    """The rating's computation written out with the weights of the policy its period used, e.g.
    88.67×70% + 90.00×10% + 90.00×20% = 89.07. None when there is no score (a missing component)."""
    if rating.score is None:
        return None
    policy = rating.period.policy
    terms = [
        ("inspection", rating.inspection_score, policy.weight_inspection),
        ("opinion", rating.opinion_score, policy.weight_opinion),
        ("satisfaction", rating.satisfaction_score, policy.weight_satisfaction),
    ]

    def pct(w: Decimal) -> str:
        text = f"{w:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    rows = [{"key": key, "score": s, "weight": w, "product": s * w / Decimal("100")} for key, s, w in terms]
    formula = " + ".join(f"{s:.2f}×{pct(w)}%" for _key, s, w in terms) + f" = {rating.score:.2f}"
    return {"rows": rows, "sum": sum((r["product"] for r in rows), Decimal("0")), "formula": formula}


def yearly_ratings(*, user, year: int) -> list[dict]:
    """The yearly re-check for every estate the user sees: the mean of its published quarter scores.

    One aggregate query, then per estate: mean (half-up, 0.01), the tier the
    mean earns under the district's policy at the year's end, the tier the
    estate holds from its latest published quarter, whether the re-check
    lowers it (DOMAIN.md §5: "one that no longer meets its tier loses it"),
    and the district's confirmed decision, if any (one more query).
    """
    from django.db.models import Count, Sum

    rows = (StarRating.objects.visible_to(user).published().filter(period__year=year, score__isnull=False)
            .values("estate_id", "estate__name", "estate__community__street__name",
                    "estate__community__street__district_id")
            .annotate(total=Sum("score"), n=Count("pk")).order_by("estate__community__street__name", "estate__name"))
    rows = list(rows)
    latest = {}
    for r in (StarRating.objects.visible_to(user).published().filter(period__year=year,
                                                                      estate_id__in=[x["estate_id"] for x in rows])
              .order_by("estate_id", "-period__quarter").values("estate_id", "tier", "period__quarter")):
        latest.setdefault(r["estate_id"], r)
    decisions = {d.estate_id: d for d in RecheckDecision.objects.filter(
        year=year, estate_id__in=[x["estate_id"] for x in rows]).select_related("decided_by")}
    policies = {}
    out = []
    for r in rows:
        district_id = r["estate__community__street__district_id"]
        if district_id not in policies:
            from communities.models import District

            policies[district_id] = (policy_for(district_id, datetime.date(year, 12, 31))
                                     or ensure_default_policy(District.objects.get(pk=district_id)))
        mean = round_half_up(r["total"] / r["n"])
        tier = tier_for(policies[district_id], mean)
        held = latest[r["estate_id"]]
        out.append({"estate_id": r["estate_id"], "estate": r["estate__name"], "district_id": district_id,
                    "street": r["estate__community__street__name"], "quarters": r["n"], "mean": mean,
                    "tier": tier, "held_tier": held["tier"], "held_quarter": held["period__quarter"],
                    "lowered": tier < held["tier"], "decision": decisions.get(r["estate_id"])})
    return out


# --- what waits on a user (the menu's 待办, accounts/menu.py) ----------------------------------------------

def applications_to_report(user):
    """Applications the user's streets must review and report to the district (or return): status 已申报
    on estates of the streets the user edits (`report` in ratings/services/applications.py)."""
    streets = scope_of(user).ids("street", edit=True)
    return Application.objects.filter(status=ApplicationStatus.SUBMITTED, estate__community__street_id__in=streets)


def applications_to_accept(user):
    """Applications reported by the streets that the user's districts must accept or reject: status 街道已审核上报
    on estates of the districts the user edits (`accept` / `reject`)."""
    districts = scope_of(user).ids("district", edit=True)
    return Application.objects.filter(status=ApplicationStatus.REPORTED,
                                      estate__community__street__district_id__in=districts)


# --- a firm's home (reports' firm cards) ---------------------------------------------------------------------

def latest_published_ratings(estates):
    """`estates` (a queryset) annotated with the tier, score and quarter of each one's latest published rating
    (current version of a published period; None where the estate has none): one query, three subqueries."""
    latest = (StarRating.objects.published().filter(estate_id=OuterRef("pk"))
              .order_by("-period__year", "-period__quarter"))
    return estates.annotate(
        rating_pk=Subquery(latest.values("pk")[:1]),
        rating_tier=Subquery(latest.values("tier")[:1]),
        rating_score=Subquery(latest.values("score")[:1]),
        rating_year=Subquery(latest.values("period__year")[:1]),
        rating_quarter=Subquery(latest.values("period__quarter")[:1]),
    )


def application_windows(district_ids, today: datetime.date) -> list[dict]:
    """Each district's star-rating application window for `today`'s year under the policy in force that day
    (ratings/services/policy.application_window, the dates `application_submit` checks): district, year,
    start, end, `open` (start <= today <= end) and `next_start` (the day it opens next when closed: this
    year's start before it, next year's after it). A district without a policy yet is left out (the first
    application creates its default one). One query."""
    from .models import RatingPolicy
    from .services.policy import application_window

    policies: dict[int, RatingPolicy] = {}
    for policy in (RatingPolicy.objects.filter(district_id__in=list(district_ids), effective_from__lte=today)
                   .select_related("district").order_by("district__name", "district_id", "-effective_from")):
        policies.setdefault(policy.district_id, policy)
    out = []
    for policy in policies.values():
        start, end = application_window(policy, today.year)
        is_open = start <= today <= end
        next_start = None
        if not is_open:
            next_start = start if today < start else application_window(policy, today.year + 1)[0]
        out.append({"district": policy.district, "year": today.year, "start": start, "end": end,
                    "open": is_open, "next_start": next_start})
    return out
