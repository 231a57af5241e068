"""Street-run firms at 1★ or below (管城回族区 附件2 六(二)2): when a district publishes a quarter, every estate
managed by a street-run firm whose published result is at or below the policy's tier (no star included), or
which did not take part, gets one rectification order to its managing firm with a deadline in working days
from the policy, issued by the portal: once per (period, estate) (StreetRunOrder, unique), so publishing or
running this again adds nothing. While such an order is open the firm may not apply for demonstration
projects (selectors.demonstration_status).

Called by ratings.services.periods.period_publish inside its transaction. The order is written the way
inspections.services.orders.order_issue writes one (its number, document number, event and notice), but
issued by the system: order_issue is a street or community clerk's action on an estate in their scope."""
from __future__ import annotations

import datetime
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from communities.models import Estate
from workdays.selectors import add_working_days, local_zone

from .models import StreetRunOrder
from .services import policy_in_force


def deadline_for(today: datetime.date, days: int) -> datetime.date:
    """The Nth working day after today (today never counts), like inspections' default deadline."""
    start = datetime.datetime.combine(today, datetime.time(12), tzinfo=local_zone())
    return add_working_days(start, days).date() - datetime.timedelta(days=1)


def _issue(*, estate: Estate, problem: str, requirement: str, deadline: datetime.date, issued_by: User,
           now: datetime.datetime):
    from inspections.models import OrderEvent, OrderStatus, RectificationOrder
    from inspections.services.orders import _next_document_seq, _notice, _number

    today = timezone.localdate(now)
    order = RectificationOrder.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:24]}", estate=estate, firm_id=estate.firm_id, problem=problem,
        requirement=requirement, deadline=deadline, issued_by=issued_by)
    order.number = _number(order, today)
    order.issued_at = now
    order.doc_street_id = estate.community.street_id
    order.doc_year = today.year
    order.doc_seq = _next_document_seq(order.doc_street_id, order.doc_year)
    order.save(update_fields=["number", "issued_at", "doc_street", "doc_year", "doc_seq"])
    OrderEvent.objects.create(order=order, actor=None, from_status="", to_status=OrderStatus.ISSUED,
                              comment=_("星级评定结果公布后由平台自动下发：%(p)s") % {"p": problem})
    _notice(order, "order.issued", key=str(order.pk), actor=None,
            title=_("新的整改通知 %(n)s") % {"n": order.number},
            body=_("%(e)s：%(p)s，整改期限 %(d)s。") % {"e": estate.name, "p": problem[:80], "d": deadline})
    return order


def street_run_orders_for_period(*, period, actor: User, now: datetime.datetime) -> list[StreetRunOrder]:
    """Issue the published period's street-run orders not issued yet; returns the new ones."""
    from ratings.models import StarRating

    today = timezone.localdate(now)
    policy = policy_in_force(period.district_id, today)
    if policy is None or not policy.street_run_orders:
        return []
    tiers = dict(StarRating.objects.current().filter(period=period).values_list("estate_id", "tier"))
    done = set(StreetRunOrder.objects.filter(district_id=period.district_id, year=period.year,
                                             quarter=period.quarter).values_list("estate_id", flat=True))
    label = f"{period.year}Q{period.quarter}"
    created = []
    estates = (Estate.objects.filter(community__street__district_id=period.district_id, firm__is_street_run=True)
               .exclude(pk__in=done).select_related("community__street", "firm").order_by("pk"))
    for estate in estates:
        tier = tiers.get(estate.pk)
        if tier is not None and tier > policy.street_run_max_tier:
            continue
        if tier is None:
            problem = _("“%(e)s”未参加 %(p)s 星级评定") % {"e": estate.name, "p": label}
        elif tier == 0:
            problem = _("“%(e)s”%(p)s 星级评定未评星") % {"e": estate.name, "p": label}
        else:
            problem = _("“%(e)s”%(p)s 星级评定为 %(t)d 星级") % {"e": estate.name, "p": label, "t": tier}
        requirement = _("街道物业公司管理的小区星级评定为一星级（含）以下或拒不参加评比的，责令其管理单位限期整改；"
                        "整改期间，该企业不得申报各类物业服务示范项目。")
        try:
            with transaction.atomic():
                order = _issue(estate=estate, problem=problem, requirement=requirement,
                               deadline=deadline_for(today, policy.street_run_deadline_days), issued_by=actor,
                               now=now)
                created.append(StreetRunOrder.objects.create(
                    district_id=period.district_id, year=period.year, quarter=period.quarter, estate=estate,
                    firm_id=estate.firm_id, tier=tier, order_id=order.pk, created_at=now))
        except IntegrityError:  # a concurrent run issued it first
            continue
    return created
