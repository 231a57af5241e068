"""Payout batch pages: list, "生成", detail with the approval chain's actions and the streets' pass-on."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.models import Role
from accounts.scope import scope_of
from accounts.views import ScopedListView

from ..filters import BatchFilter
from ..forms import GenerateForm, PassOnForm, TransitionForm, form_errors
from ..models import BatchStatus, PayoutBatch
from ..selectors import (
    batches_for,
    budget_figures,
    line_totals,
    pass_on_rows,
    sees_whole_batch,
    totals_by_firm,
    totals_by_street,
)
from ..services.approvals import allowed_actions, batch_transition, pass_on_record
from ..services.generation import batch_generate, may_generate
from ._common import can_adjust, generate_districts, not_found, visible_batch

ACTIONS = {
    "check": (gettext_lazy("审核通过"), "primary", "bi-clipboard-check"),
    "approve": (gettext_lazy("批准"), "success", "bi-check2-circle"),
    "disburse": (gettext_lazy("登记拨付到街道"), "primary", "bi-bank"),
    "reject_check": (gettext_lazy("退回重新核算"), "outline-danger", "bi-arrow-counterclockwise"),
    "reject_approval": (gettext_lazy("撤回批准"), "outline-danger", "bi-arrow-counterclockwise"),
}


class BatchListView(ScopedListView):
    model = PayoutBatch
    template_name = "subsidies/batch_list.html"
    filterset_class = BatchFilter
    sort_fields = {"month": "month", "district": "district__name", "total": "shown_total", "status": "status",
                   "lines": "shown_count"}
    default_sort = ("-month", "district__name", "pk")

    def get_base_queryset(self):
        return batches_for(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        districts = generate_districts(self.request.user)
        ctx["generate_form"] = GenerateForm(districts=districts) if districts.exists() else None
        scope = ctx["scope"]
        for batch in ctx["object_list"]:
            batch.whole = scope.city or batch.district_id in scope.ids("district")
        ctx["partial_view"] = not all(b.whole for b in ctx["object_list"])
        ctx["total"] = ctx["paginator"].count if ctx.get("paginator") else len(ctx["object_list"])
        return ctx


class BatchGenerateView(LoginRequiredMixin, View):
    """生成 / 重新生成 a district's batch for a month that has ended (district admins and staff)."""

    template_name = "subsidies/batch_generate.html"

    def districts(self, request):
        districts = generate_districts(request.user)
        if not districts.exists():
            raise not_found()
        return districts

    def get(self, request):
        initial = {k: request.GET[k] for k in ("district", "month") if request.GET.get(k)}
        form = GenerateForm(districts=self.districts(request), initial=initial)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = GenerateForm(request.POST, districts=self.districts(request))
        if form.is_valid():
            district, month = form.cleaned_data["district"], form.cleaned_data["month"]
            try:
                batch, outcome = batch_generate(actor=request.user, district=district, month=month,
                                                recompute=form.cleaned_data["recompute"])
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                text = {
                    "created": _("已生成%(b)s 批次：%(n)s 条明细，合计 %(t)s 元。"),
                    "recomputed": _("已重新生成%(b)s 批次：%(n)s 条明细，合计 %(t)s 元。"),
                    "existing": _("%(b)s 批次已存在（%(n)s 条明细，合计 %(t)s 元），未重复生成；"
                                  "如基础数据有变，请勾选“重新生成”。"),
                }[outcome] % {"b": batch, "n": batch.line_count, "t": f"{batch.total:,.2f}"}
                (messages.info if outcome == "existing" else messages.success)(request, text)
                if batch.over_budget:
                    messages.warning(request, _("本批次加上本年此前批次超出年度预算，批准时须写明理由。"))
                return redirect("subsidies:batch_detail", pk=batch.pk)
        return render(request, self.template_name, {"form": form})


def _action_forms(batch, user, bound=None):
    forms = []
    for action in allowed_actions(batch, user):
        form = bound if bound is not None and bound.action == action else TransitionForm(
            action=action, over_budget=batch.over_budget)
        label, css, icon = ACTIONS[action]
        forms.append({"action": action, "form": form, "label": label, "css": css, "icon": icon})
    return forms


# The per-firm tables of a district's batch hold one row per firm (thousands in a city district): they
# show pages of this many rows, and the pass-on table can be narrowed to one street (its summary links).
TABLE_PAGE = 50


def _page_number(request, key: str) -> int:
    value = request.GET.get(key, "")
    return int(value) if value.isdigit() else 1


def pass_on_streets(rows) -> list[dict]:
    """One summary per street of the pass-on rows: firms, amount due, how many are recorded."""
    streets: dict[int, dict] = {}
    for row in rows:
        s = streets.setdefault(row.street_id, {"street_id": row.street_id, "street_name": row.street_name,
                                               "firms": 0, "amount": 0, "recorded": 0})
        s["firms"] += 1
        s["amount"] += row.amount
        s["recorded"] += row.record is not None
    return sorted(streets.values(), key=lambda s: (s["street_name"], s["street_id"]))


def pass_on_page(request, rows, *, bound_key=None):
    """(selected street id or None, the page of rows shown).

    `?pass_on_street=<id>` shows one street's firms; with one page of rows or less every row is shown;
    the row of a form that failed (`bound_key`) is always on the page shown.
    """
    streets = {row.street_id for row in rows}
    street = request.GET.get("pass_on_street", "")
    street = int(street) if street.isdigit() and int(street) in streets else None
    if bound_key is not None and bound_key[0] in streets:
        street = bound_key[0]
    if street is None and len(streets) == 1:
        street = next(iter(streets))
    shown = [row for row in rows if street is None or row.street_id == street]
    number = _page_number(request, "pass_on_page")
    if bound_key is not None:
        index = next((i for i, row in enumerate(shown) if (row.street_id, row.firm_id) == bound_key), None)
        if index is not None:
            number = index // TABLE_PAGE + 1
    return street, Paginator(shown, TABLE_PAGE).get_page(number)


