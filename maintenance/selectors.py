"""Reads of the maintenance-fund pages: an estate's eligibility (shown before the form is filled and
checked again by the service), the budget of the district's match, the yearly totals.

Every list and total starts at `FundApplication.objects.visible_to(user)`: a street sees its own
applications and totals, a district its district's, the city everything.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.money import round_half_up
from accounts.scope import scope_of
from accounts.versions import version_in_force
from communities.models import DEFAULT_OLD_ESTATE_CUTOFF, Estate, cutoff_years
from communities.selectors import area_in_force, area_versions

from .models import (
    COMMITTED_STATUSES,
    OPEN_STATUSES,
    ApplicationStatus,
    FundApplication,
    MaintenancePolicy,
)
from .services.policy import policy_for

ZERO = Decimal("0.00")
MONEY_OUT = DecimalField(max_digits=14, decimal_places=2)
S = ApplicationStatus
# Applications whose area counts against the estate's area for the year (all but withdrawn ones).
LIVE_STATUSES = OPEN_STATUSES + (S.DISBURSED,)


# --- may the user apply --------------------------------------------------------------------------------------

def may_apply(user, street_id: int) -> bool:
    """The street's staff file applications for its estates (city administrators may act for any)."""
    scope = scope_of(user)
    return scope.city_admin or scope.holds(Role.STREET_STAFF, street_id)


def applies_somewhere(user) -> bool:
    scope = scope_of(user)
    return scope.city_admin or bool(scope.by_role.get(Role.STREET_STAFF))


def estates_to_apply_for(user):
    """The estates whose applications the user files: a street's own (city administrators: every one)."""
    scope = scope_of(user)
    qs = Estate.objects.all() if scope.city_admin else Estate.objects.filter(
        community__street_id__in=scope.by_role.get(Role.STREET_STAFF, ()))
    return qs.select_related("community__street__district")


# --- eligibility: the rules before the work ------------------------------------------------------------------

@dataclass
class Eligibility:
    """What the rules say about one estate on `today`, before anything is filled in."""

    estate: Estate
    today: datetime.date
    policy: MaintenancePolicy | None
    cutoff_year: int
    area: Decimal  # the estate's total building area in force today
    area_used: Decimal  # by this year's other applications (all but withdrawn ones)
    open_application: FundApplication | None
    refusals: list = field(default_factory=list)

    @property
    def is_old(self) -> bool:
        return self.estate.completion_year <= self.cutoff_year

    @property
    def eligible(self) -> bool:
        return not self.refusals

    @property
    def area_left(self) -> Decimal:
        return max(self.area - self.area_used, ZERO)

    @property
    def lift_cap(self) -> Decimal | None:
        """The cap for buildings with a lift, when the estate has lifts (else None: it may not be claimed)."""
        return self.policy.lift_cap if self.policy and self.estate.has_lift else None

    @property
    def no_lift_cap(self) -> Decimal | None:
        return self.policy.no_lift_cap if self.policy else None

    @property
    def cap(self) -> Decimal | None:
        """The estate's own cap: with a lift when it has lifts."""
        if self.policy is None:
            return None
        return self.policy.cap_for(self.estate.has_lift)

    @property
    def match_ratio(self) -> Decimal | None:
        return self.policy.match_ratio if self.policy else None


def eligibility(estate: Estate, *, today: datetime.date, exclude: int | None = None) -> Eligibility:
    """The estate's eligibility on `today` (`exclude`: the application being resubmitted, not counted
    against itself)."""
    street = estate.community.street
    district = street.district
    policy = policy_for(district.pk, today)
    cutoff = cutoff_years(today).get(district.pk, DEFAULT_OLD_ESTATE_CUTOFF)
    area = area_in_force(area_versions([estate.pk]).get(estate.pk, []), today, estate.total_area)
    others = FundApplication.objects.filter(estate=estate)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    area_used = round_half_up(others.filter(year=today.year, status__in=LIVE_STATUSES).aggregate(
        s=Coalesce(Sum("area"), Value(ZERO), output_field=MONEY_OUT))["s"])
    open_app = others.filter(status__in=OPEN_STATUSES).first()
    result = Eligibility(estate=estate, today=today, policy=policy, cutoff_year=cutoff, area=area,
                         area_used=area_used, open_application=open_app)
    if not result.is_old:
        result.refusals.append(_(
            "“%(e)s”%(y)d 年建成，%(d)s老旧小区为 %(c)d 年底前（含）建成的小区，不能申请老旧小区维修资金。") % {
            "e": estate.name, "y": estate.completion_year, "d": district.name, "c": cutoff})
    if policy is None:
        result.refusals.append(_("%(d)s尚未制定老旧小区维修资金政策（交存上限和配套比例），暂不能申请。") % {
            "d": district.name})
    if open_app is not None:
        result.refusals.append(_("“%(e)s”已有一份在办的维修资金申请（%(s)s），办结或撤回后才能再次申请。") % {
            "e": estate.name, "s": open_app.get_status_display()})
    elif result.area_left <= 0:
        result.refusals.append(_("“%(e)s”%(y)d 年度的申请已覆盖小区全部 %(a)s ㎡ 建筑面积。") % {
            "e": estate.name, "y": today.year, "a": f"{area:,.2f}"})
    return result


