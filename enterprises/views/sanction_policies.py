"""A district's firm-sanction policy in the browser: the versions (per district, the one in force today
marked) and a new version for the district's administrators (a city administrator for any district),
prefilled from the version in force and showing it before the form is filled. Same shape as the
maintenance fund's policy pages (maintenance/views.py PolicyListView / PolicyCreateView); every rule is
sanction_policy_create's."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import add_service_errors
from accounts.scope import scope_of
from accounts.versions import ids_in_force
from accounts.views import ScopedListView
from communities.models import District

from ..models import EventKind, SanctionPolicy
from ..sanctions.filters import SanctionPolicyFilter
from ..sanctions.forms import SanctionPolicyForm
from ..sanctions.services import policy_in_force, sanction_policy_create


def kind_labels(policy: SanctionPolicy) -> list[str]:
    """The kinds that sanction at once under `policy`, as the page names them (media counted apart)."""
    return [EventKind(k).label for k in (policy.sanctioning_kinds or []) if k in EventKind.values
            and k != EventKind.MEDIA]


class SanctionPolicyListView(ScopedListView):
    model = SanctionPolicy
    template_name = "enterprises/sanction_policy_list.html"
    filterset_class = SanctionPolicyFilter
    select_related = ("district", "created_by")
    default_sort = ("district__name", "-effective_from", "pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object_list"] = rows = list(ctx["object_list"])
        for policy in rows:
            policy.kind_labels = kind_labels(policy)
        ctx["in_force"] = ids_in_force(SanctionPolicy, timezone.localdate())
        ctx["editable_districts"] = list(District.objects.editable_by(self.request.user).order_by("name"))
        return ctx


class SanctionPolicyCreateView(LoginRequiredMixin, View):
    """新版本 of a district's sanction policy (its administrators; 404 for anyone else)."""

    template_name = "enterprises/sanction_policy_form.html"

    def district(self, request, district_pk):
        return get_object_or_404(District.objects.editable_by(request.user), pk=district_pk)

    @staticmethod
    def current(district, today):
        """The version in force today, else None (upcoming versions are listed apart)."""
        return policy_in_force(district.pk, today)

    def render(self, request, district, form, today):
        current = self.current(district, today)
        upcoming = list(SanctionPolicy.objects.filter(district=district, effective_from__gt=today)
                        .order_by("effective_from"))
        return render(request, self.template_name, {
            "form": form, "district": district, "current": current, "upcoming": upcoming, "today": today,
            "current_kinds": kind_labels(current) if current else [], "scope": scope_of(request.user)})

    def get(self, request, district_pk):
        district = self.district(request, district_pk)
        today = timezone.localdate()
        form = SanctionPolicyForm(initial=SanctionPolicyForm.initial_from(self.current(district, today), today))
        return self.render(request, district, form, today)

    def post(self, request, district_pk):
        district = self.district(request, district_pk)
        today = timezone.localdate()
        form = SanctionPolicyForm(request.POST)
        if form.is_valid():
            try:
                policy = sanction_policy_create(actor=request.user, district=district,
                                                effective_from=form.cleaned_data["effective_from"],
                                                data=form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已保存%(d)s企业惩戒政策新版本（%(f)s 起生效）。") % {
                    "d": district.name, "f": policy.effective_from})
                return redirect(reverse("enterprises:sanction_policy_list") + f"?district={district.pk}")
        return self.render(request, district, form, today)
