"""Pages without login: published star ratings, the blacklist, and plaque verification; and the
printable plaque itself (for users who may see the rating)."""
from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import ListView

from accounts.pagination import GroupedPaginator
from enterprises.models import BlacklistEntry

from ..filters import PublicRatingFilter, published_period_choices
from ..models import PeriodStatus, RatingPeriod
from ..selectors import (
    PLAQUE_MIN_TIER,
    plaque_ratings,
    plaque_token,
    public_groups_in_order,
    public_ratings,
    rating_for_plaque,
    revocation_of,
)

PUBLIC_SORTS = {"estate": "estate__name", "tier": "tier", "period": "period__year",
                "street": "estate__community__street__name", "district": "period__district__name"}


class PublicRatingListView(ListView):
    """公示: published, starred results only (public_ratings()); nothing personal is shown.

    Without a chosen quarter the page shows the latest published one (the 评定期 selector offers the
    others, and 全部 every quarter). In its default order the page is read period by period and tier by
    tier (GroupedPaginator over the rating_current_period_tier index), so an anonymous hit never sorts
    every published rating of the city.
    """

    template_name = "ratings/public_list.html"
    paginate_by = 30

    def get_queryset(self):
        qs = public_ratings().select_related("period__district")
        data = self.request.GET.copy()
        periods = published_period_choices()  # newest first
        if "period" not in data and periods:
            data["period"] = periods[0][0]
        self.filterset = PublicRatingFilter(data or None, queryset=qs, request=self.request, period_choices=periods)
        qs = self.filterset.qs if not self.filterset.is_bound or self.filterset.is_valid() else qs.none()
        sort = self.request.GET.get("sort", "")
        if sort.lstrip("-") in PUBLIC_SORTS:
            field = PUBLIC_SORTS[sort.lstrip("-")]
            qs = qs.order_by(f"-{field}" if sort.startswith("-") else field, "pk")
        return qs

    def get_paginator(self, queryset, per_page, **kwargs):
        if self.request.GET.get("sort", "").lstrip("-") in PUBLIC_SORTS:
            return super().get_paginator(queryset, per_page, **kwargs)
        return GroupedPaginator(queryset, per_page, group_by=("period_id", "tier"), sort_groups=public_groups_in_order,
                                defer=True, **kwargs)

    def announcements(self) -> list[RatingPeriod]:
        """The 公示 of the quarter shown, district by district: from the announcement to the appeal
        deadline, then the publication (only published periods: the public sees published data only)."""
        form = self.filterset.form
        if not (self.filterset.is_bound and form.is_valid()):
            return []
        year, _sep, quarter = (form.cleaned_data.get("period") or "").partition("Q")
        if not (year.isdigit() and quarter.isdigit()):
            return []  # every quarter: the ranges are listed per quarter chosen
        qs = RatingPeriod.objects.filter(status=PeriodStatus.PUBLISHED, year=int(year), quarter=int(quarter))
        if form.cleaned_data.get("district"):
            qs = qs.filter(district=form.cleaned_data["district"])
        return list(qs.select_related("district").order_by("district__name", "pk"))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter"] = self.filterset
        ctx["current_sort"] = self.request.GET.get("sort", "")
        ctx["public_tab"] = "ratings"
        ctx["announcements"] = self.announcements()
        return ctx


class PublicBlacklistView(ListView):
    """失信黑名单 in force today: firm, credit code, reason, since (a firm is a public business entity)."""

    template_name = "ratings/public_blacklist.html"
    paginate_by = 30

    def get_queryset(self):
        qs = (BlacklistEntry.objects.in_force(timezone.localdate()).select_related("firm", "district")
              .order_by("-starts_on", "firm__name", "pk"))
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(firm__name__icontains=q)
        return qs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "public_tab": "blacklist"}


class PlaqueView(LoginRequiredMixin, View):
    """The printable plaque (3★ and above, published, current version, not revoked by the yearly
    re-check) with a QR code of the verification URL."""

    template_name = "ratings/plaque.html"

    def get(self, request, pk):
        qs = plaque_ratings().visible_to(request.user).select_related(
            "estate__community__street__district", "period")
        rating = get_object_or_404(qs, pk=pk)
        verify_url = request.build_absolute_uri(
            reverse("ratings:verify", args=[rating.pk, plaque_token(rating.pk)]))
        return render(request, self.template_name, {"rating": rating, "estate": rating.estate,
                                                    "district": rating.estate.community.street.district,
                                                    "period": rating.period, "verify_url": verify_url})


class VerifyView(View):
    """What a QR code on a plaque opens: whether the plaque names a published rating of ours."""

    template_name = "ratings/verify.html"

    def get(self, request, pk, token):
        rating = rating_for_plaque(pk, token)
        genuine = bool(rating and plaque_ratings().filter(pk=rating.pk).exists())
        revoked = revocation_of(rating) if rating and not genuine and rating.is_current else None
        return render(request, self.template_name, {
            "rating": rating, "token_ok": rating is not None, "genuine": genuine,
            "revocation": revoked, "superseded": bool(rating and not rating.is_current),
            "plaque_min_tier": PLAQUE_MIN_TIER,
        })
