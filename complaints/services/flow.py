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
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accounts.scope import scope_of
from communities.models import Estate, Street
from enterprises.selectors import firm_on, spans_by_estate
from workdays.models import TimeUnit

from ..models import (
    Action,
    AttachmentKind,
    Category,
    Complaint,
    ComplaintEvent,
    Exclusion,
    FirmHandling,
    MatterType,
    Satisfaction,
    Source,
    Status,
    Urgency,
)
from ..numbers import new_number, new_tracking_code
from . import clocks, notices
from .attachments import attachment_check, attachment_save
from .policy import policy_on

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
    kinds = set()
    if Complaint.objects.editable_by(user).filter(pk=complaint.pk).exists():
        kinds.add("street")
    handling = complaint.handled_by if complaint.handled_by_id else None
    if handling is not None and handling.ended_at is None and handling.firm_id in scope.ids("firm", edit=True):
        kinds.add("firm")
    district_id = complaint.street.district_id
    if scope.holds(Role.DISTRICT_ADMIN, district_id) or scope.holds(Role.DISTRICT_STAFF, district_id):
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


# --- intake ------------------------------------------------------------------------------------------------

def _may_receive(actor: User, street: Street) -> bool:
    scope = scope_of(actor)
    if scope.city_admin or scope.holds(Role.STREET_STAFF, street.pk):
        return True
    if scope.holds(Role.DISTRICT_ADMIN, street.district_id) or scope.holds(Role.DISTRICT_STAFF, street.district_id):
        return True
    communities = scope.by_role.get(Role.COMMUNITY_CLERK)
    return bool(communities) and street.communities.filter(pk__in=communities).exists()


@transaction.atomic
def complaint_receive(*, actor: User | None, street: Street, source: str, received_at: datetime.datetime,
                      category: Category, title: str, content: str, now: datetime.datetime,
                      matter_type: str = MatterType.COMPLAINT, urgency: str = Urgency.NORMAL,
                      external_no: str = "", address: str = "", estate: Estate | None = None,
                      complainant_name: str = "", complainant_phone: str = "", confidential: bool = False,
                      raw=None, import_run=None, files=()) -> Complaint:
    """Register an order in the street's queue (status 待派单). `actor` None: the public form or an import job.

    The policy in force on the received day times it to the end; the firm is the one serving the estate on
    the received day. With an estate, repeated reports on it are checked (complaints_flag_repeated).
    """
    _check_aware(now)
    if actor is not None and not _may_receive(actor, street):
        raise ValidationError(_("您不能为“%(s)s”登记投诉。") % {"s": street.name})
    errors = {}
    if source not in Source.values:
        errors["source"] = _("来源无效。")
    if matter_type not in MatterType.values:
        errors["matter_type"] = _("诉求类型无效。")
    if urgency not in Urgency.values:
        errors["urgency"] = _("紧急程度无效。")
    if category is None or not getattr(category, "active", False):
        errors["category"] = _("请选择有效的投诉类别。")
    if received_at is None or timezone.is_naive(received_at):
        errors["received_at"] = _("请填写受理时间。")
    elif received_at > now + datetime.timedelta(minutes=5):
        errors["received_at"] = _("受理时间不能晚于当前时间。")
    title = (title or "").strip()
    content = (content or "").strip()
    if not title:
        errors["title"] = _("请填写标题。")
    elif len(title) > 200:
        errors["title"] = _("标题最多 200 字。")
    if not content:
        errors["content"] = _("请填写诉求内容。")
    elif len(content) > 5000:
        errors["content"] = _("诉求内容最多 5000 字。")
    external_no = (external_no or "").strip()
    if len(external_no) > 50:
        errors["external_no"] = _("工单编号最多 50 个字符。")
    complainant_name = (complainant_name or "").strip()
    complainant_phone = (complainant_phone or "").strip()
    if len(complainant_name) > 50:
        errors["complainant_name"] = _("姓名最多 50 字。")
    if len(complainant_phone) > 30:
        errors["complainant_phone"] = _("联系电话最多 30 个字符。")
    if len((address or "").strip()) > 300:
        errors["address"] = _("地址最多 300 字。")
    if errors:
        raise ValidationError(errors)
    if estate is not None:
        estate = Estate.objects.select_related("community__street").get(pk=estate.pk)
        if estate.community.street.district_id != street.district_id:
            raise ValidationError({"estate": _("小区“%(e)s”不在%(d)s，不能登记到该街道。") % {
                "e": estate.name, "d": street.district}})
        street = estate.community.street
    if external_no and Complaint.objects.filter(source=source, external_no=external_no).exists():
        raise ValidationError({"external_no": _("来源“%(s)s”的工单编号 %(n)s 已登记。") % {
            "s": Source(source).label, "n": external_no}})
    for upload in files or ():
        attachment_check(upload)
    day = _local_day(received_at)
    complaint = Complaint(
        source=source, external_no=external_no, received_at=received_at, matter_type=matter_type,
        category=category, urgency=urgency, title=title, content=content, address=(address or "").strip(),
        street=street, estate=estate, firm_id=_serving_firm_id(estate, day) if estate else None,
        match_score=100 if estate else None,
        complainant_name=complainant_name, complainant_phone=complainant_phone, confidential=bool(confidential),
        raw=raw, import_run=import_run, created_by=actor, status=S.RECEIVED,
        policy=policy_on(street.district, day),
    )
    for attempt in range(5):  # random numbers: a collision is retried, never a race for "the next number"
        complaint.number = new_number(timezone.localtime(received_at))
        complaint.tracking_code = new_tracking_code()
        try:
            with transaction.atomic():
                complaint.save(force_insert=True)
            break
        except IntegrityError:
            complaint.pk = None
            if attempt == 4:
                raise
    event = ComplaintEvent.objects.create(complaint=complaint, action=Action.RECEIVE, actor=actor, at=now,
                                          from_status="", to_status=S.RECEIVED,
                                          data={"source": source, "external_no": external_no})
    for upload in files or ():
        attachment_save(complaint=complaint, uploaded_file=upload, kind=AttachmentKind.COMPLAINT, actor=actor,
                        now=now, event=event, checked=True)
    notices.handoff(complaint, event, actor)
    if estate is not None:
        from .marks import complaints_flag_repeated

        complaints_flag_repeated(estate_ids=[estate.pk], now=now)
        complaint.refresh_from_db(fields=["supervision_flagged"])
    return complaint


