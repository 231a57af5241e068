"""The committee-formation targets (CommitteeTarget) read for a district and a year, and the progress
against them.

CommitteeTarget is the one place these targets live: the street and community lists, the street and
district progress panels and the reports app's home tiles all read them through this module (the reports
app may import communities; nothing imports reports).

How a year's target is found: the district's latest row not after the year, else the city's (a row
without a district). A 组建率 row asks for at least `value` % of the estates to have a committee. A
剩余小区比例 row belongs to the programme that started on its `baseline_on`; the year's target is the sum
of that programme's steps up to the year, as a share of the estates that had no committee on
`baseline_on`, rounded up to whole estates (30 % of 7 estates is 3, never 2).
"""
from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, Exists, OuterRef, Q, Value, When

from .models import (
    CommitteeKind,
    CommitteeTarget,
    Community,
    Estate,
    FilingStatus,
    OwnerCommittee,
    Street,
    TargetForm,
)


@dataclass(frozen=True)
class YearTarget:
    """The committee target in force for one district (or the city) in one year."""

    year: int  # the year asked
    form: str
    share: Decimal  # 组建率: the rate; 剩余小区比例: the cumulative share of the baseline estates
    baseline_on: datetime.date | None = None
    steps: tuple = field(default=())  # 剩余小区比例: ((year, step %), …) of the programme up to `year`
    plan: tuple = field(default=())  # 剩余小区比例: every step of the programme, later years too
    row: CommitteeTarget | None = None  # the row in force (its year may be earlier than `year`)

    @property
    def is_rate(self) -> bool:
        return self.form == TargetForm.RATE

    @property
    def source(self) -> str:
        return self.row.source if self.row else ""


def _resolve(rows: list[CommitteeTarget], year: int) -> YearTarget | None:
    """The target in `year` from one district's rows (or the city's), any order."""
    every = sorted(rows, key=lambda r: r.year)
    rows = [r for r in every if r.year <= year]
    if not rows:
        return None
    latest = rows[-1]
    if latest.form == TargetForm.RATE:
        return YearTarget(year=year, form=latest.form, share=latest.value, row=latest)
    plan = tuple((r.year, r.value) for r in every
                 if r.form == TargetForm.REMAINING_SHARE and r.baseline_on == latest.baseline_on)
    steps = tuple((y, v) for y, v in plan if y <= year)
    share = min(sum((v for _, v in steps), Decimal(0)), Decimal(100))
    return YearTarget(year=year, form=latest.form, share=share, baseline_on=latest.baseline_on, steps=steps,
                      plan=plan, row=latest)


def committee_targets(year: int, district_ids=None) -> dict[int | None, YearTarget]:
    """district id -> its target in `year` (None -> the city's), for every district that has rows and the
    city (one query). A district without rows of its own takes the city's: see target_of."""
    qs = CommitteeTarget.objects.all()  # later rows too: a programme's plan is shown whole
    if district_ids is not None:
        qs = qs.filter(Q(district_id__in=list(district_ids)) | Q(district__isnull=True))
    by_district: dict[int | None, list] = {}
    for row in qs:
        by_district.setdefault(row.district_id, []).append(row)
    out = {}
    for district_id, rows in by_district.items():
        resolved = _resolve(rows, year)
        if resolved is not None:
            out[district_id] = resolved
    return out


def target_of(targets: dict[int | None, YearTarget], district_id: int) -> YearTarget | None:
    return targets.get(district_id) or targets.get(None)


def committee_target_for(district_id: int, year: int) -> YearTarget | None:
    return target_of(committee_targets(year, [district_id]), district_id)


def rate_target_expression(district_path: str, year: int):
    """The 组建率 target of each row's district in `year` as a CASE (no subquery per row): NULL where the
    district's target is a 剩余小区比例 one (its panel shows it in estates) or there is none."""
    targets = committee_targets(year)
    city = targets.get(None)
    default = city.share if city is not None and city.is_rate else None
    whens = [When(**{district_path: district_id}, then=Value(t.share if t.is_rate else None))
             for district_id, t in targets.items() if district_id is not None]
    out = DecimalField(max_digits=5, decimal_places=2)
    if not whens:
        return Value(default, output_field=out)
    return Case(*whens, default=Value(default), output_field=out)


# --- progress -------------------------------------------------------------------------------------------

