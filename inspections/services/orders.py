"""Rectification orders (整改通知): a table of allowed transitions, an event row for each."""
from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notices import Place, handoff
from accounts.scope import scope_of
from communities.models import Estate, Street
from communities.selectors import current_policy
from enterprises.credit.writers import credit_for_overdue_order
from workdays.models import TimeUnit
from workdays.selectors import add_working_days, local_zone

from ..models import (
    Inspection,
    InspectionStatus,
    OrderEvent,
    OrderPhoto,
    OrderStatus,
    RectificationOrder,
    RubricItem,
)
from .inspections import INSPECTING_LEVELS, inspectable_estates, validate_image

S = OrderStatus
# action -> (allowed from-statuses, to-status, who may do it)
TRANSITIONS: dict[str, tuple[frozenset, str, str]] = {
    "answer": (frozenset({S.ISSUED, S.RETURNED, S.OVERDUE}), S.ANSWERED, "firm"),
    "accept": (frozenset({S.ANSWERED}), S.CLOSED, "street"),
    "reject": (frozenset({S.ANSWERED}), S.RETURNED, "street"),
    "mark_overdue": (frozenset({S.ISSUED, S.RETURNED}), S.OVERDUE, "system"),
    "cancel": (frozenset({S.ISSUED, S.RETURNED, S.OVERDUE}), S.CANCELLED, "street"),
}


def allowed_actions(order: RectificationOrder, user: User) -> list[str]:
    """Actions this user may take on this order now (for the buttons on the page)."""
    out = []
    for action, (sources, _to, who) in TRANSITIONS.items():
        if order.status in sources and who != "system" and _may_act(user, order, who):
            out.append(action)
    return out


def _may_act(user: User, order: RectificationOrder, who: str) -> bool:
    if who == "firm":
        return order.firm_id in scope_of(user).ids("firm", edit=True)
    if who == "street":
        return RectificationOrder.objects.editable_by(user).filter(pk=order.pk).exists()
    return False


def _transition(*, order: RectificationOrder, action: str, actor: User | None, comment: str = "") -> OrderEvent:
    sources, target, who = TRANSITIONS[action]
    if order.status not in sources:
        raise ValidationError(
            _("整改通知当前状态为“%(s)s”，不能执行此操作。") % {"s": order.get_status_display()}
        )
    if who != "system" and (actor is None or not _may_act(actor, order, who)):
        raise ValidationError(_("您无权对该整改通知执行此操作。"))
    event = OrderEvent.objects.create(order=order, actor=actor, from_status=order.status, to_status=target,
                                      comment=comment)
    order.status = target
    return event


def _locked(order: RectificationOrder) -> RectificationOrder:
    return RectificationOrder.objects.select_for_update().get(pk=order.pk)


def _number(order: RectificationOrder, today: datetime.date) -> str:
    # Built from the primary key: unique without a race between two clerks.
    return f"ZG{today:%Y%m%d}-{order.pk:06d}"


def _next_document_seq(street_id: int, year: int) -> int:
    """The next sequence of the street's 整改通知书 in that year. The caller's transaction holds a row lock on
    the street, so two clerks of one street take turns here; the unique constraint (doc_street, doc_year,
    doc_seq) refuses a duplicate should anything bypass the lock (SQLite has no row locks but writes one
    transaction at a time)."""
    Street.objects.select_for_update(of=("self",)).filter(pk=street_id).values_list("pk", flat=True).get()
    last = (RectificationOrder.objects.filter(doc_street_id=street_id, doc_year=year)
            .aggregate(m=Max("doc_seq"))["m"])
    return (last or 0) + 1


def default_deadline(estate: Estate, *, today: datetime.date) -> datetime.date:
    """The district policy's deadline: N calendar days after today, or the Nth working day after
    today on the working-day calendar (today never counts) when the policy counts working days."""
    policy = current_policy(estate.community.street.district_id, today)
    days = policy.rectification_deadline_days if policy else 7
    if policy is not None and policy.rectification_deadline_unit == TimeUnit.WORKING_DAYS:
        # add_working_days gives 24:00 of the Nth working day (00:00 of the day after, local time);
        # the order's deadline is a date, that Nth working day. Any moment of today counts the same.
        start = datetime.datetime.combine(today, datetime.time(12), tzinfo=local_zone())
        return add_working_days(start, days).date() - datetime.timedelta(days=1)
    return today + datetime.timedelta(days=days)


