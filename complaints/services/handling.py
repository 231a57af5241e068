"""Handling of an order: the firm's steps (sign, return, extension, answer) and the street's (assign, decide an
extension, call back, close, reopen), 催办, 督办 and the district's exclusion from the rates."""
from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import Action, AttachmentKind, Complaint, ComplaintEvent, Exclusion, FirmHandling, Satisfaction
from . import clocks, notices
from .attachments import attachment_check, attachment_save
from .flow import INTAKE, S, _check_aware, _local_day, _locked, _serving_firm_id, _text, _transition, _unit_label, \
    action_refusal


def _start_handling(complaint: Complaint, now: datetime.datetime) -> FirmHandling:
    """A new handling by the estate's serving firm, and a fresh sign-for clock (the answer clock waits)."""
    if complaint.handled_by_id and complaint.handled_by.ended_at is None:
        FirmHandling.objects.filter(pk=complaint.handled_by_id).update(ended_at=now)
    firm_id = _serving_firm_id(complaint.estate, _local_day(now))
    handling = FirmHandling.objects.create(complaint=complaint, firm_id=firm_id, assigned_at=now)
    complaint.handled_by = handling
    complaint.assigned_at = now
    complaint.sign_due_at = clocks.sign_due(complaint, now)
    complaint.signed_at = None
    complaint.answer_due_at = None
    complaint.answered_at = None
    complaint.sign_escalation = 0
    complaint.answer_escalation = 0
    complaint.extension_requested = None
    return handling


CLOCK_FIELDS = ["handled_by", "assigned_at", "sign_due_at", "signed_at", "answer_due_at", "answered_at",
                "sign_escalation", "answer_escalation", "extension_requested"]


@transaction.atomic
def complaint_assign(*, actor: User, complaint: Complaint, now: datetime.datetime, comment: str = "") -> Complaint:
    """The street sends the order to the estate's serving firm: a new handling; the sign-for clock starts."""
    _check_aware(now)
    complaint = _locked(actor, complaint)
    event = _transition(complaint, Action.ASSIGN, actor=actor, now=now, comment=comment)
    handling = _start_handling(complaint, now)
    event.data = {"firm": handling.firm_id, "sign_due_at": complaint.sign_due_at.isoformat()}
    event.save(update_fields=["data"])
    complaint.save(update_fields=["status", *CLOCK_FIELDS])
    notices.handoff(complaint, event, actor)
    return complaint


@transaction.atomic
def complaint_sign(*, actor: User, complaint: Complaint, now: datetime.datetime) -> Complaint:
    """The firm signs for the order (签收): late when now >= sign_due_at; the answer clock starts."""
    _check_aware(now)
    complaint = _locked(actor, complaint)
    late = complaint.sign_due_at is not None and now >= complaint.sign_due_at
    event = _transition(complaint, Action.SIGN, actor=actor, now=now, data={"late": late})
    complaint.signed_at = now
    complaint.sign_overdue = complaint.sign_overdue or late
    complaint.answer_due_at = clocks.answer_due(complaint, now)
    event.data["answer_due_at"] = complaint.answer_due_at.isoformat()
    event.save(update_fields=["data"])
    complaint.save(update_fields=["status", "signed_at", "sign_overdue", "answer_due_at"])
    return complaint


@transaction.atomic
def complaint_return(*, actor: User, complaint: Complaint, reason: str, now: datetime.datetime) -> Complaint:
    """The firm returns the order to the street (退单), with a reason, within the return limit."""
    _check_aware(now)
    complaint = _locked(actor, complaint)
    reason = _text(reason, "reason", _("退单时请填写原因。"))
    was = complaint.status
    event = _transition(complaint, Action.RETURN, actor=actor, now=now, comment=reason,
                        data={"firm": complaint.handled_by.firm_id if complaint.handled_by_id else None})
    # A clock that ran out before the firm let go of the order stays late.
    if was == S.ASSIGNED and complaint.sign_due_at and now >= complaint.sign_due_at:
        complaint.sign_overdue = True
    if was == S.SIGNED and complaint.answer_due_at and now >= complaint.answer_due_at:
        complaint.answer_overdue = True
    notices.handoff(complaint, event, actor)  # the street is told before the handling ends
    FirmHandling.objects.filter(pk=complaint.handled_by_id).update(ended_at=now)
    complaint.handled_by = None
    complaint.sign_due_at = None
    complaint.answer_due_at = None
    complaint.extension_requested = None
    complaint.save(update_fields=["status", "handled_by", "sign_due_at", "answer_due_at", "sign_overdue",
                                  "answer_overdue", "extension_requested"])
    return complaint


