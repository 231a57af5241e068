"""The complaint list's filters, one FilterSet for the page, its Excel export and the API alike.

Merged reports (a repeated report folded into another case) are left out unless `merged` asks for
them: the case stands for them. The list binds the FilterSet even without a query string so this
default holds on the first page too.

"Overdue" is either clock marked late by the hourly job (kept after closing), or a clock that is
running and past its due time now (the job has not run yet): the filter takes `now` from the view.
"""
from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelect
from accounts.scope import scope_of
from accounts.forms import DateInput
from accounts.filters import EstateChoiceFilter, scoped_choices
from communities.filters.estates import YES_NO, FilterForm
from communities.models import Community, District, Estate, Street
from enterprises.models import Firm
from inspections.selectors import quarter_of

from .models import Category, Complaint, Source, Status, Urgency

PERIODS = [("", _("全部")), ("month", _("本月")), ("quarter", _("本季度"))]


def overdue_q(now: datetime.datetime) -> Q:
    """A clock marked late, or a clock running past its due time at `now`."""
    return (Q(sign_overdue=True) | Q(answer_overdue=True)
            | Q(status=Status.ASSIGNED, sign_due_at__lte=now)
            | Q(status=Status.SIGNED, answer_due_at__lte=now))


def period_bounds(period: str, today: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    """本月 / 本季度 of `today` as (first day, last day)."""
    if period == "month":
        first = today.replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        return first, following - datetime.timedelta(days=1)
    if period == "quarter":
        return quarter_of(today)
    return None


class ComplaintFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("搜索"), method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": _("受理编号、工单编号、标题或地址")}))
    period = django_filters.ChoiceFilter(label=_("受理时段"), choices=PERIODS[1:], empty_label=_("全部"),
                                         method="filter_period")
    received_from = django_filters.DateFilter(label=_("受理日期从"), field_name="received_at__date",
                                              lookup_expr="gte", widget=DateInput())
    received_to = django_filters.DateFilter(label=_("受理日期至"), field_name="received_at__date",
                                            lookup_expr="lte", widget=DateInput())
    district = django_filters.ModelChoiceFilter(label=_("区"), field_name="street__district",
                                                queryset=scoped_choices(District), empty_label=_("全部"))
    street = django_filters.ModelChoiceFilter(label=_("街道"), field_name="street", queryset=scoped_choices(Street),
                                              empty_label=_("全部"))
    # Long lists are searched as the user types (accounts/choices.py); each still validates against the
    # whole visible_to queryset, so a tampered id is an invalid choice.
    community = django_filters.ModelChoiceFilter(
        label=_("社区"), field_name="estate__community", queryset=scoped_choices(Community), empty_label=_("全部"),
        widget=RemoteSelect("communities"))
    estate = EstateChoiceFilter(label=_("小区"), field_name="estate", queryset=scoped_choices(Estate, "community"),
                                empty_label=_("全部"), widget=RemoteSelect("estates"))
    firm = django_filters.ModelChoiceFilter(label=_("物业企业"), field_name="firm", queryset=scoped_choices(Firm),
                                            empty_label=_("全部"), widget=RemoteSelect("firms"))
    source = django_filters.ChoiceFilter(label=_("来源"), choices=Source.choices, empty_label=_("全部"))
    category = django_filters.ModelChoiceFilter(label=_("类别"), queryset=Category.objects.all(),
                                                empty_label=_("全部"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Status.choices, empty_label=_("全部"))
    overdue = django_filters.BooleanFilter(label=_("超时"), method="filter_overdue",
                                           widget=forms.Select(choices=YES_NO))
    urgency = django_filters.ChoiceFilter(label=_("紧急程度"), choices=Urgency.choices, empty_label=_("全部"))
    major = django_filters.BooleanFilter(label=_("重大投诉"), widget=forms.Select(choices=YES_NO))
    supervised = django_filters.BooleanFilter(label=_("督办件"), widget=forms.Select(choices=YES_NO))
    triage = django_filters.BooleanFilter(label=_("待分拣"), field_name="estate", lookup_expr="isnull",
                                          widget=forms.Select(choices=YES_NO))
    excluded = django_filters.BooleanFilter(label=_("不计入考核"), method="filter_excluded",
                                            widget=forms.Select(choices=YES_NO))
    # The orders of one 12345 import (the import's result page links here); the list is scoped already.
    import_run = django_filters.NumberFilter(label=_("导入批次号"), field_name="import_run", min_value=1)
    merged = django_filters.BooleanFilter(label=_("显示已并案"), method="filter_merged",
                                          widget=forms.Select(choices=YES_NO))

    class Meta:
        model = Complaint
        fields = ["q", "period", "received_from", "received_to", "district", "street", "community", "estate", "firm",
                  "source", "category", "status", "overdue", "urgency", "major", "supervised", "triage",
                  "excluded", "import_run", "merged"]
        form = FilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, now=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        scope = scope_of(request.user) if request is not None else None
        if scope is not None and not scope.city and len(scope.ids("district")) < 2:
            del self.filters["district"]  # one district at most: nothing to choose
        # The clock is read at the edge (the view passes its `now`); the API may leave it to here.
        self.now = now or timezone.now()

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("merged"):
            queryset = queryset.filter(merged_into__isnull=True)
        return queryset

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(external_no__icontains=value)
                               | Q(title__icontains=value) | Q(address__icontains=value))

    def filter_period(self, queryset, name, value):
        bounds = period_bounds(value, timezone.localdate(self.now))
        if bounds is None:
            return queryset
        return queryset.filter(received_at__date__range=bounds)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        q = overdue_q(self.now)
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_excluded(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(excluded="") if value else queryset.filter(excluded="")

    def filter_merged(self, queryset, name, value):
        return queryset  # applied in filter_queryset (the default hides merged reports)
