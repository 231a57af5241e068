"""Service contract pages: list (+ Excel), detail with history, sign (create) and end with handover.

Signing and ending are for street staff within their street and district
admins within their district (Estate / ServiceContract editable_by).
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.history import history_rows
from accounts.scope import scope_of
from accounts.views import ScopedDetailView, ScopedListView
from communities.models import Estate
from enterprises.filters import ContractFilter
from enterprises.forms import ContractEndForm, ContractForm
from enterprises.models import ContractStatus, ServiceContract
from enterprises.services import CONTRACT_FIELDS, END_FIELDS, contract_create, contract_end

from .firms import _form_errors


class ContractListView(ScopedListView):
    model = ServiceContract
    filterset_class = ContractFilter
    template_name = "enterprises/contract_list.html"
    select_related = ("estate__community__street", "firm")
    sort_fields = {"estate": "estate__name", "firm": "firm__name", "street": "estate__community__street__name",
                   "start_date": "start_date", "end_date": "end_date", "fee": "fee_standard", "bond": "bond"}
    default_sort = ("status", "estate__community__street__name", "estate__name", "-start_date")
    export_filename = gettext_lazy("物业服务合同")
    export_headers = (gettext_lazy("街道"), gettext_lazy("社区"), gettext_lazy("小区"), gettext_lazy("物业企业"),
                      gettext_lazy("开始日期"), gettext_lazy("到期日期"), gettext_lazy("收费标准（元/㎡/月）"),
                      gettext_lazy("履约保证金（元/年）"), gettext_lazy("状态"), gettext_lazy("退出日期"), gettext_lazy("交接日期"),
                      gettext_lazy("接收方"))

    def export_row(self, c):
        return (str(c.estate.community.street), str(c.estate.community), str(c.estate), str(c.firm),
                c.start_date, c.end_date, c.fee_standard, c.bond, c.get_status_display(), c.ended_on,
                c.handover_date, c.handover_received_by)


class ContractDetailView(ScopedDetailView):
    model = ServiceContract
    template_name = "enterprises/contract_detail.html"
    select_related = ("estate__community__street__district", "firm")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        contract = self.object
        ctx["history"] = history_rows(contract)
        ctx["can_end"] = contract.status == ContractStatus.ACTIVE and \
            ServiceContract.objects.editable_by(self.request.user).filter(pk=contract.pk).exists()
        return ctx


class ContractCreateView(LoginRequiredMixin, View):
    template_name = "enterprises/contract_form.html"

    def get_estate(self, request, estate_pk):
        qs = Estate.objects.editable_by(request.user).select_related("community__street__district", "firm")
        return get_object_or_404(qs, pk=estate_pk)

    def render(self, request, form, estate):
        active = (ServiceContract.objects.filter(estate=estate, status=ContractStatus.ACTIVE)
                  .select_related("firm").first())
        return render(request, self.template_name, {
            "form": form, "estate": estate, "active_contract": active, "scope": scope_of(request.user),
        })

    def get(self, request, estate_pk):
        estate = self.get_estate(request, estate_pk)
        return self.render(request, ContractForm(user=request.user, estate=estate), estate)

    def post(self, request, estate_pk):
        estate = self.get_estate(request, estate_pk)
        form = ContractForm(request.POST, user=request.user, estate=estate,
                            instance=ServiceContract(estate=estate))
        if form.is_valid():
            try:
                contract = contract_create(actor=request.user, estate=estate,
                                           data={f: form.cleaned_data[f] for f in CONTRACT_FIELDS},
                                           today=timezone.localdate())
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("物业服务合同已登记，小区的服务企业和入驻时间已更新。"))
                return redirect("enterprises:contract_detail", pk=contract.pk)
        return self.render(request, form, estate)


class ContractEndView(LoginRequiredMixin, View):
    template_name = "enterprises/contract_end.html"

    def get_contract(self, request, pk):
        qs = ServiceContract.objects.editable_by(request.user).select_related("estate__community__street__district",
                                                                              "firm")
        return get_object_or_404(qs, pk=pk)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        contract = self.get_contract(request, kwargs["pk"])
        if contract.status != ContractStatus.ACTIVE:
            messages.info(request, _("该合同已终止，无需重复办理退出交接。"))
            return redirect("enterprises:contract_detail", pk=contract.pk)
        self.contract = contract
        return super().dispatch(request, *args, **kwargs)

    def render(self, request, form):
        return render(request, self.template_name, {"form": form, "contract": self.contract,
                                                    "scope": scope_of(request.user)})

    def get(self, request, pk):
        return self.render(request, ContractEndForm(instance=ServiceContract.objects.get(pk=pk)))

    def post(self, request, pk):
        form = ContractEndForm(request.POST, instance=ServiceContract.objects.get(pk=pk))
        if form.is_valid():
            try:
                contract_end(actor=request.user, contract=self.contract,
                             data={f: form.cleaned_data[f] for f in END_FIELDS})
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("合同已终止，退出交接已登记；小区的服务企业已清空，请视情况更新小区的物业管理性质。"))
                return redirect("enterprises:contract_detail", pk=pk)
        return self.render(request, form)