# --- budget of the district's match --------------------------------------------------------------------------

def budget_use(app: FundApplication) -> dict:
    """The district's match committed this year (approved or disbursed, without `app`), `app`'s match,
    the year's budget (the policy in force on 1 January of the year, else the application's)."""
    policy = version_in_force(MaintenancePolicy, app.district_id, datetime.date(app.year, 1, 1)) or app.policy
    earlier = round_half_up(FundApplication.objects.filter(district_id=app.district_id, year=app.year,
                                                           status__in=COMMITTED_STATUSES).exclude(pk=app.pk)
                            .aggregate(s=Coalesce(Sum("matched"), Value(ZERO), output_field=MONEY_OUT))["s"])
    budget = policy.yearly_budget
    with_this = earlier + app.matched
    return {"year": app.year, "earlier": earlier, "this": app.matched, "with_this": with_this, "budget": budget,
            "over": bool(budget) and with_this > budget, "left": budget - with_this if budget else None}


# --- lists and totals ----------------------------------------------------------------------------------------

def applications_for(user):
    return FundApplication.objects.visible_to(user).select_related(
        "estate__community", "street", "district", "submitted_by")


def sees_district(user, district_id: int) -> bool:
    scope = scope_of(user)
    return scope.city or district_id in scope.ids("district")


def _sum(expr, cond):
    return Coalesce(Sum(expr, filter=cond), Value(ZERO), output_field=MONEY_OUT)


# The figures of a year, by name. The SQL aliases get a prefix (`t_`): an alias named like a field
# ("granted") would otherwise be what a later F("granted") of the same query refers to.
TOTALS = {
    "applications": Count("pk", filter=~Q(status=S.WITHDRAWN)),
    "in_progress": Count("pk", filter=Q(status__in=[S.SUBMITTED, S.RETURNED, S.REVIEWED])),
    "committed": Count("pk", filter=Q(status__in=COMMITTED_STATUSES)),
    "area": _sum("area", Q(status__in=COMMITTED_STATUSES)),
    "granted": _sum("granted", Q(status__in=COMMITTED_STATUSES)),
    "matched": _sum("matched", Q(status__in=COMMITTED_STATUSES)),
    "total": _sum(F("granted") + F("matched"), Q(status__in=COMMITTED_STATUSES)),
    "disbursed_count": Count("pk", filter=Q(status=S.DISBURSED)),
    "disbursed": _sum(F("granted") + F("matched"), Q(status=S.DISBURSED)),
}
_ALIASED = {f"t_{name}": expr for name, expr in TOTALS.items()}


MONEY_TOTALS = {"area", "granted", "matched", "total", "disbursed"}


def _named(row: dict) -> dict:
    """The row under the figures' own names, sums as Decimal with two places (SQLite's SUM drops them)."""
    out = {}
    for key, value in row.items():
        name = key[2:] if key.startswith("t_") else key
        out[name] = round_half_up(value) if name in MONEY_TOTALS else value
    return out


def yearly_totals(user, year: int) -> dict:
    """The fund's year, from the applications the user may see: per district, per street, and in all.

    granted / matched / total count approved and disbursed applications (the money committed);
    disbursed counts what the district has paid (the estate's part and the match)."""
    rows = applications_for(user).filter(year=year).order_by()
    by_district = [_named(r) for r in rows.values("district_id", "district__name").annotate(**_ALIASED)
                   .order_by("district__name", "district_id")]
    by_street = [_named(r) for r in rows.values("district_id", "street_id", "street__name").annotate(**_ALIASED)
                 .order_by("street__name", "street_id")]
    overall = _named(rows.aggregate(**_ALIASED))
    for row in by_district:
        row["whole"] = sees_district(user, row["district_id"])
        policy = version_in_force(MaintenancePolicy, row["district_id"], datetime.date(year, 1, 1))
        budget = policy.yearly_budget if policy and row["whole"] else ZERO
        row["budget"] = budget
        row["left"] = budget - row["matched"] if budget else None
    return {"year": year, "districts": by_district, "streets": by_street, "overall": overall}


def years_with_applications(user) -> list[int]:
    return list(applications_for(user).order_by("-year").values_list("year", flat=True).distinct())


def applications_awaiting(user, status: str):
    """The 待办 rows of one step: the applications the user can see that wait in `status` (the menu shows
    each queue only to the roles that take that step, accounts/menu.py)."""
    return FundApplication.objects.visible_to(user).filter(status=status)
