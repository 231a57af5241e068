"""评分细则 pages: everybody in a district reads its versions; its administrators keep them.

Write pages look the rubric up in `Rubric.objects.editable_by(user)`, so anybody
else gets a 404, and the services check the district again in their transaction.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.excel import build_workbook, xlsx_response
from accounts.views import ScopedDetailView, ScopedListView
from communities.models import District

from ..filters import RubricFilter
from ..forms import RubricCreateForm, RubricImportForm, add_service_errors, parse_item_rows
from ..models import Rubric, RubricStatus
from ..selectors import rubric_outline
from ..services.rubrics import (
    RUBRIC_HEADERS,
    TOTAL_POINTS,
    parse_rubric_sheet,
    rubric_activate,
    rubric_create,
    rubric_items,
    rubric_new_draft,
    rubric_replace_items,
)


def keeps_rubrics(user) -> bool:
    """District administrators (and the city administrator) keep rubrics."""
    return District.objects.editable_by(user).exists()


class RubricKeeperMixin(LoginRequiredMixin):
    """Write pages: 404 unless the user keeps some district's rubric (or this rubric's, with pk)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not keeps_rubrics(request.user):
            raise Http404(_("页面不存在"))
        return super().dispatch(request, *args, **kwargs)

    def get_rubric(self):
        return get_object_or_404(Rubric.objects.editable_by(self.request.user).select_related("district"),
                                 pk=self.kwargs["pk"])


class RubricListView(ScopedListView):
    model = Rubric
    template_name = "inspections/rubric_list.html"
    filterset_class = RubricFilter
    select_related = ("district",)
    sort_fields = {"district": "district__name", "year": "year", "version": "version", "status": "status"}
    default_sort = ("district__name", "-year", "-version")

    def get_base_queryset(self):
        return super().get_base_queryset().annotate(item_count=Count("items"), total_points=Sum("items__max_points"))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_keep"] = keeps_rubrics(self.request.user)
        return ctx


