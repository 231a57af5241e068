"""The complaint list (filters, search, sort, pages, Excel export), my tasks, and the triage queue."""
from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.pagination import DeferredJoinPaginator
from accounts.views import ScopedListView
from workdays.templatetags.workdays import due

from .. import selectors
from ..filters import ComplaintFilter
from ..forms import MatchForm
from ..models import Complaint
from .cases_common import LIST_RELATED, mark_clocks
from .cases_menu import require_page, uses


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


class ComplaintListView(ScopedListView):
    model = Complaint
    template_name = "complaints/list.html"
    filterset_class = ComplaintFilter
    select_related = LIST_RELATED
    # key -> the field; the clocks' empty due times sort last either way.
    sort_fields = {"received": "received_at", "sign_due": "sign_due_at", "answer_due": "answer_due_at"}
    default_sort = ("-received_at", "-pk")  # the complaint_list_order index, read backwards
    paginator_class = DeferredJoinPaginator
    export_filename = gettext_lazy("投诉工单")
    export_headers = (
        gettext_lazy("受理编号"), gettext_lazy("工单编号"), gettext_lazy("来源"), gettext_lazy("受理时间"),
        gettext_lazy("诉求类型"), gettext_lazy("类别"), gettext_lazy("紧急程度"), gettext_lazy("标题"),
        gettext_lazy("诉求内容"), gettext_lazy("地址（原文）"), gettext_lazy("街道"), gettext_lazy("社区"),
        gettext_lazy("小区"), gettext_lazy("物业企业"), gettext_lazy("投诉人"), gettext_lazy("联系电话"),
        gettext_lazy("状态"), gettext_lazy("签收期限"), gettext_lazy("签收时间"), gettext_lazy("签收超时"),
        gettext_lazy("答复期限"), gettext_lazy("答复时间"), gettext_lazy("答复超时"), gettext_lazy("满意度"),
        gettext_lazy("办结时间"), gettext_lazy("重办次数"), gettext_lazy("重大投诉"), gettext_lazy("督办件"),
        gettext_lazy("并入案件"), gettext_lazy("不计入考核"),
    )

    def get(self, request, *args, **kwargs):
        self.now = timezone.now()  # one clock for the filters, the late marks and the export
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = self.get_base_queryset()
        # Always bound, so the FilterSet's defaults (merged reports hidden) hold without a query string.
        self.filterset = ComplaintFilter(self.request.GET, queryset=qs, request=self.request, now=self.now)
        qs = self.filterset.qs if self.filterset.is_valid() else qs.none()
        sort = self.request.GET.get("sort", "")
        field = self.sort_fields.get(sort.lstrip("-"))
        if field:
            expr = F(field).desc(nulls_last=True) if sort.startswith("-") else F(field).asc(nulls_last=True)
            return qs.order_by(expr, "pk")
        return qs.order_by(*self.default_sort)

    def export_row(self, c):
        name, phone = selectors.complainant_for(self.request.user, c)
        estate = c.estate
        return (
            c.number, c.external_no, c.get_source_display(), _local(c.received_at), c.get_matter_type_display(),
            c.category.name, c.get_urgency_display(), c.title, c.content, c.address, c.street.name,
            estate.community.name if estate else "", estate.name if estate else "", c.firm.name if c.firm else "",
            name, phone, c.get_status_display(), due(c.sign_due_at), _local(c.signed_at),
            c.sign_overdue, due(c.answer_due_at), _local(c.answered_at), c.answer_overdue,
            c.get_satisfaction_display(), _local(c.closed_at), c.reopened_count, c.major, c.supervised,
            c.merged_into.number if c.merged_into_id else "", c.get_excluded_display(),
        )

    def export(self, queryset):
        # complainant_for reads the order's street (district) and current handling: joined, not per row.
        return super().export(queryset.select_related("merged_into", "street", "handled_by"))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["filter"] = self.filterset
        ctx["total_count"] = ctx["paginator"].count if ctx.get("paginator") else len(ctx["object_list"])
        ctx["object_list"] = mark_clocks(list(ctx["object_list"]), self.now)
        ctx["now"] = self.now
        ctx["can_register"] = uses(self.request.user, "complaints:new")
        return ctx


class TasksView(LoginRequiredMixin, View):
    """What waits on this user, nearest deadline first (street: dispatch/assign, returned, callbacks,
    extension requests; firm: sign for, answer)."""

    limit = 300  # a to-do list longer than this is a list to filter, not a list to work through

    def get(self, request):
        require_page(request, "complaints:tasks")
        now = timezone.now()
        rows = list(selectors.my_tasks(request.user, now)[:self.limit])
        for c in rows:  # my_tasks annotates `task` (a key of TASK_LABELS) and `due` (None: no deadline)
            c.task_label = selectors.TASK_LABELS.get(c.task, c.get_status_display())
            c.task_due = c.due
        mark_clocks(rows, now)
        return render(request, "complaints/tasks.html", {"rows": rows, "now": now, "limit": self.limit})


class TriageView(LoginRequiredMixin, View):
    """Orders of the user's streets whose address matched no estate, each with a match form."""

    per_page = 25

    def get(self, request):
        require_page(request, "complaints:triage")
        queue = selectors.triage_queue(request.user).select_related(*LIST_RELATED).order_by("received_at", "pk")
        page = Paginator(queue, self.per_page).get_page(request.GET.get("page"))
        for c in page.object_list:
            # The act view reads the "match" prefix; the ids stay unique per row.
            c.match_form = MatchForm(complaint=c, prefix="match", auto_id=f"id_%s_{c.pk}")
        return render(request, "complaints/triage.html", {
            "rows": page.object_list, "page_obj": page, "paginator": page.paginator,
            "is_paginated": page.paginator.num_pages > 1})
