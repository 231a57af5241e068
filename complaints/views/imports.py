"""Pages of the 12345 import (see complaints/urls.py, mounted at /complaints/import/).

Who sees what: street staff import into their street, district administrators into any street of their
district (they choose it) and keep the district's column mappings; district staff read the runs and the
mappings; everybody else (communities, firms) gets 404 on every page here. A run outside one's scope is a
404 too (`ImportRun.objects.visible_to` / `editable_by`).

Flow: 上传 (a small file is checked at once; a big one is checked by a task while the run page polls its
progress, 检查中) → the run page shows the check and the first rows as mapped → 确认导入 → small files are
imported in the request, big ones by the task while the run page polls its progress (htmx, every second) →
the same page shows the result.
"""
from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.excel import xlsx_response
from accounts.forms import add_service_errors
from accounts.scope import scope_of
from accounts.views import ScopedListView
from communities.models import District, Estate

from ..forms_import import ImportUploadForm, MappingForm
from ..models import Complaint, ImportMapping, ImportRun, ImportStatus
from ..services.imports import (
    import_run_confirm,
    import_run_preview,
    import_run_upload,
    importable_streets,
    mapping_create,
    mapping_ensure_default,
    mapping_update,
    may_edit_mappings,
    may_import,
)

FINISHED = (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED)
IN_PROGRESS = (ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.RUNNING)  # a task works on it: poll


def sees_imports(user) -> bool:
    """The city, a district's users and street staff; never a community clerk or a firm."""
    scope = scope_of(user)
    return bool(scope.city or scope.ids("district") or scope.ids("street"))


def mapping_districts(user):
    """The districts whose mappings `user` keeps."""
    scope = scope_of(user)
    qs = District.objects.order_by("name")
    return qs if scope.city_admin else qs.filter(pk__in=scope.ids("district", edit=True))


class ImportsMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not sees_imports(request.user):
            raise Http404(_("页面不存在"))
        return super().dispatch(request, *args, **kwargs)


def _url(name, *args, query=""):
    """A URL of another engineer's page, or None while it is not mounted."""
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:
        return None


# --------------------------------------------------------------------------- runs

class ImportListView(ImportsMixin, ScopedListView):
    model = ImportRun
    template_name = "complaints/import_list.html"
    select_related = ("street__district", "mapping", "uploaded_by")
    sort_fields = {"uploaded": "uploaded_at", "street": "street__name", "status": "status", "rows": "total_rows"}
    default_sort = ("-uploaded_at", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_upload"] = importable_streets(self.request.user).exists()
        return ctx


class ImportUploadView(ImportsMixin, View):
    template_name = "complaints/import_upload.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.streets = list(importable_streets(request.user))
            if not self.streets:
                raise Http404(_("页面不存在"))
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data=None, files=None):
        districts = {s.district_id: s.district for s in self.streets}
        for district in districts.values():  # every district starts with the ready mapping
            mapping_ensure_default(district=district)
        mappings = (ImportMapping.objects.filter(district_id__in=districts, active=True)
                    .select_related("district").order_by("district__name", "name"))
        return ImportUploadForm(data, files, streets=importable_streets(self.request.user), mappings=mappings)

    def get(self, request):
        return render(request, self.template_name, {"form": self._form()})

    def post(self, request):
        form = self._form(request.POST, request.FILES)
        if form.is_valid():
            try:
                run = import_run_upload(actor=request.user, street=form.cleaned_data["street"],
                                        mapping=form.cleaned_data["mapping"], uploaded_file=form.cleaned_data["file"],
                                        now=timezone.now())
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            else:
                if run.status == ImportStatus.REFUSED:
                    messages.error(request, _("文件有错误，未导入任何工单。请按下面列出的行修改后重新上传。"))
                elif run.status == ImportStatus.CHECKING:
                    messages.info(request, _("文件较大，正在后台检查，请稍候。"))
                else:
                    messages.success(request, _("文件检查通过，请核对预览后确认导入。"))
                return redirect("complaints:import_detail", pk=run.pk)
        return render(request, self.template_name, {"form": form})


