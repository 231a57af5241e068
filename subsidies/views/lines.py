"""A batch's lines (the reconciliation view), its Excel payout list, and corrections of a line."""
from __future__ import annotations

import io

import xlsxwriter
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.excel import xlsx_response
from accounts.pagination import GroupedPaginator
from accounts.views import ScopedListView
from communities.models import Street

from ..filters import LineFilter
from ..forms import AdjustmentForm, PayoutEditForm, form_errors
from ..models import Adjustment, Payout, PayoutKind
from ..selectors import PayoutList, line_totals, payout_list, sees_whole_batch
from ..services.approvals import adjustment_create, payout_edit
from ._common import can_adjust, is_district_admin, not_found, visible_batch


class BatchLinesView(ScopedListView):
    """Every line of the batch the user may see: what each amount came from."""

    model = Payout
    template_name = "subsidies/batch_lines.html"
    filterset_class = LineFilter
    paginate_by = 50
    select_related = ("street", "estate__community", "firm", "rating__period", "adjusts__batch")
    sort_fields = {
        "street": "street__name", "community": "estate__community__name", "estate": "estate__name",
        "firm": "firm__name", "area": "area", "tier": "tier", "rate": "rate", "amount": "amount", "kind": "kind",
        "month": "month",
    }
    # Street by street: pages are read one street's lines at a time through the (batch, street) index
    # (GroupedPaginator), never by sorting the whole batch.
    default_sort = ("street__name", "street_id", "estate__community__name", "estate__name", "month", "kind", "pk")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.batch = visible_batch(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return super().get_base_queryset().filter(batch=self.batch)

    def get_paginator(self, queryset, per_page, **kwargs):
        if self.request.GET.get("sort", "").lstrip("-") in self.sort_fields:
            return super().get_paginator(queryset, per_page, **kwargs)
        return GroupedPaginator(queryset, per_page, group_by=("street_id",), sort_groups=streets_in_order, defer=True,
                                **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["batch"] = self.batch
        ctx["whole"] = sees_whole_batch(user, self.batch)
        ctx["totals"] = line_totals(user, self.batch)
        ctx["can_adjust"] = can_adjust(user, self.batch)
        ctx["can_edit"] = is_district_admin(user, self.batch.district_id)
        ctx["shown"] = ctx["paginator"].count if ctx.get("paginator") else len(ctx["object_list"])
        return ctx


def streets_in_order(keys: list[tuple]) -> list[tuple]:
    """The lines page's groups (street ids) in its default order: by street name."""
    ids = Street.objects.filter(pk__in=[key[0] for key in keys]).order_by("name", "pk").values_list("pk", flat=True)
    return [(pk,) for pk in ids]


# --- the payout list in Excel --------------------------------------------------------------------------------

HEADERS = (gettext_lazy("社区"), gettext_lazy("小区"), gettext_lazy("企业"), gettext_lazy("面积（㎡）"),
           gettext_lazy("星级"), gettext_lazy("标准（元/㎡/月）"), gettext_lazy("金额（元）"), gettext_lazy("说明"),
           gettext_lazy("服务月份"), gettext_lazy("服务天数"))


def _explain(line) -> str:
    if line.kind == PayoutKind.ADJUSTMENT:
        original = line.adjusts
        return _("调整 %(m)s 月补贴：%(r)s") % {"m": f"{original.month:%Y-%m}", "r": line.reason}
    return line.reason


def payout_list_workbook(data: PayoutList) -> bytes:
    """Per street: a heading, its lines, a subtotal row; a grand total at the end. Amounts are numbers
    ('#,##0.00'); subtotals and the total are the selector's Decimal sums, so they match the page to the fen."""
    batch = data.batch
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(f"{batch.month:%Y-%m}")
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1})
    street_fmt = wb.add_format({"bold": True, "font_size": 12})
    money = wb.add_format({"num_format": "#,##0.00"})
    area = wb.add_format({"num_format": "#,##0.00"})
    sub_label = wb.add_format({"bold": True, "top": 1})
    sub_money = wb.add_format({"bold": True, "top": 1, "num_format": "#,##0.00"})
    grand_label = wb.add_format({"bold": True, "top": 2, "bottom": 2, "bg_color": "#FFF2CC"})
    grand_money = wb.add_format({"bold": True, "top": 2, "bottom": 2, "bg_color": "#FFF2CC",
                                 "num_format": "#,##0.00"})
    for c, width in enumerate((14, 18, 26, 14, 8, 16, 16, 36, 10, 10)):
        ws.set_column(c, c, width)
    ws.write(0, 0, _("%(d)s %(m)s 效能补贴拨付清单") % {"d": batch.district.name, "m": f"{batch.month:%Y年%m月}"},
             title)
    ws.write(1, 0, _("状态：%(s)s") % {"s": batch.get_status_display()})
    r = 3
    for section in data.sections:
        ws.write(r, 0, section.street_name, street_fmt)
        r += 1
        for c, h in enumerate(HEADERS):
            ws.write(r, c, str(h), head)
        r += 1
        for line in section.lines:
            ws.write_string(r, 0, line.estate.community.name)
            ws.write_string(r, 1, line.estate.name)
            ws.write_string(r, 2, line.firm.name if line.firm else "")
            ws.write_number(r, 3, float(line.area), area)
            ws.write_string(r, 4, "★" * line.tier if line.tier else _("无星"))
            ws.write_number(r, 5, float(line.rate), money)
            ws.write_number(r, 6, float(line.amount), money)
            ws.write_string(r, 7, _explain(line))
            ws.write_string(r, 8, f"{line.month:%Y-%m}")
            ws.write_string(r, 9, f"{line.days}/{line.month_days}" if line.days else "")
            r += 1
        ws.write(r, 0, _("%(s)s 小计") % {"s": section.street_name}, sub_label)
        for c in range(1, 6):
            ws.write_blank(r, c, None, sub_label)
        ws.write_number(r, 6, float(section.subtotal), sub_money)
        ws.write_blank(r, 7, None, sub_label)
        r += 2
    ws.write(r, 0, _("合计"), grand_label)
    for c in range(1, 6):
        ws.write_blank(r, c, None, grand_label)
    ws.write_number(r, 6, float(data.grand_total), grand_money)
    ws.write_blank(r, 7, None, grand_label)
    ws.set_landscape()
    ws.repeat_rows(0, 1)
    ws.fit_to_pages(1, 0)
    wb.close()
    return buf.getvalue()


