"""The home page's 待办 card: the user's queues of accounts/menu.py, each with its count and its oldest rows.

The queues (which rows wait on whom) are declared once in accounts/menu.py and counted there; this module
only shows them. For each queue it calls the queue's own `rows(user, now)` (the selector the menu counts
with), orders those rows oldest first and takes the first `PER_QUEUE`. How a row is shown (its date, its
title, where it links) is declared once per model in `SHOWN`.

Cost: the counts are the menu's (one query per request, shared with the header through the request's
cache); then one query per non-empty queryset of a queue (at most the number of the user's queues plus
one for the credit queue's two lists), whatever the number of rows; plus, for city administrators, the
calendar banner's query, also shared with the page through the request.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Callable

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import menu
from accounts.context_processors import request_header_counts  # the menu's own per-request counts

PER_QUEUE = 5


@dataclass(frozen=True)
class Shown:
    """How a row of one model appears in the list: `date` orders it (oldest first) and is printed;
    `due` (optional) is a deadline printed beside it; `related` is select_related for `title`."""

    date: str
    title: Callable[[Any], str]
    url: Callable[[Any], str]
    related: tuple[str, ...] = ()
    due: str = ""
    due_label: Any = _("期限")


def _estate(obj) -> str:
    return obj.estate.name if getattr(obj, "estate_id", None) else ""


SHOWN: dict[str, Shown] = {
    "complaints.complaint": Shown(
        "received_at", lambda c: f"{c.number} · {c.title}" + (f"（{c.estate.name}）" if c.estate_id else ""),
        lambda c: reverse("complaints:detail", args=[c.pk]), ("estate",), due="due", due_label=_("时限")),
    "inspections.rectificationorder": Shown(
        "issued_at", lambda o: f"{o.number} · {_estate(o)}",
        lambda o: reverse("inspections:order_detail", args=[o.pk]), ("estate",), due="deadline",
        due_label=_("整改期限")),
    "ratings.application": Shown(
        "submitted_at", lambda a: f"{_estate(a)} · {a.year} {_('年度')} · {a.firm.name}",
        lambda a: reverse("ratings:application_detail", args=[a.pk]), ("estate", "firm")),
    "subsidies.payoutbatch": Shown(
        "generated_at", lambda b: f"{b.district.name} {b.month:%Y-%m}",
        lambda b: reverse("subsidies:batch_detail", args=[b.pk]), ("district",)),
    "enterprises.creditrecord": Shown(
        "recorded_at", lambda r: f"{r.firm.name} · {r.title}",
        lambda r: reverse("enterprises:credit_record", args=[r.pk]), ("firm",), due="objection_deadline",
        due_label=_("异议截止")),
    "enterprises.creditobjection": Shown(
        "submitted_at", lambda o: f"{_('异议')} · {o.record.firm.name} · {o.record.title}",
        lambda o: reverse("enterprises:credit_record", args=[o.record_id]), ("record__firm",)),
    "enterprises.credityear": Shown(
        "computed_at", lambda y: f"{y.year} {_('年度信用记分')} · {y.get_status_display()}",
        lambda y: reverse("enterprises:credit_year", args=[y.year])),
    "maintenance.fundapplication": Shown(
        "submitted_on", lambda a: f"{_('维修资金')} · {_estate(a)} · {a.get_status_display()}",
        lambda a: reverse("maintenance:application_detail", args=[a.pk]), ("estate",)),
}


@dataclass
class Row:
    title: str
    url: str
    date: datetime.date | datetime.datetime | None
    due: datetime.date | datetime.datetime | None = None
    due_label: str = ""


@dataclass
class QueueBlock:
    key: str
    label: str
    url: str
    count: int
    rows: list[Row] = field(default_factory=list)


def _querysets(rows) -> list:
    return list(rows) if isinstance(rows, (tuple, list)) else [rows]


def oldest(queryset, limit: int = PER_QUEUE) -> list[Row]:
    """The first `limit` rows of a queue's queryset, oldest first, as Rows (one query)."""
    shown = SHOWN.get(queryset.model._meta.label_lower)
    if shown is None:
        # Rows with no date of their own (the firms, streets and communities a unit still has to evaluate,
        # evaluations.selectors.to_fill): the queue shows its count and the link to its page only.
        return []
    qs = queryset.order_by(shown.date, "pk")
    if shown.related:
        qs = qs.select_related(*shown.related)
    out = []
    for obj in qs[:limit]:
        out.append(Row(shown.title(obj), shown.url(obj), getattr(obj, shown.date),
                       getattr(obj, shown.due, None) if shown.due else None, str(shown.due_label)))
    return out


def work_list(request, now: datetime.datetime) -> list[QueueBlock]:
    """The user's queues (accounts/menu.py order) that hold something, each with its count (the menu's) and
    its oldest rows across the queue's querysets."""
    user = request.user
    counts = request_header_counts(request).queues
    blocks = []
    for key in menu.queues_for(user):
        count = counts.get(key, 0)
        if not count:
            continue
        queue = menu.QUEUES[key]
        rows: list[Row] = []
        for qs in _querysets(queue.rows(user, now)):
            if not qs.query.is_empty():
                rows.extend(oldest(qs))
        rows.sort(key=lambda r: _sortable(r.date))
        url = reverse(queue.url_name) + (f"?{queue.query}" if queue.query else "")
        blocks.append(QueueBlock(key, str(queue.label), url, count, rows[:PER_QUEUE]))
    return blocks


def _sortable(value) -> datetime.datetime:
    if value is None:
        return datetime.datetime.max.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.combine(value, datetime.time.min, tzinfo=datetime.timezone.utc)