@transaction.atomic
def complaint_match(*, actor: User, complaint: Complaint, estate: Estate, now: datetime.datetime) -> Complaint:
    """Triage: place the order on an estate of its district; it moves to the estate's street."""
    complaint = _locked(actor, complaint)
    estate = Estate.objects.select_related("community__street").filter(pk=getattr(estate, "pk", None)).first()
    if estate is None:
        raise ValidationError({"estate": _("请选择小区。")})
    if estate.community.street.district_id != complaint.street.district_id:
        raise ValidationError({"estate": _("只能选择%(d)s的小区。") % {"d": complaint.street.district}})
    before = {"estate": complaint.estate_id, "street": complaint.street_id}
    event = _transition(complaint, Action.MATCH, actor=actor, now=now, comment=estate.name,
                        data={"from": before, "estate": estate.pk, "street": estate.community.street_id})
    complaint.estate = estate
    complaint.street = estate.community.street
    complaint.firm_id = _serving_firm_id(estate, _local_day(complaint.received_at))
    complaint.match_score = None  # placed by hand
    complaint.save(update_fields=["estate", "street", "firm", "match_score"])
    notices.handoff(complaint, event, actor)
    from .marks import complaints_flag_repeated

    complaints_flag_repeated(estate_ids=[estate.pk], now=now)
    return complaint


@transaction.atomic
def complaint_dispatch(*, actor: User, complaint: Complaint, street: Street, now: datetime.datetime,
                       comment: str = "") -> Complaint:
    """The district hands the order to a street of the district."""
    complaint = _locked(actor, complaint)
    street = Street.objects.filter(pk=getattr(street, "pk", None)).first()
    if street is None or street.district_id != complaint.street.district_id:
        raise ValidationError({"street": _("只能派至本区的街道。")})
    if complaint.estate_id and complaint.estate.community.street_id != street.pk:
        raise ValidationError({"street": _("工单已确定小区“%(e)s”，只能派至其所在街道。") % {"e": complaint.estate.name}})
    event = _transition(complaint, Action.DISPATCH, actor=actor, now=now, comment=comment,
                        data={"street": street.pk, "from_street": complaint.street_id})
    complaint.street = street
    complaint.save(update_fields=["status", "street"])
    notices.handoff(complaint, event, actor)
    return complaint


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