class BatchExportView(LoginRequiredMixin, View):
    """The payout list of a batch, as the user may see it (a street: its own street; a firm: its lines)."""

    def get(self, request, pk):
        batch = visible_batch(request, pk)
        content = payout_list_workbook(payout_list(request.user, batch))
        name = _("效能补贴拨付清单-%(d)s-%(m)s") % {"d": batch.district.name, "m": f"{batch.month:%Y-%m}"}
        return xlsx_response(content, f"{name}.xlsx")


# --- corrections ---------------------------------------------------------------------------------------------

def _line_for_district_admin(request, pk):
    """A line the user may see, and only for the district's admins (others: 404)."""
    line = get_object_or_404(
        Payout.objects.visible_to(request.user).select_related(
            "batch__district", "estate__community", "street", "firm", "adjusts__batch"), pk=pk)
    if not is_district_admin(request.user, line.batch.district_id):
        raise not_found()
    return line


class LineAdjustView(LoginRequiredMixin, View):
    """登记调整 of an approved line: the correction is paid (or recovered) in the next batch."""

    template_name = "subsidies/line_adjust.html"

    def render(self, request, line, form):
        return render(request, self.template_name, {
            "line": line, "batch": line.batch, "form": form,
            "adjustments": Adjustment.objects.filter(original=line).select_related("line__batch", "created_by")
            .order_by("created_at", "pk"),
            "can_adjust": can_adjust(request.user, line.batch) and line.kind == PayoutKind.REGULAR,
        })

    def get(self, request, pk):
        line = _line_for_district_admin(request, pk)
        return self.render(request, line, AdjustmentForm())

    def post(self, request, pk):
        line = _line_for_district_admin(request, pk)
        form = AdjustmentForm(request.POST)
        if form.is_valid():
            try:
                adj = adjustment_create(actor=request.user, original=line, delta=form.cleaned_data["delta"],
                                        reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已登记%(e)s %(m)s 月补贴调整 %(d)s 元，将计入下一批次。") % {
                    "e": line.estate.name, "m": f"{line.month:%Y-%m}", "d": f"{adj.delta:,.2f}"})
                return redirect("subsidies:batch_lines", pk=line.batch_id)
        return self.render(request, line, form)


class LineEditView(LoginRequiredMixin, View):
    """An attempt to change a line's amount: the service refuses and says what to do instead."""

    template_name = "subsidies/line_edit.html"

    def render(self, request, line, form):
        return render(request, self.template_name, {"line": line, "batch": line.batch, "form": form,
                                                    "can_adjust": can_adjust(request.user, line.batch)})

    def get(self, request, pk):
        line = _line_for_district_admin(request, pk)
        return self.render(request, line, PayoutEditForm(initial={"amount": line.amount}))

    def post(self, request, pk):
        line = _line_for_district_admin(request, pk)
        form = PayoutEditForm(request.POST)
        if form.is_valid():
            try:
                payout_edit(actor=request.user, payout=line, amount=form.cleaned_data["amount"])
            except ValidationError as exc:
                form_errors(form, exc)
            else:  # pragma: no cover - payout_edit always refuses
                return redirect("subsidies:batch_lines", pk=line.batch_id)
        return self.render(request, line, form)
