"""Street and community lists with coverage and committee-formation figures.

The figures are computed in the database (one correlated subquery per
figure, no N+1) and count only the estates the viewer may see, so a
community clerk looking at their street sees their own community's numbers.
"""
from __future__ import annotations

from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.views import ScopedListView
from communities.filters.places import CommunityFilter, StreetFilter
from communities.models import Community, Street
from communities.selectors import common_targets, place_totals, with_place_stats
from communities.targets import progress_panel


def _pct(value):
    return None if value is None else round(value, 1)


PLACE_SORTS = {
    "estates": "estate_total",
    "covered": "covered_total",
    "coverage": "coverage_pct",
    "filed": "filed_total",
    "standin": "standin_total",
    "formation": "formation_pct",
}


class StreetListView(ScopedListView):
    model = Street
    filterset_class = StreetFilter
    template_name = "communities/street_list.html"
    select_related = ("district",)
    sort_fields = {"name": "name", "district": "district__name", **PLACE_SORTS}
    default_sort = ("district__name", "name")
    export_filename = _("街道物业管理覆盖情况")
    export_headers = (_("区"), _("街道（乡镇）"), _("社区数"), _("小区数"), _("已覆盖小区"), _("覆盖率（%）"),
                      _("已备案业委会"), _("物业管理委员会"), _("组建率（%）"))

    def get_base_queryset(self):
        communities = Community.objects.visible_to(self.request.user).filter(street=OuterRef("pk"))
        community_total = Coalesce(Subquery(
            communities.order_by().values("street").annotate(n=Count("pk")).values("n")[:1]), Value(0))
        qs = super().get_base_queryset().annotate(community_total=community_total)
        return with_place_stats(qs, user=self.request.user, link="community__street", district_path="district")

    def export_row(self, s):
        return (str(s.district), s.name, s.community_total, s.estate_total, s.covered_total, _pct(s.coverage_pct),
                s.filed_total, s.standin_total, _pct(s.formation_pct))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["totals"] = place_totals(
            user=self.request.user,
            estate_filter=Q(community__street__in=self.object_list.order_by().values("pk")),
        )
        ctx["targets"] = common_targets(ctx["object_list"])
        today = timezone.localdate()
        ctx["committee_progress"] = progress_panel(user=self.request.user, today=today)
        ctx["year"] = today.year
        return ctx


class CommunityListView(ScopedListView):
    model = Community
    filterset_class = CommunityFilter
    template_name = "communities/community_list.html"
    select_related = ("street__district",)
    sort_fields = {"name": "name", "street": "street__name", "district": "street__district__name", **PLACE_SORTS}
    default_sort = ("street__district__name", "street__name", "name")
    export_filename = _("社区物业管理覆盖情况")
    export_headers = (_("区"), _("街道（乡镇）"), _("社区"), _("小区数"), _("已覆盖小区"), _("覆盖率（%）"),
                      _("已备案业委会"), _("物业管理委员会"), _("组建率（%）"))

    def get_base_queryset(self):
        return with_place_stats(super().get_base_queryset(), user=self.request.user, link="community",
                                district_path="street__district")

    def export_row(self, c):
        return (str(c.street.district), str(c.street), c.name, c.estate_total, c.covered_total,
                _pct(c.coverage_pct), c.filed_total, c.standin_total, _pct(c.formation_pct))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["totals"] = place_totals(
            user=self.request.user,
            estate_filter=Q(community__in=self.object_list.order_by().values("pk")),
        )
        ctx["targets"] = common_targets(ctx["object_list"])
        return ctx
