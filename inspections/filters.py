"""Filters of the rubric, inspection and rectification-order lists (pages and exports alike)."""
from __future__ import annotations

import django_filters
import django_filters.fields
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelect
from accounts.filters import EstateChoiceFilter, scoped_choices
from communities.filters.estates import YES_NO, FilterForm
from communities.models import Community, District, Estate, Street
from enterprises.models import Firm

from .models import (
    InspectionKind,
    InspectionStatus,
    OrderStatus,
    RectificationOrder,
    Rubric,
    RubricStatus,
    Inspection,
)
from .selectors import parse_quarter


class QuarterField(forms.CharField):
    """'2026Q4' -> (first day, last day); a Chinese error otherwise."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "2026Q4", "size": 7}))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse_quarter(value)
        except ValueError as exc:
            raise ValidationError(str(exc))


class QuarterFilter(django_filters.Filter):
    field_class = QuarterField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__range": value})


def _place_filters(prefix: str):
    """street / community / estate filters along `prefix` (the path to the estate)."""
    return {
        "street": django_filters.ModelChoiceFilter(
            label=_("街道"), field_name=f"{prefix}community__street", queryset=scoped_choices(Street),
            empty_label=_("全部")),
        # Communities and estates are searched as the user types (accounts/choices.py): only the chosen
        # one is rendered, and the filter still validates against the whole visible_to queryset.
        "community": django_filters.ModelChoiceFilter(
            label=_("社区"), field_name=f"{prefix}community", queryset=scoped_choices(Community), empty_label=_("全部"),
            widget=RemoteSelect("communities")),
        "estate": EstateChoiceFilter(
            label=_("小区"), field_name=prefix.rstrip("_") or "pk",
            queryset=scoped_choices(Estate, "community"), empty_label=_("全部"),
            widget=RemoteSelect("estates")),
    }


class RubricFilter(django_filters.FilterSet):
    district = django_filters.ModelChoiceFilter(label=_("区"), queryset=scoped_choices(District), empty_label=_("全部"))
    year = django_filters.NumberFilter(label=_("年度"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=RubricStatus.choices, empty_label=_("全部"))

    class Meta:
        model = Rubric
        fields = ["district", "year", "status"]
        form = FilterForm


class InspectionFilter(django_filters.FilterSet):
    street, community, estate = _place_filters("estate__").values()
    firm = django_filters.ModelChoiceFilter(label=_("服务企业"), field_name="estate__firm",
                                            queryset=scoped_choices(Firm), empty_label=_("全部"),
                                            widget=RemoteSelect("firms"))
    date_from = django_filters.DateFilter(label=_("检查日期从"), field_name="date", lookup_expr="gte",
                                          widget=forms.DateInput(attrs={"type": "date"}))
    date_to = django_filters.DateFilter(label=_("检查日期至"), field_name="date", lookup_expr="lte",
                                        widget=forms.DateInput(attrs={"type": "date"}))
    quarter = QuarterFilter(label=_("季度"), field_name="date")
    kind = django_filters.ChoiceFilter(label=_("检查类型"), choices=InspectionKind.choices, empty_label=_("全部"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=InspectionStatus.choices, empty_label=_("全部"))

    class Meta:
        model = Inspection
        fields = ["street", "community", "estate", "firm", "date_from", "date_to", "quarter", "kind", "status"]
        form = FilterForm


class OrderFilter(django_filters.FilterSet):
    street, community, estate = _place_filters("estate__").values()
    firm = django_filters.ModelChoiceFilter(label=_("物业企业"), field_name="firm", queryset=scoped_choices(Firm),
                                            empty_label=_("全部"), widget=RemoteSelect("firms"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=OrderStatus.choices, empty_label=_("全部"))
    overdue = django_filters.BooleanFilter(label=_("逾期"), method="filter_overdue",
                                           widget=forms.Select(choices=YES_NO))
    issued_from = django_filters.DateFilter(label=_("下发日期从"), field_name="issued_at__date", lookup_expr="gte",
                                            widget=forms.DateInput(attrs={"type": "date"}))
    issued_to = django_filters.DateFilter(label=_("下发日期至"), field_name="issued_at__date", lookup_expr="lte",
                                          widget=forms.DateInput(attrs={"type": "date"}))
    quarter = QuarterFilter(label=_("下发季度"), field_name="issued_at__date")

    class Meta:
        model = RectificationOrder
        fields = ["street", "community", "estate", "firm", "status", "overdue", "issued_from", "issued_to",
                  "quarter"]
        form = FilterForm

    @staticmethod
    def overdue_q():
        """Marked overdue by the daily job, or past the deadline and still open (the job has not run yet)."""
        open_statuses = [OrderStatus.ISSUED, OrderStatus.RETURNED, OrderStatus.OVERDUE]
        return Q(status=OrderStatus.OVERDUE) | Q(status__in=open_statuses, deadline__lt=timezone.localdate())

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(self.overdue_q()) if value else queryset.exclude(self.overdue_q())