def detail_context(request, batch: PayoutBatch, *, bound_action=None, bound_pass_on=None) -> dict:
    user = request.user
    scope = scope_of(user)
    whole = sees_whole_batch(user, batch)
    all_rows = pass_on_rows(user, batch)
    street, rows = pass_on_page(request, all_rows, bound_key=bound_pass_on[0] if bound_pass_on else None)
    for row in rows:
        row.may_record = (batch.status == BatchStatus.DISBURSED and row.record is None
                          and (scope.city_admin or scope.holds(Role.STREET_STAFF, row.street_id)))
        if row.may_record:
            key = (row.street_id, row.firm_id)
            bound = bound_pass_on if bound_pass_on is not None and bound_pass_on[0] == key else None
            row.form = bound[1] if bound else PassOnForm(
                initial={"street_id": row.street_id, "firm_id": row.firm_id},
                auto_id=f"id_po_{row.street_id}_{row.firm_id}_%s")
    if whole:
        total_label = _("批次合计（元）")
    elif scope.ids("street"):
        total_label = _("本街道合计（元）")
    elif scope.ids("firm"):
        total_label = _("本企业合计（元）")
    else:
        total_label = _("本社区合计（元）")
    months = list(batch.months.order_by("month"))
    deferred = [m for m in months if not m.settled]
    return {
        "batch": batch,
        "settled_months": [m for m in months if m.settled],
        "deferred_months": deferred,
        "deferred_reasons": list(dict.fromkeys(f"{m.month:%Y-%m}：{m.reason}" if len(deferred) == 1 else m.reason
                                               for m in deferred)),
        "scope": scope,
        "whole": whole,
        "total_label": total_label,
        "totals": line_totals(user, batch),
        "budget": budget_figures(batch) if whole else None,
        "by_street": totals_by_street(user, batch),
        "by_firm": Paginator(totals_by_firm(user, batch), TABLE_PAGE).get_page(_page_number(request, "firms")),
        "events": batch.events.select_related("actor").order_by("at", "pk"),
        "pass_ons": rows,
        "pass_on_street": street,
        "pass_on_streets": pass_on_streets(all_rows),
        "actions": _action_forms(batch, user, bound_action),
        "may_recompute": batch.status == BatchStatus.GENERATED and may_generate(user, batch.district_id),
        "can_adjust": can_adjust(user, batch),
    }


class BatchDetailView(LoginRequiredMixin, View):
    template_name = "subsidies/batch_detail.html"

    def get(self, request, pk):
        batch = visible_batch(request, pk)
        return render(request, self.template_name, detail_context(request, batch))


class BatchTransitionView(LoginRequiredMixin, View):
    """POST one action of the chain (check, approve, disburse, reject_check, reject_approval)."""

    def post(self, request, pk):
        batch = visible_batch(request, pk)
        action = request.POST.get("action", "")
        form = TransitionForm(request.POST, action=action, over_budget=batch.over_budget)
        error = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                batch = batch_transition(actor=request.user, batch=batch, action=action,
                                         comment=data.get("comment", ""),
                                         override_reason=data.get("override_reason", ""),
                                         disbursed_on=data.get("disbursed_on"), voucher=data.get("voucher", ""),
                                         today=timezone.localdate())
            except ValidationError as exc:
                form_errors(form, exc)
                error = exc
            else:
                label = ACTIONS[action][0]
                messages.success(request, _("%(a)s：%(b)s 批次现为“%(s)s”。") % {
                    "a": label, "b": batch, "s": batch.get_status_display()})
                return redirect("subsidies:batch_detail", pk=batch.pk)
        batch.refresh_from_db()
        ctx = detail_context(request, batch, bound_action=form)
        problems = error.messages if error is not None else [e for errs in form.errors.values() for e in errs]
        if problems and not any(a["form"] is form for a in ctx["actions"]):
            # The action's form is not on the page (out of order, not one's role): say it above.
            messages.error(request, "；".join(problems))
        return render(request, BatchDetailView.template_name, ctx)


class PassOnRecordView(LoginRequiredMixin, View):
    """A street office records that it passed the batch's money on to one firm (date and voucher)."""

    def post(self, request, pk):
        batch = visible_batch(request, pk)
        form = PassOnForm(request.POST)
        key = None
        if form.is_valid():
            data = form.cleaned_data
            key = (data["street_id"], data["firm_id"])
            try:
                record = pass_on_record(actor=request.user, batch=batch, street_id=data["street_id"],
                                        firm_id=data["firm_id"], paid_on=data["paid_on"], voucher=data["voucher"],
                                        today=timezone.localdate())
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("已登记拨付%(f)s %(a)s 元（凭证号 %(v)s）。") % {
                    "f": record.firm.name, "a": f"{record.amount:,.2f}", "v": record.voucher})
                return redirect("subsidies:batch_detail", pk=batch.pk)
        else:
            try:
                key = (int(request.POST.get("street_id")), int(request.POST.get("firm_id")))
            except (TypeError, ValueError):
                key = None
        if key is not None:
            form.auto_id = f"id_po_{key[0]}_{key[1]}_%s"
        ctx = detail_context(request, batch, bound_pass_on=(key, form) if key else None)
        if not any(getattr(row, "form", None) is form for row in ctx["pass_ons"]):
            # The firm's form is not on the page (another street, already recorded, not yet disbursed).
            errors = [e for errs in form.errors.values() for e in errs] or [_("请填写拨付日期和凭证号。")]
            messages.error(request, "；".join(errors))
        return render(request, BatchDetailView.template_name, ctx)
