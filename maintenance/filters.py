"""FilterSets of the maintenance-fund lists. Choice lists are scoped: a user filters by places they may see."""
from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from communities.filters.places import BootstrapFilterSet, visible_districts, visible_streets

from .models import ApplicationStatus, FundApplication, MaintenancePolicy


class PolicyFilter(BootstrapFilterSet):
    district = django_filters.ModelChoiceFilter(label=_("区"), queryset=visible_districts, empty_label=_("全部区"))

    class Meta:
        model = MaintenancePolicy
        fields = ["district"]


class ApplicationFilter(BootstrapFilterSet):
    district = django_filters.ModelChoiceFilter(label=_("区"), queryset=visible_districts, empty_label=_("全部区"))
    street = django_filters.ModelChoiceFilter(label=_("街道"), queryset=visible_streets, empty_label=_("全部街道"))
    year = django_filters.NumberFilter(label=_("年度"), widget=forms.NumberInput(attrs={"placeholder": "2025"}))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ApplicationStatus.choices, empty_label=_("全部"))
    q = django_filters.CharFilter(label=_("小区"), field_name="estate__name", lookup_expr="icontains",
                                  widget=forms.TextInput(attrs={"placeholder": _("小区名称")}))

    class Meta:
        model = FundApplication
        fields = ["district", "street", "year", "status", "q"]
