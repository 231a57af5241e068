"""Demo data for the supervision cycle (inspections, orders, ratings, subsidies), through the services.

Called by seed_demo after places, firms and users exist. Every step is
guarded by an existence check, so a second run writes nothing. Dates are
fixed (2026Q3 inspections, the 2026-10 payout batch) so the tour in the
README finds the same things on any machine.
"""
from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from communities.models import District, Estate
from inspections.models import Inspection, RectificationOrder
from inspections.services.inspections import inspection_save, inspection_start, inspection_submit
from inspections.services.orders import order_answer, order_issue
from inspections.services.rubrics import ensure_default_rubric
from ratings.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    ComponentKind,
    ComponentScore,
    PeriodStatus,
    RatingPeriod,
)
from ratings.services.periods import period_announce, period_publish, run_period
from ratings.services.policy import ensure_default_policy
from subsidies.models import PayoutBatch, SubsidyPolicy
from subsidies.services.generation import generate_batch

RATED_YEAR, RATED_QUARTER = 2026, 3
INSPECTION_DAYS = (datetime.date(2026, 7, 16), datetime.date(2026, 9, 10))
RUN_DAY = datetime.date(2026, 10, 5)  # the nightly job's first run after 2026Q3 (policy run day 5)
ANNOUNCE_DAY = datetime.date(2026, 10, 8)  # 公示: the appeal window runs to 10-15
PUBLISH_DAY = datetime.date(2026, 10, 20)
PROGRAMME_START = datetime.date(2026, 7, 1)
PAYOUT_MONTH = datetime.date(2026, 10, 1)


def _at(day: datetime.date) -> datetime.datetime:
    """10:00 local time on `day`: the demo's computation, announcement and publication happened on their days."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def seed_supervision(*, shanting: District, guancheng: District, managed: list[Estate], say) -> None:
    rng = random.Random(2026)
    now = timezone.now()  # the run's one clock read (rubrics, inspections, orders), passed to the services
    today = timezone.localdate(now)
    street_staff = User.objects.get(username="street_staff")
    district_admin = User.objects.get(username="district_admin")
    for district in (shanting, guancheng):
        for year in (2025, 2026):
            ensure_default_rubric(district=district, year=year, now=now)
        ensure_default_policy(district)

    # Two submitted inspections per managed estate of 山城街道 in 2026Q3.
    if not Inspection.objects.filter(estate__in=managed).exists():
        for estate in managed:
            quality = rng.choice([0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4])  # share of points lost
            for day in INSPECTION_DAYS:
                insp = inspection_start(actor=street_staff, estate=estate, kind="regular", date=day,
                                        inspectors="街道物业办检查组", today=today)
                scores = {}
                for item in insp.rubric.items.all():
                    lost = (item.max_points * Decimal(str(rng.uniform(0, quality * 2)))) / Decimal("0.5")
                    lost = min(item.max_points, lost.to_integral_value() * Decimal("0.5"))
                    scores[item.pk] = (item.max_points - lost, "现场发现问题，已告知项目负责人" if lost else "")
                inspection_save(actor=street_staff, inspection=insp, scores=scores, today=today)
                inspection_submit(actor=street_staff, inspection=insp, now=now)
        say("inspections", 2 * len(managed))

    # Rectification orders: one open, one answered and waiting for acceptance.
    if not RectificationOrder.objects.exists():
        a, b = managed[0], managed[2]
        order_issue(actor=street_staff, estate=a, problem="3 号楼楼道堆放杂物，消防通道不畅",
                    requirement="清理楼道杂物并张贴消防提示", deadline=today + datetime.timedelta(days=5), now=now)
        answered = order_issue(actor=street_staff, estate=b, problem="小区东门监控摄像头损坏",
                               requirement="一周内修复并保存维修记录",
                               deadline=today + datetime.timedelta(days=3), now=now)
        firm_user = User.objects.filter(roles__firm_id=b.firm_id).first()
        if firm_user is not None:
            order_answer(actor=firm_user, order=answered, answer="已更换摄像头，录像恢复正常", now=now)
        say("rectification orders", 2)

    # Star rating 2026: accepted applications, opinion and satisfaction scores, a published 2026Q3.
    if not Application.objects.filter(year=RATED_YEAR).exists():
        for estate in managed:
            app = Application.objects.create(firm_id=estate.firm_id, estate=estate, year=RATED_YEAR,
                                             status=ApplicationStatus.ACCEPTED, statement="申报星级评定",
                                             submitted_by=street_staff)
            for src, dst in (("", "submitted"), ("submitted", "reported"), ("reported", "accepted")):
                ApplicationEvent.objects.create(application=app, actor=street_staff if dst != "accepted"
                                                else district_admin, from_status=src, to_status=dst)
            for kind in (ComponentKind.OPINION, ComponentKind.SATISFACTION):
                ComponentScore.objects.create(estate=estate, year=RATED_YEAR, quarter=RATED_QUARTER, kind=kind,
                                              score=Decimal(rng.randint(70, 98)), entered_by=street_staff)
        say("rating applications", len(managed))
    period = RatingPeriod.objects.filter(district=shanting, year=RATED_YEAR, quarter=RATED_QUARTER).first()
    if period is None:
        period = run_period(district=shanting, year=RATED_YEAR, quarter=RATED_QUARTER, today=RUN_DAY,
                            now=_at(RUN_DAY))
        say("rating periods", 1)
    if period.status == PeriodStatus.PROVISIONAL:
        period = period_announce(actor=district_admin, period=period, today=ANNOUNCE_DAY, now=_at(ANNOUNCE_DAY))
    if period.status == PeriodStatus.ANNOUNCED and PUBLISH_DAY > period.appeal_deadline:
        period_publish(actor=district_admin, period=period, today=PUBLISH_DAY, now=_at(PUBLISH_DAY))

    # Subsidies: 山亭区 pays from 2026-07 for three years. 先考核后拨付: the 2026-10 batch settles July to
    # September on the published 2026Q3 and lists October as deferred until 2026Q4 is published.
    if not SubsidyPolicy.objects.filter(district=shanting).exists():
        SubsidyPolicy.objects.create(district=shanting, effective_from=datetime.date(2026, 1, 1),
                                     programme_start=PROGRAMME_START, programme_months=36,
                                     yearly_budget=Decimal("3000000.00"), created_by=district_admin)
    if not PayoutBatch.objects.filter(district=shanting, month=PAYOUT_MONTH).exists():
        generate_batch(district=shanting, month=PAYOUT_MONTH)
        say("payout batches", 1)
