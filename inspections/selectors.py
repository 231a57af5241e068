"""Reads of the inspections app: quarterly plan progress, score trends."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q

from accounts.scope import scope_of
from communities.models import Estate

from .models import Inspection, InspectionFrequency, InspectionStatus, OrderStatus, RectificationOrder

DEFAULT_PER_QUARTER = 1


def quarter_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """(first day, last day) of the quarter containing `day`."""
    q = (day.month - 1) // 3
    start = datetime.date(day.year, 3 * q + 1, 1)
    end_month = 3 * q + 3
    end = (datetime.date(day.year + (end_month == 12), end_month % 12 + 1, 1) - datetime.timedelta(days=1))
    return start, end


def parse_quarter(text: str) -> tuple[datetime.date, datetime.date]:
    """'2026Q3' -> its bounds; ValueError with a Chinese message when malformed."""
    text = (text or "").strip().upper()
    try:
        year, q = text.split("Q")
        year, q = int(year), int(q)
        if not (1 <= q <= 4 and 2000 <= year <= 2100):
            raise ValueError
    except ValueError:
        raise ValueError(f"季度格式应为“2026Q3”，收到“{text}”。")
    return quarter_of(datetime.date(year, 3 * q - 2, 1))


class FrequencyRules:
    """Per-quarter inspection counts; the most specific rule wins."""

    def __init__(self, district_ids):
        self.rules = {
            (r.district_id, r.street_id, r.category): r.per_quarter
            for r in InspectionFrequency.objects.filter(district_id__in=district_ids)
        }

    def required(self, district_id, street_id, category) -> int:
        for key in ((district_id, street_id, category), (district_id, street_id, None),
                    (district_id, None, category), (district_id, None, None)):
            if key in self.rules:
                return self.rules[key]
        return DEFAULT_PER_QUARTER


def planned_dates(start: datetime.date, end: datetime.date, required: int) -> list[datetime.date]:
    """The days the plan spreads an estate's `required` inspections of the quarter over.

    The quarter (L days) is cut into `required` equal slots; the k-th inspection is planned for the middle
    day of the k-th slot: start + floor((2k − 1) × L / (2 × required)) days. Once a quarter (L = 92, Q4):
    16 November; twice: 24 October and 9 December; three times: 16 October, 16 November, 16 December.
    """
    length = (end - start).days + 1
    return [start + datetime.timedelta(days=(2 * k - 1) * length // (2 * required)) for k in range(1, required + 1)]


@dataclass
class EstateProgress:
    """An estate's inspections of the quarter against the plan.

    落后于计划 (behind plan): a planned date has passed (it is before today) and the estate has fewer
    submitted inspections than planned dates passed; 已完成: as many as required; 待检查: the rest (the
    next planned date has not passed yet)."""

    estate: Estate
    required: int
    done: int
    planned: list[datetime.date]
    today: datetime.date

    @property
    def expected_by_now(self) -> int:
        return sum(1 for day in self.planned if day < self.today)

    @property
    def next_planned(self) -> datetime.date | None:
        """The planned date of the next inspection due (the first not covered by those done)."""
        return self.planned[self.done] if self.done < self.required else None

    @property
    def state(self) -> str:
        if self.done >= self.required:
            return "done"
        if self.done < self.expected_by_now:
            return "overdue"
        return "due"


@dataclass
class StreetProgress:
    street: str
    street_id: int
    district: str
    estates: list[EstateProgress] = field(default_factory=list)

    def count(self, state):
        return sum(1 for e in self.estates if e.state == state)

    @property
    def done(self):
        return self.count("done")

    @property
    def due(self):
        return self.count("due")

    @property
    def overdue(self):
        return self.count("overdue")


def inspection_progress(*, user, start: datetime.date, end: datetime.date,
                        today: datetime.date) -> list[StreetProgress]:
    """Per street in the user's scope: estates inspected enough / still due / behind plan (EstateProgress),
    counting the submitted inspections dated in the quarter. `today` is the caller's clock (a view reads it
    once): with the default of once a quarter an uninspected estate is behind plan from the day after the
    quarter's middle day on, and every estate short of its count is once the quarter is over."""
    estates = (
        Estate.objects.visible_to(user)
        .select_related("community__street__district")
        .annotate(done=Count("inspections", filter=Q(
            inspections__status=InspectionStatus.SUBMITTED, inspections__date__range=(start, end))))
        .order_by("community__street__district__name", "community__street__name", "community__name", "name")
    )
    estates = list(estates)
    rules = FrequencyRules({e.community.street.district_id for e in estates})
    plans: dict[int, list[datetime.date]] = {}
    streets: dict[int, StreetProgress] = {}
    for e in estates:
        street = e.community.street
        required = rules.required(street.district_id, street.pk, e.category)
        planned = plans.setdefault(required, planned_dates(start, end, required))
        row = streets.setdefault(street.pk, StreetProgress(street.name, street.pk, street.district.name))
        row.estates.append(EstateProgress(e, required, e.done, planned, today))
    return list(streets.values())


