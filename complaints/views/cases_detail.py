"""One complaint: its fields, clocks, timeline, handlings, merged reports, and one form per allowed action.

The page offers exactly `allowed_actions(user, complaint, now)`; each form posts to `complaints:act`, which
parses it, calls the service with the `now` read here, and on a ValidationError shows the page again with
the message (the service changed nothing). Attachments are served through a scope check, never as a
/media/ URL.
"""
from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.scope import scope_of
from workdays.models import TimeUnit
from workdays.selectors import deadline_after
from workdays.templatetags.workdays import due as due_text

from .. import selectors, services
from ..forms import ACTION_FORMS, MergeForm, add_service_errors, form_messages
from ..models import Action, Attachment, AttachmentKind, Complaint, Exclusion, Satisfaction, Status
from .cases_common import complaint_queryset, mark_clocks, remaining, safe_next

# Forms that share one set of fields (approve and reject post the same form to two actions).
PREFIX = {"extend_approve": "extend_decide", "extend_reject": "extend_decide"}

# The actions each level of the handling chain takes; when one of them is not offered now, the page says
# why (action_refusal), e.g. "退单须在派单后 2 个工作日内".
LEVEL_ACTIONS = {
    "firm": ("sign", "return", "extend_request", "answer"),
    "street": ("match", "assign", "extend_approve", "callback", "close", "reopen", "urge", "merge",
               "mark_major", "unmark_major"),
    "district": ("dispatch", "urge", "supervise", "mark_major", "unmark_major", "exclude"),
}

DONE = {
    "match": gettext_lazy("已确定小区。"),
    "dispatch": gettext_lazy("已派至街道。"),
    "assign": gettext_lazy("已派单至物业企业，签收时限开始计算。"),
    "sign": gettext_lazy("已签收，答复时限开始计算。"),
    "return": gettext_lazy("已退单，工单退回街道。"),
    "extend_request": gettext_lazy("已提交延期申请，等待街道审批。"),
    "extend_approve": gettext_lazy("已批准延期，答复期限已顺延。"),
    "extend_reject": gettext_lazy("已驳回延期申请。"),
    "answer": gettext_lazy("已提交答复，等待街道回访。"),
    "callback": gettext_lazy("已记录回访结果。"),
    "close": gettext_lazy("工单已办结。"),
    "reopen": gettext_lazy("工单已重办，退回物业企业重新办理。"),
    "urge": gettext_lazy("已催办。"),
    "supervise": gettext_lazy("已列为督办件。"),
    "merge": gettext_lazy("已并案。"),
    "mark_major": gettext_lazy("已认定为重大投诉，该小区本季度取消星级评定参评资格。"),
    "unmark_major": gettext_lazy("已撤销重大投诉认定。"),
    "exclude": gettext_lazy("已认定不计入考核。"),
}


# How each action's form looks: button style, and whether it sits folded under its title (the rarer ones).
STYLE = {
    "match": ("btn-primary", False), "dispatch": ("btn-primary", False), "assign": ("btn-primary", False),
    "sign": ("btn-primary btn-lg w-100", False), "answer": ("btn-primary", False),
    "callback": ("btn-primary", False), "close": ("btn-success", False), "extend_approve": ("btn-success", False),
    "extend_reject": ("btn-outline-danger", False), "merge": ("btn-primary", False),
    "reopen": ("btn-warning", True), "return": ("btn-warning", True), "extend_request": ("btn-outline-primary", True),
    "urge": ("btn-outline-dark", True), "supervise": ("btn-dark", True), "mark_major": ("btn-danger", True),
    "unmark_major": ("btn-outline-danger", True), "exclude": ("btn-outline-secondary", True),
}


def _prefix(action: str) -> str:
    return PREFIX.get(action, action)


def build_form(action: str, complaint: Complaint, data=None, files=None, *, candidates=None):
    cls = ACTION_FORMS[action]
    kwargs = {"complaint": complaint, "prefix": _prefix(action)}
    if cls is MergeForm:
        kwargs["candidates"] = candidates if candidates is not None else selectors.duplicate_candidates(complaint)
    return cls(data, files, **kwargs)


