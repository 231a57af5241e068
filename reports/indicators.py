"""The indicators, each defined once: code, name, formula in words, numerator and denominator.

Every figure the portal shows for an indicator (home tiles today; dashboards, bulletins and reports next)
comes from here, so "which indicator counts what" is declared once (ARCHITECTURE.md, "Declarations, not
scattered ifs"). An indicator is measured over a `Scope`: the user (whose scoped querysets,
`Model.objects.visible_to(user)`, bound every count), an `Area` (the city, or one district, street or
community, filtered along the model's own `scope_paths`) and, where the indicator has one, a `Period`.

The counts of one source (estates, inspections, complaints) are taken in one aggregate query per scope and
kept on the scope, so numerator and denominator of every indicator of that source cost one query together.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from communities.models import Estate, ManagementMode
from complaints import selectors as complaint_selectors
from complaints.models import Complaint
from inspections.models import Inspection

TENTH = Decimal("0.1")
LEVELS = ("city", "district", "street", "community")

# Who an indicator is shown to on a home page. Government targets (coverage, committee formation) are not a
# firm's business (issue 13); a firm's home shows what it answers for (inspections, complaints).
GOVERNMENT = frozenset({"government"})
EVERYONE = frozenset({"government", "firm"})


@dataclass(frozen=True)
class Area:
    """The city (id None) or one district, street or community."""

    level: str = "city"
    id: int | None = None

    def __post_init__(self):
        if self.level not in LEVELS:
            raise ValueError(f"unknown area level {self.level!r}")
        if (self.level == "city") != (self.id is None):
            raise ValueError("the city has no id; every other area has one")


CITY = Area()


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included."""

    start: datetime.date
    end: datetime.date
    label: str

    @classmethod
    def quarter_of(cls, day: datetime.date) -> Period:
        q = (day.month - 1) // 3
        start = datetime.date(day.year, 3 * q + 1, 1)
        end = (datetime.date(day.year + 1, 1, 1) if q == 3 else datetime.date(day.year, 3 * q + 4, 1)) \
            - datetime.timedelta(days=1)
        return cls(start, end, f"{day.year}Q{q + 1}")


@dataclass(frozen=True)
class Scope:
    """What is measured: the user's visible rows, in one area, over one period (None: as of now)."""

    user: object
    area: Area = CITY
    period: Period | None = None
    cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def counts(self, source: Callable[[Scope], dict]) -> dict:
        """The counts of one source, taken once per scope."""
        if source not in self.cache:
            self.cache[source] = source(self)
        return self.cache[source]


def in_area(queryset, area: Area):
    """`queryset` limited to `area`, along the model's declared scope path to that level."""
    if area.level == "city":
        return queryset
    path = queryset.scope_paths[area.level]
    return queryset.filter(**{f"{path}_id": area.id})


def _require_period(scope: Scope) -> Period:
    if scope.period is None:
        raise ValueError("this indicator is measured over a period")
    return scope.period


# --- the sources: one aggregate query each ----------------------------------------------------------------

def estate_counts(scope: Scope) -> dict:
    """Estates of the scope: all, with property management, with a filed owners' committee, with only a
    stand-in 物业管理委员会 (an estate with both counts once, as filed)."""
    estates = in_area(Estate.objects.visible_to(scope.user), scope.area).with_committee_flags()
    return estates.aggregate(
        total=Count("pk"),
        # The same estates as Estate.objects.covered(): every management mode but 无人管理.
        covered=Count("pk", filter=~Q(management_mode=ManagementMode.NONE)),
        filed=Count("pk", filter=Q(has_filed_committee=True)),
        standin=Count("pk", filter=Q(has_standin_committee=True, has_filed_committee=False)),
    )


def inspection_counts(scope: Scope) -> dict:
    """Counted inspections (submitted, not superseded) dated in the period: their number and score sum."""
    period = _require_period(scope)
    inspections = in_area(Inspection.objects.visible_to(scope.user), scope.area).counted()
    got = inspections.filter(date__range=(period.start, period.end)).aggregate(n=Count("pk"), score=Sum("total"))
    return {"n": got["n"], "score": got["score"] or Decimal(0)}


