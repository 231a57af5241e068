"""Reads across places: the home page summary and rates against targets."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, FloatField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from accounts.scope import scope_of
from accounts.versions import version_in_force

from .models import DistrictPolicy, Estate, EstateArea, ManagementMode, Street
from .targets import committee_targets, rate_target_expression, target_of


def rate(part: int, whole: int) -> Decimal | None:
    """Percentage to one decimal, half-up; None when there is nothing to count."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def current_policy(district_id: int, on: datetime.date | None = None) -> DistrictPolicy | None:
    return version_in_force(DistrictPolicy, district_id, on or datetime.date.today())


def current_policies(on: datetime.date) -> dict[int, DistrictPolicy]:
    """district id -> its policy in force on `on`, for every district at once (one query)."""
    policies: dict[int, DistrictPolicy] = {}
    for policy in DistrictPolicy.objects.filter(effective_from__lte=on).order_by("district_id", "-effective_from"):
        policies.setdefault(policy.district_id, policy)
    return policies


@dataclass
class StreetRow:
    district: str
    district_id: int
    street: str
    street_id: int
    estates: int
    covered: int
    filed_committees: int
    standin_committees: int
    formation_target: Decimal | None
    coverage_target: Decimal | None

    @property
    def coverage_rate(self):
        return rate(self.covered, self.estates)

    @property
    def formation_rate(self):
        # DOMAIN.md §2: estates with a filed owners' committee or a stand-in management
        # committee (the latter also shown on its own), over all estates; the same
        # definition as the street and community lists (communities/views/places.py).
        return rate(self.filed_committees + self.standin_committees, self.estates)

    @property
    def standin_rate(self):
        return rate(self.standin_committees, self.estates)

    @property
    def formation_met(self):
        r = self.formation_rate
        return r is not None and self.formation_target is not None and r >= self.formation_target


def estate_counts_by_street(*, user, today: datetime.date | None = None) -> list[StreetRow]:
    """One row per street: estates the user may see, coverage and committee formation.

    Three queries whatever the number of districts and streets: the counts grouped by street id alone
    (a hash aggregate; no sort of every estate by name), the streets' names in order, and every
    district's policy in force.
    """
    counts = {
        r["community__street_id"]: r
        for r in Estate.objects.visible_to(user).with_committee_flags().values("community__street_id").annotate(
            n=Count("pk"),
            covered=Count("pk", filter=~Q(management_mode=ManagementMode.NONE)),
            filed=Count("pk", filter=Q(has_filed_committee=True)),
            standin=Count("pk", filter=Q(has_standin_committee=True)),
        ).order_by()
    }
    if not counts:
        return []
    streets = Street.objects.filter(pk__in=counts).select_related("district").order_by("district__name", "name", "pk")
    today = today or timezone.localdate()
    policies = current_policies(today)
    targets = committee_targets(today.year)
    rows = []
    for street in streets:
        r, policy = counts[street.pk], policies.get(street.district_id)
        target = target_of(targets, street.district_id)
        rows.append(
            StreetRow(
                district=street.district.name,
                district_id=street.district_id,
                street=street.name,
                street_id=street.pk,
                estates=r["n"],
                covered=r["covered"],
                filed_committees=r["filed"],
                standin_committees=r["standin"],
                formation_target=target.share if target is not None and target.is_rate else None,
                coverage_target=policy.coverage_target if policy else None,
            )
        )
    return rows


def home_summary(*, user, today: datetime.date | None = None) -> dict:
    """The home page's table by street and the user's firms. The indicator tiles above it (coverage,
    committee formation, …, with their targets) are reports.indicators' own, rendered by the reports app's
    template tag: this app may not import reports."""
    rows = estate_counts_by_street(user=user, today=today)
    scope = scope_of(user)
    summary = {"streets": rows, "estates": sum(r.estates for r in rows),
               "is_firm_only": scope.roles == {"firm_user"}}
    if scope.has_role("firm_user"):
        from enterprises.models import Firm  # firm users see their own firm first

        summary["firms"] = list(Firm.objects.filter(pk__in=scope.ids("firm")))
    return summary


