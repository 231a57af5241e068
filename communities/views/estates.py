"""Housing-estate pages: list (filter, sort, export), detail, create, edit, Excel import."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import CreateView, UpdateView

from accounts.excel import xlsx_response
from accounts.history import history_rows
from accounts.pagination import GroupedPaginator
from accounts.scope import scope_of
from accounts.views import EditableObjectMixin, ScopedDetailView, ScopedListView
from communities.filters.estates import EstateFilter
from communities.forms.estates import EstateForm, EstateImportForm
from communities.models import DEFAULT_OLD_ESTATE_CUTOFF, Community, Estate, OwnerCommittee, cutoff_years
from communities.services.estates import estate_create, estate_import, estate_import_template, estate_update
from enterprises.models import ContractStatus, ServiceContract


def can_edit_estates(user) -> bool:
    """Street staff, district admins and city admins: someone who may keep some community's estates."""
    return Community.objects.editable_by(user).exists()


class EstateEditorRequiredMixin(LoginRequiredMixin):
    """Pages only for users who may create estates somewhere; others get 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_edit_estates(request.user):
            raise Http404(_("页面不存在"))
        return super().dispatch(request, *args, **kwargs)


class EstateListView(ScopedListView):
    model = Estate
    template_name = "communities/estate_list.html"
    filterset_class = EstateFilter
    select_related = ("community__street__district", "firm")
    sort_fields = {
        "name": "name",
        "community": "community__name",
        "street": "community__street__name",
        "year": "completion_year",
        "area": "total_area",
        "mode": "management_mode",
        "category": "category",
        "firm": "firm__name",
    }
    # Community by community (district, street, community name), then the estate's name: pages are read
    # community by community (communities_in_order, GroupedPaginator), never by sorting every estate.
    default_sort = ("community__street__district__name", "community__street__name", "community__name",
                    "community_id", "name", "pk")
    export_filename = gettext_lazy("小区清单")
    export_headers = (
        gettext_lazy("区"), gettext_lazy("街道"), gettext_lazy("社区"), gettext_lazy("小区名称"),
        gettext_lazy("类别"), gettext_lazy("入驻物业企业"), gettext_lazy("物业管理性质"), gettext_lazy("入驻时间"),
        gettext_lazy("服务内容"), gettext_lazy("物业负责人"), gettext_lazy("联系电话"), gettext_lazy("备注"),
        gettext_lazy("总建筑面积（㎡）"), gettext_lazy("建成年份"), gettext_lazy("老旧小区"),
        gettext_lazy("地址"),
    )

    def get_paginator(self, queryset, per_page, **kwargs):
        if self.request.GET.get("sort", "").lstrip("-") in self.sort_fields:
            return super().get_paginator(queryset, per_page, **kwargs)
        return GroupedPaginator(queryset, per_page, group_by=("community_id",), sort_groups=communities_in_order,
                                **kwargs)

    @cached_property
    def cutoffs(self) -> dict[int, int]:
        """The old-estate cut-off of each district (its policy in force today), read once per request."""
        return cutoff_years(timezone.localdate())

    def mark_old(self, estate):
        estate.cutoff_year = self.cutoffs.get(estate.community.street.district_id, DEFAULT_OLD_ESTATE_CUTOFF)
        return estate

    def export_row(self, estate):
        self.mark_old(estate)
        community = estate.community
        return (
            community.street.district.name, community.street.name, community.name, estate.name,
            estate.get_category_display(), estate.firm.name if estate.firm else "",
            estate.get_management_mode_display(), estate.firm_since, estate.service_content,
            estate.contact_name, estate.contact_phone, estate.notes, estate.total_area,
            estate.completion_year, estate.is_old(), estate.address,
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_edit"] = can_edit_estates(self.request.user)
        ctx["total"] = ctx["paginator"].count if ctx.get("paginator") else len(ctx["object_list"])
        ctx["object_list"] = [self.mark_old(estate) for estate in ctx["object_list"]]
        return ctx


def communities_in_order(keys: list[tuple]) -> list[tuple]:
    """The estate list's groups (community ids) in its default order: district, street, community name."""
    wanted = {key[0] for key in keys}
    # A city's communities are a short table: with many groups, read them all rather than send every id.
    communities = Community.objects.filter(pk__in=wanted) if len(wanted) <= 100 else Community.objects.all()
    ids = communities.order_by("street__district__name", "street__name", "name", "pk").values_list("pk", flat=True)
    return [(pk,) for pk in ids if pk in wanted]


class EstateDetailView(ScopedDetailView):
    model = Estate
    template_name = "communities/estate_detail.html"
    context_object_name = "estate"
    select_related = ("community__street__district", "firm")

    def get_base_queryset(self):
        return super().get_base_queryset().with_cutoff_year()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, estate = self.request.user, self.object
        ctx["can_edit"] = Estate.objects.editable_by(user).filter(pk=estate.pk).exists()
        committees = list(OwnerCommittee.objects.visible_to(user).filter(estate=estate)
                          .order_by("-is_active", "-elected_on"))
        ctx["active_committee"] = next((c for c in committees if c.is_active), None)
        ctx["past_committees"] = [c for c in committees if not c.is_active]
        contracts = list(ServiceContract.objects.visible_to(user).filter(estate=estate).select_related("firm")
                         .order_by("-start_date", "-pk"))
        ctx["active_contract"] = next((c for c in contracts if c.status == ContractStatus.ACTIVE), None)
        ctx["ended_contracts"] = [c for c in contracts if c.status != ContractStatus.ACTIVE]
        ctx["history"] = history_rows(estate)
        return ctx


class EstateCreateView(EstateEditorRequiredMixin, CreateView):
    model = Estate
    form_class = EstateForm
    template_name = "communities/estate_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        if self.request.method == "GET" and self.request.GET.get("community"):
            kwargs.setdefault("initial", {})["community"] = self.request.GET["community"]
        return kwargs

    def form_valid(self, form):
        try:
            self.object = estate_create(actor=self.request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已新增小区“%(name)s”") % {"name": self.object.name})
        return redirect("communities:estate_detail", pk=self.object.pk)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["scope"] = scope_of(self.request.user)
        return ctx


class EstateUpdateView(LoginRequiredMixin, EditableObjectMixin, UpdateView):
    model = Estate
    form_class = EstateForm
    template_name = "communities/estate_form.html"
    context_object_name = "estate"

    def get_queryset(self):
        return super().get_queryset().select_related("community__street__district")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        try:
            self.object = estate_update(actor=self.request.user, estate=self.object, data=form.cleaned_data,
                                        today=timezone.localdate())
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存小区“%(name)s”") % {"name": self.object.name})
        return redirect("communities:estate_detail", pk=self.object.pk)


class EstateImportView(EstateEditorRequiredMixin, View):
    template_name = "communities/estate_import.html"

    def get(self, request):
        return render(request, self.template_name, {"form": EstateImportForm()})

    def post(self, request):
        form = EstateImportForm(request.POST, request.FILES)
        result = None
        if form.is_valid():
            try:
                result = estate_import(actor=request.user, file=form.cleaned_data["file"])
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                if result.ok:
                    messages.success(request, _("已导入 %(n)s 个小区") % {"n": result.created})
                    return redirect("communities:estate_list")
        return render(request, self.template_name, {"form": form, "result": result}, status=200)


class EstateImportTemplateView(EstateEditorRequiredMixin, View):
    def get(self, request):
        return xlsx_response(estate_import_template(actor=request.user), _("小区导入模板") + ".xlsx")