class ImportDetailView(ImportsMixin, View):
    """The run: progress (检查中, 排队中, 导入中), check result and preview (待确认), result (已完成/未导入/失败)."""

    template_name = "complaints/import_detail.html"

    def get(self, request, pk):
        run = get_object_or_404(ImportRun.objects.visible_to(request.user)
                                .select_related("street__district", "mapping", "uploaded_by"), pk=pk)
        now = timezone.now()
        ctx = {"run": run, "can_confirm": run.status == ImportStatus.UPLOADED and may_import(request.user, run.street),
               "finished": run.status in FINISHED}
        if run.status == ImportStatus.UPLOADED:
            ctx["preview"] = import_run_preview(run, now=now)
            ctx["to_create"] = run.total_rows - run.duplicate_count
            ctx["matched"] = ctx["to_create"] - run.triage_count
        if run.status == ImportStatus.DONE:
            ctx.update(_result(request.user, run))
        return render(request, self.template_name, ctx)


def _result(user, run: ImportRun) -> dict:
    """What the result page links to: the list of this run's orders, the triage queue, the first triage rows."""
    mine = Complaint.objects.visible_to(user).filter(import_run=run)
    from ..filters import ComplaintFilter

    list_url = None
    if "import_run" in ComplaintFilter.base_filters:
        list_url = _url("complaints:list", query=f"?import_run={run.pk}")
    counts = mine.aggregate(visible=Count("pk"), triage=Count("pk", filter=Q(estate__isnull=True)))
    return {
        "list_url": list_url,
        "triage_url": _url("complaints:triage"),
        "visible_count": counts["visible"],
        "triage_rows": list(mine.filter(estate__isnull=True).order_by("received_at", "pk")
                            .only("pk", "number", "title", "address", "received_at")[:20]),
        "by_estate": list(mine.filter(estate__isnull=False).values("estate__name", "street__name")
                          .annotate(n=Count("pk")).order_by("-n", "estate__name")[:10]),
    }


class ImportProgressView(ImportsMixin, View):
    """The progress bar of a check or an import (htmx polls it every second); once the run has left 检查中,
    排队中 or 导入中, the page reloads and shows what came of it."""

    def get(self, request, pk):
        run = get_object_or_404(ImportRun.objects.visible_to(request.user), pk=pk)
        if run.status not in IN_PROGRESS:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "complaints/import_progress.html", {"run": run})


class ImportConfirmView(ImportsMixin, View):
    def post(self, request, pk):
        run = get_object_or_404(ImportRun.objects.editable_by(request.user).select_related("street"), pk=pk)
        try:
            run = import_run_confirm(actor=request.user, run=run, now=timezone.now())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if run.status == ImportStatus.DONE:
                messages.success(request, _("导入完成：新建 %(c)s 件工单，%(d)s 件已导入过被跳过。")
                                 % {"c": run.created_count, "d": run.duplicate_count})
            elif run.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
                messages.info(request, _("文件较大，已转入后台导入。可以离开本页，完成后会通知您。"))
            elif run.status in (ImportStatus.REFUSED, ImportStatus.FAILED):
                messages.error(request, _("导入未完成，未导入任何工单，原因见下方。"))
        return redirect("complaints:import_detail", pk=pk)


class ImportSampleView(ImportsMixin, View):
    """A sample export for the user's own estates (what the default mapping reads), to try the import."""

    def get(self, request):
        from ..hotline_sample import write_hotline_xlsx

        streets = list(importable_streets(request.user)[:50])
        if not streets:
            raise Http404(_("页面不存在"))
        estates = list(Estate.objects.visible_to(request.user).filter(community__street__in=streets)
                       .select_related("community__street__district").order_by("pk")[:200])
        if not estates:
            messages.error(request, _("您的辖区还没有小区，无法生成示例文件。"))
            return redirect("complaints:import_upload")
        buf = io.BytesIO()
        write_hotline_xlsx(buf, estates=estates, count=50, end=timezone.localtime().replace(microsecond=0),
                           days=7, seed=timezone.localdate().toordinal())
        return xlsx_response(buf.getvalue(), _("12345工单示例") + ".xlsx")


# --------------------------------------------------------------------------- mappings

