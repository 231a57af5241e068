"""FilterSets of the ratings lists. Choice lists are scoped (a user filters by places they may see),
except on the public pages, which offer every district and street and show only published data."""
from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelect
from communities.filters.places import BootstrapFilterSet, visible_districts, visible_streets
from communities.models import District, Street
from enterprises.models import Firm

from .forms import QUARTERS, TIER_CHOICES
from .models import (
    Application,
    ApplicationStatus,
    Disqualification,
    PeriodStatus,
    RatingPeriod,
    RatingPolicy,
    StarRating,
)


def visible_firms(request):
    return Firm.objects.visible_to(getattr(request, "user", None)).order_by("name")


def _year(field_name="year"):
    return django_filters.NumberFilter(label=_("年度"), field_name=field_name,
                                       widget=forms.NumberInput(attrs={"placeholder": "2025", "min": 2000}))


class PolicyFilter(BootstrapFilterSet):
    district = django_filters.ModelChoiceFilter(label=_("区"), queryset=visible_districts, empty_label=_("全部区"))

    class Meta:
        model = RatingPolicy
        fields = ["district"]


class ApplicationFilter(BootstrapFilterSet):
    year = _year()
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ApplicationStatus.choices, empty_label=_("全部"))
    street = django_filters.ModelChoiceFilter(label=_("街道"), field_name="estate__community__street",
                                              queryset=visible_streets, empty_label=_("全部街道"))
    firm = django_filters.ModelChoiceFilter(label=_("物业企业"), queryset=visible_firms, empty_label=_("全部企业"),
                                            widget=RemoteSelect("firms"))  # searched as the user types

    class Meta:
        model = Application
        fields = ["year", "status", "street", "firm"]


class PeriodFilter(BootstrapFilterSet):
    district = django_filters.ModelChoiceFilter(label=_("区"), queryset=visible_districts, empty_label=_("全部区"))
    year = _year()
    status = django_filters.ChoiceFilter(label=_("状态"), choices=PeriodStatus.choices, empty_label=_("全部"))

    class Meta:
        model = RatingPeriod
        fields = ["district", "year", "status"]


class ResultFilter(BootstrapFilterSet):
    """The results of one period (period page) or of several (我的星级)."""

    street = django_filters.ModelChoiceFilter(label=_("街道"), field_name="estate__community__street",
                                              queryset=visible_streets, empty_label=_("全部街道"))
    tier = django_filters.ChoiceFilter(label=_("星级"), choices=TIER_CHOICES, empty_label=_("全部"))
    q = django_filters.CharFilter(label=_("小区名称"), field_name="estate__name", lookup_expr="icontains")

    class Meta:
        model = StarRating
        fields = ["street", "tier", "q"]


class MyRatingFilter(BootstrapFilterSet):
    year = _year("period__year")
    status = django_filters.ChoiceFilter(label=_("状态"), field_name="period__status", choices=PeriodStatus.choices,
                                         empty_label=_("全部"))
    tier = django_filters.ChoiceFilter(label=_("星级"), choices=TIER_CHOICES, empty_label=_("全部"))
    q = django_filters.CharFilter(label=_("小区名称"), field_name="estate__name", lookup_expr="icontains")

    class Meta:
        model = StarRating
        fields = ["year", "status", "tier", "q"]


class DisqualificationFilter(BootstrapFilterSet):
    year = _year()
    quarter = django_filters.ChoiceFilter(label=_("季度"), choices=QUARTERS, empty_label=_("全部"))
    street = django_filters.ModelChoiceFilter(label=_("街道"), field_name="estate__community__street",
                                              queryset=visible_streets, empty_label=_("全部街道"))

    class Meta:
        model = Disqualification
        fields = ["year", "quarter", "street"]


def published_period_choices():
    labels = (RatingPeriod.objects.filter(status=PeriodStatus.PUBLISHED).order_by("-year", "-quarter")
              .values_list("year", "quarter").distinct())
    return [(f"{y}Q{q}", gettext("%(y)d 年第 %(q)d 季度") % {"y": y, "q": q}) for y, q in labels]


class PublicRatingFilter(BootstrapFilterSet):
    """/ratings/public/: every district and street may be chosen; the rows are published ones only."""

    q = django_filters.CharFilter(label=_("小区名称"), field_name="estate__name", lookup_expr="icontains")
    district = django_filters.ModelChoiceFilter(label=_("区"), field_name="period__district",
                                                queryset=District.objects.order_by("name"), empty_label=_("全部区"))
    street = django_filters.ModelChoiceFilter(label=_("街道"), field_name="estate__community__street",
                                              queryset=Street.objects.select_related("district")
                                              .order_by("district__name", "name"), empty_label=_("全部街道"))
    tier = django_filters.ChoiceFilter(label=_("星级"), choices=TIER_CHOICES[:5], empty_label=_("全部"))
    period = django_filters.ChoiceFilter(label=_("评定期"), choices=published_period_choices, method="filter_period",
                                         empty_label=_("全部"))

    class Meta:
        model = StarRating
        fields = ["q", "district", "street", "tier", "period"]

    def __init__(self, *args, period_choices=None, **kwargs):
        """`period_choices`: published_period_choices() when the caller has already read them (one query
        for the page instead of one to validate and one to render)."""
        super().__init__(*args, **kwargs)
        if period_choices is not None:
            self.filters["period"].extra["choices"] = period_choices

    def filter_period(self, queryset, name, value):
        year, _sep, quarter = value.partition("Q")
        return queryset.filter(Q(period__year=int(year)) & Q(period__quarter=int(quarter)))
