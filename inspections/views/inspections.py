"""Inspection pages: list, start, the scoring form (autosaved), submit, detail, correction, photos.

Drafts are edited only by who may edit them (`Inspection.objects.editable_by`:
street staff and community clerks in scope); everybody else gets a 404. The
services check scope and status again inside their transactions.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.pagination import DeferredJoinPaginator
from accounts.views import ScopedDetailView, ScopedListView

from ..filters import InspectionFilter
from ..forms import (
    CorrectForm,
    InspectionHeaderForm,
    InspectionStartForm,
    NewInspectionForm,
    add_service_errors,
    scores_from_post,
)
from ..models import Inspection, InspectionStatus, RectificationOrder
from ..selectors import inspection_sheet
from ..services.inspections import (
    active_rubric_for,
    inspectable_estates,
    inspection_add_photos,
    inspection_correct,
    inspection_save,
    inspection_start,
    inspection_submit,
)

EDIT_RELATED = ("estate__community__street__district", "estate__firm", "rubric")
MISSING_SCORE = gettext_lazy("提交前须为此项评分。")


def wants_json(request) -> bool:
    """The scoring form's script (autosave, photo upload) asks for JSON."""
    return request.headers.get("X-Autosave") == "1" or "application/json" in request.headers.get("Accept", "")


def editable_inspection(request, pk) -> Inspection:
    return get_object_or_404(Inspection.objects.editable_by(request.user).select_related(*EDIT_RELATED), pk=pk)


class InspectionListView(ScopedListView):
    model = Inspection
    template_name = "inspections/inspection_list.html"
    filterset_class = InspectionFilter
    select_related = ("estate__community__street", "estate__firm")
    sort_fields = {
        "date": "date", "estate": "estate__name", "street": "estate__community__street__name",
        "community": "estate__community__name", "kind": "kind", "status": "status", "total": "total",
    }
    default_sort = ("-date", "-pk")  # the inspection_list_order index, read backwards
    paginator_class = DeferredJoinPaginator  # a deep page is cut from that index before any join
    export_filename = gettext_lazy("检查记录")
    export_headers = (
        gettext_lazy("街道"), gettext_lazy("社区"), gettext_lazy("小区"), gettext_lazy("服务企业"),
        gettext_lazy("检查日期"), gettext_lazy("检查类型"), gettext_lazy("检查人员"), gettext_lazy("状态"),
        gettext_lazy("总分"), gettext_lazy("更正原因"),
    )

    def get(self, request, *args, **kwargs):
        # "新建检查" picker on the list: ?new_for=<estate id> -> that estate's start page (it checks scope).
        if request.GET.get("new_for", "").isdigit():
            return redirect("inspections:inspection_create", estate_pk=int(request.GET["new_for"]))
        return super().get(request, *args, **kwargs)

    def export_row(self, i):
        e = i.estate
        return (e.community.street.name, e.community.name, e.name, e.firm.name if e.firm else "", i.date,
                i.get_kind_display(), i.inspectors, i.get_status_display(), i.total, i.correction_reason)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["total_count"] = ctx["paginator"].count if ctx.get("paginator") else len(ctx["object_list"])
        # The picker renders no estates (it searches them as the user types): only whether to show it.
        estates = inspectable_estates(self.request.user)
        ctx["new_inspection"] = NewInspectionForm(estates=estates) if estates.exists() else None
        return ctx