@transaction.atomic
def complaint_extend_request(*, actor: User, complaint: Complaint, amount: int, reason: str,
                             now: datetime.datetime) -> Complaint:
    """The firm asks for more time to answer (in the policy's extension unit), within the maximum."""
    _check_aware(now)
    complaint = _locked(actor, complaint)
    reason = _text(reason, "reason", _("申请延期时请填写理由。"))
    refusal = action_refusal(actor, complaint, Action.EXTEND_REQUEST, now)
    if refusal:
        raise ValidationError(refusal)
    p = complaint.policy
    left = p.extension_max - complaint.extended_total
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        raise ValidationError({"amount": _("延期时长须为正整数。")})
    if not 1 <= amount <= left:
        raise ValidationError({"amount": _("延期时长须在 1 到 %(n)d %(u)s之间（累计上限 %(m)d %(u)s）。") % {
            "n": left, "m": p.extension_max, "u": _unit_label(p.extension_max_unit)}})
    event = _transition(complaint, Action.EXTEND_REQUEST, actor=actor, now=now, comment=reason,
                        data={"amount": amount, "unit": p.extension_max_unit})
    complaint.extension_requested = amount
    complaint.save(update_fields=["extension_requested"])
    notices.handoff(complaint, event, actor)
    return complaint


@transaction.atomic
def complaint_extend_decide(*, actor: User, complaint: Complaint, approve: bool, comment: str,
                            now: datetime.datetime) -> Complaint:
    """The street approves (the answer due time moves on by the amount) or rejects the pending request."""
    _check_aware(now)
    complaint = _locked(actor, complaint)
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": _("驳回延期申请时请说明理由。")})
    action = Action.EXTEND_APPROVE if approve else Action.EXTEND_REJECT
    refusal = action_refusal(actor, complaint, action, now)
    if refusal:
        raise ValidationError(refusal)
    amount = complaint.extension_requested
    data = {"amount": amount, "unit": complaint.policy.extension_max_unit,
            "from_due": complaint.answer_due_at.isoformat() if complaint.answer_due_at else None}
    if approve:
        complaint.answer_due_at = clocks.extended_due(complaint, amount)
        complaint.extended_total += amount
        data["to_due"] = complaint.answer_due_at.isoformat()
    event = _transition(complaint, action, actor=actor, now=now, comment=comment, data=data)
    complaint.extension_requested = None
    complaint.save(update_fields=["answer_due_at", "extended_total", "extension_requested"])
    notices.handoff(complaint, event, actor)
    return complaint


@transaction.atomic
def complaint_answer(*, actor: User, complaint: Complaint, answer: str, now: datetime.datetime,
                     files=()) -> Complaint:
    """The firm answers (答复, with photos): late when now >= answer_due_at. The street is told to call back."""
    _check_aware(now)
    complaint = _locked(actor, complaint)
    answer = _text(answer, "answer", _("请填写答复内容。"), max_length=5000)
    for upload in files or ():
        attachment_check(upload)
    late = complaint.answer_due_at is not None and now >= complaint.answer_due_at
    event = _transition(complaint, Action.ANSWER, actor=actor, now=now, comment=answer, data={"late": late})
    complaint.answer = answer
    complaint.answered_at = now
    complaint.answer_overdue = complaint.answer_overdue or late
    complaint.extension_requested = None
    complaint.save(update_fields=["status", "answer", "answered_at", "answer_overdue", "extension_requested"])
    for upload in files or ():
        attachment_save(complaint=complaint, uploaded_file=upload, kind=AttachmentKind.ANSWER, actor=actor,
                        now=now, event=event, checked=True)
    notices.handoff(complaint, event, actor)
    return complaint


@transaction.atomic
def complaint_callback(*, actor: User, complaint: Complaint, contacted: bool, solved: bool | None,
                       satisfaction: str, comment: str, now: datetime.datetime) -> Complaint:
    """The street calls the complainant back (回访): contacted? solved? satisfied?"""
    _check_aware(now)
    complaint = _locked(actor, complaint)
    satisfaction = satisfaction or ""
    if contacted:
        errors = {}
        if solved is None:
            errors["solved"] = _("请选择问题是否已解决。")
        if satisfaction not in Satisfaction.values:
            errors["satisfaction"] = _("请选择满意度。")
        if errors:
            raise ValidationError(errors)
    else:
        solved, satisfaction = None, ""
        if not (comment or "").strip():
            raise ValidationError({"comment": _("未联系上投诉人时请说明回访情况。")})
    event = _transition(complaint, Action.CALLBACK, actor=actor, now=now, comment=comment,
                        data={"contacted": bool(contacted), "solved": solved, "satisfaction": satisfaction})
    complaint.callback_at = now
    complaint.callback_contacted = bool(contacted)
    complaint.callback_solved = solved
    complaint.satisfaction = satisfaction
    complaint.save(update_fields=["status", "callback_at", "callback_contacted", "callback_solved", "satisfaction"])
    notices.handoff(complaint, event, actor)
    return complaint


