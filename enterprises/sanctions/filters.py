"""FilterSet of the sanction policy versions: a user filters by the districts they may see."""
from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from communities.filters.places import BootstrapFilterSet, visible_districts

from .models import SanctionPolicy


class SanctionPolicyFilter(BootstrapFilterSet):
    district = django_filters.ModelChoiceFilter(label=_("区"), queryset=visible_districts, empty_label=_("全部区"))

    class Meta:
        model = SanctionPolicy
        fields = ["district"]
