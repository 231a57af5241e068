"""整改通知 pages: list (filters, export), issue, detail with its timeline, and the actions.

The detail page offers exactly `allowed_actions(order, user)`; the action URL
calls the service, whose ValidationError is shown and changes nothing.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.pagination import DeferredJoinPaginator
from accounts.views import ScopedListView

from ..filters import OrderFilter
from ..forms import AcceptForm, AnswerForm, OrderCreateForm, ReasonForm, add_service_errors
from ..models import Inspection, OrderStatus, RectificationOrder
from ..services.inspections import inspectable_estates, issuable_estates
from ..services.orders import (
    allowed_actions,
    default_deadline,
    order_accept,
    order_answer,
    order_cancel,
    order_issue,
    order_reject,
)

OPEN_STATUSES = {OrderStatus.ISSUED, OrderStatus.RETURNED, OrderStatus.OVERDUE}


def is_overdue(order, today) -> bool:
    return order.status == OrderStatus.OVERDUE or (order.status in OPEN_STATUSES and order.deadline < today)


class OrderListView(ScopedListView):
    model = RectificationOrder
    template_name = "inspections/order_list.html"
    filterset_class = OrderFilter
    select_related = ("estate__community__street", "firm")
    sort_fields = {
        "number": "number", "issued": "issued_at", "deadline": "deadline", "estate": "estate__name",
        "street": "estate__community__street__name", "firm": "firm__name", "status": "status",
    }
    default_sort = ("-issued_at", "-pk")  # the order_list_order index, read backwards
    paginator_class = DeferredJoinPaginator  # a deep page is cut from that index before any join
    export_filename = gettext_lazy("整改通知")
    export_headers = (
        gettext_lazy("编号"), gettext_lazy("街道"), gettext_lazy("社区"), gettext_lazy("小区"),
        gettext_lazy("物业企业"), gettext_lazy("存在问题"), gettext_lazy("整改要求"), gettext_lazy("下发时间"),
        gettext_lazy("整改期限"), gettext_lazy("状态"), gettext_lazy("是否逾期"), gettext_lazy("整改情况"),
        gettext_lazy("回复时间"), gettext_lazy("关闭时间"),
    )

    def export_row(self, o):
        e = o.estate
        return (o.number, e.community.street.name, e.community.name, e.name, o.firm.name, o.problem,
                o.requirement, o.issued_at, o.deadline, o.get_status_display(),
                is_overdue(o, timezone.localdate()), o.answer, o.answered_at, o.closed_at)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        ctx["today"] = today
        ctx["total_count"] = ctx["paginator"].count if ctx.get("paginator") else len(ctx["object_list"])
        for o in ctx["object_list"]:
            o.is_overdue = is_overdue(o, today)
        ctx["can_issue"] = issuable_estates(self.request.user).exists()
        return ctx


class OrderCreateView(LoginRequiredMixin, View):
    """/orders/new/?estate=&inspection=&item=: street staff and community clerks in scope."""

    template_name = "inspections/order_form.html"

    def setup_sources(self):
        user, params = self.request.user, self.request.GET
        estates = inspectable_estates(user)
        if not estates.exists():
            raise Http404(_("页面不存在"))
        # The estate field renders only its chosen estate and searches /choices/estates/?purpose=issue,
        # which offers this same queryset (accounts/choices.py).
        self.estates = (issuable_estates(user).select_related("community__street", "firm")
                        .order_by("community__name", "name"))
        self.inspection = self.item = self.score = self.estate = None
        if params.get("inspection"):
            self.inspection = get_object_or_404(
                Inspection.objects.visible_to(user).select_related("estate", "rubric"),
                pk=_int(params["inspection"]))
            self.estate = get_object_or_404(estates, pk=self.inspection.estate_id)
        if params.get("estate"):
            estate = get_object_or_404(estates.select_related("community__street", "firm"), pk=_int(params["estate"]))
            if self.estate is not None and self.estate.pk != estate.pk:
                raise Http404(_("检查记录与小区不一致。"))
            self.estate = estate
        if params.get("item"):
            if self.inspection is None:
                raise Http404(_("页面不存在"))
            self.item = get_object_or_404(self.inspection.rubric.items.select_related("category"),
                                          pk=_int(params["item"]))
            self.score = self.inspection.scores.filter(item=self.item).first()

    def initial(self):
        initial = {"deadline": default_deadline(self.estate, today=timezone.localdate()) if self.estate else None}
        if self.estate:
            initial["estate"] = self.estate.pk
        if self.item is not None:
            parts = [f"{self.item.category.name} · {self.item.title}"]
            if self.score is not None and self.score.score is not None:
                parts.append(_("（得分 %(s)s / %(m)s）") % {"s": self.score.score, "m": self.item.max_points})
            if self.score is not None and self.score.note:
                parts.append(_("：%(n)s") % {"n": self.score.note})
            initial["problem"] = "".join(parts)
        elif self.inspection is not None:
            notes = [f"{s.item.title}：{s.note}" for s in self.inspection.scores.select_related("item")
                     if s.note]
            initial["problem"] = "\n".join(notes)
        return initial

    def render_form(self, form):
        return render(self.request, self.template_name, {
            "form": form, "estate": self.estate, "inspection": self.inspection, "item": self.item,
            "score": self.score, "query": self.request.GET.urlencode(),
        })

    def get(self, request):
        self.setup_sources()
        if self.estate is not None and self.estate.firm_id is None:
            messages.warning(request, _("该小区目前没有服务企业，无法下发整改通知。"))
        return self.render_form(OrderCreateForm(initial=self.initial(), estates=self.estates))

    def post(self, request):
        self.setup_sources()
        form = OrderCreateForm(request.POST, request.FILES, estates=self.estates)
        if form.is_valid() and "preview" in request.POST:
            # 预览通知书: the notice from the form's data, nothing saved (the form opens it in a new tab and
            # keeps its input, chosen photos included, for 确认下发).
            return self.preview(form)
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = order_issue(actor=request.user, estate=data["estate"], problem=data["problem"],
                                    requirement=data["requirement"], deadline=data["deadline"],
                                    inspection=self.inspection, item=self.item, photos=data["photos"],
                                    now=timezone.now())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("整改通知 %(n)s 已下发给 %(f)s。") % {"n": order.number, "f": order.firm.name})
                return redirect("inspections:order_detail", pk=order.pk)
        return self.render_form(form)


    def preview(self, form):
        from ..notice import notice_preview, render_notice_html
        from ..services.inspections import validate_image

        data = form.cleaned_data
        try:
            for upload in data["photos"]:
                validate_image(upload)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render_form(form)
        today = timezone.localdate()
        notice = notice_preview(estate=data["estate"], problem=data["problem"], requirement=data["requirement"],
                                deadline=data["deadline"] or default_deadline(data["estate"], today=today),
                                today=today, inspection=self.inspection, item=self.item, uploads=data["photos"])
        return HttpResponse(render_notice_html(notice, request=self.request))


def _int(value) -> int:
    return int(value) if str(value).isdigit() else 0


def order_queryset(user):
    return RectificationOrder.objects.visible_to(user).select_related(
        "estate__community__street__district", "firm", "inspection", "item", "issued_by", "followup_inspection")


def _followups(user, order):
    return (Inspection.objects.visible_to(user).counted().filter(estate_id=order.estate_id)
            .order_by("-date", "-pk"))


def render_order(request, order, *, bound: dict | None = None, status=200):
    """The detail page with a form for each allowed action (`bound` keeps a failed form's input)."""
    bound = bound or {}
    actions = allowed_actions(order, request.user)
    forms = {
        "answer": bound.get("answer") or AnswerForm(),
        "accept": bound.get("accept") or AcceptForm(followups=_followups(request.user, order)),
        "reject": bound.get("reject") or ReasonForm(prefix="reject"),
        "cancel": bound.get("cancel") or ReasonForm(prefix="cancel"),
    }
    photos = list(order.photos.all())
    today = timezone.localdate()
    return render(request, "inspections/order_detail.html", {
        "order": order, "actions": actions, "forms": {a: forms[a] for a in actions},
        "events": list(order.events.select_related("actor")),
        "problem_photos": [p for p in photos if p.side == "problem"],
        "answer_photos": [p for p in photos if p.side == "answer"],
        "today": today, "overdue": is_overdue(order, today),
        "deadline_passed": order.deadline < today and order.status not in (OrderStatus.CLOSED, OrderStatus.CANCELLED),
    }, status=status)


class OrderDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        return render_order(request, get_object_or_404(order_queryset(request.user), pk=pk))


class OrderActionView(LoginRequiredMixin, View):
    """POST /orders/<pk>/<action>/: answer (firm), accept / reject / cancel (street)."""

    def post(self, request, pk, action):
        if action not in ("answer", "accept", "reject", "cancel"):
            raise Http404(_("页面不存在"))
        order = get_object_or_404(order_queryset(request.user), pk=pk)
        if action == "answer":
            form = AnswerForm(request.POST, request.FILES)
        elif action == "accept":
            form = AcceptForm(request.POST, followups=_followups(request.user, order))
        else:
            form = ReasonForm(request.POST, prefix=action)
        if form.is_valid():
            data = form.cleaned_data
            try:
                now = timezone.now()
                if action == "answer":
                    order_answer(actor=request.user, order=order, answer=data["answer"], photos=data["photos"],
                                 now=now)
                elif action == "accept":
                    order_accept(actor=request.user, order=order, comment=data["comment"],
                                 followup_inspection=data["followup_inspection"], now=now)
                elif action == "reject":
                    order_reject(actor=request.user, order=order, reason=data["reason"])
                else:
                    order_cancel(actor=request.user, order=order, reason=data["reason"], now=now)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, DONE[action])
                return redirect("inspections:order_detail", pk=pk)
        messages.error(request, _("操作未完成：%(e)s") % {"e": " ".join(_messages(form))})
        order.refresh_from_db()
        return render_order(request, order, bound={action: form})


DONE = {
    "answer": gettext_lazy("已提交整改回复，等待街道验收。"),
    "accept": gettext_lazy("已验收通过，整改通知关闭。"),
    "reject": gettext_lazy("已退回重改，企业将收到通知。"),
    "cancel": gettext_lazy("整改通知已撤销。"),
}


def _messages(form) -> list[str]:
    return [str(m) for errors in form.errors.values() for m in errors]
