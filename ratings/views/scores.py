"""Score pages: the opinion / satisfaction table of the participating estates, its Excel import and
template, and disqualification records."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.excel import build_workbook, xlsx_response
from accounts.scope import scope_of
from accounts.views import ScopedListView
from communities.models import District, Estate

from ..filters import DisqualificationFilter
from ..forms import ComponentImportForm, DisqualificationForm, QuarterForm, WithdrawForm
from ..models import DEFAULT_DISQUALIFYING_REASONS, ComponentKind, Disqualification, PeriodStatus, RatingPeriod
from ..selectors import component_grid, participating_estates
from ..services.periods import previous_quarter
from ..services.policy import policy_for
from ..services.scores import (
    COMPONENT_HEADERS,
    SCORE_LEVELS,
    ComponentChange,
    component_import,
    components_set_many,
    disqualification_withdraw,
    disqualify,
    parse_component,
)
from ._common import form_errors, not_found, safe_next

KINDS = (ComponentKind.OPINION, ComponentKind.SATISFACTION)


class ScoreKeeperRequiredMixin(LoginRequiredMixin):
    """Pages for those who keep scores (street staff, district admins): others get 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not Estate.objects.editable_by(request.user,
                                                                             levels=SCORE_LEVELS).exists():
            raise not_found()
        return super().dispatch(request, *args, **kwargs)


def _quarter(request) -> tuple[int, int, QuarterForm]:
    """The (year, quarter) asked for, default the quarter just ended."""
    year, quarter = previous_quarter(timezone.localdate())
    form = QuarterForm(request.GET or None, initial={"year": year, "quarter": quarter})
    if form.is_bound and form.is_valid():
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
    return year, quarter, form


class ScoreEntryView(ScoreKeeperRequiredMixin, View):
    """Two inputs per participating estate; saving sends the changed cells to components_set_many."""

    template_name = "ratings/score_entry.html"

    def rows(self, request, year, quarter, posted=None, bad=frozenset()):
        estates = list(participating_estates(request.user, year))
        grid = component_grid(estates, year, quarter)
        published = set(RatingPeriod.objects.filter(year=year, quarter=quarter, status=PeriodStatus.PUBLISHED)
                        .values_list("district_id", flat=True))
        rows = []
        for e in estates:
            cells = []
            for kind in KINDS:
                saved = grid.get(e.pk, {}).get(kind)
                name = f"{kind}_{e.pk}"
                value = posted.get(name, "") if posted is not None else (f"{saved.score:.2f}" if saved else "")
                cells.append({"name": name, "kind": kind, "value": value, "saved": saved, "invalid": name in bad})
            rows.append({"estate": e, "cells": cells, "locked": e.community.street.district_id in published})
        return rows

    def render(self, request, year, quarter, form, rows, errors=()):
        return render(request, self.template_name, {
            "year": year, "quarter": quarter, "quarter_form": form, "rows": rows, "errors": errors,
            "scope": scope_of(request.user),
        })

    def get(self, request):
        year, quarter, form = _quarter(request)
        return self.render(request, year, quarter, form, self.rows(request, year, quarter))

    def post(self, request):
        form = QuarterForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择年度和季度。"))
            return redirect("ratings:score_entry")
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
        estates = list(participating_estates(request.user, year))
        grid = component_grid(estates, year, quarter)
        changes, errors, bad = [], [], set()
        labels = dict(ComponentKind.choices)
        for e in estates:
            for kind in KINDS:
                name = f"{kind}_{e.pk}"
                if name not in request.POST:
                    continue
                raw = request.POST[name].strip()
                saved = grid.get(e.pk, {}).get(kind)
                if raw == "":
                    if saved is not None:
                        bad.add(name)
                        errors.append(_("%(e)s · %(k)s：已录入的得分不能清空，如需更正请填写新的得分。") % {
                            "e": e.name, "k": labels[kind]})
                    continue
                try:
                    value = parse_component(raw)
                except ValidationError:
                    bad.add(name)  # the service reports it; keep the cell marked
                    changes.append(ComponentChange(estate=e, kind=kind, score=raw))
                    continue
                if saved is None or saved.score != value:
                    changes.append(ComponentChange(estate=e, kind=kind, score=value))
        if not errors:
            try:
                n = components_set_many(actor=request.user, year=year, quarter=quarter, changes=changes)
            except ValidationError as exc:
                errors = exc.messages
            else:
                if n:
                    messages.success(request, _("已保存 %(n)d 项得分（%(y)d 年第 %(q)d 季度）。") % {
                        "n": n, "y": year, "q": quarter})
                else:
                    messages.info(request, _("没有修改任何得分。"))
                return redirect(reverse("ratings:score_entry") + "?" + urlencode({"year": year, "quarter": quarter}))
        rows = self.rows(request, year, quarter, posted=request.POST, bad=bad)
        return self.render(request, year, quarter, form, rows, errors)


class ComponentImportView(ScoreKeeperRequiredMixin, View):
    template_name = "ratings/score_import.html"

    def render(self, request, form, errors=()):
        return render(request, self.template_name, {"form": form, "errors": errors, "headers": COMPONENT_HEADERS,
                                                    "scope": scope_of(request.user)})

    def get(self, request):
        year, quarter, _form = _quarter(request)
        return self.render(request, ComponentImportForm(initial={"year": year, "quarter": quarter}))

    def post(self, request):
        form = ComponentImportForm(request.POST, request.FILES)
        errors = []
        if form.is_valid():
            year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
            try:
                n = component_import(actor=request.user, year=year, quarter=quarter, file=form.cleaned_data["file"])
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, _("已导入 %(n)d 项得分（%(y)d 年第 %(q)d 季度）。") % {
                    "n": n, "y": year, "q": quarter})
                return redirect(reverse("ratings:score_entry") + "?" + urlencode({"year": year, "quarter": quarter}))
        return self.render(request, form, errors)


