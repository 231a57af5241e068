"""办理情况统计: the rates (declared once in complaints.selectors.RATES) of the user's scope for a period, overall
and per street, firm and estate, with each formula beside its figure; excluded orders counted and linked;
the same tables as an Excel export.

The satisfaction rate weighs 基本满意 by the district policy's `basic_satisfied_weight`. A page over one
district uses that district's weight; over several districts whose weights differ (a city administrator)
the figures use the default weight 1 and the page says so (pick a district for its own weight).
"""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from accounts.excel import build_workbook, xlsx_response
from communities.models import District

from .. import selectors
from ..forms import RatesPeriodForm
from ..models import Complaint, TimeLimitPolicy
from .cases_menu import require_page

DEFAULT_WEIGHT = Decimal(1)
GROUPS = (("street", _("按街道")), ("firm", _("按物业企业")), ("estate", _("按小区")))


def weight_for(districts, day: datetime.date) -> tuple[Decimal, bool]:
    """(weight, uniform): the 基本满意 weight of the districts' policies in force on `day` (one query;
    `districts` a list of ids or a queryset of ids); (1, False) when they differ."""
    policies = (TimeLimitPolicy.objects.filter(district_id__in=districts, effective_from__lte=day)
                .order_by("district_id", "-effective_from").values_list("district_id", "basic_satisfied_weight"))
    latest: dict[int, Decimal] = {}
    for district_id, weight in policies:
        latest.setdefault(district_id, weight)
    weights = set(latest.values())
    if len(weights) > 1:
        return DEFAULT_WEIGHT, False
    return (weights.pop() if weights else DEFAULT_WEIGHT), True


def fmt(rate, value) -> str:
    """A figure as the page and the export show it: 95.0%, 3, 2.5 天, — when nothing was counted."""
    if value is None:
        return "—"
    unit = str(rate.unit)
    if unit == "%":
        return f"{value}%"
    return f"{value} {unit}".strip() if unit else str(value)


def period_queryset(user, bounds, district=None):
    qs = Complaint.objects.visible_to(user).filter(received_at__date__range=bounds)
    if district is not None:
        qs = qs.filter(street__district=district)
    return qs


def with_cells(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["cells"] = [(rate, fmt(rate, row.get(rate.key))) for rate in selectors.RATES]
    return rows


class RatesView(LoginRequiredMixin, View):
    template_name = "complaints/rates.html"

    def get(self, request):
        require_page(request, "complaints:rates")
        today = timezone.localdate()
        districts = District.objects.visible_to(request.user).order_by("name")
        form = RatesPeriodForm(request.GET or None, today=today)
        valid = form.is_valid() if form.is_bound else True
        if form.is_bound and valid:
            data = form.cleaned_data
        else:  # the current quarter (the form, if wrong, shows its message above the figures)
            default = RatesPeriodForm({"kind": "quarter"}, today=today)
            default.is_valid()
            data = default.cleaned_data
        district = None
        district_id = request.GET.get("district", "")
        if district_id.isdigit():
            district = districts.filter(pk=int(district_id)).first()
        bounds = data["bounds"]
        qs = period_queryset(request.user, bounds, district)
        ids = [district.pk] if district else list(districts.values_list("pk", flat=True))
        weight, uniform = weight_for(ids, bounds[1])
        overall = with_cells(selectors.rates_by(qs, None, weight))[0]
        tables = [(key, label, with_cells(selectors.rates_by(qs, key, weight))) for key, label in GROUPS]
        if request.GET.get("export") == "xlsx":
            return self.export(data["label"], overall, tables)
        base = {"received_from": bounds[0].isoformat(), "received_to": bounds[1].isoformat()}
        if district is not None:
            base["district"] = district.pk
        return render(request, self.template_name, {
            "form": form, "valid": valid, "label": data["label"], "bounds": bounds, "overall": overall,
            "tables": tables, "rates": selectors.RATES, "weight": weight, "uniform": uniform,
            "districts": districts if len(districts) > 1 else [], "district": district,
            "excluded_url": "?" + urlencode({**base, "excluded": "true"}),
            "list_query": urlencode(base),
        })

    def export(self, label, overall, tables):
        headers = [_("维度"), _("名称"), _("受理件数")] + [str(r.label) for r in selectors.RATES] + [_("不计入考核件数")]

        def line(kind, row):
            return [kind, row["label"], row["received"]] + [fmt(r, row.get(r.key)) for r in selectors.RATES] + [
                row["excluded"]]

        rows = [line(_("合计"), overall)]
        for _key, group_label, group_rows in tables:
            rows.extend(line(group_label, row) for row in group_rows)
        rows.append([])
        rows.extend([_("指标说明"), f"{r.label}：{r.formula}"] for r in selectors.RATES)
        content = build_workbook(headers, rows, sheet=_("办理情况统计"), title=_("投诉办理情况统计 %(p)s") % {"p": label})
        return xlsx_response(content, f"{_('投诉办理情况统计')}-{label}.xlsx")