@transaction.atomic
def order_issue(*, actor: User, estate: Estate, problem: str, deadline: datetime.date | None = None,
                requirement: str = "", inspection: Inspection | None = None, item: RubricItem | None = None,
                photos: list | None = None, now: datetime.datetime) -> RectificationOrder:
    """Issue an order to the estate's serving firm, from an inspection (or one of its items) or on its own.

    `now` is the moment of issue: it stamps the order, dates its number and is the "today" the deadline
    is counted from and checked against."""
    estate = inspectable_estates(actor).select_for_update().filter(pk=estate.pk).first()
    if estate is None:
        raise ValidationError(_("该小区不在您的管辖范围内。"))
    if estate.firm_id is None:
        raise ValidationError(_("该小区目前没有服务企业，无法下发整改通知。"))
    if not problem.strip():
        raise ValidationError({"problem": _("请填写存在的问题。")})
    today = timezone.localdate(now)
    deadline = deadline or default_deadline(estate, today=today)
    if deadline < today:
        raise ValidationError({"deadline": _("整改期限不能早于今天。")})
    if inspection is not None:
        if inspection.estate_id != estate.pk:
            raise ValidationError(_("检查记录与小区不一致。"))
        if inspection.status != InspectionStatus.SUBMITTED:
            raise ValidationError(_("请先提交检查，再据此下发整改通知。"))
    if item is not None and (inspection is None or item.rubric_id != inspection.rubric_id):
        raise ValidationError(_("检查项目不属于该检查的评分细则。"))
    for upload in photos or []:
        validate_image(upload)
    order = RectificationOrder.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:24]}", estate=estate, firm_id=estate.firm_id, inspection=inspection, item=item,
        problem=problem.strip(), requirement=requirement.strip(), deadline=deadline, issued_by=actor,
    )
    order.number = _number(order, today)
    order.issued_at = now  # the field is auto_now_add: set on this first update, not by the clock of create()
    # The issuing unit is the estate's street office; the year is the year of issue.
    order.doc_street_id = estate.community.street_id
    order.doc_year = today.year
    order.doc_seq = _next_document_seq(order.doc_street_id, order.doc_year)
    order.save(update_fields=["number", "issued_at", "doc_street", "doc_year", "doc_seq"])
    OrderEvent.objects.create(order=order, actor=actor, from_status="", to_status=S.ISSUED, comment=problem.strip())
    if inspection is not None and item is not None:
        for p in inspection.photos.filter(item=item):
            OrderPhoto.objects.create(order=order, side="problem", image=p.image.name, uploaded_by=p.uploaded_by)
    for upload in photos or []:
        OrderPhoto.objects.create(order=order, side="problem", image=upload, uploaded_by=actor)
    _notice(order, "order.issued", key=str(order.pk), actor=actor, title=_("新的整改通知 %(n)s") % {"n": order.number},
            body=_("%(estate)s：%(problem)s，整改期限 %(d)s。") % {
                "estate": estate.name, "problem": order.problem[:80], "d": deadline})
    return order


@transaction.atomic
def order_answer(*, actor: User, order: RectificationOrder, answer: str, photos: list | None = None,
                 now: datetime.datetime) -> RectificationOrder:
    order = _locked(order)
    if not answer.strip():
        raise ValidationError({"answer": _("请填写整改情况。")})
    for upload in photos or []:
        validate_image(upload)
    event = _transition(order=order, action="answer", actor=actor, comment=answer.strip())
    order.answer = answer.strip()
    order.answered_at = now
    order.save(update_fields=["status", "answer", "answered_at"])
    for upload in photos or []:
        OrderPhoto.objects.create(order=order, side="answer", image=upload, uploaded_by=actor)
    _notice(order, "order.answered", key=f"{order.pk}:{event.pk}", actor=actor,
            title=_("整改通知 %(n)s 已回复，待验收") % {"n": order.number}, body=order.answer[:120])
    return order