def score_trend(estate: Estate) -> list[tuple[str, float]]:
    """(date, total) of the estate's counted inspections, oldest first, for the chart."""
    return [
        (d.isoformat(), float(t))
        for d, t in Inspection.objects.counted().filter(estate=estate).order_by("date", "pk").values_list("date", "total")
    ]


# --- Pages: the rubric and an inspection laid out by category -----------------------------------

@dataclass
class CategoryBlock:
    """One category of a rubric (or of an inspection): its rows and subtotals."""

    name: str
    rows: list = field(default_factory=list)
    max_points: Decimal = Decimal("0")
    scored: Decimal = Decimal("0")


def rubric_outline(rubric) -> tuple[list[CategoryBlock], Decimal]:
    """A rubric's categories with their items and subtotals, and the total of the maxima."""
    blocks: dict[int, CategoryBlock] = {}
    for item in rubric.items.select_related("category").order_by("category__order", "order", "pk"):
        block = blocks.setdefault(item.category_id, CategoryBlock(item.category.name))
        block.rows.append(item)
        block.max_points += item.max_points
    total = sum((b.max_points for b in blocks.values()), Decimal("0"))
    return list(blocks.values()), total


@dataclass
class ScoreRow:
    score: object  # ItemScore
    item: object  # RubricItem
    photos: list = field(default_factory=list)


def inspection_sheet(inspection) -> tuple[list[CategoryBlock], Decimal, Decimal, list]:
    """(category blocks of ScoreRows, sum of the scores entered, max total, photos not tied to an item).

    Three queries whatever the size of the rubric.
    """
    photos_by_item: dict = {}
    for photo in inspection.photos.all():
        photos_by_item.setdefault(photo.item_id, []).append(photo)
    blocks: dict[int, CategoryBlock] = {}
    for s in inspection.scores.select_related("item__category").order_by("item__category__order", "item__order",
                                                                        "item_id"):
        block = blocks.setdefault(s.item.category_id, CategoryBlock(s.item.category.name))
        block.rows.append(ScoreRow(s, s.item, photos_by_item.get(s.item_id, [])))
        block.max_points += s.item.max_points
        block.scored += s.score or Decimal("0")
    scored = sum((b.scored for b in blocks.values()), Decimal("0"))
    max_total = sum((b.max_points for b in blocks.values()), Decimal("0"))
    return list(blocks.values()), scored, max_total, photos_by_item.get(None, [])


# --- what waits on a user (the menu's 待办, accounts/menu.py) ----------------------------------------------

def orders_to_accept(user):
    """Answered rectification orders the user's streets or communities must accept or return
    (`accept` / `reject` in inspections/services/orders.py): the rows of the order list filtered by
    status 已回复待验收, for the streets and communities the user edits."""
    return RectificationOrder.objects.editable_by(user).filter(status=OrderStatus.ANSWERED)


def orders_waiting_on_firm(user, status: str):
    """Orders in `status` (待整改, 退回重改 or 已逾期: the ones the firm answers) sent to the user's firms."""
    if status not in (OrderStatus.ISSUED, OrderStatus.RETURNED, OrderStatus.OVERDUE):
        raise ValueError(f"a firm does not act on orders in status {status!r}")
    firms = scope_of(user).ids("firm", edit=True)
    return RectificationOrder.objects.filter(firm_id__in=firms, status=status)


OPEN_ORDER_STATUSES = (OrderStatus.ISSUED, OrderStatus.RETURNED, OrderStatus.OVERDUE, OrderStatus.ANSWERED)


def firm_open_orders(user):
    """Rectification orders of the user's firms not yet closed or cancelled, nearest deadline first."""
    firms = scope_of(user).ids("firm")
    return (RectificationOrder.objects.filter(firm_id__in=firms, status__in=OPEN_ORDER_STATUSES)
            .select_related("estate").order_by("deadline", "pk"))