@transaction.atomic
def complaint_close(*, actor: User, complaint: Complaint, now: datetime.datetime, comment: str = "") -> Complaint:
    """The street closes the case (办结); its merged reports close with it. Closing an order that never went to
    a firm (not a property matter, no serving firm) needs a reason."""
    _check_aware(now)
    complaint = _locked(actor, complaint)
    if complaint.status in INTAKE and not (comment or "").strip():
        raise ValidationError({"comment": _("未经企业办理直接办结时，请说明理由。")})
    event = _transition(complaint, Action.CLOSE, actor=actor, now=now, comment=comment)
    complaint.closed_at = now
    complaint.extension_requested = None
    complaint.save(update_fields=["status", "closed_at", "extension_requested"])
    _close_reports(complaint, actor=actor, now=now)
    notices.handoff(complaint, event, actor)
    return complaint


def _close_reports(case: Complaint, *, actor, now) -> None:
    """Reports merged into the case are answered by it: they keep the status 已并案 and get its closing time,
    with a 办结 event each (what the complainant following a report sees)."""
    reports = list(Complaint.objects.select_for_update(of=("self",))
                   .filter(merged_into=case, closed_at__isnull=True).order_by("pk"))
    for report in reports:
        ComplaintEvent.objects.create(complaint=report, action=Action.CLOSE, actor=actor, at=now,
                                      from_status=report.status, to_status=report.status,
                                      comment=_("随案件 %(n)s 办结") % {"n": case.number}, data={"case": case.pk})
        report.closed_at = now
        report.save(update_fields=["closed_at"])


@transaction.atomic
def complaint_reopen(*, actor: User, complaint: Complaint, reason: str, now: datetime.datetime) -> Complaint:
    """After a 不满意 callback the street sends the case back to the estate's firm (重办): new clocks."""
    _check_aware(now)
    complaint = _locked(actor, complaint)
    reason = _text(reason, "reason", _("重办时请填写原因。"))
    previous = {"satisfaction": complaint.satisfaction, "solved": complaint.callback_solved,
                "answered_at": complaint.answered_at.isoformat() if complaint.answered_at else None}
    event = _transition(complaint, Action.REOPEN, actor=actor, now=now, comment=reason, data=previous)
    handling = _start_handling(complaint, now)
    event.data.update({"firm": handling.firm_id, "sign_due_at": complaint.sign_due_at.isoformat()})
    event.save(update_fields=["data"])
    complaint.reopened_count += 1
    # The new round is answered and called back anew; the last round's answer stays in the timeline.
    complaint.answer = ""
    complaint.callback_at = None
    complaint.callback_contacted = None
    complaint.callback_solved = None
    complaint.satisfaction = ""
    complaint.save(update_fields=["status", "reopened_count", "answer", "callback_at", "callback_contacted",
                                  "callback_solved", "satisfaction", *CLOCK_FIELDS])
    notices.handoff(complaint, event, actor)
    return complaint


@transaction.atomic
def complaint_urge(*, actor: User, complaint: Complaint, comment: str, now: datetime.datetime) -> Complaint:
    """催办 by the street or the district: an event and a notification to the firm; the status stays."""
    complaint = _locked(actor, complaint)
    comment = _text(comment, "comment", _("请填写催办意见。"))
    event = _transition(complaint, Action.URGE, actor=actor, now=now, comment=comment)
    notices.handoff(complaint, event, actor)
    return complaint


@transaction.atomic
def complaint_supervise(*, actor: User, complaint: Complaint, comment: str, now: datetime.datetime) -> Complaint:
    """督办 by the district: the order becomes a supervised case; street and firm are told."""
    complaint = _locked(actor, complaint)
    comment = _text(comment, "comment", _("请填写督办意见。"))
    event = _transition(complaint, Action.SUPERVISE, actor=actor, now=now, comment=comment)
    complaint.supervised = True
    complaint.save(update_fields=["supervised"])
    notices.handoff(complaint, event, actor)
    return complaint


@transaction.atomic
def complaint_exclude(*, actor: User, complaint: Complaint, kind: str, reason: str,
                      now: datetime.datetime) -> Complaint:
    """The district leaves an order out of the rates (不合理诉求 / 考核申诉成立), visibly and with a reason."""
    complaint = _locked(actor, complaint)
    if kind not in Exclusion.values:
        raise ValidationError({"kind": _("请选择不计入考核的类型。")})
    reason = _text(reason, "reason", _("请填写不计入考核的理由。"))
    _transition(complaint, Action.EXCLUDE, actor=actor, now=now, comment=reason, data={"kind": kind})
    complaint.excluded = kind
    complaint.exclusion_reason = reason
    complaint.save(update_fields=["excluded", "exclusion_reason"])
    return complaint
