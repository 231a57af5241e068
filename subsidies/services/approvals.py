"""The approval chain: generated → checked → approved → disbursed to streets → passed on to firms."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import allows, roles_at
from accounts.models import User
from accounts.notices import Place, handoff
from accounts.scope import scope_of

from ..models import Adjustment, BatchEvent, BatchStatus, PassOn, Payout, PayoutBatch, PayoutKind

B = BatchStatus
# action -> (from, to, roles that may do it for the batch's district: accounts/capabilities.py)
TRANSITIONS = {
    "check": (frozenset({B.GENERATED}), B.CHECKED, set(roles_at("subsidies.check", "district"))),
    "approve": (frozenset({B.CHECKED}), B.APPROVED, set(roles_at("subsidies.approve", "district"))),
    "disburse": (frozenset({B.APPROVED}), B.DISBURSED, set(roles_at("subsidies.disburse", "district"))),
    "reject_check": (frozenset({B.CHECKED}), B.GENERATED, set(roles_at("subsidies.approve", "district"))),
    "reject_approval": (frozenset({B.APPROVED}), B.CHECKED, set(roles_at("subsidies.approve", "district"))),
}

# action -> the event of accounts.notices.HANDOFFS it is (who is told)
NOTICE_EVENTS = {"check": "batch.checked", "approve": "batch.approved", "disburse": "batch.disbursed",
                 "reject_check": "batch.check_returned", "reject_approval": "batch.approval_returned"}


def batch_notice(batch: PayoutBatch, event_name: str, *, key: str, actor: User | None, body: str = "") -> int:
    """Tell whoever HANDOFFS names for this step of the batch: the district's people, or the streets that
    have money to pass on (their lines with a firm and a non-zero sum)."""
    streets = {r["street_id"] for r in pass_on_due(batch)} if event_name in ("batch.approved",
                                                                            "batch.disbursed") else ()
    title = {
        "batch.generated": _("%(d)s %(m)s 补贴批次已生成，请审核"),
        "batch.checked": _("%(d)s %(m)s 补贴批次已审核，请审批"),
        "batch.check_returned": _("%(d)s %(m)s 补贴批次审核被退回，请重新审核"),
        "batch.approval_returned": _("%(d)s %(m)s 补贴批次批准被撤回，请重新审批"),
        "batch.approved": _("%(d)s %(m)s 补贴批次已批准，待区里拨付"),
        "batch.disbursed": _("%(d)s %(m)s 补贴已拨付到街道，请拨付给企业并登记"),
    }[event_name] % {"d": batch.district.name, "m": f"{batch.month:%Y-%m}"}
    return handoff(event_name, place=Place.of(streets=streets, districts=[batch.district_id]), key=key,
                   title=title, body=body[:500], url=reverse("subsidies:batch_detail", args=[batch.pk]), actor=actor)


def _may(user: User, batch: PayoutBatch, roles) -> bool:
    scope = scope_of(user)
    return scope.city_admin or any(scope.holds(r, batch.district_id) for r in roles)


def allowed_actions(batch: PayoutBatch, user: User) -> list[str]:
    return [a for a, (src, _to, roles) in TRANSITIONS.items() if batch.status in src and _may(user, batch, roles)]


@transaction.atomic
def batch_transition(*, actor: User, batch: PayoutBatch, action: str, comment: str = "",
                     override_reason: str = "", disbursed_on: datetime.date | None = None,
                     voucher: str = "", today: datetime.date | None = None) -> PayoutBatch:
    today = today or timezone.localdate()
    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    if action not in TRANSITIONS:
        raise ValidationError(_("未知操作。"))
    sources, target, roles = TRANSITIONS[action]
    if batch.status not in sources:
        raise ValidationError(_("批次当前状态为“%(s)s”，不能执行此操作。") % {"s": batch.get_status_display()})
    if not _may(actor, batch, roles):
        raise ValidationError(_("您无权对该批次执行此操作。"))
    if action.startswith("reject") and not comment.strip():
        raise ValidationError({"comment": _("退回时请填写原因。")})
    if action == "approve" and batch.over_budget:
        if not override_reason.strip():
            from ..selectors import budget_use  # selectors import this module

            over = [u for u in budget_use(batch) if u["over"]] or budget_use(batch)
            raise ValidationError({"override_reason": "；".join(_(
                "%(y)d 年度：本批次 %(n)s 元加上此前批次 %(e)s 元共 %(t)s 元，超出年度预算 %(b)s 元") % {
                "y": u["year"], "n": f"{u['this']:,}", "e": f"{u['earlier']:,}", "t": f"{u['earlier'] + u['this']:,}",
                "b": f"{u['budget']:,}"} for u in over) + _("；如确需批准，请填写超预算理由。")})
        batch.budget_override_reason = override_reason.strip()
    if action == "disburse":
        if disbursed_on is None or not voucher.strip():
            raise ValidationError(_("请填写拨付日期和凭证号。"))
        if disbursed_on > today:
            raise ValidationError({"disbursed_on": _("拨付日期不能晚于今天。")})
        batch.disbursed_on, batch.disbursement_voucher = disbursed_on, voucher.strip()
    note = comment.strip() or override_reason.strip() or voucher.strip()
    event = BatchEvent.objects.create(batch=batch, actor=actor, from_status=batch.status, to_status=target,
                                      comment=note)
    batch.status = target
    batch.save()
    batch_notice(batch, NOTICE_EVENTS[action], key=str(event.pk), actor=actor, body=note)
    return batch


def pass_on_due(batch: PayoutBatch):
    """(street_id, firm_id, amount) the streets must pass on: lines with a firm and a non-zero sum."""
    return (batch.lines.filter(firm__isnull=False).values("street_id", "firm_id")
            .annotate(amount=Sum("amount")).exclude(amount=0).order_by("street_id", "firm_id"))


@transaction.atomic
def pass_on_record(*, actor: User, batch: PayoutBatch, street_id: int, firm_id: int, paid_on: datetime.date,
                   voucher: str, today: datetime.date | None = None) -> PassOn:
    today = today or timezone.localdate()
    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != B.DISBURSED:
        raise ValidationError(_("区里拨付到街道后，街道才能登记拨付给企业。"))
    if not allows(actor, "subsidies.pass_on", level="street", unit_id=street_id):
        raise ValidationError(_("只能登记本街道的拨付。"))
    due = {(r["street_id"], r["firm_id"]): r["amount"] for r in pass_on_due(batch)}
    if (street_id, firm_id) not in due:
        raise ValidationError(_("该企业在本批次本街道没有应拨付的补贴。"))
    if not voucher.strip():
        raise ValidationError({"voucher": _("请填写凭证号。")})
    if paid_on > today or (batch.disbursed_on and paid_on < batch.disbursed_on):
        raise ValidationError({"paid_on": _("拨付日期应在区拨付日期之后、今天之前。")})
    if PassOn.objects.filter(batch=batch, street_id=street_id, firm_id=firm_id).exists():
        raise ValidationError(_("该企业的拨付已登记。"))
    record = PassOn.objects.create(batch=batch, street_id=street_id, firm_id=firm_id, amount=due[(street_id, firm_id)],
                                   paid_on=paid_on, voucher=voucher.strip(), recorded_by=actor)
    handoff("batch.passed_on", place=Place.of(firms=[firm_id], streets=[street_id]), key=str(record.pk),
            title=_("%(m)s 效能补贴 %(a)s 元已由街道拨付给贵企业") % {"m": f"{batch.month:%Y-%m}",
                                                                    "a": f"{record.amount:,}"},
            body=_("拨付日期 %(d)s，凭证号 %(v)s") % {"d": paid_on, "v": record.voucher},
            url=reverse("subsidies:mine"), actor=actor)
    if PassOn.objects.filter(batch=batch).count() == len(due):
        BatchEvent.objects.create(batch=batch, actor=actor, from_status=batch.status, to_status=B.COMPLETED,
                                  comment=_("各街道已全部拨付至企业"))
        batch.status = B.COMPLETED
        batch.save(update_fields=["status"])
    return record


def payout_edit(*, actor: User, payout: Payout, **changes) -> None:
    """Lines are never edited in place: a clear refusal that says what to do instead."""
    payout = Payout.objects.select_related("batch").get(pk=payout.pk)
    if payout.batch.status == B.GENERATED:
        raise ValidationError(_("未审核的批次请修正基础数据后“重新生成”，不能手工修改金额。"))
    raise ValidationError(_("已批准的补贴金额不能修改；如需更正，请登记调整，调整将计入下一批次。"))


@transaction.atomic
def adjustment_create(*, actor: User, original: Payout, delta, reason: str) -> Adjustment:
    # Lock the original: two clerks adjusting the same line at once are checked one after the other.
    original = Payout.objects.select_for_update(of=("self",)).select_related("batch").get(pk=original.pk)
    if original.kind != PayoutKind.REGULAR:
        raise ValidationError(_("只能对月度补贴明细登记调整。"))
    if original.batch.status not in (B.APPROVED, B.DISBURSED, B.COMPLETED):
        raise ValidationError(_("批次尚未批准，请修正基础数据后重新生成，无需调整。"))
    if not allows(actor, "subsidies.adjust", level="district", unit_id=original.batch.district_id):
        raise ValidationError(_("只有本区管理员可以登记调整。"))
    try:
        delta = Decimal(str(delta))
    except Exception:
        raise ValidationError({"delta": _("调整金额必须是数字。")})
    if delta == 0 or delta != delta.quantize(Decimal("0.01")):
        raise ValidationError({"delta": _("调整金额不能为 0，且最多两位小数。")})
    # The original and all its adjustments (paid or waiting for the next batch) never net below zero.
    adjusted = (original.adjustments.aggregate(s=Sum("amount"))["s"] or Decimal("0")) + (
        Adjustment.objects.filter(original=original, line__isnull=True).aggregate(s=Sum("delta"))["s"] or Decimal("0"))
    if original.amount + adjusted + delta < 0:
        raise ValidationError({"delta": _(
            "原金额 %(o)s 元，已调整 %(a)s 元，本次调整 %(d)s 元后为 %(n)s 元，调整后金额不能为负数。") % {
            "o": f"{original.amount:,}", "a": f"{adjusted:,}", "d": f"{delta:,}",
            "n": f"{original.amount + adjusted + delta:,}"}})
    if not reason.strip():
        raise ValidationError({"reason": _("请填写调整原因。")})
    return Adjustment.objects.create(original=original, delta=delta, reason=reason.strip(), created_by=actor)
