"""Maintenance-fund applications: the street submits → district staff review → the district admin approves
→ the district disburses; returned to the street (which corrects and resubmits, or withdraws).

The amounts are computed here and nowhere else (`quote`, also used by the form's 核算 step):
granted = area × per-㎡, matched = granted × the district's ratio, each rounded half-up to the fen.
Every step locks its row, checks the state and the actor's role for the application's street or
district, writes one event row and tells the next people (accounts.notices HANDOFFS, "maintenance.*").
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.money import round_half_up
from accounts.notices import Place, handoff
from accounts.scope import scope_of
from communities.models import Estate

from ..models import ApplicationEvent, ApplicationStatus, Collector, FundApplication
from ..selectors import Eligibility, budget_use, eligibility, may_apply

S = ApplicationStatus
DISTRICT = frozenset({Role.DISTRICT_STAFF, Role.DISTRICT_ADMIN})
# action -> (from, to, roles that may do it: street roles for the application's street, district roles
# for its district; city administrators may do every step)
TRANSITIONS = {
    "review": (frozenset({S.SUBMITTED}), S.REVIEWED, DISTRICT),
    "approve": (frozenset({S.REVIEWED}), S.APPROVED, frozenset({Role.DISTRICT_ADMIN})),
    "disburse": (frozenset({S.APPROVED}), S.DISBURSED, DISTRICT),
    "return": (frozenset({S.SUBMITTED, S.REVIEWED}), S.RETURNED, DISTRICT),
    "withdraw": (frozenset({S.SUBMITTED, S.RETURNED}), S.WITHDRAWN, frozenset({Role.STREET_STAFF})),
}
# action -> the event of accounts.notices.HANDOFFS it is (who is told)
NOTICE_EVENTS = {"submit": "maintenance.submitted", "resubmit": "maintenance.submitted",
                 "review": "maintenance.reviewed", "approve": "maintenance.approved",
                 "disburse": "maintenance.disbursed", "return": "maintenance.returned",
                 "withdraw": "maintenance.withdrawn"}
TWO_PLACES = Decimal("0.01")


# --- the amounts ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Quote:
    area: Decimal
    has_lift: bool
    per_sqm: Decimal
    cap: Decimal
    match_ratio: Decimal
    granted: Decimal
    matched: Decimal

    @property
    def total(self) -> Decimal:
        return self.granted + self.matched


def _decimal(value, name: str, errors: dict, label: str) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        errors[name] = [_("%(l)s必须是数字。") % {"l": label}]
        return None
    if not number.is_finite() or number <= 0:
        errors[name] = [_("%(l)s必须大于 0。") % {"l": label}]
        return None
    if number != number.quantize(TWO_PLACES):
        errors[name] = [_("%(l)s最多两位小数。") % {"l": label}]
        return None
    return number.quantize(TWO_PLACES)  # stored with two places: the same figures in memory and in the table


def quote(elig: Eligibility, *, area, has_lift: bool, per_sqm) -> Quote:
    """The amounts for an eligible estate, or a ValidationError naming each rule broken (field by field)."""
    if not elig.eligible:
        raise ValidationError(elig.refusals)
    errors: dict = {}
    area = _decimal(area, "area", errors, _("申请面积"))
    per_sqm = _decimal(per_sqm, "per_sqm", errors, _("交存标准"))
    policy, estate = elig.policy, elig.estate
    if has_lift and not estate.has_lift:
        errors["has_lift"] = [_("“%(e)s”登记为无电梯小区，只能按非电梯房标准（不高于 %(c)s 元/㎡）申请。") % {
            "e": estate.name, "c": policy.no_lift_cap}]
    cap = policy.cap_for(has_lift)
    if per_sqm is not None and per_sqm > cap:
        errors["per_sqm"] = [_("交存标准 %(p)s 元/㎡ 超过%(k)s上限 %(c)s 元/㎡。") % {
            "p": f"{per_sqm:.2f}", "k": _("电梯房") if has_lift else _("非电梯房"), "c": cap}]
    if area is not None:
        if area > elig.area:
            errors["area"] = [_("申请面积 %(a)s ㎡ 超过小区总建筑面积 %(t)s ㎡。") % {
                "a": f"{area:,.2f}", "t": f"{elig.area:,.2f}"}]
        elif area > elig.area_left:
            errors["area"] = [_("本年度该小区已申请 %(u)s ㎡，加上本次 %(a)s ㎡ 超过小区总建筑面积 %(t)s ㎡"
                                "（本年度最多还可申请 %(l)s ㎡）。") % {
                "u": f"{elig.area_used:,.2f}", "a": f"{area:,.2f}", "t": f"{elig.area:,.2f}", "l": f"{elig.area_left:,.2f}"}]
    if errors:
        raise ValidationError(errors)
    granted = round_half_up(area * per_sqm)
    matched = round_half_up(granted * policy.match_ratio)
    return Quote(area=area, has_lift=has_lift, per_sqm=per_sqm, cap=cap, match_ratio=policy.match_ratio,
                 granted=granted, matched=matched)


def _clean_text(repair_items: str, collector: str) -> tuple[str, str]:
    errors = {}
    if not (repair_items or "").strip():
        errors["repair_items"] = [_("请填写维修项目。")]
    if collector not in Collector.values:
        errors["collector"] = [_("请选择归集单位。")]
    if errors:
        raise ValidationError(errors)
    return repair_items.strip(), collector


def _apply_quote(app: FundApplication, elig: Eligibility, q: Quote) -> None:
    app.area, app.has_lift, app.per_sqm = q.area, q.has_lift, q.per_sqm
    app.policy, app.cutoff_year, app.cap, app.match_ratio = elig.policy, elig.cutoff_year, q.cap, q.match_ratio
    app.granted, app.matched = q.granted, q.matched


# --- submit and resubmit ---------------------------------------------------------------------------------------

def _locked_estate(estate: Estate) -> Estate:
    # The estate's row lock puts two submissions for one estate one after the other; the second then
    # meets the first as its open application (and the partial unique constraint backs that up).
    return (Estate.objects.select_for_update(of=("self",)).select_related("community__street__district")
            .get(pk=estate.pk))


@transaction.atomic
def application_submit(*, actor: User, estate: Estate, area, has_lift: bool, per_sqm, repair_items: str,
                       collector: str, today: datetime.date) -> FundApplication:
    estate = _locked_estate(estate)
    street = estate.community.street
    if not may_apply(actor, street.pk):
        raise ValidationError(_("只能由小区所在街道申请维修资金。"))
    elig = eligibility(estate, today=today)
    repair_items, collector = _clean_text(repair_items, collector)
    q = quote(elig, area=area, has_lift=has_lift, per_sqm=per_sqm)
    app = FundApplication(estate=estate, street=street, district=street.district, year=today.year,
                          collector=collector, repair_items=repair_items, submitted_by=actor, submitted_on=today)
    _apply_quote(app, elig, q)
    app._history_user = actor
    try:
        with transaction.atomic():
            app.save()
    except IntegrityError:
        raise ValidationError(_("“%(e)s”已有一份在办的维修资金申请，办结或撤回后才能再次申请。") % {
            "e": estate.name}) from None
    event = ApplicationEvent.objects.create(application=app, actor=actor, to_status=S.SUBMITTED,
                                            comment=_summary(app))
    _notice(app, "submit", event, actor)
    return app


@transaction.atomic
def application_resubmit(*, actor: User, application: FundApplication, area, has_lift: bool, per_sqm,
                         repair_items: str, collector: str, today: datetime.date) -> FundApplication:
    """The street corrects a returned application; the rules and amounts are those in force `today`."""
    app = FundApplication.objects.select_for_update(of=("self",)).get(pk=application.pk)
    estate = _locked_estate(app.estate)
    if app.status != S.RETURNED:
        raise ValidationError(_("申请当前状态为“%(s)s”，只有被退回的申请可以修改后重新提交。") % {
            "s": app.get_status_display()})
    if not may_apply(actor, app.street_id):
        raise ValidationError(_("只能由小区所在街道修改申请。"))
    elig = eligibility(estate, today=today, exclude=app.pk)
    repair_items, collector = _clean_text(repair_items, collector)
    q = quote(elig, area=area, has_lift=has_lift, per_sqm=per_sqm)
    _apply_quote(app, elig, q)
    app.repair_items, app.collector = repair_items, collector
    app.year, app.submitted_on, app.submitted_by = today.year, today, actor
    app.status = S.SUBMITTED
    app._history_user = actor
    app.save()
    event = ApplicationEvent.objects.create(application=app, actor=actor, from_status=S.RETURNED,
                                            to_status=S.SUBMITTED, comment=_summary(app))
    _notice(app, "resubmit", event, actor)
    return app


def _summary(app: FundApplication) -> str:
    return _("%(a)s ㎡ × %(p)s 元/㎡ = %(g)s 元，区财政配套 %(m)s 元") % {
        "a": f"{app.area:,.2f}", "p": f"{app.per_sqm:.2f}", "g": f"{app.granted:,.2f}", "m": f"{app.matched:,.2f}"}


# --- the chain -------------------------------------------------------------------------------------------------

def _may(user: User, app: FundApplication, roles) -> bool:
    scope = scope_of(user)
    if scope.city_admin:
        return True
    return any(scope.holds(r, app.street_id if r == Role.STREET_STAFF else app.district_id) for r in roles)


def allowed_actions(app: FundApplication, user: User) -> list[str]:
    return [a for a, (src, _to, roles) in TRANSITIONS.items() if app.status in src and _may(user, app, roles)]


def may_resubmit(app: FundApplication, user: User) -> bool:
    return app.status == S.RETURNED and may_apply(user, app.street_id)


@transaction.atomic
def application_transition(*, actor: User, application: FundApplication, action: str, comment: str = "",
                           override_reason: str = "", disbursed_on: datetime.date | None = None, voucher: str = "",
                           today: datetime.date) -> FundApplication:
    app = FundApplication.objects.select_for_update(of=("self",)).select_related("estate", "district").get(
        pk=application.pk)
    if action not in TRANSITIONS:
        raise ValidationError(_("未知操作。"))
    sources, target, roles = TRANSITIONS[action]
    if app.status not in sources:
        raise ValidationError(_("申请当前状态为“%(s)s”，不能执行此操作。") % {"s": app.get_status_display()})
    if not _may(actor, app, roles):
        raise ValidationError(_("您无权对该申请执行此操作。"))
    comment = (comment or "").strip()
    if action == "return" and not comment:
        raise ValidationError({"comment": _("退回时请填写原因。")})
    if action == "approve":
        use = budget_use(app)
        if use["over"]:
            if not (override_reason or "").strip():
                raise ValidationError({"override_reason": _(
                    "%(y)d 年度区财政配套：已批准 %(e)s 元，加上本申请 %(n)s 元共 %(t)s 元，超出年度预算 %(b)s 元；"
                    "如确需批准，请填写超预算理由。") % {
                    "y": use["year"], "e": f"{use['earlier']:,.2f}", "n": f"{use['this']:,.2f}",
                    "t": f"{use['with_this']:,.2f}", "b": f"{use['budget']:,.2f}"}})
            app.budget_override_reason = override_reason.strip()
        app.approved_on = today
    if action == "disburse":
        voucher = (voucher or "").strip()
        if disbursed_on is None or not voucher:
            raise ValidationError(_("请填写拨付日期和拨付凭证号。"))
        if disbursed_on > today:
            raise ValidationError({"disbursed_on": _("拨付日期不能晚于今天。")})
        if app.approved_on and disbursed_on < app.approved_on:
            raise ValidationError({"disbursed_on": _("拨付日期不能早于批准日期 %(d)s。") % {"d": app.approved_on}})
        app.disbursed_on, app.disbursement_voucher = disbursed_on, voucher
    note = comment or (override_reason or "").strip()
    if action == "disburse":
        note = _("拨付 %(t)s 元（核定 %(g)s 元 + 区财政配套 %(m)s 元），凭证号 %(v)s") % {
            "t": f"{app.total:,.2f}", "g": f"{app.granted:,.2f}", "m": f"{app.matched:,.2f}", "v": app.disbursement_voucher}
        if comment:
            note = f"{note}；{comment}"
    event = ApplicationEvent.objects.create(application=app, actor=actor, from_status=app.status,
                                            to_status=target, comment=note)
    app.status = target
    app._history_user = actor
    app.save()
    _notice(app, action, event, actor)
    return app


def _notice(app: FundApplication, action: str, event: ApplicationEvent, actor: User) -> int:
    """Tell whoever HANDOFFS names for this step (once per event row, never the actor)."""
    name = NOTICE_EVENTS[action]
    title = {
        "maintenance.submitted": _("%(s)s 提交了“%(e)s”维修资金申请，请审核"),
        "maintenance.reviewed": _("“%(e)s”维修资金申请已审核，请审批"),
        "maintenance.approved": _("“%(e)s”维修资金申请已批准，待区里拨付"),
        "maintenance.disbursed": _("“%(e)s”维修资金已拨付"),
        "maintenance.returned": _("“%(e)s”维修资金申请被退回，请修改后重新提交"),
        "maintenance.withdrawn": _("%(s)s 撤回了“%(e)s”维修资金申请"),
    }[name] % {"s": app.street.name, "e": app.estate.name}
    return handoff(name, place=Place.of(streets=[app.street_id], districts=[app.district_id]), key=str(event.pk),
                   title=title, body=event.comment[:500],
                   url=reverse("maintenance:application_detail", args=[app.pk]), actor=actor)