class InspectionCreateView(LoginRequiredMixin, View):
    template_name = "inspections/inspection_create.html"

    def get_estate(self):
        return get_object_or_404(
            inspectable_estates(self.request.user).select_related("community__street__district", "firm"),
            pk=self.kwargs["estate_pk"])

    def render_form(self, estate, form):
        try:
            rubric = active_rubric_for(estate, timezone.localdate())
            rubric_error = None
        except ValidationError as exc:
            rubric, rubric_error = None, " ".join(exc.messages)
        return render(self.request, self.template_name,
                      {"estate": estate, "form": form, "rubric": rubric, "rubric_error": rubric_error})

    def get(self, request, estate_pk):
        estate = self.get_estate()
        form = InspectionStartForm(initial={"inspectors": request.user.display_name})
        return self.render_form(estate, form)

    def post(self, request, estate_pk):
        estate = self.get_estate()
        form = InspectionStartForm(request.POST)
        if form.is_valid():
            try:
                inspection = inspection_start(actor=request.user, estate=estate, today=timezone.localdate(),
                                              **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("inspections:inspection_edit", pk=inspection.pk)
        return self.render_form(estate, form)


def save_from_post(request, inspection: Inspection):
    """Parse the scoring form and call inspection_save; returns (inspection, errors dict).

    Nothing is written when anything is wrong: the header form must parse and the
    service saves all scores or none.
    """
    header = InspectionHeaderForm.for_inspection(inspection, request.POST)
    item_ids = list(inspection.scores.values_list("item_id", flat=True))
    scores = scores_from_post(request.POST, item_ids)
    if not header.is_valid():
        return inspection, {k: list(v) for k, v in header.errors.items()}
    fields = {k: v for k, v in header.cleaned_data.items() if k in request.POST}
    try:
        inspection = inspection_save(actor=request.user, inspection=inspection, scores=scores,
                                     today=timezone.localdate(), **fields)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return inspection, errors
    return inspection, {}


def add_posted_photos(request, inspection: Inspection) -> list[str]:
    """Photos sent with the form itself (browsers without JS): photos_<item id> inputs."""
    errors = []
    items = {i.pk: i for i in inspection.rubric.items.all()} if any(
        k.startswith("photos_") for k in request.FILES) else {}
    for key in request.FILES:
        if not key.startswith("photos_"):
            continue
        item_id = key.removeprefix("photos_")
        item = items.get(int(item_id)) if item_id.isdigit() else None
        try:
            inspection_add_photos(actor=request.user, inspection=inspection, images=request.FILES.getlist(key),
                                  item=item)
        except ValidationError as exc:
            errors.extend(exc.messages)
    return errors


class InspectionEditView(LoginRequiredMixin, View):
    """The scoring form. The script autosaves here (X-Autosave: 1 -> JSON); plain POSTs save a draft."""

    template_name = "inspections/inspection_form.html"

    def render_form(self, inspection, *, header=None, errors=None, posted=None, status=200, mark_missing=False):
        """The form with `errors` beside their fields and listed at the top; with `mark_missing` (after a
        submit refused for unscored items) every item still without a score is marked too. The first
        field in error, in page order (the header's fields, then the items category by category), is
        named for the script to scroll to and focus (`first_error`), and linked from the top."""
        blocks, scored, max_total, loose_photos = inspection_sheet(inspection)
        errors = errors or {}
        posted = posted or {}
        first_item = None
        for block in blocks:
            for row in block.rows:
                key = row.item.pk
                row.error = " ".join(errors.get(f"score_{key}", []))
                if f"score_{key}" in posted:
                    row.value = posted.get(f"score_{key}", "")
                else:
                    row.value = "" if row.score.score is None else f"{row.score.score.normalize():f}"
                row.note = posted.get(f"note_{key}", row.score.note)
                row.missing = mark_missing and not row.error and row.value == ""
                if row.missing:
                    row.error = str(MISSING_SCORE)
                if row.error and first_item is None:
                    first_item = row.item.pk
        header = header or InspectionHeaderForm.for_inspection(inspection)
        if header.is_bound and header.is_valid():
            for key, msgs in errors.items():
                if key in header.fields:
                    header.add_error(key, msgs)
        first_header = next((field for field in header if field.name in errors or field.errors), None)
        if first_header is not None:
            first_error, first_anchor = first_header.id_for_label, first_header.id_for_label
        elif first_item is not None:
            first_error, first_anchor = f"score_{first_item}", f"item-{first_item}"
        else:
            first_error = first_anchor = ""
        top_errors = [m for msgs in errors.values() for m in msgs]
        return render(self.request, self.template_name, {
            "inspection": inspection, "estate": inspection.estate, "blocks": blocks, "scored": scored,
            "max_total": max_total, "loose_photos": loose_photos,
            "header": header,
            "top_errors": top_errors, "server_now_ms": int(timezone.now().timestamp() * 1000),
            "updated_ms": int(inspection.updated_at.timestamp() * 1000),
            "first_error": first_error, "first_error_anchor": first_anchor,
            "missing_count": sum(1 for b in blocks for r in b.rows if r.missing),
        }, status=status)

    def get(self, request, pk):
        inspection = editable_inspection(request, pk)
        if inspection.is_locked:
            messages.info(request, _("该检查已提交，不能再修改。"))
            return redirect("inspections:inspection_detail", pk=pk)
        # ?missing=1: back from a submit refused for unscored items, which are marked.
        return self.render_form(inspection, mark_missing=request.GET.get("missing") == "1")

    def post(self, request, pk):
        inspection = editable_inspection(request, pk)
        if inspection.is_locked:
            if wants_json(request):
                return JsonResponse({"ok": False, "errors": {"__all__": [_("检查已提交，不能修改。")]}}, status=409)
            messages.info(request, _("该检查已提交，不能再修改。"))
            return redirect("inspections:inspection_detail", pk=pk)
        inspection, errors = save_from_post(request, inspection)
        if wants_json(request):
            if errors:
                return JsonResponse({"ok": False, "errors": errors}, status=422)
            inspection.refresh_from_db(fields=["updated_at"])
            return JsonResponse({"ok": True, "saved_at": timezone.localtime(inspection.updated_at).strftime("%H:%M"),
                                 "updated_ms": int(inspection.updated_at.timestamp() * 1000)})
        if errors:
            return self.render_form(inspection, header=InspectionHeaderForm.for_inspection(inspection, request.POST),
                                    errors=errors, posted=request.POST)
        photo_errors = add_posted_photos(request, inspection)
        for message in photo_errors:
            messages.error(request, message)
        messages.success(request, _("草稿已保存（%(t)s）") % {"t": timezone.localtime().strftime("%H:%M")})
        return redirect("inspections:inspection_edit", pk=pk)


class InspectionSubmitView(LoginRequiredMixin, View):
    """Save what the form carries, then submit (the total is computed by the service)."""

    def post(self, request, pk):
        inspection = editable_inspection(request, pk)
        if inspection.is_locked:
            messages.info(request, _("该检查已提交。"))
            return redirect("inspections:inspection_detail", pk=pk)
        inspection, errors = save_from_post(request, inspection)
        if errors:
            messages.error(request, _("有填写错误，未提交，请先修改。"))
            return InspectionEditView(request=request, kwargs={"pk": pk}).render_form(
                inspection, header=InspectionHeaderForm.for_inspection(inspection, request.POST), errors=errors,
                posted=request.POST)
        for message in add_posted_photos(request, inspection):
            messages.error(request, message)
        try:
            inspection = inspection_submit(actor=request.user, inspection=inspection, now=timezone.now())
        except ValidationError as exc:
            messages.error(request, _("未提交：%(e)s（已保存为草稿）") % {"e": " ".join(exc.messages)})
            # Back to the form with the unscored items marked, at the first of them (the anchor scrolls
            # there without the script; the script also focuses its input).
            first = (inspection.scores.filter(score__isnull=True)
                     .order_by("item__category__order", "item__order", "item_id").values_list("item_id", flat=True)
                     .first())
            url = reverse("inspections:inspection_edit", args=[pk])
            return redirect(f"{url}?missing=1#item-{first}" if first else url)
        messages.success(request, _("检查已提交，总分 %(t)s 分。") % {"t": inspection.total})
        return redirect("inspections:inspection_detail", pk=pk)


class InspectionDetailView(ScopedDetailView):
    model = Inspection
    template_name = "inspections/inspection_detail.html"
    context_object_name = "inspection"
    select_related = ("estate__community__street__district", "estate__firm", "rubric", "created_by",
                      "supersedes", "superseded_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, inspection = self.request.user, self.object
        ctx["blocks"], ctx["scored"], ctx["max_total"], ctx["loose_photos"] = inspection_sheet(inspection)
        editable = Inspection.objects.editable_by(user).filter(pk=inspection.pk).exists()
        ctx["can_edit"] = editable and inspection.status == InspectionStatus.DRAFT
        try:
            superseded_by = inspection.superseded_by
        except Inspection.superseded_by.RelatedObjectDoesNotExist:
            superseded_by = None
        ctx["superseded_by"] = superseded_by
        ctx["can_correct"] = editable and inspection.status == InspectionStatus.SUBMITTED and superseded_by is None
        ctx["can_order"] = (inspection.status == InspectionStatus.SUBMITTED and inspection.estate.firm_id is not None
                            and inspectable_estates(user).filter(pk=inspection.estate_id).exists())
        ctx["correct_form"] = CorrectForm()
        ctx["orders"] = list(RectificationOrder.objects.visible_to(user).filter(inspection=inspection)
                             .select_related("item").order_by("issued_at", "pk"))
        return ctx


class InspectionCorrectView(LoginRequiredMixin, View):
    def post(self, request, pk):
        inspection = get_object_or_404(Inspection.objects.editable_by(request.user), pk=pk)
        form = CorrectForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写更正原因（200 字以内）。"))
            return redirect("inspections:inspection_detail", pk=pk)
        try:
            copy = inspection_correct(actor=request.user, inspection=inspection, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("inspections:inspection_detail", pk=pk)
        messages.success(request, _("已创建更正草稿，原检查在更正提交后作废。"))
        return redirect("inspections:inspection_edit", pk=copy.pk)


class InspectionPhotoView(LoginRequiredMixin, View):
    """POST photos of an item (or of the whole inspection) of a draft."""

    def post(self, request, pk):
        inspection = editable_inspection(request, pk)
        item = None
        item_id = request.POST.get("item", "")
        if item_id:
            item = inspection.rubric.items.filter(pk=item_id if item_id.isdigit() else 0).first()
            if item is None:
                return self._reply(request, pk, [_("检查项目不属于本次评分细则。")])
        images = request.FILES.getlist("images")
        if not images:
            return self._reply(request, pk, [_("请选择要上传的照片。")])
        try:
            photos = inspection_add_photos(actor=request.user, inspection=inspection, images=images, item=item,
                                           caption=request.POST.get("caption", "")[:200])
        except ValidationError as exc:
            return self._reply(request, pk, exc.messages)
        return self._reply(request, pk, [], photos)

    def _reply(self, request, pk, errors, photos=()):
        if wants_json(request):
            if errors:
                return JsonResponse({"ok": False, "errors": errors}, status=422)
            return JsonResponse({"ok": True, "photos": [{"id": p.pk, "url": p.get_absolute_url()} for p in photos]})
        for message in errors:
            messages.error(request, message)
        if photos:
            messages.success(request, _("已上传 %(n)d 张照片。") % {"n": len(photos)})
        return redirect("inspections:inspection_edit", pk=pk)
