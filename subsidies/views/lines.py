"""A batch's lines (the reconciliation view), its Excel payout list, and corrections of a line."""
from __future__ import annotations

import io

import xlsxwriter
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
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
from ..selectors import PayoutList, SignOffs, batch_sign_offs, line_totals, payout_list, sees_whole_batch
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
ZERO_HEADERS = (gettext_lazy("街道"), gettext_lazy("社区"), gettext_lazy("小区"), gettext_lazy("企业"),
                gettext_lazy("面积（㎡）"), gettext_lazy("星级"), gettext_lazy("服务月份"),
                gettext_lazy("金额（元）"), gettext_lazy("不拨付原因"))
PAYING_SHEET = gettext_lazy("拨付清单")
ZERO_SHEET = gettext_lazy("零金额明细")


def _explain(line) -> str:
    if line.kind == PayoutKind.ADJUSTMENT:
        original = line.adjusts
        return _("调整 %(m)s 月补贴：%(r)s") % {"m": f"{original.month:%Y-%m}", "r": line.reason}
    return line.reason


def _tier(line) -> str:
    return "★" * line.tier if line.tier else _("无星")


def sign_off_rows(signed: SignOffs) -> list[tuple[str, str]]:
    """(the signature line's label, what the platform recorded for it) for 经办人, 审核人, 批准人."""
    def person(event, verb):
        if event is None:
            return _("平台记录：尚未%(v)s") % {"v": verb}
        return _("平台记录：%(n)s %(d)s %(v)s") % {
            "n": event.actor.display_name if event.actor else _("系统"),
            "d": f"{timezone.localtime(event.at):%Y年%m月%d日}", "v": verb}

    return [
        (_("经办人："), _("平台记录：系统 %(d)s 生成") % {"d": f"{timezone.localtime(signed.generated_at):%Y年%m月%d日}"}),
        (_("审核人："), person(signed.checked, _("审核"))),
        (_("批准人："), person(signed.approved, _("批准"))),
    ]


def payout_list_workbook(data: PayoutList, signed: SignOffs) -> bytes:
    """Two sheets. 拨付清单: per street a heading, its paying lines (amount not zero) and a subtotal row; the
    grand total; under it the signature block (经办人, 审核人, 批准人: blank lines to sign and date, beside
    each the name and date the platform recorded). 零金额明细: the lines of 0.00 with the reason nothing is
    paid, and their count. Amounts are numbers ('#,##0.00'); subtotals and the total are the selector's
    Decimal sums, so they match the page to the fen."""
    batch = data.batch
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(str(PAYING_SHEET))
    title = wb.add_format({"bold": True, "font_size": 14})
    note = wb.add_format({"italic": True, "font_color": "#555555"})
    head = wb.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1})
    street_fmt = wb.add_format({"bold": True, "font_size": 12})
    money = wb.add_format({"num_format": "#,##0.00"})
    area = wb.add_format({"num_format": "#,##0.00"})
    sub_label = wb.add_format({"bold": True, "top": 1})
    sub_money = wb.add_format({"bold": True, "top": 1, "num_format": "#,##0.00"})
    grand_label = wb.add_format({"bold": True, "top": 2, "bottom": 2, "bg_color": "#FFF2CC"})
    grand_money = wb.add_format({"bold": True, "top": 2, "bottom": 2, "bg_color": "#FFF2CC",
                                 "num_format": "#,##0.00"})
    sign_label = wb.add_format({"bold": True})
    sign_line = wb.add_format({"bottom": 1})
    record = wb.add_format({"font_size": 9, "font_color": "#333333"})
    for c, width in enumerate((14, 18, 26, 14, 8, 16, 16, 36, 10, 10)):
        ws.set_column(c, c, width)
    ws.write(0, 0, _("%(d)s %(m)s 效能补贴拨付清单") % {"d": batch.district.name, "m": f"{batch.month:%Y年%m月}"},
             title)
    ws.write(1, 0, _("状态：%(s)s") % {"s": batch.get_status_display()})
    ws.write(2, 0, _("本表只列拨付金额不为零的明细；零金额明细 %(n)d 条（不拨付）见工作表“%(s)s”。") % {
        "n": len(data.zero_lines), "s": ZERO_SHEET}, note)
    r = 4
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
            ws.write_string(r, 4, _tier(line))
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
    if not data.sections:
        ws.write(r, 0, _("本批次没有需拨付的明细。"))
        r += 2
    ws.write(r, 0, _("合计"), grand_label)
    for c in range(1, 6):
        ws.write_blank(r, c, None, grand_label)
    ws.write_number(r, 6, float(data.grand_total), grand_money)
    ws.write_blank(r, 7, None, grand_label)
    # The signature block: "经办人：______ 日期：______  平台记录：…" (kept on one printed page).
    r += 3
    ws.write(r - 1, 0, _("签字栏"), street_fmt)
    for label, recorded in sign_off_rows(signed):
        ws.set_row(r, 24)
        ws.write(r, 0, label, sign_label)
        ws.write_blank(r, 1, None, sign_line)
        ws.write_blank(r, 2, None, sign_line)
        ws.write(r, 3, _("日期："), sign_label)
        ws.write_blank(r, 4, None, sign_line)
        ws.write_blank(r, 5, None, sign_line)
        ws.write(r, 6, recorded, record)
        r += 1
    ws.set_landscape()
    ws.repeat_rows(0, 1)
    ws.fit_to_pages(1, 0)

    zs = wb.add_worksheet(str(ZERO_SHEET))
    for c, width in enumerate((14, 14, 18, 26, 14, 8, 10, 12, 40)):
        zs.set_column(c, c, width)
    zs.write(0, 0, _("%(d)s %(m)s 效能补贴零金额明细（不拨付）") % {
        "d": batch.district.name, "m": f"{batch.month:%Y年%m月}"}, title)
    for c, h in enumerate(ZERO_HEADERS):
        zs.write(2, c, str(h), head)
    r = 3
    for line in data.zero_lines:
        zs.write_string(r, 0, line.street.name)
        zs.write_string(r, 1, line.estate.community.name)
        zs.write_string(r, 2, line.estate.name)
        zs.write_string(r, 3, line.firm.name if line.firm else "")
        zs.write_number(r, 4, float(line.area), area)
        zs.write_string(r, 5, _tier(line))
        zs.write_string(r, 6, f"{line.month:%Y-%m}")
        zs.write_number(r, 7, float(line.amount), money)
        zs.write_string(r, 8, _explain(line))
        r += 1
    zs.write(r, 0, _("共 %(n)d 条") % {"n": len(data.zero_lines)}, sub_label)
    for c in range(1, 9):
        zs.write_blank(r, c, None, sub_label)
    zs.set_landscape()
    zs.repeat_rows(2, 2)
    zs.fit_to_pages(1, 0)
    wb.close()
    return buf.getvalue()


class BatchExportView(LoginRequiredMixin, View):
    """The payout list of a batch, as the user may see it (a street: its own street; a firm: its lines)."""

    def get(self, request, pk):
        batch = visible_batch(request, pk)
        content = payout_list_workbook(payout_list(request.user, batch), batch_sign_offs(batch))
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
