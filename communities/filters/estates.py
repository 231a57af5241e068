"""The estate list's filters, used by /estates/ and /api/estates/ alike."""
from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelect
from accounts.filters import scoped_choices
from accounts.forms import BootstrapFormMixin
from communities.models import (
    Category,
    Community,
    District,
    Estate,
    EstateType,
    ManagementMode,
    OwnerCommittee,
    Street,
)
from enterprises.models import Firm

YES_NO = [("", _("全部")), ("true", _("是")), ("false", _("否"))]


class FilterForm(BootstrapFormMixin, forms.Form):
    """Compact Bootstrap widgets for a filter bar."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = field.widget.attrs.get("class", "")
            size = "form-select-sm" if "form-select" in css else "form-control-sm"
            field.widget.attrs["class"] = f"{css} {size}"


def _yes_no(label, **kwargs):
    return django_filters.BooleanFilter(label=label, widget=forms.Select(choices=YES_NO), **kwargs)


class EstateFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("搜索"), method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": _("小区名称或地址")}),
    )
    district = django_filters.ModelChoiceFilter(
        label=_("区"), field_name="community__street__district", queryset=scoped_choices(District),
        empty_label=_("全部"),
    )
    street = django_filters.ModelChoiceFilter(
        label=_("街道"), field_name="community__street", queryset=scoped_choices(Street), empty_label=_("全部"),
    )
    community = django_filters.ModelChoiceFilter(
        label=_("社区"), field_name="community", queryset=scoped_choices(Community), empty_label=_("全部"),
        widget=RemoteSelect("communities"),  # searched as the user types (accounts/choices.py)
    )
    management_mode = django_filters.ChoiceFilter(
        label=_("物业管理性质"), choices=ManagementMode.choices, empty_label=_("全部"),
    )
    category = django_filters.ChoiceFilter(label=_("类别"), choices=Category.choices, empty_label=_("全部"))
    estate_type = django_filters.ChoiceFilter(
        label=_("小区类型"), choices=EstateType.choices, empty_label=_("全部"),
    )
    old = _yes_no(_("老旧小区"), method="filter_old")
    in_renovation_programme = _yes_no(_("纳入老旧小区改造"))
    firm = django_filters.ModelChoiceFilter(
        label=_("服务企业"), field_name="firm", queryset=scoped_choices(Firm), empty_label=_("全部"),
        widget=RemoteSelect("firms"),
    )
    has_committee = _yes_no(_("有在任业委会"), method="filter_has_committee")

    class Meta:
        model = Estate
        fields = ["q", "district", "street", "community", "management_mode", "category", "estate_type",
                  "old", "in_renovation_programme", "firm", "has_committee"]
        form = FilterForm

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(address__icontains=value))

    def filter_old(self, queryset, name, value):
        if value is None:
            return queryset
        # The cut-off year is each district's policy (DistrictPolicy.old_estate_cutoff_year).
        return queryset.old(value)

    def filter_has_committee(self, queryset, name, value):
        if value is None:
            return queryset
        active = Exists(OwnerCommittee.objects.filter(estate=OuterRef("pk"), is_active=True))
        return queryset.filter(active) if value else queryset.exclude(active)
