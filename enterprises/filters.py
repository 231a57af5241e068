"""FilterSets for the firm and contract lists, used by the pages and the API alike.

Choice lists are scoped: a user filters only by districts, streets and
firms they may see.
"""
from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import RemoteSelect
from communities.filters.places import BootstrapFilterSet, visible_districts, visible_streets
from enterprises.models import ContractStatus, Firm, ServiceContract

YES_NO = (("true", _("是")), ("false", _("否")))


def visible_firms(request):
    return Firm.objects.visible_to(getattr(request, "user", None))


def _yes_no(label):
    return django_filters.ChoiceFilter(label=label, choices=YES_NO, empty_label=_("全部"), method="filter_flag")


class FirmFilter(BootstrapFilterSet):
    q = django_filters.CharFilter(label=_("名称 / 信用代码"), method="filter_q")
    district = django_filters.ModelChoiceFilter(
        label=_("备案区"), field_name="registered_district", queryset=visible_districts, empty_label=_("全部区"),
    )
    is_filed = _yes_no(_("已备案"))
    is_street_run = _yes_no(_("街道物业公司"))
    in_public_benefit_pool = _yes_no(_("公益性企业库"))

    class Meta:
        model = Firm
        fields = ["q", "district", "is_filed", "is_street_run", "in_public_benefit_pool"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__icontains=value.upper()))

    def filter_flag(self, queryset, name, value):
        return queryset.filter(**{name: value == "true"})


class ContractFilter(BootstrapFilterSet):
    q = django_filters.CharFilter(label=_("小区名称"), field_name="estate__name", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ContractStatus.choices, empty_label=_("全部状态"))
    firm = django_filters.ModelChoiceFilter(label=_("物业企业"), queryset=visible_firms, empty_label=_("全部企业"),
                                            widget=RemoteSelect("firms"))  # searched as the user types
    street = django_filters.ModelChoiceFilter(
        label=_("街道"), field_name="estate__community__street", queryset=visible_streets,
        empty_label=_("全部街道"),
    )

    class Meta:
        model = ServiceContract
        fields = ["q", "status", "firm", "street"]
