"""Rating policy pages: the versions of each district's policy, and a new version (district admins)."""
from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.scope import scope_of
from accounts.versions import ids_in_force
from accounts.views import ScopedListView
from communities.models import District

from ..filters import PolicyFilter
from ..forms import PolicyForm
from ..models import RatingPolicy
from ..services.policy import POLICY_FIELDS, policy_create, policy_for
from ._common import form_errors


class PolicyListView(ScopedListView):
    model = RatingPolicy
    template_name = "ratings/policy_list.html"
    filterset_class = PolicyFilter
    select_related = ("district", "created_by")
    sort_fields = {"district": "district__name", "effective_from": "effective_from"}
    default_sort = ("district__name", "-effective_from", "pk")
    export_filename = gettext_lazy("星级评定政策")
    export_headers = tuple(gettext_lazy(h) for h in (
        "区", "生效日期", "日常检查权重（%）", "业主及业委会意见权重（%）", "第三方满意度权重（%）", "五星级最低分",
        "四星级最低分", "三星级最低分", "二星级最低分", "一星级最低分", "申报开始", "申报截止", "申诉期（天）",
        "季度结束后第几日评定", "取消参评情形"))

    def export_row(self, p):
        return (p.district.name, p.effective_from, p.weight_inspection, p.weight_opinion, p.weight_satisfaction,
                p.threshold_5, p.threshold_4, p.threshold_3, p.threshold_2, p.threshold_1, p.application_start,
                p.application_end, p.appeal_days, p.run_day, "；".join(p.disqualifying_reasons or []))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["in_force"] = ids_in_force(RatingPolicy, timezone.localdate())
        ctx["editable_districts"] = list(District.objects.editable_by(self.request.user).order_by("name"))
        return ctx


def _next_quarter_start(today: datetime.date) -> datetime.date:
    q = (today.month - 1) // 3 + 1
    return datetime.date(today.year + 1, 1, 1) if q == 4 else datetime.date(today.year, 3 * q + 1, 1)


class PolicyCreateView(LoginRequiredMixin, View):
    """新版本: prefilled from the version in force (or the latest one); earlier periods keep theirs."""

    template_name = "ratings/policy_form.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.district = None

    def get_district(self, request, district_pk):
        return get_object_or_404(District.objects.editable_by(request.user), pk=district_pk)

    def render(self, request, form, current):
        return render(request, self.template_name, {"form": form, "district": self.district, "current": current,
                                                    "scope": scope_of(request.user)})

    def current(self):
        today = timezone.localdate()
        return policy_for(self.district.pk, today) or (
            RatingPolicy.objects.filter(district=self.district).order_by("-effective_from").first())

    def get(self, request, district_pk):
        self.district = self.get_district(request, district_pk)
        current = self.current()
        form = PolicyForm(initial=PolicyForm.initial_from(current, _next_quarter_start(timezone.localdate())))
        return self.render(request, form, current)

    def post(self, request, district_pk):
        self.district = self.get_district(request, district_pk)
        form = PolicyForm(request.POST)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in POLICY_FIELDS}
            try:
                policy = policy_create(actor=request.user, district=self.district,
                                       effective_from=form.cleaned_data["effective_from"], data=data)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已保存%(d)s星级评定政策新版本（%(f)s 起生效）。") % {
                    "d": self.district.name, "f": policy.effective_from})
                return redirect(reverse("ratings:policy_list") + f"?district={self.district.pk}")
        return self.render(request, form, self.current())
