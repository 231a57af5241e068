"""The facts other apps report, in the words of the credit file: one function per automatic rule, each a
call of `records.credit_record_auto` (one record per rule and source; rerunning adds nothing). The other
apps' services call these at the moment the fact happens, inside their own transaction:

- inspections.services.orders.mark_overdue_orders -> credit_for_overdue_order
- inspections.services.inspections.inspection_submit -> credit_for_inspection (below the policy's line,
  at most once per estate and quarter)
- ratings.services.scores.disqualify -> credit_for_disqualification (a major complaint disqualifies the
  estate through it, complaints.services.marks, so it gets exactly one record too);
  disqualification_withdraw -> credit_for_disqualification_withdrawn
- ratings.services.corrections.recheck_confirm -> credit_for_recheck: the estate's yearly result (the mean
  of its published quarters, confirmed by the district) at 3★, 4★ or 5★. The yearly result, not each
  quarter: one record per estate and year, the one the district confirms, after any plaque revocation.
"""
from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from enterprises.selectors import firm_on, spans_by_estate

from ..models import CreditRecord
from .policy import DISQUALIFIED, INSPECTION_BELOW_60, ORDER_OVERDUE, STAR_RULES, policy_for
from .records import credit_record_auto, credit_records_source_withdrawn


def _serving(estate, day: datetime.date) -> int | None:
    """The firm that served the estate on `day` (enterprises.selectors: the one definition), else its firm now."""
    return firm_on(spans_by_estate([estate.pk]).get(estate.pk, []), day) or estate.firm_id


def credit_for_overdue_order(*, order, today: datetime.date, now: datetime.datetime) -> CreditRecord | None:
    estate = order.estate
    return credit_record_auto(
        rule_code=ORDER_OVERDUE, firm=order.firm_id, source=order, estate=estate, occurred_on=today, now=now,
        title=_("整改通知 %(n)s 逾期未整改（%(e)s，整改期限 %(d)s）") % {
            "n": order.number, "e": estate.name, "d": order.deadline.strftime("%Y-%m-%d")},
        detail=order.problem)


def credit_for_inspection(*, inspection, now: datetime.datetime) -> CreditRecord | None:
    if inspection.total is None:
        return None
    line = policy_for(inspection.date).inspection_line
    if inspection.total >= line:
        return None
    estate = inspection.estate
    quarter = (inspection.date.month - 1) // 3 + 1
    return credit_record_auto(
        rule_code=INSPECTION_BELOW_60, firm=_serving(estate, inspection.date), source=inspection, estate=estate,
        key=f"estate:{estate.pk}:{inspection.date.year}Q{quarter}", occurred_on=inspection.date, now=now,
        recorded_by=inspection.created_by,
        title=_("%(e)s %(d)s 检查总分 %(t)s 分，低于 %(l)d 分（%(y)d 年第 %(q)d 季度）") % {
            "e": estate.name, "d": inspection.date.strftime("%Y-%m-%d"), "t": inspection.total, "l": line,
            "y": inspection.date.year, "q": quarter})


def credit_for_disqualification(*, disqualification, now: datetime.datetime) -> CreditRecord | None:
    d = disqualification
    return credit_record_auto(
        rule_code=DISQUALIFIED, firm=_serving(d.estate, d.occurred_on), source=d, estate=d.estate,
        occurred_on=d.occurred_on, now=now, recorded_by=d.recorded_by,
        title=_("%(e)s %(y)d 年第 %(q)d 季度被取消参评资格：%(r)s") % {
            "e": d.estate.name, "y": d.year, "q": d.quarter, "r": d.reason},
        detail=d.evidence)


def credit_for_disqualification_withdrawn(*, disqualification, reason: str, now: datetime.datetime,
                                          actor: User | None) -> int:
    return credit_records_source_withdrawn(
        source=disqualification, now=now, actor=actor,
        reason=_("取消参评记录已撤销：%(r)s") % {"r": reason})


def credit_for_recheck(*, decision, firm_id: int | None, now: datetime.datetime) -> CreditRecord | None:
    code = STAR_RULES.get(decision.tier_after)
    if code is None:
        return None
    return credit_record_auto(
        rule_code=code, firm=firm_id, source=decision, estate=decision.estate, now=now,
        occurred_on=timezone.localdate(decision.decided_at), recorded_by=decision.decided_by,
        title=_("%(e)s %(y)d 年度星级评定为%(t)d星级（年度复查确认，年度得分 %(s)s）") % {
            "e": decision.estate.name, "y": decision.year, "t": decision.tier_after, "s": decision.mean_score})
