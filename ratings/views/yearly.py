"""年度复查: each estate's yearly rating from its published quarters, and where it lowers the tier held."""
import datetime

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from ..selectors import yearly_ratings


class YearlyRatingView(LoginRequiredMixin, TemplateView):
    template_name = "ratings/yearly.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = datetime.date.today()
        raw = self.request.GET.get("year", "")
        year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else today.year
        ctx["year"] = year
        ctx["year_error"] = bool(raw) and str(year) != raw
        ctx["years"] = list(range(today.year, today.year - 6, -1))
        ctx["rows"] = yearly_ratings(user=self.request.user, year=year)
        ctx["lowered"] = sum(1 for r in ctx["rows"] if r["lowered"])
        return ctx