def call_service(action: str, user, c: Complaint, d: dict, now: datetime.datetime):
    """The one service call of an action (keyword-only, `now` from the view)."""
    s = services
    if action == "match":
        return s.complaint_match(actor=user, complaint=c, estate=d["estate"], now=now)
    if action == "dispatch":
        return s.complaint_dispatch(actor=user, complaint=c, street=d["street"], comment=d["comment"], now=now)
    if action == "assign":
        return s.complaint_assign(actor=user, complaint=c, comment=d["comment"], now=now)
    if action == "sign":
        return s.complaint_sign(actor=user, complaint=c, now=now)
    if action == "return":
        return s.complaint_return(actor=user, complaint=c, reason=d["reason"], now=now)
    if action == "extend_request":
        return s.complaint_extend_request(actor=user, complaint=c, amount=d["amount"], reason=d["reason"],
                                          now=now)
    if action in ("extend_approve", "extend_reject"):
        return s.complaint_extend_decide(actor=user, complaint=c, approve=action == "extend_approve",
                                         comment=d["comment"], now=now)
    if action == "answer":
        return s.complaint_answer(actor=user, complaint=c, answer=d["answer"], files=d["photos"], now=now)
    if action == "callback":
        return s.complaint_callback(actor=user, complaint=c, contacted=d["contacted"],
                                    solved=d["solved"] if d["contacted"] else None,
                                    satisfaction=d["satisfaction"] if d["contacted"] else "",
                                    comment=d["comment"], now=now)
    if action == "close":
        return s.complaint_close(actor=user, complaint=c, comment=d["comment"], now=now)
    if action == "reopen":
        return s.complaint_reopen(actor=user, complaint=c, reason=d["reason"], now=now)
    if action == "urge":
        return s.complaint_urge(actor=user, complaint=c, comment=d["comment"], now=now)
    if action == "supervise":
        return s.complaint_supervise(actor=user, complaint=c, comment=d["comment"], now=now)
    if action == "merge":
        return s.complaint_merge(actor=user, case=c, reports=d["reports_chosen"], comment=d["comment"], now=now)
    if action == "mark_major":
        return s.complaint_mark_major(actor=user, complaint=c, reason=d["reason"], now=now)
    if action == "unmark_major":
        return s.complaint_unmark_major(actor=user, complaint=c, reason=d["reason"], now=now)
    if action == "exclude":
        return s.complaint_exclude(actor=user, complaint=c, kind=d["kind"], reason=d["reason"], now=now)
    raise Http404(_("页面不存在"))


def _unit(policy, field: str) -> str:
    return getattr(policy, f"get_{field}_unit_display")()


def action_hints(c: Complaint, now: datetime.datetime) -> dict[str, list[str]]:
    """What each form says up front: the limit that will refuse it and the time left."""
    p = c.policy
    hints: dict[str, list[str]] = {}
    if c.sign_due_at:
        hints["sign"] = [_("签收期限 %(d)s（%(r)s）") % {"d": due_text(c.sign_due_at), "r": remaining(c.sign_due_at, now)}]
    if c.answer_due_at and c.status == Status.SIGNED:
        hints["answer"] = [_("答复期限 %(d)s（%(r)s）") % {"d": due_text(c.answer_due_at),
                                                       "r": remaining(c.answer_due_at, now)}]
    hints.setdefault("answer", []).append(_("答复须写明处理结果，可附最多 3 张现场照片。"))
    if p is not None:
        back = [_("退单须在派单后 %(n)d %(u)s内") % {"n": p.return_within, "u": _unit(p, "return_within")}]
        if c.assigned_at:
            limit = deadline_after(c.assigned_at, p.return_within, p.return_within_unit)
            back.append(_("截止 %(d)s（%(r)s）") % {"d": due_text(limit), "r": remaining(limit, now)})
        hints["return"] = ["，".join(back) + "。"]
        left = max(p.extension_max - c.extended_total, 0)
        hints["extend_request"] = [_("延期累计不超过 %(n)d %(u)s，已延期 %(done)d，还可申请 %(left)d %(u)s。") % {
            "n": p.extension_max, "u": _unit(p, "extension_max"), "done": c.extended_total, "left": left}]
        if c.extension_requested:
            hints["extend_approve"] = [_("物业企业申请延期 %(n)d %(u)s；批准后答复期限顺延。") % {
                "n": c.extension_requested, "u": _unit(p, "extension_max")}]
        hints["assign"] = [_("派单后企业须在时限内签收：一般 %(n)d %(u)s，紧急 %(a)d %(au)s，特急 %(c)d %(cu)s。") % {
            "n": p.sign_normal, "u": _unit(p, "sign_normal"), "a": p.sign_urgent, "au": _unit(p, "sign_urgent"),
            "c": p.sign_critical, "cu": _unit(p, "sign_critical")}]
    hints.setdefault("reopen", []).append(_("回访不满意时可重办，工单退回物业企业并重新计时；已重办 %(n)d 次。") % {
        "n": c.reopened_count})
    hints["close"] = [_("办结前须已回访；并案的重复投诉随本案一并办结。")]
    hints["callback"] = [_("联系上投诉人时须记录是否解决和满意度。")]
    hints["mark_major"] = [_("认定后该小区取消受理当季的星级评定参评资格；评定结果公布前可撤销。")]
    hints["unmark_major"] = [_("撤销后，取消参评记录一并撤销（评定结果公布前）。")]
    hints["exclude"] = [_("经审核属不合理诉求或考核申诉成立的，不计入办理情况统计，记录保留。")]
    hints["merge"] = [_("被并入的工单保留各自编号和投诉人，随本案答复、办结，不单独计数。")]
    return hints


