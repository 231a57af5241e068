"""年度复查: each estate's yearly rating from its published quarters, where it lowers the tier held, and
the district admin's 确认复查 (which revokes the plaques above the yearly tier)."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from communities.models import District, Estate

from ..forms import RecheckConfirmForm
from ..selectors import yearly_ratings
from ..services.corrections import recheck_confirm


class YearlyRatingView(LoginRequiredMixin, TemplateView):
    template_name = "ratings/yearly.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        raw = self.request.GET.get("year", "")
        year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else today.year
        ctx["year"] = year
        ctx["year_error"] = bool(raw) and str(year) != raw
        ctx["years"] = list(range(today.year, today.year - 6, -1))
        rows = yearly_ratings(user=self.request.user, year=year)
        admin_of = set(District.objects.editable_by(self.request.user).values_list("pk", flat=True))
        for r in rows:
            r["can_confirm"] = r["decision"] is None and r["district_id"] in admin_of
        ctx["rows"] = rows
        ctx["lowered"] = sum(1 for r in rows if r["lowered"])
        ctx["to_confirm"] = sum(1 for r in rows if r["lowered"] and r["can_confirm"])
        return ctx


class RecheckConfirmView(LoginRequiredMixin, View):
    """确认复查 of one estate and year (recheck_confirm checks the district admin and refuses twice)."""

    def post(self, request):
        form = RecheckConfirmForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择要确认复查的小区和年度。"))
            return redirect("ratings:yearly")
        d = form.cleaned_data
        estate = get_object_or_404(Estate.objects.visible_to(request.user), pk=d["estate"])
        try:
            decision = recheck_confirm(actor=request.user, estate=estate, year=d["year"], note=d["note"],
                                       now=timezone.now())
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            if decision.lowers:
                messages.success(request, _("已确认“%(e)s”%(y)d 年度复查：由 %(b)d 星降为 %(a)d 星，高于 %(a)d 星的"
                                            "星级标牌已撤销。") % {"e": estate.name, "y": decision.year,
                                                             "b": decision.tier_before, "a": decision.tier_after})
            else:
                messages.success(request, _("已确认“%(e)s”%(y)d 年度复查：保持 %(b)d 星。") % {
                    "e": estate.name, "y": decision.year, "b": decision.tier_before})
        return redirect(reverse("ratings:yearly") + "?" + urlencode({"year": d["year"]}))