def complaint_counts(scope: Scope) -> dict:
    """The complaint counts of complaints.selectors (COUNTS) over the cases received in the period."""
    period = _require_period(scope)
    complaints = in_area(Complaint.objects.visible_to(scope.user), scope.area)
    return complaint_selectors.rates_for(complaints.filter(received_at__date__range=(period.start, period.end)))


# --- the declaration --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One part of a numerator shown on its own (the two parts of the formation bar)."""

    code: str
    name: str
    count: Callable[[Scope], int]


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    formula: str  # in words, shown beside the figure
    numerator: Callable[[Scope], int | Decimal]
    denominator: Callable[[Scope], int]
    kind: str = "rate"  # "rate": numerator / denominator in %; "average": numerator / denominator
    unit: str = "%"
    denominator_unit: str = ""  # what the denominator counts, e.g. 个小区
    periodic: bool = False  # measured over a period (else: as of now)
    parts: tuple[Part, ...] = ()
    audience: frozenset = EVERYONE
    # Where another app already computes the figure from the same counts, its own function (not a copy).
    compute: Callable[[Scope], Decimal | None] | None = None

    def value(self, numerator, denominator) -> Decimal | None:
        """The figure, half-up to 0.1; None when nothing was counted."""
        if not denominator:
            return None
        factor = Decimal(100) if self.kind == "rate" else Decimal(1)
        return (Decimal(numerator) * factor / Decimal(denominator)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _handling_rate():
    return next(r for r in complaint_selectors.RATES if r.key == "handling_rate")


HANDLING = _handling_rate()

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "coverage", _("物业管理覆盖率"),
        _("有物业管理（管理模式不是“无人管理”）的小区数 ÷ 小区总数"),
        numerator=lambda s: s.counts(estate_counts)["covered"],
        denominator=lambda s: s.counts(estate_counts)["total"],
        denominator_unit=_("个小区"), audience=GOVERNMENT,
    ),
    Indicator(
        "committee_formation", _("业委会组建率"),
        _("（有已备案业主委员会的小区数 + 由物业管理委员会代行的小区数）÷ 小区总数"),
        numerator=lambda s: s.counts(estate_counts)["filed"] + s.counts(estate_counts)["standin"],
        denominator=lambda s: s.counts(estate_counts)["total"],
        denominator_unit=_("个小区"), audience=GOVERNMENT,
        parts=(
            Part("filed", _("已备案业委会"), lambda s: s.counts(estate_counts)["filed"]),
            Part("standin", _("物业管理委员会代行"), lambda s: s.counts(estate_counts)["standin"]),
        ),
    ),
    # The formula and the counts are complaints.selectors' own (RATES, COUNTS): not copied here.
    Indicator(
        "complaint_handling", _("投诉处理率"), HANDLING.formula,
        numerator=lambda s: s.counts(complaint_counts)["closed"] or 0,
        denominator=lambda s: s.counts(complaint_counts)["received"] or 0,
        denominator_unit=_("件"), periodic=True,
        compute=lambda s: HANDLING.compute(s.counts(complaint_counts), Decimal(1)),
    ),
    Indicator(
        "inspection_average", _("检查平均分"), _("本期已提交检查（不含被更正的）总分之和 ÷ 检查次数"),
        numerator=lambda s: s.counts(inspection_counts)["score"],
        denominator=lambda s: s.counts(inspection_counts)["n"],
        kind="average", unit=_("分"), denominator_unit=_("次检查"), periodic=True,
    ),
)
BY_CODE = {i.code: i for i in INDICATORS}


@dataclass(frozen=True)
class Measure:
    indicator: Indicator
    numerator: int | Decimal
    denominator: int
    value: Decimal | None
    parts: tuple[tuple[Part, int], ...] = ()

    def share(self, count: int) -> Decimal:
        """A part's share of the denominator in % (the width of its segment of the bar)."""
        return self.indicator.value(count, self.denominator) or Decimal(0)


def measure(indicator: Indicator, scope: Scope) -> Measure:
    numerator, denominator = indicator.numerator(scope), indicator.denominator(scope)
    return Measure(
        indicator=indicator, numerator=numerator, denominator=denominator,
        value=indicator.compute(scope) if indicator.compute else indicator.value(numerator, denominator),
        parts=tuple((part, part.count(scope)) for part in indicator.parts),
    )
