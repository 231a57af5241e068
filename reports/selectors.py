"""Reads of the reports app: target lookup and the home page's indicator tiles."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from accounts.scope import scope_of
from communities.models import Community, Street
from communities.targets import committee_target_for_area

from .indicators import CITY, INDICATORS, Area, Indicator, Measure, Period, Scope, measure
from .models import AreaLevel, Target

SPECIFICITY = {AreaLevel.COMMUNITY: 3, AreaLevel.STREET: 2, AreaLevel.DISTRICT: 1, AreaLevel.CITY: 0}


def _chain_q(area: Area) -> Q:
    """Target rows of `area` and of every area above it (the ancestors' ids as subqueries: no query here)."""
    q = Q(level=AreaLevel.CITY)
    if area.level == "district":
        q |= Q(level=AreaLevel.DISTRICT, area_id=area.id)
    elif area.level == "street":
        q |= Q(level=AreaLevel.STREET, area_id=area.id)
        q |= Q(level=AreaLevel.DISTRICT, area_id__in=Street.objects.filter(pk=area.id).values("district_id"))
    elif area.level == "community":
        community = Community.objects.filter(pk=area.id)
        q |= Q(level=AreaLevel.COMMUNITY, area_id=area.id)
        q |= Q(level=AreaLevel.STREET, area_id__in=community.values("street_id"))
        q |= Q(level=AreaLevel.DISTRICT, area_id__in=community.values("street__district_id"))
    return q


def targets_for(codes, area: Area, year: int) -> dict[str, Target]:
    """indicator code -> the target in force for `area` in `year`, for every code that has one (one query).

    The most specific area wins (community, then street, district, city); within it, the latest year not
    after `year` (a target holds until a later one replaces it). The committee-formation target is not a
    Target row: it is read from communities.CommitteeTarget (committee_target), one more query.
    """
    codes = list(codes)
    best: dict[str, Target] = {}
    if COMMITTEE_FORMATION in codes:
        codes.remove(COMMITTEE_FORMATION)
        committee = committee_target(area, year)
        if committee is not None:
            best[COMMITTEE_FORMATION] = committee
    if not codes:
        return best
    rows = Target.objects.filter(_chain_q(area), indicator__in=codes, year__lte=year)
    for row in rows:
        held = best.get(row.indicator)
        if held is None or (SPECIFICITY[row.level], row.year) > (SPECIFICITY[held.level], held.year):
            best[row.indicator] = row
    return best


COMMITTEE_FORMATION = "committee_formation"


def committee_target(area: Area, year: int) -> Target | None:
    """The committee-formation target of the area's district (else the city's) as an unsaved Target, for the
    tile. Only a 组建率 target compares with the tile's rate over every estate; a district on yearly steps of
    its remaining estates (剩余小区比例) has no rate target here: its street and district pages show the
    steps in estates (communities.targets.formation_progress)."""
    found = committee_target_for_area(area.level, area.id, year)
    if found is None or not found.is_rate:
        return None
    row = found.row
    level = AreaLevel.CITY if row.district_id is None else AreaLevel.DISTRICT
    return Target(indicator=COMMITTEE_FORMATION, level=level, area_id=row.district_id, year=row.year,
                  value=found.share.quantize(Decimal("0.1")), source=row.source)


def target_for(code: str, area: Area, year: int) -> Target | None:
    return targets_for([code], area, year).get(code)


def home_area(user) -> Area:
    """The one area a user acts in (their district, street or community), else the city: a city user, a
    firm (whose estates may lie anywhere) or a user with several areas is measured against the city's
    targets, over the rows they may see."""
    scope = scope_of(user)
    if scope.city:
        return CITY
    areas = [(level, ids) for level in ("district", "street", "community") if (ids := scope.ids(level))]
    if len(areas) == 1 and len(areas[0][1]) == 1 and not scope.ids("firm"):
        level, ids = areas[0]
        return Area(level, next(iter(ids)))
    return CITY


def audience_of(user) -> str:
    """"firm" for a user whose only role is a firm's, else "government"."""
    return "firm" if scope_of(user).roles == {"firm_user"} else "government"


@dataclass(frozen=True)
class Tile:
    measure: Measure
    target: Target | None
    period: Period | None

    @property
    def indicator(self) -> Indicator:
        return self.measure.indicator

    @property
    def gap(self) -> Decimal | None:
        """How far the value is below the target (0 when met); None without a value or a target."""
        if self.target is None or self.measure.value is None:
            return None
        return max(self.target.value - self.measure.value, Decimal(0))

    @property
    def met(self) -> bool | None:
        gap = self.gap
        return None if gap is None else gap == 0


def home_tiles(*, user, today: datetime.date) -> list[Tile]:
    """The indicators of the user's home, in declaration order, each measured over what the user sees in
    their area (periodic ones over the quarter of `today`), with the target in force in `today`'s year."""
    audience = audience_of(user)
    indicators = [i for i in INDICATORS if audience in i.audience]
    area, period = home_area(user), Period.quarter_of(today)
    scope, dated = Scope(user=user, area=area), Scope(user=user, area=area, period=period)
    targets = targets_for([i.code for i in indicators], area, today.year)
    return [Tile(measure(i, dated if i.periodic else scope), targets.get(i.code), period if i.periodic else None)
            for i in indicators]