class ComponentTemplateView(ScoreKeeperRequiredMixin, View):
    """The import template: the headers the import expects, one row per participating estate."""

    def get(self, request):
        year, quarter, _form = _quarter(request)
        estates = list(participating_estates(request.user, year))
        grid = component_grid(estates, year, quarter)

        def cell(e, kind):
            saved = grid.get(e.pk, {}).get(kind)
            return saved.score if saved else None

        rows = [(e.community.street.name, e.community.name, e.name, cell(e, ComponentKind.OPINION),
                 cell(e, ComponentKind.SATISFACTION)) for e in estates]
        content = build_workbook(COMPONENT_HEADERS, rows, sheet=_("得分"))
        return xlsx_response(content, _("意见及满意度得分导入模板-%(y)dQ%(q)d") % {"y": year, "q": quarter} + ".xlsx")


class DisqualificationListView(ScopedListView):
    model = Disqualification
    template_name = "ratings/disqualification_list.html"
    filterset_class = DisqualificationFilter
    select_related = ("estate__community__street__district", "recorded_by", "withdrawn_by")
    sort_fields = {"estate": "estate__name", "street": "estate__community__street__name",
                   "period": "year", "occurred_on": "occurred_on"}
    default_sort = ("-year", "-quarter", "-occurred_on", "-pk")
    export_filename = gettext_lazy("取消参评记录")
    export_headers = tuple(gettext_lazy(h) for h in (
        "年度", "季度", "区", "街道", "社区", "小区", "取消参评情形", "发生日期", "事实与证据", "记录时间",
        "撤销时间", "撤销原因"))

    def export_row(self, d):
        c = d.estate.community
        return (d.year, d.quarter, c.street.district.name, c.street.name, c.name, d.estate.name, d.reason,
                d.occurred_on, d.evidence, d.recorded_at, d.withdrawn_at, d.withdrawal_reason)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["can_create"] = Estate.objects.editable_by(user, levels=SCORE_LEVELS).exists()
        rows = [d for d in ctx["object_list"] if d.withdrawn_at is None]
        if rows and ctx["can_create"]:
            editable = set(Disqualification.objects.editable_by(user).filter(pk__in=[d.pk for d in rows])
                           .values_list("pk", flat=True))
            published = set(RatingPeriod.objects.filter(status=PeriodStatus.PUBLISHED, district_id__in={
                d.estate.community.street.district_id for d in rows}).values_list("district_id", "year", "quarter"))
            for d in rows:
                d.can_withdraw = d.pk in editable and (
                    d.estate.community.street.district_id, d.year, d.quarter) not in published
        ctx["withdraw_form"] = WithdrawForm()
        return ctx


class DisqualificationWithdrawView(LoginRequiredMixin, View):
    """撤销 a disqualification (district or street staff in scope, with a reason, before publication)."""

    def post(self, request, pk):
        record = get_object_or_404(Disqualification.objects.visible_to(request.user), pk=pk)
        form = WithdrawForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写撤销原因。"))
        else:
            try:
                record = disqualification_withdraw(actor=request.user, disqualification=record,
                                                   reason=form.cleaned_data["reason"], now=timezone.now())
            except ValidationError as exc:
                messages.error(request, "；".join(exc.messages))
            else:
                messages.success(request, _("已撤销：%(e)s %(y)d 年第 %(q)d 季度取消参评记录。已公示的季度须由区管理员"
                                            "重新计算后生效。") % {"e": record.estate.name, "y": record.year,
                                                              "q": record.quarter})
        return redirect(safe_next(request, reverse("ratings:disqualification_list")))


def _reasons(user) -> list[str]:
    """The disqualifying reasons of the policies in force in the user's districts (no writes on GET)."""
    today = timezone.localdate()
    districts = District.objects.filter(
        pk__in=Estate.objects.editable_by(user, levels=SCORE_LEVELS).values("community__street__district"))
    reasons = []
    for d in districts:
        policy = policy_for(d.pk, today)
        for r in (policy.disqualifying_reasons if policy else DEFAULT_DISQUALIFYING_REASONS) or []:
            if r not in reasons:
                reasons.append(r)
    return reasons


class DisqualificationCreateView(ScoreKeeperRequiredMixin, View):
    template_name = "ratings/disqualification_form.html"

    def render(self, request, form):
        return render(request, self.template_name, {"form": form, "scope": scope_of(request.user)})

    def form(self, request, data=None):
        today = timezone.localdate()
        year, quarter = today.year, (today.month - 1) // 3 + 1  # usually about the quarter under way
        return DisqualificationForm(data, user=request.user, reasons=_reasons(request.user),
                                    initial={"year": year, "quarter": quarter, "occurred_on": today})

    def get(self, request):
        return self.render(request, self.form(request))

    def post(self, request):
        form = self.form(request, request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                rec = disqualify(actor=request.user, estate=d["estate"], year=d["year"], quarter=d["quarter"],
                                 reason=d["reason"], occurred_on=d["occurred_on"], evidence=d["evidence"],
                                 now=timezone.now())
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已记录：%(e)s %(y)d 年第 %(q)d 季度取消参评资格。") % {
                    "e": rec.estate.name, "y": rec.year, "q": rec.quarter})
                return redirect("ratings:disqualification_list")
        return self.render(request, form)