class MappingListView(ImportsMixin, ScopedListView):
    model = ImportMapping
    template_name = "complaints/import_mapping_list.html"
    select_related = ("district",)
    default_sort = ("district__name", "name")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_create"] = mapping_districts(self.request.user).exists()
        editable = set(ImportMapping.objects.editable_by(self.request.user).values_list("pk", flat=True))
        for m in ctx["object_list"]:
            m.can_edit = m.pk in editable
        return ctx


class MappingDetailView(ImportsMixin, View):
    def get(self, request, pk):
        mapping = get_object_or_404(ImportMapping.objects.visible_to(request.user).select_related("district"), pk=pk)
        form = MappingForm(mapping=mapping)
        return render(request, "complaints/import_mapping_detail.html", {
            "mapping": mapping, "form": form, "can_edit": may_edit_mappings(request.user, mapping.district),
            "runs": ImportRun.objects.visible_to(request.user).filter(mapping=mapping).count()})


class MappingCreateView(ImportsMixin, View):
    template_name = "complaints/import_mapping_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.districts = list(mapping_districts(request.user))
            if not self.districts:
                raise Http404(_("页面不存在"))
        return super().dispatch(request, *args, **kwargs)

    def _district(self, request):
        wanted = request.POST.get("district") or request.GET.get("district")
        for d in self.districts:
            if str(d.pk) == str(wanted):
                return d
        return self.districts[0] if len(self.districts) == 1 else None

    def get(self, request):
        district = self._district(request)
        initial = None
        if district is not None:  # start from the ready mapping: most exports differ in a few columns
            initial = MappingForm.initial_from(mapping_ensure_default(district=district))
            initial["name"] = ""
        form = MappingForm(initial=initial)
        return render(request, self.template_name, {"form": form, "districts": self.districts, "district": district})

    def post(self, request):
        district = self._district(request)
        form = MappingForm(request.POST)
        if district is None:
            form.add_error(None, _("请选择区。"))
        if form.is_valid() and district is not None:
            data = form.to_data()
            if data is not None:
                try:
                    mapping = mapping_create(actor=request.user, district=district, data=data)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("已保存列映射“%(n)s”。") % {"n": mapping.name})
                    return redirect("complaints:mapping_detail", pk=mapping.pk)
        return render(request, self.template_name, {"form": form, "districts": self.districts, "district": district})


class MappingEditView(ImportsMixin, View):
    template_name = "complaints/import_mapping_form.html"

    def _mapping(self, request, pk):
        return get_object_or_404(ImportMapping.objects.editable_by(request.user).select_related("district"), pk=pk)

    def get(self, request, pk):
        mapping = self._mapping(request, pk)
        return render(request, self.template_name, {"form": MappingForm(mapping=mapping), "mapping": mapping,
                                                    "district": mapping.district})

    def post(self, request, pk):
        mapping = self._mapping(request, pk)
        form = MappingForm(request.POST)
        if form.is_valid():
            data = form.to_data()
            if data is not None:
                try:
                    mapping = mapping_update(actor=request.user, mapping=mapping, data=data)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("已保存列映射“%(n)s”。") % {"n": mapping.name})
                    return redirect("complaints:mapping_detail", pk=mapping.pk)
        return render(request, self.template_name, {"form": form, "mapping": mapping, "district": mapping.district})


urlpatterns = [
    path("", ImportListView.as_view(), name="import_list"),
    path("upload/", ImportUploadView.as_view(), name="import_upload"),
    path("sample/", ImportSampleView.as_view(), name="import_sample"),
    path("<int:pk>/", ImportDetailView.as_view(), name="import_detail"),
    path("<int:pk>/confirm/", ImportConfirmView.as_view(), name="import_confirm"),
    path("<int:pk>/progress/", ImportProgressView.as_view(), name="import_progress"),
    path("mappings/", MappingListView.as_view(), name="mapping_list"),
    path("mappings/new/", MappingCreateView.as_view(), name="mapping_create"),
    path("mappings/<int:pk>/", MappingDetailView.as_view(), name="mapping_detail"),
    path("mappings/<int:pk>/edit/", MappingEditView.as_view(), name="mapping_edit"),
]
