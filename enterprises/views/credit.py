"""Firm credit pages inside the portal: the credit list, a firm's credit file, a record with its timeline
and the actions on it (confirm, object, decide, repair), a recording unit's own record, the queues.

Everything is looked up inside the user's scope (404 outside it); each action asks the one refusal
question of enterprises/credit/permissions.py, so a button is shown only when the service would accept.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from accounts.scope import scope_of
from accounts.views import ScopedListView
from enterprises.filters import FirmFilter
from enterprises.models import BlacklistEntry, CreditObjection, CreditRecord, Firm

from ..credit import selectors
from ..credit.forms import CreditRecordForm, DecisionForm, ReasonForm
from ..credit.permissions import (
    confirm_refusal,
    create_refusal,
    deadline_text,
    decide_refusal,
    may_print_letters,
    object_refusal,
    repair_refusal,
    unit_from_key,
    units_of,
)
from ..credit.policy import policy_for
from ..credit.records import (
    credit_objection_decide,
    credit_objection_submit,
    credit_record_confirm,
    credit_record_create,
    credit_record_repair,
)
from .firms import _form_errors


def _source_url(label: str, obj) -> str:
    """The page showing a source object (an order, an inspection, a disqualification, a re-check, a record)."""
    if label == "inspections.rectificationorder":
        return reverse("inspections:order_detail", args=[obj.pk])
    if label == "inspections.inspection":
        return reverse("inspections:inspection_detail", args=[obj.pk])
    if label == "ratings.disqualification":
        return reverse("ratings:disqualification_list") + "?" + urlencode({"year": obj.year, "quarter": obj.quarter})
    if label == "ratings.recheckdecision":
        return reverse("ratings:yearly") + "?" + urlencode({"year": obj.year})
    if label == "enterprises.creditrecord":
        return reverse("enterprises:credit_record", args=[obj.pk])
    return ""


def _source_link(record: CreditRecord, user) -> tuple[str, str] | None:
    """(label, url) of the record's source; the url only when the user may open the source."""
    if record.source_type_id is None:
        return None
    model = record.source_type.model_class()
    label = str(model._meta.verbose_name)
    visible = getattr(model.objects, "visible_to", None)
    obj = visible(user).filter(pk=record.source_id).first() if visible else None
    return (label, _source_url(model._meta.label_lower, obj) if obj is not None else "")


class CreditListView(ScopedListView):
    """企业信用: the firms the user sees, with their latest published score and level and whether listed."""

    model = Firm
    filterset_class = FirmFilter
    template_name = "enterprises/credit_list.html"
    select_related = ("registered_district",)
    sort_fields = {"name": "name", "score": "credit_score", "district": "registered_district__name"}
    default_sort = ("name",)
    export_filename = gettext_lazy("企业信用")
    export_headers = (gettext_lazy("企业名称"), gettext_lazy("统一社会信用代码"), gettext_lazy("备案区"),
                      gettext_lazy("年度"), gettext_lazy("信用记分"), gettext_lazy("信用等级"),
                      gettext_lazy("失信黑名单"), gettext_lazy("待确认记录"))

    def get_base_queryset(self):
        return selectors.with_credit_columns(super().get_base_queryset(), timezone.localdate())

    def export_row(self, f):
        return (f.name, f.credit_code, str(f.registered_district or ""), f.credit_year, f.credit_score,
                f.credit_level, _("在列") if f.listed else "", f.open_records)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["queue_counts"] = _queue_counts(self.request.user, timezone.now())
        return ctx


def _queue_counts(user, now) -> dict:
    return {"confirm": selectors.records_to_confirm(user).count() if units_of(user) else 0,
            "objections": selectors.objections_to_decide(user).count() if units_of(user) else 0,
            "window": selectors.records_in_window(user, now).count() if scope_of(user).ids("firm", edit=True) else 0}


class CreditFileView(LoginRequiredMixin, TemplateView):
    """信用档案 of a firm: records, scores by year with levels, blacklist history (district, street and
    community staff in scope, the firm itself, the city)."""

    template_name = "enterprises/credit_file.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        firm = get_object_or_404(Firm.objects.visible_to(user).select_related("registered_district"), pk=kwargs["pk"])
        today = timezone.localdate()
        records = (CreditRecord.objects.visible_to(user).filter(firm=firm)
                   .select_related("rule", "recording_district", "recording_street", "estate")
                   .order_by("-recorded_at", "-pk"))
        status = self.request.GET.get("status", "")
        if status:
            records = records.filter(status=status)
        entries = list(BlacklistEntry.objects.filter(firm=firm).select_related("district").order_by("-starts_on", "-pk"))
        for entry in entries:
            entry.can_print = may_print_letters(user, entry)
        ctx.update({
            "firm": firm, "records": records, "status": status, "statuses": CreditRecord._meta.get_field("status").choices,
            "scores": selectors.firm_scores(user, firm), "latest": selectors.latest_published_score(firm.pk),
            "entries": entries,
            "listed": BlacklistEntry.objects.in_force(today).filter(firm=firm).exists(), "today": today,
            "can_record": any(create_refusal(user, firm, u) is None for u in units_of(user)),
            "scope": scope_of(user),
        })
        return ctx


def _visible_record(request, pk) -> CreditRecord:
    return get_object_or_404(CreditRecord.objects.visible_to(request.user).select_related(
        "firm", "rule", "recording_district", "recording_street", "estate", "recorded_by", "confirmed_by",
        "repaired_by", "source_type"), pk=pk)


