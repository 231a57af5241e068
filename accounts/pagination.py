"""Pages of long lists whose order starts with a small group, without sorting the whole list.

The estate list is ordered by district, street and community name, then estate name: four tables.
Ordered and cut by LIMIT/OFFSET in SQL, PostgreSQL must join and sort every estate in scope for every
page (12,000 wide rows at city scale), however deep the page. GroupedPaginator reads the same pages
in two cheap steps instead:

1. `count`: the rows per group (GROUP BY the group's key, e.g. the estate's community_id: an index-only
   scan), and the groups in the list's order (a small table, e.g. 1,000 communities);
2. `page(n)`: walking those counts, the few groups that hold rows bottom..top, and then only the rows of
   those groups, in the list's full order, with the offset inside them (an index scan on the group key).

The queryset handed to it must already be ordered by the group order first (the same columns
`sort_groups` sorts by, then the group key), then by anything inside a group. Rows and counts are the
same as Paginator's; the queries are three (counts, group order, page) instead of two, and none grows
with the page number or sorts rows outside the page's groups.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import Count, Q


class GroupedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, group_by: Sequence[str],
                 sort_groups: Callable[[list[tuple]], list[tuple]], defer: bool = False, **kwargs):
        """`group_by`: the field(s) of the group key (e.g. ("community_id",)); `sort_groups(keys)` returns
        the keys (tuples) present in the list, in the list's order. `defer`: cut the page's ids from the
        groups first and join the rest to those ids only (for groups of hundreds of rows with many joins,
        e.g. a street's payout lines)."""
        super().__init__(object_list, per_page, **kwargs)
        self.group_by = tuple(group_by)
        self.sort_groups = sort_groups
        self.defer = defer

    @cached_property
    def groups(self) -> list[tuple[tuple, int]]:
        """[(group key, rows)] in the list's order."""
        counts = {tuple(r[f] for f in self.group_by): r["_n"]
                  for r in self.object_list.order_by().values(*self.group_by).annotate(_n=Count("pk"))}
        return [(key, counts[key]) for key in self.sort_groups(list(counts))]

    @cached_property
    def count(self) -> int:
        return sum(n for _key, n in self.groups)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.rows(bottom, top), number, self)

    def rows(self, bottom: int, top: int):
        """The list's rows bottom..top-1, reading only the groups that hold them."""
        keys, start, seen = [], None, 0
        for key, n in self.groups:
            if seen + n > bottom and seen < top:
                if start is None:
                    start = bottom - seen
                keys.append(key)
            seen += n
            if seen >= top:
                break
        if not keys:
            return self.object_list.none()
        which = Q(pk__in=[])
        for key in keys:
            which |= Q(**dict(zip(self.group_by, key)))
        window = self.object_list.filter(which)
        if self.defer:
            ids = list(window.values_list("pk", flat=True)[start:start + (top - bottom)])
            return self.object_list.filter(pk__in=ids)
        return window[start:start + (top - bottom)]


class DeferredJoinPaginator(Paginator):
    """Pages by id first, then the page's rows with their joins (a "deferred join").

    A page deep in a long list ordered by indexed columns of its own table (inspections by date) is
    cut from that index alone (`SELECT id … ORDER BY … LIMIT … OFFSET …`, an index-only scan), and only
    the page's ids are then joined to the estate, community, street and firm they show. Without it,
    PostgreSQL joins every skipped row before it can skip it. One query more than Paginator.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        # The same ordering on the page's rows: the order_by of object_list is kept.
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)
