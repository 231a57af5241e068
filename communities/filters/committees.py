"""FilterSet for the owner-committee list (page and export)."""
from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelect
from communities.models import CommitteeKind, FilingStatus, OwnerCommittee

from .places import BootstrapFilterSet, visible_communities, visible_streets

ACTIVE_CHOICES = (("true", _("在任")), ("false", _("已卸任")))


class CommitteeFilter(BootstrapFilterSet):
    street = django_filters.ModelChoiceFilter(
        label=_("街道"), field_name="estate__community__street", queryset=visible_streets,
        empty_label=_("全部街道"),
    )
    community = django_filters.ModelChoiceFilter(
        label=_("社区"), field_name="estate__community", queryset=visible_communities,
        empty_label=_("全部社区"), widget=RemoteSelect("communities"),  # searched as the user types
    )
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=CommitteeKind.choices, empty_label=_("全部类型"))
    filing_status = django_filters.ChoiceFilter(
        label=_("备案状态"), choices=FilingStatus.choices, empty_label=_("全部状态"),
    )
    is_active = django_filters.ChoiceFilter(
        label=_("是否在任"), choices=ACTIVE_CHOICES, empty_label=_("全部"), method="filter_active",
    )
    q = django_filters.CharFilter(label=_("小区名称"), field_name="estate__name", lookup_expr="icontains")

    class Meta:
        model = OwnerCommittee
        fields = ["street", "community", "kind", "filing_status", "is_active", "q"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=(value == "true"))
