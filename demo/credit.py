"""Demo data for firm credit (enterprises/credit/), through the credit services.

Called by seed_demo after the supervision cycle, with the demo's dates (demo/dates.py), whose own services
have already written records: an inspection of the rated quarter below the credit policy's line writes its
bad record. On top of it:

- an overdue rectification order at 樱花园 (梅岭物业, the demo `firm_user`), issued eight working days
  before the seeding day, marked overdue by the nightly job's own function the day after its deadline: its
  bad record is told to the firm, which objects; the objection waits for the city (the level above the
  district that recorded it);
- the district confirms the rated year's yearly re-check (年度复查) of one estate of each starred tier (5★, 4★,
  3★) in the rated quarter on the last working day: good records (+3, +2, +1), told to their firms, waiting
  for the district to confirm them;
- 银杉物业 with the scores 70 and 68 of the two years before this one (2024 and 2025 when seeded in 2026),
  from overdue orders and media exposures recorded and confirmed in those years, both years computed,
  reviewed and published by the city in January: the second publication lists it. Its last record is
  confirmed on the last day of last year, so the listing (until that record's publication ends) holds
  through this whole year and the tour can be walked on any day of it.

Every step is guarded by an existence check, so a second run writes nothing.
"""
from __future__ import annotations

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from communities.models import Estate
from enterprises.credit.permissions import Unit
from enterprises.credit.policy import ensure_default_credit_policy
from enterprises.credit.records import credit_objection_submit, credit_record_confirm, credit_record_create
from enterprises.credit.scores import credit_year_publish, credit_year_review, credit_year_run
from enterprises.credit.writers import credit_for_overdue_order
from enterprises.models import CreditRecord, CreditYear, Firm
from inspections.models import OrderEvent, OrderStatus, RectificationOrder
from inspections.services.orders import mark_overdue_orders, order_issue
from ratings.models import RecheckDecision, StarRating
from ratings.services.corrections import recheck_confirm

from .dates import DemoDates

OVERDUE_PROBLEM = "消防通道被电动车堵塞，消防设施缺失"
LOW_FIRM = "山亭区银杉物业服务有限公司"


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _pdf(title: str) -> ContentFile:
    return ContentFile(f"%PDF-1.4\n% {title}\n".encode(), name="媒体报道截图.pdf")


def seed_credit(*, dates: DemoDates, say) -> None:
    ensure_default_credit_policy()  # demo/policies.py made it already (from the programme start)
    today, now = dates.today, dates.now
    star_year = dates.rated.year
    street_staff = User.objects.get(username="street_staff")
    district_admin = User.objects.get(username="district_admin")
    city_admin = User.objects.get(username="city_admin")
    firm_user = User.objects.get(username="firm_user")

    # An order issued eight working days ago with a three-day limit, marked overdue by the nightly job (01:10)
    # the day after its deadline: its record told to the firm, which objects the next working day; the
    # objection waits for the city.
    if not RectificationOrder.objects.filter(problem=OVERDUE_PROBLEM).exists():
        estate = Estate.objects.get(name="樱花园")
        issued_on = dates.working_days_before_today(8)
        deadline = issued_on + datetime.timedelta(days=3)
        order = order_issue(actor=street_staff, estate=estate, problem=OVERDUE_PROBLEM,
                            requirement="三日内清理通道、补齐灭火器", deadline=deadline, now=dates.at(issued_on, 9))
        OrderEvent.objects.filter(order=order).update(at=dates.at(issued_on, 9))
        marked_at = dates.at(deadline + datetime.timedelta(days=1), 1, 10)
        mark_overdue_orders(now=marked_at)
        OrderEvent.objects.filter(order=order, to_status=OrderStatus.OVERDUE).update(at=marked_at)
        record = CreditRecord.objects.get(rule_code="order_overdue", source_id=order.pk)
        objected_on = dates.working_day_on_or_after(deadline + datetime.timedelta(days=1))
        credit_objection_submit(actor=firm_user, record=record, now=dates.at(objected_on, 11),
                                reason="该通道堵塞系临时停放，企业已于期限当日清理并补齐灭火器，现场照片已报街道。")
        say("credit objections", 1)

    # The district confirms the rated year's yearly re-check of estates starred in the published quarter.
    if not RecheckDecision.objects.exists():
        starred = []  # one estate of each starred tier (5, 4, 3) where there is one
        for tier in (5, 4, 3):
            starred += list(StarRating.objects.published().filter(period__year=star_year, tier=tier)
                            .order_by("estate_id").values_list("estate_id", flat=True)[:1])
        confirmed_at = dates.at(dates.working_days_before_today(1), 15)  # the last working day: objections still open
        for estate in Estate.objects.filter(pk__in=starred).order_by("pk"):
            recheck_confirm(actor=district_admin, estate=estate, year=star_year, now=confirmed_at,
                            note="年度复查：演示数据")
        say("credit records for stars", len(starred))

    _low_firm(today=today, now=now, district_admin=district_admin, city_admin=city_admin, say=say)


