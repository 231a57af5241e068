"""Subsidy policy pages: each district's versions, and a new version (district admins)."""
from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.scope import scope_of
from accounts.versions import ids_in_force
from accounts.views import ScopedListView
from communities.models import District

from ..filters import PolicyFilter
from ..forms import PolicyForm, form_errors
from ..models import SubsidyPolicy
from ..services.policy import policy_create, policy_for


class PolicyListView(ScopedListView):
    model = SubsidyPolicy
    template_name = "subsidies/policy_list.html"
    filterset_class = PolicyFilter
    select_related = ("district", "created_by")
    sort_fields = {"district": "district__name", "effective_from": "effective_from"}
    default_sort = ("district__name", "-effective_from", "pk")

    def get_base_queryset(self):
        return super().get_base_queryset().annotate(pilot_count=Count("pilot_estates"))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["in_force"] = ids_in_force(SubsidyPolicy, timezone.localdate().replace(day=1))
        ctx["editable_districts"] = list(District.objects.editable_by(self.request.user).order_by("name"))
        return ctx


def _first_of_next_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


class PolicyCreateView(LoginRequiredMixin, View):
    """新版本: prefilled from the version in force (or the latest); earlier months keep theirs."""

    template_name = "subsidies/policy_form.html"

    def get_district(self, request, district_pk):
        return get_object_or_404(District.objects.editable_by(request.user), pk=district_pk)

    @staticmethod
    def current(district):
        return policy_for(district.pk, timezone.localdate()) or (
            SubsidyPolicy.objects.filter(district=district).order_by("-effective_from").first())

    def render(self, request, district, form, current):
        return render(request, self.template_name, {"form": form, "district": district, "current": current,
                                                    "scope": scope_of(request.user)})

    def get(self, request, district_pk):
        district = self.get_district(request, district_pk)
        current = self.current(district)
        form = PolicyForm(district=district,
                          initial=PolicyForm.initial_from(current, _first_of_next_month(timezone.localdate())))
        return self.render(request, district, form, current)

    def post(self, request, district_pk):
        district = self.get_district(request, district_pk)
        form = PolicyForm(request.POST, district=district)
        if form.is_valid():
            try:
                policy = policy_create(actor=request.user, district=district,
                                       effective_from=form.cleaned_data["effective_from"],
                                       data=form.service_data(), pilot_estates=form.cleaned_data["pilot_estates"])
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已保存%(d)s效能补贴政策新版本（%(f)s 起生效）。") % {
                    "d": district.name, "f": policy.effective_from})
                return redirect(reverse("subsidies:policy_list") + f"?district={district.pk}")
        return self.render(request, district, form, self.current(district))
