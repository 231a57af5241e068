"""A firm's home: its estates with their latest published tier and score, its open rectification orders and
complaints (nearest deadline first), this year's subsidy and its star-rating application windows.

Every figure comes from a selector of the app that owns the rows (ratings, inspections, complaints,
subsidies); this module only puts them together. Scope: the firm's estates are those it serves now
(Estate.firm) among the estates the user sees; orders, complaints and payouts follow the user's firm role.
Queries: a fixed number (estates 1, orders 2, complaints 2, subsidy 2, windows 1), whatever the data size.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

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
    orders_qs = firm_open_orders(user)
    complaints_qs = my_tasks(user, now)
    districts = {e.community.street.district_id for e in estates}
    return FirmHome(
        estates=estates,
        orders=list(orders_qs[:LIST_LIMIT]), order_count=orders_qs.count(),
        complaints=list(complaints_qs[:LIST_LIMIT]), complaint_count=complaints_qs.count(),
        subsidy=firm_year_figures(user, today.year),
        windows=application_windows(districts, today),
    )
