"""Reads across places: the home page summary and rates against targets."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from accounts.scope import scope_of
from accounts.versions import version_in_force

from .models import DistrictPolicy, Estate, ManagementMode


def rate(part: int, whole: int) -> Decimal | None:
    """Percentage to one decimal, half-up; None when there is nothing to count."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def current_policy(district_id: int, on: datetime.date | None = None) -> DistrictPolicy | None:
    return version_in_force(DistrictPolicy, district_id, on or datetime.date.today())


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


def estate_counts_by_street(*, user) -> list[StreetRow]:
    """One row per street: estates the user may see, coverage and committee formation."""
    qs = (
        Estate.objects.visible_to(user)
        .with_committee_flags()
        .values(
            "community__street_id",
            "community__street__name",
            "community__street__district_id",
            "community__street__district__name",
        )
        .annotate(
            n=Count("pk"),
            covered=Count("pk", filter=~Q(management_mode=ManagementMode.NONE)),
            filed=Count("pk", filter=Q(has_filed_committee=True)),
            standin=Count("pk", filter=Q(has_standin_committee=True)),
        )
        .order_by("community__street__district__name", "community__street__name")
    )
    policies: dict[int, DistrictPolicy | None] = {}
    rows = []
    for r in qs:
        district_id = r["community__street__district_id"]
        if district_id not in policies:
            policies[district_id] = current_policy(district_id)
        policy = policies[district_id]
        rows.append(
            StreetRow(
                district=r["community__street__district__name"],
                district_id=district_id,
                street=r["community__street__name"],
                street_id=r["community__street_id"],
                estates=r["n"],
                covered=r["covered"],
                filed_committees=r["filed"],
                standin_committees=r["standin"],
                formation_target=policy.committee_formation_target if policy else None,
                coverage_target=policy.coverage_target if policy else None,
            )
        )
    return rows


def home_summary(*, user) -> dict:
    rows = estate_counts_by_street(user=user)
    total = StreetRow(
        district="", district_id=0, street="合计", street_id=0,
        estates=sum(r.estates for r in rows),
        covered=sum(r.covered for r in rows),
        filed_committees=sum(r.filed_committees for r in rows),
        standin_committees=sum(r.standin_committees for r in rows),
        formation_target=max((r.formation_target for r in rows if r.formation_target is not None), default=None),
        coverage_target=max((r.coverage_target for r in rows if r.coverage_target is not None), default=None),
    )
    scope = scope_of(user)
    summary = {"streets": rows, "total": total, "is_firm_only": scope.roles == {"firm_user"}}
    if scope.has_role("firm_user"):
        from enterprises.models import Firm  # firm users see their own firm first

        summary["firms"] = list(Firm.objects.filter(pk__in=scope.ids("firm")))
    return summary
