"""The flow of a work order: one declared transition table, one helper that applies it, one service per step.

TRANSITIONS says, for every action, from which statuses it may be taken, the status it leads to (None: the
status stays, e.g. 催办, 延期, marks) and who may take it:

- "street": the order's street: `Complaint.objects.editable_by(user)` (the street's staff, the district's
  administrators; city administrators as everywhere in the portal);
- "firm": the firm of the current handling (`handled_by`, not ended) in the user's firm scope;
- "district": an administrator or staff member of the order's district;
- "system": the jobs (no user).

`action_refusal` answers "why may this user not take this action now" (status, who, then the action's own
condition in GUARDS); `allowed_actions` lists the actions it does not refuse (the page's buttons); every
service refuses through the same function, inside its transaction, on the locked row. `_transition` writes
the one `ComplaintEvent` of a step and sets the status; nothing else sets it.

The steps themselves: intake.py (receive, match, dispatch), handling.py (assign … close, reopen, urge,
supervise, exclude), marks.py (merge, repeated reports, major complaints), overdue.py (the hourly job).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.capabilities import roles_at
from accounts.models import User
from accounts.scope import scope_of
from communities.models import Estate
from enterprises.selectors import firm_on, spans_by_estate
from workdays.models import TimeUnit

from ..models import Action, Complaint, ComplaintEvent, Satisfaction, Status
from . import clocks

S = Status
INTAKE = frozenset({S.RECEIVED, S.DISPATCHED, S.RETURNED})          # waiting on the street
OPEN = frozenset(Status.open_values())                               # not closed, not merged
ANY_BUT_MERGED = frozenset(set(Status.values) - {S.MERGED})

WHO_LABELS = {
    "street": gettext_lazy("承办街道"),
    "firm": gettext_lazy("承办的物业企业"),
    "district": gettext_lazy("区住房保障部门"),
    "system": gettext_lazy("系统"),
}


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str | None  # None: the status stays
    who: frozenset


def _t(sources, target, *who) -> Transition:
    return Transition(frozenset(sources), target, frozenset(who))


# The transition table (declared once). RECEIVE starts an order (complaint_receive writes its event).
TRANSITIONS: dict[str, Transition] = {
    Action.MATCH: _t(INTAKE, None, "street"),
    Action.DISPATCH: _t(INTAKE, S.DISPATCHED, "district"),
    Action.ASSIGN: _t(INTAKE, S.ASSIGNED, "street"),
    Action.SIGN: _t({S.ASSIGNED}, S.SIGNED, "firm"),
    Action.RETURN: _t({S.ASSIGNED, S.SIGNED}, S.RETURNED, "firm"),
    Action.EXTEND_REQUEST: _t({S.SIGNED}, None, "firm"),
    Action.EXTEND_APPROVE: _t({S.SIGNED}, None, "street"),
    Action.EXTEND_REJECT: _t({S.SIGNED}, None, "street"),
    Action.ANSWER: _t({S.SIGNED}, S.ANSWERED, "firm"),
    Action.CALLBACK: _t({S.ANSWERED}, S.CALLED_BACK, "street"),
    # Closing straight from the street's queue (not a property matter, no serving firm) needs a reason.
    Action.CLOSE: _t(INTAKE | {S.CALLED_BACK}, S.CLOSED, "street"),
    Action.REOPEN: _t({S.CALLED_BACK}, S.ASSIGNED, "street"),
    Action.URGE: _t({S.ASSIGNED, S.SIGNED}, None, "street", "district"),
    Action.SUPERVISE: _t(OPEN, None, "district"),
    # The order merged as a report into another case (the case itself keeps its status).
    Action.MERGE: _t(OPEN, S.MERGED, "street"),
    # Marks: a disqualification is recorded by district administrators and street staff (ratings scope).
    Action.MARK_MAJOR: _t(ANY_BUT_MERGED, None, "street"),
    Action.UNMARK_MAJOR: _t(ANY_BUT_MERGED, None, "street"),
    Action.EXCLUDE: _t(ANY_BUT_MERGED, None, "district"),
    Action.OVERDUE: _t({S.ASSIGNED, S.SIGNED}, None, "system"),
    Action.FLAG_REPEATED: _t(OPEN, None, "system"),
}

# What a user may be offered, in the order of the buttons.
USER_ACTIONS = [a for a, t in TRANSITIONS.items() if "system" not in t.who]


# --- who -------------------------------------------------------------------------------------------------

def actor_kinds(user: User | None, complaint: Complaint) -> frozenset:
    """The kinds of TRANSITIONS.who this user is for this order (one query at most)."""
    if user is None:
        return frozenset({"system"})
    scope = scope_of(user)
    if scope.is_empty:
        return frozenset()
    # A page asks for several actions of one order: the answer is kept on the instance for as long as the
    # things it depends on (street, handling) are unchanged. A service always asks on a freshly locked copy.
    key = (user.pk, complaint.street_id, complaint.handled_by_id)
    cache = complaint.__dict__.setdefault("_actor_kinds", {})
    if key not in cache:
        cache[key] = _actor_kinds(user, scope, complaint)
    return cache[key]


def _actor_kinds(user: User, scope, complaint: Complaint) -> frozenset:
    kinds = set()
    if Complaint.objects.editable_by(user).filter(pk=complaint.pk).exists():
        kinds.add("street")
    handling = complaint.handled_by if complaint.handled_by_id else None
    if handling is not None and handling.ended_at is None and handling.firm_id in scope.ids("firm", edit=True):
        kinds.add("firm")
    district_id = complaint.street.district_id
    if any(scope.holds(r, district_id) for r in roles_at("complaints.district", "district")):
        kinds.add("district")
    return frozenset(kinds)


# --- the conditions of each action beyond status and who ---------------------------------------------------

def _serving_firm_id(estate: Estate, day: datetime.date) -> int | None:
    return firm_on(spans_by_estate([estate.pk]).get(estate.pk, []), day)


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _unit_label(unit: str) -> str:
    return str(TimeUnit(unit).label)


def _fmt(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _guard_assign(c: Complaint, now) -> str | None:
    if c.estate_id is None:
        return _("请先确定工单所在小区（待分拣），再派单至企业。")
    if _serving_firm_id(c.estate, _local_day(now)) is None:
        return _("小区“%(e)s”目前没有服务企业，不能派单至企业；可由街道直接处理后办结。") % {"e": c.estate.name}
    return None


def _guard_return(c: Complaint, now) -> str | None:
    limit = clocks.return_deadline(c)
    if limit is not None and now >= limit:
        return _("退单须在派单后 %(n)d %(u)s内（%(d)s 前）提出，现已超过退单时限。") % {
            "n": c.policy.return_within, "u": _unit_label(c.policy.return_within_unit), "d": _fmt(limit)}
    return None


def _guard_extend_request(c: Complaint, now) -> str | None:
    if c.extension_requested is not None:
        return _("已有一项延期申请待街道审批。")
    p = c.policy
    if c.extended_total >= p.extension_max:
        return _("累计延期已达上限 %(n)d %(u)s，不能再申请延期。") % {
            "n": p.extension_max, "u": _unit_label(p.extension_max_unit)}
    if c.answer_due_at and now >= c.answer_due_at:
        return _("答复期限（%(d)s）已过，不能再申请延期。") % {"d": _fmt(c.answer_due_at)}
    return None


def _guard_extend_decide(c: Complaint, now) -> str | None:
    if c.extension_requested is None:
        return _("没有待审批的延期申请。")
    return None


def _guard_reopen(c: Complaint, now) -> str | None:
    if c.satisfaction != Satisfaction.UNSATISFIED:
        return _("只有回访结果为“不满意”的工单可以重办。")
    return _guard_assign(c, now)


def _guard_supervise(c: Complaint, now) -> str | None:
    return _("该工单已是督办件。") if c.supervised else None


def _guard_mark_major(c: Complaint, now) -> str | None:
    if c.major:
        return _("该工单已认定为重大投诉。")
    if c.estate_id is None:
        return _("请先确定工单所在小区，再认定重大投诉。")
    from .marks import published_quarter_refusal

    return published_quarter_refusal(c)


def _guard_unmark_major(c: Complaint, now) -> str | None:
    if not c.major:
        return _("该工单未认定为重大投诉。")
    if c.disqualification_id is not None:
        from ratings.services.scores import withdrawal_refusal

        return withdrawal_refusal(None, c.disqualification)
    return None


def _guard_exclude(c: Complaint, now) -> str | None:
    if c.excluded:
        return _("该工单已标记为不计入考核（%(k)s）。") % {"k": c.get_excluded_display()}
    return None


GUARDS = {
    Action.ASSIGN: _guard_assign,
    Action.RETURN: _guard_return,
    Action.EXTEND_REQUEST: _guard_extend_request,
    Action.EXTEND_APPROVE: _guard_extend_decide,
    Action.EXTEND_REJECT: _guard_extend_decide,
    Action.REOPEN: _guard_reopen,
    Action.SUPERVISE: _guard_supervise,
    Action.MARK_MAJOR: _guard_mark_major,
    Action.UNMARK_MAJOR: _guard_unmark_major,
    Action.EXCLUDE: _guard_exclude,
}


def _refusal(kinds: frozenset, complaint: Complaint, action: str, now) -> str | None:
    t = TRANSITIONS.get(action)
    label = Action(action).label if action in Action.values else action
    if t is None:
        return _("未知的操作“%(a)s”。") % {"a": label}
    if complaint.status not in t.sources:
        return _("工单当前状态为“%(s)s”，不能%(a)s。") % {"s": complaint.get_status_display(), "a": label}
    if not kinds & t.who:
        who = "、".join(str(WHO_LABELS[w]) for w in sorted(t.who))
        return _("只有%(who)s可以%(a)s。") % {"who": who, "a": label}
    guard = GUARDS.get(action)
    return guard(complaint, now) if guard else None


def action_refusal(user: User | None, complaint: Complaint, action: str, now: datetime.datetime) -> str | None:
    """Why `user` may not take `action` on this order now (None: may). The page shows it beside the button."""
    return _refusal(actor_kinds(user, complaint), complaint, action, now)


def allowed_actions(user: User | None, complaint: Complaint, now: datetime.datetime) -> list[str]:
    """The actions `user` may take on this order now, in button order (Action values)."""
    kinds = actor_kinds(user, complaint)
    if not kinds:
        return []
    return [a for a in USER_ACTIONS if _refusal(kinds, complaint, a, now) is None]


# --- the helper ------------------------------------------------------------------------------------------

def _locked(actor: User | None, complaint: Complaint) -> Complaint:
    """The order, locked (its own row only) and re-read; outside the actor's scope it is not found."""
    qs = Complaint.objects.all() if actor is None else Complaint.objects.visible_to(actor)
    found = (qs.select_for_update(of=("self",))
             .select_related("policy", "street", "estate", "handled_by", "category", "disqualification")
             .filter(pk=complaint.pk).first())
    if found is None:
        raise ValidationError(_("未找到该工单，或该工单不在您的管辖范围内。"))
    return found


def _transition(complaint: Complaint, action: str, *, actor: User | None, now: datetime.datetime,
                comment: str = "", data: dict | None = None) -> ComplaintEvent:
    """Refuse what the table (and the action's condition) does not allow, else write the event and set the
    status. The caller holds the row lock (`_locked`), saves the order and then calls `notices.handoff`."""
    refusal = action_refusal(actor, complaint, action, now)
    if refusal:
        raise ValidationError(refusal)
    t = TRANSITIONS[action]
    before = complaint.status
    if t.target is not None:
        complaint.status = t.target
    return ComplaintEvent.objects.create(complaint=complaint, action=action, actor=actor, at=now,
                                         from_status=before, to_status=complaint.status,
                                         comment=(comment or "").strip(), data=data or {})


def _text(value: str, field: str, message: str, max_length: int = 2000) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    if len(value) > max_length:
        raise ValidationError({field: _("内容过长（最多 %(n)d 字）。") % {"n": max_length}})
    return value


def _check_aware(now: datetime.datetime) -> None:
    if now is None or timezone.is_naive(now):
        raise ValueError("services take an aware `now`")
