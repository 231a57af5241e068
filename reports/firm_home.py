"""A firm's home: its estates with their latest published tier and score, its open rectification orders and
complaints (nearest deadline first), this year's subsidy and its star-rating application windows.

Every figure comes from a selector of the app that owns the rows (ratings, inspections, complaints,
subsidies); this module only puts them together. Scope: the firm's estates are those it serves now
(Estate.firm) among the estates the user sees; orders, complaints and payouts follow the user's firm role.
Queries: a fixed number (estates 1, orders 1, complaints 1, subsidy 2, windows 1), whatever the data size.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Window

from accounts.scope import scope_of
from communities.models import Estate
from complaints.selectors import my_tasks
from inspections.selectors import firm_open_orders
from ratings.selectors import application_windows, latest_published_ratings
from subsidies.selectors import firm_year_figures

LIST_LIMIT = 10


@dataclass
class FirmHome:
    estates: list
    orders: list
    order_count: int
    complaints: list
    complaint_count: int
    subsidy: dict
    windows: list


def _firm_ids(user) -> set:
    return set(scope_of(user).ids("firm"))


def firm_home(*, user, now: datetime.datetime, today: datetime.date) -> FirmHome:
    firms = _firm_ids(user)
    estates = list(latest_published_ratings(
        Estate.objects.visible_to(user).filter(firm_id__in=firms)
        .select_related("community__street__district")).order_by("name", "pk"))
    orders = _with_total(firm_open_orders(user))
    complaints = _with_total(my_tasks(user, now))
    districts = {e.community.street.district_id for e in estates}
    return FirmHome(
        estates=estates,
        orders=orders, order_count=orders[0].rows_total if orders else 0,
        complaints=complaints, complaint_count=complaints[0].rows_total if complaints else 0,
        subsidy=firm_year_figures(user, today.year),
        windows=application_windows(districts, today),
    )


def _with_total(queryset) -> list:
    """The first LIST_LIMIT rows, each carrying `rows_total`, the number of all rows (a window count, computed
    before the LIMIT: one query for the list and its count)."""
    return list(queryset.annotate(rows_total=Window(Count("pk")))[:LIST_LIMIT])
