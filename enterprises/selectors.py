"""Reads of the enterprises app: who served an estate on which days.

A service contract covers the days from its start date to its exit date
(退出日期, the last day the firm served), both included; an active contract
covers every day from its start on. Where two contracts cover the same day
(a new firm signed before the old one's exit date), the day belongs to the
contract that started later. Days no contract covers have no serving firm.

This is the one definition of "the firm that served": the payout split by
days, the rating's firms and a firm's scope over ratings and inspections all
read it (DOMAIN.md §5, §6: the firm that served is paid, and sees).
"""
from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Iterable, NamedTuple

from django.db.models import QuerySet

from .models import ServiceContract


class Span(NamedTuple):
    firm_id: int
    start: datetime.date
    end: datetime.date | None  # last day served, None while the contract is active


def spans_by_estate(estate_ids: Iterable[int] | None = None, *, firm_ids: Iterable[int] | None = None
                    ) -> dict[int, list[Span]]:
    """estate id -> its contracts' spans, oldest first (one query).

    `estate_ids` may be a queryset of ids (`.values("estate_id")`): it is then a subquery, which is much
    cheaper to build and send than a list of 12,000 ids.
    """
    qs = ServiceContract.objects.all()
    if estate_ids is not None:
        qs = qs.filter(estate_id__in=estate_ids if isinstance(estate_ids, QuerySet) else list(estate_ids))
    if firm_ids is not None:
        qs = qs.filter(firm_id__in=list(firm_ids))
    out: dict[int, list[Span]] = defaultdict(list)
    for estate_id, firm_id, start, ended_on in (qs.order_by("estate_id", "start_date", "pk")
                                                .values_list("estate_id", "firm_id", "start_date", "ended_on")):
        out[estate_id].append(Span(firm_id, start, ended_on))
    return out


def days_by_firm(spans: list[Span], first: datetime.date, last: datetime.date) -> list[tuple[int | None, int]]:
    """[(firm id or None, days)] of the days first..last (both included), in order of first day served.

    None counts the days with no serving firm. The parts add up to the number of days.
    """
    total = (last - first).days + 1
    relevant = [s for s in spans if s.start <= last and (s.end is None or s.end >= first)]
    if len(relevant) == 1:  # the common case: one firm, maybe for part of the period
        s = relevant[0]
        days = (min(last, s.end or last) - max(first, s.start)).days + 1
        parts = [(s.firm_id, days)]
        if days < total:
            parts.append((None, total - days))
        return parts
    counts: dict[int | None, int] = {}
    day = first
    while day <= last:
        owner = firm_on(relevant, day)
        counts[owner] = counts.get(owner, 0) + 1
        day += datetime.timedelta(days=1)
    return list(counts.items())


def firm_on(spans: list[Span], day: datetime.date) -> int | None:
    """The firm serving on `day` (spans oldest first: a later start wins a shared day), or None."""
    owner = None
    for s in spans:
        if s.start <= day and (s.end is None or s.end >= day):
            owner = s.firm_id
    return owner


def firms_serving(estate_id: int, first: datetime.date, last: datetime.date) -> list[int]:
    """Ids of the firms that served the estate on at least one day of first..last, in order."""
    spans = spans_by_estate([estate_id]).get(estate_id, [])
    return [f for f, _days in days_by_firm(spans, first, last) if f is not None]