def _low_firm(*, today, now, district_admin, city_admin, say) -> None:
    """银杉物业: 70 in the year before last, 68 last year, listed when the second is published."""
    firm = Firm.objects.get(name=LOW_FIRM)
    first, second = today.year - 2, today.year - 1
    unit = Unit(district_admin.roles.get().district_id)
    if not CreditRecord.objects.filter(firm=firm, rule_code="media_exposure").exists():
        estates = list(Estate.objects.filter(firm=firm).order_by("pk"))
        staff = User.objects.get(username="street_staff")
        plan = {
            first: {"orders": [(3, 4), (6, 12), (10, 9)], "media": [(5, 20, "小区化粪池外溢被本地媒体报道"),
                                                                 (11, 3, "电梯困人处置迟缓被报道")]},
            second: {"orders": [(2, 24), (5, 11), (8, 6), (11, 17)],
                     "media": [(7, 2, "小区垃圾清运不及时被本地媒体报道"), (12, 18, "冬季供暖管道漏水处置迟缓被报道")]},
        }
        n = 0
        for year, items in plan.items():
            for i, (month, day) in enumerate(items["orders"]):
                issued = datetime.date(year, month, day)
                deadline, overdue_on = issued + datetime.timedelta(days=7), issued + datetime.timedelta(days=8)
                estate = estates[i % len(estates)]
                order = RectificationOrder.objects.create(
                    number=f"ZG{issued:%Y%m%d}-Y{i + 1:02d}", estate=estate, firm=firm, problem="楼道及地下室杂物堆积",
                    requirement="七日内清理完毕", deadline=deadline, status=OrderStatus.OVERDUE, issued_by=staff)
                RectificationOrder.objects.filter(pk=order.pk).update(issued_at=_at(issued))
                for at, src, dst, actor in ((_at(issued), "", OrderStatus.ISSUED, staff),
                                            (_at(overdue_on, 1), OrderStatus.ISSUED, OrderStatus.OVERDUE, None)):
                    ev = OrderEvent.objects.create(order=order, actor=actor, from_status=src, to_status=dst)
                    OrderEvent.objects.filter(pk=ev.pk).update(at=at)
                record = credit_for_overdue_order(order=order, today=overdue_on, now=_at(overdue_on, 1))
                credit_record_confirm(actor=district_admin, record=record,
                                      now=_at(overdue_on + datetime.timedelta(days=14)))
                n += 1
            for month, day, title in items["media"]:
                occurred = datetime.date(year, month, day)
                record = credit_record_create(actor=district_admin, firm=firm, unit=unit, rule_code="media_exposure",
                                              points=-2, title=title, detail="演示数据：媒体报道截图见附件。",
                                              occurred_on=occurred, document=_pdf(title),
                                              now=_at(occurred + datetime.timedelta(days=1)))
                # The last one is confirmed on the year's last day: its publication runs to the end of this year.
                confirm_on = (datetime.date(year, 12, 31) if (month, day) == (12, 18)
                              else occurred + datetime.timedelta(days=14))
                credit_record_confirm(actor=district_admin, record=record, now=_at(confirm_on, 16))
                n += 1
        say("credit records of 银杉物业", n)

    for year in (first, second):
        if CreditYear.objects.filter(year=year).exists():
            continue
        jan1 = datetime.date(year + 1, 1, 1)
        run_day = min(today, jan1 + datetime.timedelta(days=4))
        publish_day = min(today, jan1 + datetime.timedelta(days=14))
        # In the first days of January (before the job's day) the city does it by hand, before the seeding moment.
        cy = credit_year_run(year=year, today=run_day, now=min(now, _at(run_day, 4)))
        cy = credit_year_review(actor=city_admin, credit_year=cy, today=run_day, now=min(now, _at(run_day, 11)))
        credit_year_publish(actor=city_admin, credit_year=cy, today=publish_day, now=min(now, _at(publish_day, 15)))
        say(f"credit year {year}", 1)
