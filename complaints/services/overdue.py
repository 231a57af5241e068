"""The hourly job: mark each late clock once and escalate it step by step, each step once.

A clock (sign for while 待企业签收, answer while 办理中) is late when now >= its due time. The first step
(at the due time) marks it: `sign_overdue` / `answer_overdue` (kept forever), one OVERDUE event, the firm
told. Then the street (due + escalate_after) and the district (due + 2 × escalate_after) are told. The step
reached is kept per clock (`sign_escalation` / `answer_escalation`, 0–3); who is told of each step is declared
in accounts.notices.HANDOFFS (`complaint.overdue.<level>`), and every notification has a unique key naming
the handling, the clock and the step, so a second run, or two workers at once, send nothing twice.
A clock's action done late is marked by the action itself (complaint_sign / complaint_answer), job or no job.
"""
from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Action, Complaint, Status
from . import clocks, notices
from .flow import _transition

CLOCKS = {
    # clock -> (status while it runs, due field, overdue flag, escalation step field, Chinese name)
    "sign": (Status.ASSIGNED, "sign_due_at", "sign_overdue", "sign_escalation", "签收"),
    "answer": (Status.SIGNED, "answer_due_at", "answer_overdue", "answer_escalation", "答复"),
}
LAST_STEP = len(clocks.ESCALATION)


def _late_ids(now: datetime.datetime) -> list[int]:
    q = Q(pk__in=[])
    for status, due_field, _flag, step_field, _name in CLOCKS.values():
        q |= Q(status=status, **{f"{due_field}__lte": now, f"{step_field}__lt": LAST_STEP})
    return list(Complaint.objects.filter(q).order_by("pk").values_list("pk", flat=True))


def _escalate(complaint: Complaint, clock: str, now: datetime.datetime) -> tuple[bool, int]:
    """Take the steps of the running clock that are due and not taken yet. (newly marked?, steps taken)."""
    status, due_field, flag_field, step_field, name = CLOCKS[clock]
    due = getattr(complaint, due_field)
    step = getattr(complaint, step_field)
    times = clocks.escalation_times(complaint, due)
    marked, taken = False, 0
    for index, (level, at) in enumerate(zip(clocks.ESCALATION, times), start=1):
        if index <= step or now < at:
            continue
        if index == 1:
            _transition(complaint, Action.OVERDUE, actor=None, now=now,
                        comment=_("%(c)s超时（期限 %(d)s）") % {
                            "c": name, "d": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")},
                        data={"clock": clock, "due": due.isoformat()})
            marked = True
            setattr(complaint, flag_field, True)
        notices.send(
            complaint, notices.OVERDUE_EVENTS[level],
            key=f"{complaint.pk}:h{complaint.handled_by_id}:{clock}:{index}",
            title=_("投诉工单 %(n)s %(c)s超时") % {"n": complaint.number, "c": name},
            body=_("%(t)s：%(c)s期限为 %(d)s，已超时。") % {
                "t": complaint.title, "c": name, "d": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")})
        setattr(complaint, step_field, index)
        taken += 1
    if taken:
        complaint.save(update_fields=[flag_field, step_field])
    return marked, taken


def complaints_mark_overdue(*, now: datetime.datetime) -> int:
    """The hourly job. Each order in its own transaction under its row lock; returns the clocks newly marked."""
    marked = 0
    for pk in _late_ids(now):
        with transaction.atomic():
            complaint = (Complaint.objects.select_for_update(of=("self",))
                         .select_related("policy", "street", "handled_by").filter(pk=pk).first())
            if complaint is None:
                continue
            clock, _due = clocks.running_clock(complaint)
            if clock is None:
                continue  # moved on meanwhile
            newly, _steps = _escalate(complaint, clock, now)
            marked += int(newly)
    return marked
