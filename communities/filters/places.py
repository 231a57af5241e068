"""FilterSets for the street and community lists (pages and API alike).

Every choice list is scoped: a user can only filter by places they may see.
"""
from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import Community, District, Street


def _user(request):
    return getattr(request, "user", None)


def visible_districts(request):
    return District.objects.visible_to(_user(request))


def visible_streets(request):
    return Street.objects.visible_to(_user(request)).select_related("district")


def visible_communities(request):
    return Community.objects.visible_to(_user(request)).select_related("street")


class BootstrapFilterSet(django_filters.FilterSet):
    """A FilterSet whose form renders as a compact Bootstrap filter bar."""

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_bootstrapped", False):
            for field in form.fields.values():
                w = field.widget
                css = "form-select form-select-sm" if isinstance(w, forms.Select) else "form-control form-control-sm"
                w.attrs["class"] = f"{w.attrs.get('class', '')} {css}".strip()
            form._bootstrapped = True
        return form


class StreetFilter(BootstrapFilterSet):
    district = django_filters.ModelChoiceFilter(
        label=_("区"), queryset=visible_districts, empty_label=_("全部区"),
    )
    q = django_filters.CharFilter(label=_("街道名称"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = Street
        fields = ["district", "q"]


class CommunityFilter(BootstrapFilterSet):
    district = django_filters.ModelChoiceFilter(
        label=_("区"), field_name="street__district", queryset=visible_districts, empty_label=_("全部区"),
    )
    street = django_filters.ModelChoiceFilter(
        label=_("街道"), queryset=visible_streets, empty_label=_("全部街道"),
    )
    q = django_filters.CharFilter(label=_("社区名称"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = Community
        fields = ["district", "street", "q"]