class RubricDetailView(ScopedDetailView):
    model = Rubric
    template_name = "inspections/rubric_detail.html"
    context_object_name = "rubric"
    select_related = ("district", "based_on", "created_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rubric = self.object
        ctx["blocks"], ctx["total"] = rubric_outline(rubric)
        ctx["full_marks"] = TOTAL_POINTS
        ctx["can_keep"] = Rubric.objects.editable_by(self.request.user).filter(pk=rubric.pk).exists()
        ctx["used"] = rubric.inspections.exists()
        ctx["editable"] = rubric.status == RubricStatus.DRAFT and not ctx["used"]
        ctx["derived"] = list(Rubric.objects.visible_to(self.request.user).filter(based_on=rubric)
                              .order_by("version"))
        return ctx


class RubricCreateView(RubricKeeperMixin, View):
    template_name = "inspections/rubric_create.html"

    def get(self, request):
        return render(request, self.template_name, {"form": RubricCreateForm(user=request.user)})

    def post(self, request):
        form = RubricCreateForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                rubric = rubric_create(actor=request.user, district=form.cleaned_data["district"],
                                       year=form.cleaned_data["year"], name=form.cleaned_data["name"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已新建草稿版本 v%(v)d，默认项目已填入，请按需修改。") % {"v": rubric.version})
                return redirect("inspections:rubric_edit", pk=rubric.pk)
        return render(request, self.template_name, {"form": form})


class RubricEditView(RubricKeeperMixin, View):
    """A draft's items as an editable table, saved whole through rubric_replace_items."""

    template_name = "inspections/rubric_edit.html"

    def _refuse_if_locked(self, rubric):
        if rubric.status != RubricStatus.DRAFT or rubric.inspections.exists():
            messages.warning(self.request, _("该版本已启用或已用于评分，不能直接修改；请基于它创建新版本。"))
            return redirect("inspections:rubric_detail", pk=rubric.pk)
        return None

    def render_table(self, rubric, rows, name, errors=(), status=200):
        return render(self.request, self.template_name, {
            "rubric": rubric, "rows": rows, "name": name, "errors": list(errors), "full_marks": TOTAL_POINTS,
        }, status=status)

    def get(self, request, pk):
        rubric = self.get_rubric()
        refused = self._refuse_if_locked(rubric)
        if refused:
            return refused
        rows = [{"category": i.category, "title": i.title, "max_points": i.max_points.normalize(),
                 "deduction_rule": i.deduction_rule} for i in rubric_items(rubric)]
        return self.render_table(rubric, rows, rubric.name)

    def post(self, request, pk):
        rubric = self.get_rubric()
        refused = self._refuse_if_locked(rubric)
        if refused:
            return refused
        rows, items, errors = parse_item_rows(request.POST)
        name = request.POST.get("name", "").strip()[:100]
        if not errors:
            try:
                rubric_replace_items(actor=request.user, rubric=rubric, items=items, name=name or None)
            except ValidationError as exc:
                errors = exc.messages
        if errors:
            return self.render_table(rubric, rows, name, errors)
        total = sum(i.max_points for i in items)
        if total == TOTAL_POINTS:
            messages.success(request, _("已保存，合计 100 分，可以启用。"))
        else:
            messages.warning(request, _("已保存。当前合计 %(t)s 分，须正好 100 分才能启用。") % {"t": total.normalize()})
        return redirect("inspections:rubric_detail", pk=rubric.pk)


class RubricNewVersionView(RubricKeeperMixin, View):
    def post(self, request, pk):
        rubric = self.get_rubric()
        try:
            draft = rubric_new_draft(actor=request.user, rubric=rubric)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("inspections:rubric_detail", pk=rubric.pk)
        messages.success(request, _("已基于 v%(a)d 新建草稿 v%(b)d。") % {"a": rubric.version, "b": draft.version})
        return redirect("inspections:rubric_edit", pk=draft.pk)


class RubricActivateView(RubricKeeperMixin, View):
    def post(self, request, pk):
        rubric = self.get_rubric()
        try:
            rubric_activate(actor=request.user, rubric=rubric, now=timezone.now())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("v%(v)d 已启用；本年度此前启用的版本已停用。") % {"v": rubric.version})
        return redirect("inspections:rubric_detail", pk=rubric.pk)


class RubricExportView(LoginRequiredMixin, View):
    """One version as Excel (类别/检查项目/分值/扣分标准): readable by all who see it, re-importable."""

    def get(self, request, pk):
        rubric = get_object_or_404(Rubric.objects.visible_to(request.user).select_related("district"), pk=pk)
        rows = [(i.category, i.title, i.max_points, i.deduction_rule) for i in rubric_items(rubric)]
        content = build_workbook(RUBRIC_HEADERS, rows, sheet=_("评分细则"))
        return xlsx_response(content, f"{rubric.district.name}-{rubric.year}-v{rubric.version}-{_('评分细则')}.xlsx")


class RubricImportView(RubricKeeperMixin, View):
    template_name = "inspections/rubric_import.html"

    def get(self, request):
        return render(request, self.template_name, {"form": RubricImportForm(user=request.user)})

    def post(self, request):
        form = RubricImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                items = parse_rubric_sheet(form.cleaned_data["file"])
                rubric = rubric_create(actor=request.user, district=form.cleaned_data["district"],
                                       year=form.cleaned_data["year"], name=form.cleaned_data["name"], items=items)
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            else:
                total = sum(i.max_points for i in items)
                messages.success(request, _("已导入 %(n)d 个检查项目，合计 %(t)s 分，保存为草稿 v%(v)d。") % {
                    "n": len(items), "t": total.normalize(), "v": rubric.version})
                return redirect("inspections:rubric_detail", pk=rubric.pk)
        return render(request, self.template_name, {"form": form})