def had_committee_on(on: datetime.date):
    """Exists(): the estate had a committee on `on` (elected by then and still in office: active, or its
    term not yet over; an owners' committee counts once filed by then, as in the formation rate)."""
    held = OwnerCommittee.objects.filter(estate=OuterRef("pk"), elected_on__lte=on).filter(
        Q(is_active=True) | Q(term_end__gt=on)).filter(
        Q(kind=CommitteeKind.STANDIN) | Q(kind=CommitteeKind.OWNERS, filing_status=FilingStatus.FILED,
                                          filed_on__lte=on))
    return Exists(held)


FORMED = Q(has_filed_committee=True) | Q(has_standin_committee=True)


@dataclass(frozen=True)
class Progress:
    """Progress of one place (a street or a district) against the target of its district this year."""

    target: YearTarget | None
    estates: int  # 组建率: every estate of the place; 剩余小区比例: the estates without a committee at the start
    formed: int  # of those, the estates with a committee now
    required: int | None  # estates that must have a committee to meet this year's target

    @property
    def gap(self) -> int | None:
        return None if self.required is None else max(self.required - self.formed, 0)

    @property
    def met(self) -> bool | None:
        return None if self.required is None else self.formed >= self.required


def required_estates(share: Decimal, estates: int) -> int:
    """Estates needed for `share` % of `estates`, rounded up (a target is a floor)."""
    return math.ceil(share * estates / Decimal(100))


def formation_progress(estates, target: YearTarget | None) -> Progress:
    """Progress of the estates `estates` (a queryset: the place's estates the user sees) against `target`."""
    if target is None:
        counts = estates.with_committee_flags().aggregate(n=Count("pk"), formed=Count("pk", filter=FORMED))
        return Progress(target=None, estates=counts["n"], formed=counts["formed"], required=None)
    if not target.is_rate:
        estates = estates.annotate(had_committee=had_committee_on(target.baseline_on)).filter(had_committee=False)
    counts = estates.with_committee_flags().aggregate(n=Count("pk"), formed=Count("pk", filter=FORMED))
    return Progress(target=target, estates=counts["n"], formed=counts["formed"],
                    required=required_estates(target.share, counts["n"]))


def street_progress(*, user, street, year: int) -> Progress:
    target = committee_target_for(street.district_id, year)
    return formation_progress(Estate.objects.visible_to(user).filter(community__street=street), target)


def district_progress(*, user, district, year: int) -> Progress:
    target = committee_target_for(district.pk, year)
    return formation_progress(Estate.objects.visible_to(user).filter(community__street__district=district), target)


def committee_target_for_area(level: str, area_id: int | None, year: int) -> YearTarget | None:
    """The target in `year` of the district an area lies in (a district, street or community; "city" or no
    id: the city's), one query: the district's rows and the city's together."""
    q = Q(district__isnull=True)
    if level == "district":
        q |= Q(district_id=area_id)
    elif level == "street":
        q |= Q(district_id__in=Street.objects.filter(pk=area_id).values("district_id"))
    elif level == "community":
        q |= Q(district_id__in=Community.objects.filter(pk=area_id).values("street__district_id"))
    rows: dict[int | None, list] = {}
    for row in CommitteeTarget.objects.filter(q):
        rows.setdefault(row.district_id, []).append(row)
    own = next((r for d, r in rows.items() if d is not None), None)
    return (_resolve(own, year) if own else None) or _resolve(rows.get(None, []), year)


@dataclass(frozen=True)
class PlaceProgress:
    level: str  # "street" or "district"
    place: object  # the Street or District
    progress: Progress


def progress_panel(*, user, today: datetime.date) -> list[PlaceProgress]:
    """The progress panels of the street list: a street's staff see their street(s), everyone above the
    street (district, city) each district they see. Two queries per place and one for the places; a city
    has a handful of districts. Community clerks and firms get none (the targets are the street's and the
    district's work)."""
    from accounts.scope import scope_of

    from .models import District

    scope = scope_of(user)
    year = today.year
    if scope.city or scope.ids("district"):
        districts = District.objects.visible_to(user).filter(
            pk__in=Estate.objects.visible_to(user).values("community__street__district")).order_by("name")
        if not scope.city:
            districts = districts.filter(pk__in=scope.ids("district"))
        return [PlaceProgress("district", d, district_progress(user=user, district=d, year=year)) for d in districts]
    if scope.ids("street"):
        streets = Street.objects.filter(pk__in=scope.ids("street")).select_related("district").order_by("name")
        return [PlaceProgress("street", s, street_progress(user=user, street=s, year=year)) for s in streets]
    return []
