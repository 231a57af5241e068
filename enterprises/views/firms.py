"""Firm pages: list (+ Excel), detail, create (district admins) and edit.

A firm's own user sees only their firm and may change only its contact
fields; a district admin edits the firms registered with their district.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.history import history_rows
from accounts.scope import scope_of
from accounts.views import ScopedDetailView, ScopedListView
from accounts.forms import add_service_errors as _form_errors
from communities.models import District, Estate
from enterprises.filters import FirmFilter
from enterprises.forms import FirmContactForm, FirmForm
from enterprises.models import Firm, ServiceContract
from enterprises.services import FIRM_FIELDS, firm_create, firm_editable_fields, firm_update


def _count(qs, link="firm"):
    sub = qs.filter(**{link: OuterRef("pk")}).order_by().values(link).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(sub[:1]), Value(0))


def can_create_firms(user) -> bool:
    return District.objects.editable_by(user).exists()


class FirmListView(ScopedListView):
    model = Firm
    filterset_class = FirmFilter
    template_name = "enterprises/firm_list.html"
    select_related = ("registered_district", "street")
    sort_fields = {"name": "name", "district": "registered_district__name", "filed_on": "filed_on",
                   "estates": "estate_count", "contracts": "active_contract_count"}
    default_sort = ("name",)
    export_filename = gettext_lazy("物业服务企业")
    export_headers = (gettext_lazy("企业名称"), gettext_lazy("统一社会信用代码"), gettext_lazy("法定代表人"), gettext_lazy("联系人"),
                      gettext_lazy("联系电话"), gettext_lazy("地址"), gettext_lazy("备案区"), gettext_lazy("已备案"),
                      gettext_lazy("备案日期"), gettext_lazy("街道物业公司"), gettext_lazy("所属街道"), gettext_lazy("公益性企业库"),
                      gettext_lazy("服务小区数"), gettext_lazy("履行中合同数"))

    def get_base_queryset(self):
        user = self.request.user
        return super().get_base_queryset().annotate(
            estate_count=_count(Estate.objects.visible_to(user)),
            active_contract_count=_count(ServiceContract.objects.visible_to(user).active()),
        )

    def export_row(self, f):
        return (f.name, f.credit_code, f.legal_representative, f.contact_name, f.contact_phone, f.address,
                str(f.registered_district or ""), f.is_filed, f.filed_on, f.is_street_run, str(f.street or ""),
                f.in_public_benefit_pool, f.estate_count, f.active_contract_count)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_create"] = can_create_firms(self.request.user)
        return ctx


class FirmDetailView(ScopedDetailView):
    model = Firm
    template_name = "enterprises/firm_detail.html"
    select_related = ("registered_district", "street")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, firm = self.request.user, self.object
        ctx["estates"] = (Estate.objects.visible_to(user).filter(firm=firm)
                          .select_related("community__street").order_by("community__street__name", "name"))
        ctx["contracts"] = (ServiceContract.objects.visible_to(user).filter(firm=firm)
                            .select_related("estate__community__street").order_by("-status", "-start_date"))
        ctx["history"] = history_rows(firm)
        ctx["can_edit"] = bool(firm_editable_fields(actor=user, firm=firm)) and \
            Firm.objects.editable_by(user).filter(pk=firm.pk).exists()
        return ctx


class FirmCreateView(LoginRequiredMixin, View):
    template_name = "enterprises/firm_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_create_firms(request.user):
            raise Http404(_("页面不存在"))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        districts = District.objects.editable_by(request.user)
        initial = {"registered_district": districts.first()} if districts.count() == 1 else {}
        return self.render(request, FirmForm(user=request.user, initial=initial))

    def post(self, request):
        form = FirmForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                firm = firm_create(actor=request.user, data={f: form.cleaned_data[f] for f in FIRM_FIELDS})
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("物业企业已登记。"))
                return redirect("enterprises:firm_detail", pk=firm.pk)
        return self.render(request, form)

    def render(self, request, form):
        return render(request, self.template_name, {"form": form, "firm": None, "scope": scope_of(request.user)})


class FirmUpdateView(LoginRequiredMixin, View):
    template_name = "enterprises/firm_form.html"

    def get_firm_and_form_class(self, request, pk):
        firm = get_object_or_404(Firm.objects.editable_by(request.user).select_related("registered_district"), pk=pk)
        fields = firm_editable_fields(actor=request.user, firm=firm)
        if not fields:
            raise Http404(_("页面不存在"))
        return firm, (FirmForm if fields == FIRM_FIELDS else FirmContactForm)

    def make_form(self, form_class, request, firm, data=None):
        kwargs = {"user": request.user} if form_class is FirmForm else {}
        # The form edits a copy, so a rejected save leaves `firm` as it was.
        return form_class(data, instance=Firm.objects.get(pk=firm.pk), **kwargs)

    def get(self, request, pk):
        firm, form_class = self.get_firm_and_form_class(request, pk)
        return self.render(request, self.make_form(form_class, request, firm), firm)

    def post(self, request, pk):
        firm, form_class = self.get_firm_and_form_class(request, pk)
        form = self.make_form(form_class, request, firm, request.POST)
        if form.is_valid():
            try:
                firm_update(actor=request.user, firm=firm,
                            data={f: form.cleaned_data[f] for f in form_class.Meta.fields}, today=timezone.localdate())
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("企业信息已保存。"))
                return redirect("enterprises:firm_detail", pk=firm.pk)
        return self.render(request, form, firm)

    def render(self, request, form, firm):
        return render(request, self.template_name, {
            "form": form, "firm": firm, "contact_only": isinstance(form, FirmContactForm),
            "scope": scope_of(request.user),
        })