# --- Street and community lists: the same figures as annotations (one subquery per figure) ---

# The committee definitions live once, on the Estate queryset (with_committee_flags).
FILED = Q(has_filed_committee=True)
STANDIN = Q(has_standin_committee=True)


def _count(estates, link: str, *conditions):
    """Number of `estates` whose `link` is the outer row, as a subquery (0 when none)."""
    qs = (estates.filter(*conditions, **{link: OuterRef("pk")}).order_by()
          .values(link).annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(qs[:1]), Value(0))


def _percent(part: str, whole: str):
    """part / whole in %, NULL when whole is 0."""
    return Cast(F(part), FloatField()) * 100.0 / NullIf(Cast(F(whole), FloatField()), Value(0.0))


def _policy_target(district_path: str, field: str):
    policy = DistrictPolicy.objects.filter(
        district=OuterRef(district_path), effective_from__lte=datetime.date.today(),
    ).order_by("-effective_from")
    return Subquery(policy.values(field)[:1])


def with_place_stats(queryset, *, user, link: str, district_path: str):
    """Annotate streets or communities with their estates' coverage and committee figures.

    `link` is the path from Estate to the annotated model ("community__street"
    or "community"); `district_path` the path from that model to its district.
    """
    estates = Estate.objects.visible_to(user).with_committee_flags()
    return queryset.annotate(
        estate_total=_count(estates, link),
        covered_total=_count(estates, link, ~Q(management_mode=ManagementMode.NONE)),
        filed_total=_count(estates, link, FILED),
        standin_total=_count(estates, link, STANDIN),
        coverage_pct=_percent("covered_total", "estate_total"),
        formed_total=F("filed_total") + F("standin_total"),
        formation_pct=_percent("formed_total", "estate_total"),
        coverage_target=_policy_target(district_path, "coverage_target"),
        formation_target=rate_target_expression(district_path, timezone.localdate().year),
    )


def place_totals(*, user, estate_filter: Q) -> dict:
    """The same figures summed over every estate the user sees in the listed places."""
    totals = Estate.objects.visible_to(user).with_committee_flags().filter(estate_filter).aggregate(
        estate_total=Count("pk"),
        covered_total=Count("pk", filter=~Q(management_mode=ManagementMode.NONE)),
        filed_total=Count("pk", filter=FILED),
        standin_total=Count("pk", filter=STANDIN),
    )
    n = totals["estate_total"]
    totals["uncovered_total"] = n - totals["covered_total"]
    totals["coverage_pct"] = totals["covered_total"] * 100.0 / n if n else None
    totals["formation_pct"] = (totals["filed_total"] + totals["standin_total"]) * 100.0 / n if n else None
    return totals


def common_targets(rows) -> dict | None:
    """The coverage and formation targets when every listed place has the same ones."""
    targets = {(r.coverage_target, r.formation_target) for r in rows}
    if len(targets) != 1:
        return None
    coverage, formation = targets.pop()
    return None if coverage is None else {"coverage": coverage, "formation": formation}


def area_versions(estate_ids) -> dict[int, list[tuple[datetime.date, Decimal]]]:
    """estate id -> [(effective from, area)] oldest first, for the estates that have versions (one query)."""
    out: dict[int, list] = {}
    for estate_id, effective_from, area in (EstateArea.objects.filter(estate_id__in=list(estate_ids))
                                            .order_by("estate_id", "effective_from")
                                            .values_list("estate_id", "effective_from", "area")):
        out.setdefault(estate_id, []).append((effective_from, area))
    return out


def area_in_force(versions: list[tuple[datetime.date, Decimal]], on: datetime.date, current: Decimal) -> Decimal:
    """The area of the latest version effective on or before `on` (versions sorted by date); `current`
    when the estate has no version rows (its area never changed). Before the first version: the first."""
    area = versions[0][1] if versions else current
    for effective_from, value in versions:
        if effective_from > on:
            break
        area = value
    return area