def _moment(value) -> str:
    try:
        return due_text(datetime.datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


def _yes_no(value) -> str:
    return "—" if value is None else (_("是") if value else _("否"))


def event_details(e, firm_names: dict) -> list[tuple[str, str]]:
    """An event's `data` as a clerk reads it: Chinese labels, dates as due times, ids as names; the rest left out."""
    d = e.data or {}
    out = []
    if "firm" in d and d["firm"] in firm_names:
        out.append((_("企业"), firm_names[d["firm"]]))
    for key, label in (("sign_due_at", _("签收期限")), ("answer_due_at", _("答复期限")), ("from_due", _("原答复期限")),
                       ("to_due", _("新答复期限")), ("due", _("期限"))):
        if d.get(key):
            out.append((label, _moment(d[key])))
    if d.get("clock") in ("sign", "answer"):
        out.append((_("时限"), _("签收") if d["clock"] == "sign" else _("答复")))
    if d.get("amount"):
        unit = TimeUnit(d["unit"]).label if d.get("unit") in TimeUnit.values else ""
        out.append((_("时长"), f"{d['amount']} {unit}".strip()))
    if "late" in d:
        out.append((_("超时"), _yes_no(d["late"])))
    if "contacted" in d:
        out.append((_("联系上投诉人"), _yes_no(d["contacted"])))
    if "solved" in d and d.get("contacted"):
        out.append((_("问题已解决"), _yes_no(d["solved"])))
    if d.get("satisfaction") in Satisfaction.values:
        out.append((_("满意度"), str(Satisfaction(d["satisfaction"]).label)))
    if d.get("kind") in Exclusion.values:
        out.append((_("类型"), str(Exclusion(d["kind"]).label)))
    if d.get("year") and d.get("quarter"):
        out.append((_("取消参评"), _("%(y)s 年第 %(q)s 季度") % {"y": d["year"], "q": d["quarter"]}))
    if d.get("case_number"):
        out.append((_("并入案件"), d["case_number"]))
    if d.get("numbers"):
        out.append((_("并入工单"), "、".join(map(str, d["numbers"]))))
    if d.get("external_no"):
        out.append((_("工单编号"), d["external_no"]))
    return out


def complaint_status_excludes(c: Complaint, action: str) -> bool:
    """The order's status does not start this action at all: saying so ("当前状态为…，不能…") is noise."""
    t = services.TRANSITIONS.get(action)
    return t is None or c.status not in t.sources


def refusals(user, c: Complaint, actions: list[str], now: datetime.datetime) -> list[tuple[str, str]]:
    """[(action label, why not)] for the user's level's actions that the order's status allows but that are
    not offered now (a time limit, a maximum, a condition, or who may take it)."""
    scope = scope_of(user)
    wanted: list[str] = []
    for level, level_actions in LEVEL_ACTIONS.items():
        if scope.ids(level, edit=True):
            wanted.extend(a for a in level_actions if a not in wanted)
    out = []
    for action in wanted:
        if action in actions or complaint_status_excludes(c, action):
            continue
        reason = services.action_refusal(user, c, action, now)
        if reason:
            out.append((Action(action).label, reason))
    return out


def render_complaint(request, complaint: Complaint, now: datetime.datetime, *, bound=None, status=200):
    """The detail page; `bound` = {action: form} keeps a refused form's input and message."""
    user = request.user
    bound = bound or {}
    actions = list(services.allowed_actions(user, complaint, now))
    candidates = selectors.duplicate_candidates(complaint) if "merge" in actions else []
    hints = action_hints(complaint, now)
    shown = [a for a in actions if a in ACTION_FORMS and not (a == "extend_reject" and "extend_approve" in actions)
             and not (a == "merge" and not candidates)]  # nothing suggested: nothing to merge from here
    shown += [a for a in bound if a not in shown]  # a refused action no longer offered still shows its message
    panels = []
    for action in shown:
        btn, folded = STYLE[action]
        panels.append({
            "action": action, "label": Action(action).label, "hints": hints.get(action, []),
            "form": bound.get(action) or build_form(action, complaint, candidates=candidates),
            "btn": btn, "folded": folded and action not in bound,
            "reject": action == "extend_approve" and "extend_reject" in actions,
        })
    panels.sort(key=lambda p: p["folded"])  # the open forms (the next step) first, the folded ones after
    attachments = list(complaint.attachments.all())
    handlings = list(complaint.handlings.select_related("firm"))
    firm_names = {h.firm_id: h.firm.name for h in handlings}
    events = list(complaint.events.select_related("actor"))
    for e in events:
        e.details = event_details(e, firm_names)
    reports = list(complaint.merged_reports.select_related("estate", "street", "handled_by")
                   .order_by("received_at", "pk"))
    for r in reports:
        r.who = selectors.complainant_for(user, r)
    mark_clocks([complaint], now)
    name, phone = selectors.complainant_for(user, complaint)
    return render(request, "complaints/detail.html", {
        "c": complaint, "now": now, "actions": actions, "panels": panels,
        "refusals": refusals(user, complaint, actions, now),
        "complainant_name": name, "complainant_phone": phone,
        "intake_files": [a for a in attachments if a.kind == AttachmentKind.COMPLAINT],
        "answer_files": [a for a in attachments if a.kind == AttachmentKind.ANSWER],
        "events": events, "handlings": handlings,
        "reports": reports, "candidates": candidates,
        "list_url": reverse("complaints:list"),
    }, status=status)


class ComplaintDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        complaint = get_object_or_404(complaint_queryset(request.user), pk=pk)
        return render_complaint(request, complaint, timezone.now())


class ComplaintActView(LoginRequiredMixin, View):
    """POST /complaints/<pk>/act/<action>/: parse the action's form, call its service, show the outcome."""

    def post(self, request, pk, action):
        if action not in ACTION_FORMS:
            raise Http404(_("页面不存在"))
        complaint = get_object_or_404(complaint_queryset(request.user), pk=pk)
        now = timezone.now()
        form = build_form(action, complaint, request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if isinstance(form, MergeForm):
                data["reports_chosen"] = form.chosen()
            try:
                call_service(action, request.user, complaint, data, now)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("您无权执行此操作。"))
            else:
                messages.success(request, DONE[action])
                detail = reverse("complaints:detail", args=[pk])
                target = safe_next(request, detail)
                if target == detail and not complaint_queryset(request.user).filter(pk=pk).exists():
                    target = reverse("complaints:list")  # e.g. matched onto another street's estate
                return redirect(target)
        messages.error(request, _("%(a)s未完成：%(e)s") % {"a": Action(action).label, "e": " ".join(form_messages(form))})
        complaint = get_object_or_404(complaint_queryset(request.user), pk=pk)  # unchanged: read it again
        return render_complaint(request, complaint, now, bound={action: form})


class AttachmentView(LoginRequiredMixin, View):
    """A complaint's file, looked up inside visible_to(user): a forwarded link opens for nobody else."""

    def get(self, request, pk):
        attachment = Attachment.objects.filter(
            pk=pk, complaint__in=Complaint.objects.visible_to(request.user)).first()
        if attachment is None:
            raise Http404(_("文件不存在"))
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404(_("文件不存在"))
        inline = attachment.content_type.startswith("image/") or attachment.content_type == "application/pdf"
        response = FileResponse(handle, content_type=attachment.content_type or "application/octet-stream",
                                as_attachment=not inline, filename=attachment.original_name)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response