@transaction.atomic
def order_accept(*, actor: User, order: RectificationOrder, comment: str = "",
                 followup_inspection: Inspection | None = None, now: datetime.datetime) -> RectificationOrder:
    order = _locked(order)
    if followup_inspection is not None and followup_inspection.estate_id != order.estate_id:
        raise ValidationError(_("复查检查必须是同一小区的检查。"))
    _transition(order=order, action="accept", actor=actor, comment=comment)
    order.closed_at = now
    order.followup_inspection = followup_inspection
    order.save(update_fields=["status", "closed_at", "followup_inspection"])
    _notice(order, "order.accepted", key=str(order.pk), actor=actor,
            title=_("整改通知 %(n)s 已验收关闭") % {"n": order.number}, body=comment)
    return order


@transaction.atomic
def order_reject(*, actor: User, order: RectificationOrder, reason: str) -> RectificationOrder:
    order = _locked(order)
    if not reason.strip():
        raise ValidationError({"reason": _("退回时请填写原因。")})
    event = _transition(order=order, action="reject", actor=actor, comment=reason.strip())
    order.save(update_fields=["status"])
    _notice(order, "order.returned", key=f"{order.pk}:{event.pk}", actor=actor,
            title=_("整改通知 %(n)s 被退回重改") % {"n": order.number}, body=reason.strip())
    return order


@transaction.atomic
def order_cancel(*, actor: User, order: RectificationOrder, reason: str, now: datetime.datetime) -> RectificationOrder:
    order = _locked(order)
    if not reason.strip():
        raise ValidationError({"reason": _("撤销时请填写原因。")})
    _transition(order=order, action="cancel", actor=actor, comment=reason.strip())
    order.closed_at = now
    order.save(update_fields=["status", "closed_at"])
    _notice(order, "order.cancelled", key=str(order.pk), actor=actor,
            title=_("整改通知 %(n)s 已撤销") % {"n": order.number}, body=reason.strip())
    return order


def mark_overdue_orders(*, now: datetime.datetime) -> int:
    """Daily job: orders past their deadline become overdue; firm and street are told once.

    `now` is the job's moment (the task reads the clock once); an order is overdue when its deadline
    is before `now`'s local date, and the credit record is dated that day and stamped `now`.
    Each order is handled in its own transaction under a row lock, so two
    workers, or a second run, neither double-mark nor double-notify.
    """
    today = timezone.localdate(now)
    ids = list(
        RectificationOrder.objects.filter(status__in=TRANSITIONS["mark_overdue"][0], deadline__lt=today)
        .values_list("pk", flat=True)
    )
    marked = 0
    for pk in ids:
        with transaction.atomic():
            order = RectificationOrder.objects.select_for_update().get(pk=pk)
            if order.status not in TRANSITIONS["mark_overdue"][0] or order.deadline >= today:
                continue  # someone else moved it meanwhile
            _transition(order=order, action="mark_overdue", actor=None,
                        comment=_("超过整改期限 %(d)s 未回复") % {"d": order.deadline})
            order.save(update_fields=["status"])
            title = _("整改通知 %(n)s 已逾期") % {"n": order.number}
            body = _("%(estate)s 的整改通知已超过期限 %(d)s。") % {"estate": order.estate.name, "d": order.deadline}
            # Once per order (an order returned after its deadline and overdue again is not told twice).
            _notice(order, "order.overdue", key=str(order.pk), actor=None, title=title, body=body)
            # The firm's credit file: one bad record per order (idempotent), the firm told of it.
            credit_for_overdue_order(order=order, today=today, now=now)
            marked += 1
    return marked


def _order_url(order):
    return reverse("inspections:order_detail", args=[order.pk])


def _notice(order: RectificationOrder, event: str, *, key: str, actor: User | None, title: str, body: str = "") -> int:
    """Tell whoever accounts.notices.HANDOFFS names for this step of the order: the firm it was issued to,
    the street of its estate."""
    street_id = Estate.objects.filter(pk=order.estate_id).values_list("community__street_id", flat=True).first()
    return handoff(event, place=Place.of(firms=[order.firm_id], streets=[street_id]), key=key, title=title,
                   body=body, url=_order_url(order), actor=actor)


__all__ = ["TRANSITIONS", "allowed_actions", "order_issue", "order_answer", "order_accept", "order_reject",
           "order_cancel", "mark_overdue_orders", "default_deadline", "INSPECTING_LEVELS"]
