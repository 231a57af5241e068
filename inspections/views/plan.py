"""The quarterly inspection plan: progress per street, and the district's frequency rules."""
from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from communities.models import District

from ..forms import FrequencyForm, add_service_errors
from ..models import InspectionFrequency
from ..selectors import inspection_progress, parse_quarter, quarter_of
from ..services.inspections import inspectable_estates
from ..services.plan import frequency_delete, frequency_set


def quarter_label(start: datetime.date) -> str:
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


class ProgressView(LoginRequiredMixin, View):
    template_name = "inspections/progress.html"

    def get(self, request):
        today = timezone.localdate()
        error = None
        start, end = quarter_of(today)
        if request.GET.get("quarter"):
            try:
                start, end = parse_quarter(request.GET["quarter"])
            except ValueError as exc:
                error = str(exc)
        streets = inspection_progress(user=request.user, start=start, end=end, today=today)
        state = request.GET.get("state", "")
        if state not in ("done", "due", "overdue"):
            state = ""
        prev_start = quarter_of(start - datetime.timedelta(days=1))[0]
        next_start = end + datetime.timedelta(days=1)
        return render(request, self.template_name, {
            "streets": streets, "start": start, "end": end, "quarter": quarter_label(start), "error": error,
            "state": state, "prev_quarter": quarter_label(prev_start), "next_quarter": quarter_label(next_start),
            "inspectable": set(inspectable_estates(request.user).values_list("pk", flat=True)),
            "totals": {k: sum(getattr(s, k) for s in streets) for k in ("done", "due", "overdue")},
            "estate_count": sum(len(s.estates) for s in streets),
            "can_set_frequency": District.objects.editable_by(request.user).exists(),
        })


class FrequencyView(LoginRequiredMixin, View):
    """District administrators set how often estates are inspected each quarter."""

    template_name = "inspections/frequencies.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.districts = District.objects.editable_by(request.user).order_by("name")
            if not self.districts.exists():
                raise Http404(_("页面不存在"))
        return super().dispatch(request, *args, **kwargs)

    def render_page(self, form, status=200):
        rules = (InspectionFrequency.objects.filter(district__in=self.districts)
                 .select_related("district", "street").order_by("district__name", "street__name", "category"))
        return render(self.request, self.template_name, {"form": form, "rules": rules}, status=status)

    def get(self, request):
        return self.render_page(FrequencyForm(districts=self.districts, initial={"per_quarter": 1}))

    def post(self, request):
        if request.POST.get("delete"):
            rule = get_object_or_404(InspectionFrequency.objects.filter(district__in=self.districts),
                                     pk=request.POST["delete"] if request.POST["delete"].isdigit() else 0)
            try:
                frequency_delete(actor=request.user, rule=rule)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("已删除该规则。"))
            return redirect("inspections:frequencies")
        form = FrequencyForm(request.POST, districts=self.districts)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rule = frequency_set(actor=request.user, district=data["district"], street=data["street"],
                                     category=data["category"], per_quarter=data["per_quarter"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已设置：每季度检查 %(n)d 次。") % {"n": rule.per_quarter})
                return redirect("inspections:frequencies")
        return self.render_page(form)
