"""FilterSets of the subsidies lists. Choice lists are scoped: a user filters by places they may see."""
from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelect
from communities.filters.places import BootstrapFilterSet, visible_districts, visible_streets
from enterprises.models import Firm

from .forms import MonthField
from .models import BatchStatus, Payout, PayoutBatch, PayoutKind, SubsidyPolicy

TIER_CHOICES = [(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★"), (0, _("未评星"))]


def visible_firms(request):
    return Firm.objects.visible_to(getattr(request, "user", None)).order_by("name")


class MonthFilter(django_filters.DateFilter):
    field_class = MonthField


class PolicyFilter(BootstrapFilterSet):
    district = django_filters.ModelChoiceFilter(label=_("区"), queryset=visible_districts, empty_label=_("全部区"))

    class Meta:
        model = SubsidyPolicy
        fields = ["district"]


class BatchFilter(BootstrapFilterSet):
    district = django_filters.ModelChoiceFilter(label=_("区"), queryset=visible_districts, empty_label=_("全部区"))
    month_from = MonthFilter(label=_("起始月份"), field_name="month", lookup_expr="gte")
    month_to = MonthFilter(label=_("截止月份"), field_name="month", lookup_expr="lte")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=BatchStatus.choices, empty_label=_("全部"))
    over_budget = django_filters.BooleanFilter(
        label=_("超出预算"), widget=forms.Select(choices=[("", _("全部")), ("true", _("是")), ("false", _("否"))]))

    class Meta:
        model = PayoutBatch
        fields = ["district", "month_from", "month_to", "status", "over_budget"]


class LineFilter(BootstrapFilterSet):
    street = django_filters.ModelChoiceFilter(label=_("街道"), queryset=visible_streets, empty_label=_("全部街道"))
    firm = django_filters.ModelChoiceFilter(label=_("物业企业"), queryset=visible_firms, empty_label=_("全部企业"),
                                            widget=RemoteSelect("firms"))  # searched as the user types
    tier = django_filters.ChoiceFilter(label=_("星级"), choices=TIER_CHOICES, empty_label=_("全部"))
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=PayoutKind.choices, empty_label=_("全部"))
    zero_only = django_filters.BooleanFilter(
        label=_("只看零金额"), method="filter_zero",
        widget=forms.Select(choices=[("", _("全部")), ("true", _("是"))]))
    q = django_filters.CharFilter(label=_("小区"), field_name="estate__name", lookup_expr="icontains",
                                  widget=forms.TextInput(attrs={"placeholder": _("小区名称")}))

    class Meta:
        model = Payout
        fields = ["street", "firm", "tier", "kind", "zero_only", "q"]

    def filter_zero(self, queryset, name, value):
        return queryset.filter(amount=0) if value else queryset