class CreditRecordView(LoginRequiredMixin, View):
    template_name = "enterprises/credit_record.html"

    def get(self, request, pk):
        return self.render(request, _visible_record(request, pk))

    def render(self, request, record, *, object_form=None, decision_form=None, repair_form=None):
        user, now = request.user, timezone.now()
        objection = record.objections.select_related("submitted_by", "decided_by").first()
        ctx = {
            "record": record, "objection": objection, "events": record.events.select_related("actor"),
            "source": _source_link(record, user), "deadline": deadline_text(record.objection_deadline),
            "in_window": record.objection_deadline is not None and now < record.objection_deadline,
            "confirm_note": confirm_refusal(user, record), "object_note": object_refusal(user, record, now),
            "repair_note": repair_refusal(user, record),
            "decide_note": decide_refusal(user, objection) if objection else None,
            "object_form": object_form or ReasonForm(), "decision_form": decision_form or DecisionForm(),
            "repair_form": repair_form or ReasonForm(), "scope": scope_of(user),
        }
        return render(request, self.template_name, ctx)


class CreditRecordDocumentView(LoginRequiredMixin, View):
    """The uploaded document, only to users who see the record (never from /media/)."""

    def get(self, request, pk):
        record = _visible_record(request, pk)
        if not record.document:
            raise Http404(_("页面不存在"))
        return FileResponse(record.document.open("rb"), as_attachment=True,
                            filename=record.document_name or record.document.name.rsplit("/", 1)[-1])


class _RecordAction(LoginRequiredMixin, View):
    """POST one action on a record; a refusal or a bad field is shown on the record's page."""

    form_class = ReasonForm
    form_slot = ""

    def post(self, request, pk):
        record = _visible_record(request, pk)
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                message = self.act(request, record, form.cleaned_data, timezone.now())
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect("enterprises:credit_record", pk=record.pk)
        return CreditRecordView().render(request, record, **{self.form_slot: form})


class CreditRecordConfirmView(_RecordAction):
    form_slot = "repair_form"

    def post(self, request, pk):
        record = _visible_record(request, pk)
        try:
            credit_record_confirm(actor=request.user, record=record, now=timezone.now())
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("信用记录已确认，自今日起公示。"))
        return redirect("enterprises:credit_record", pk=record.pk)


class CreditRecordObjectView(_RecordAction):
    form_slot = "object_form"

    def act(self, request, record, data, now):
        credit_objection_submit(actor=request.user, record=record, reason=data["reason"], now=now)
        return _("异议已提交，由上级单位处理。")


class CreditRecordRepairView(_RecordAction):
    form_slot = "repair_form"

    def act(self, request, record, data, now):
        credit_record_repair(actor=request.user, record=record, reason=data["reason"], now=now)
        return _("已决定信用修复，该记录自今日起停止公示。")


class CreditObjectionDecideView(_RecordAction):
    form_class = DecisionForm
    form_slot = "decision_form"

    def post(self, request, pk):
        objection = get_object_or_404(CreditObjection.objects.visible_to(request.user), pk=pk)
        return super().post(request, objection.record_id)

    def act(self, request, record, data, now):
        objection = record.objections.get()
        upheld = data["outcome"] == "upheld"
        credit_objection_decide(actor=request.user, objection=objection, upheld=upheld, decision=data["decision"],
                                now=now)
        return _("异议成立，信用记录已撤销。") if upheld else _("异议不成立，信用记录维持。")


class CreditRecordCreateView(LoginRequiredMixin, View):
    """新增信用记录 for a firm (award, media exposure, serious breach), with its document."""

    template_name = "enterprises/credit_record_form.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.firm = None

    def get_firm(self, request, pk):
        firm = get_object_or_404(Firm.objects.visible_to(request.user), pk=pk)
        if not any(create_refusal(request.user, firm, u) is None for u in units_of(request.user)):
            raise Http404(_("页面不存在"))
        return firm

    def form(self, request, data=None, files=None):
        return CreditRecordForm(data, files, user=request.user, policy=policy_for(timezone.localdate()))

    def get(self, request, pk):
        self.firm = self.get_firm(request, pk)
        return self.render(request, self.form(request))

    def post(self, request, pk):
        self.firm = self.get_firm(request, pk)
        form = self.form(request, request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                record = credit_record_create(
                    actor=request.user, firm=self.firm, unit=unit_from_key(request.user, d["unit"]),
                    rule_code=d["rule_code"], points=d["points"], title=d["title"], detail=d["detail"],
                    occurred_on=d["occurred_on"], document=d["document"], now=timezone.now())
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("信用记录已录入并告知企业；异议期满或确认后计入信用档案。"))
                return redirect("enterprises:credit_record", pk=record.pk)
        return self.render(request, form)

    def render(self, request, form):
        return render(request, self.template_name, {"form": form, "firm": self.firm, "rules": form.rules.values(),
                                                    "scope": scope_of(request.user)})


class CreditQueueView(LoginRequiredMixin, TemplateView):
    """待办: records to confirm (recording units), objections to decide (the level above), and for a firm
    its records still open to objection."""

    template_name = "enterprises/credit_queue.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, now = self.request.user, timezone.now()
        keeper = bool(units_of(user))
        ctx.update({
            "keeper": keeper, "firm_user": bool(scope_of(user).ids("firm", edit=True)),
            "to_confirm": list(selectors.records_to_confirm(user)[:200]) if keeper else [],
            "objections": list(selectors.objections_to_decide(user)[:200]) if keeper else [],
            "in_window": list(selectors.records_in_window(user, now)[:200]),
            "now": now, "scope": scope_of(user),
        })
        return ctx
