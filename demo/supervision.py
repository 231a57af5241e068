"""Demo data for the supervision cycle (inspections, orders, ratings, subsidies), through the services.

Called by seed_demo after places, firms, users and policies exist, with the demo's dates (demo/dates.py):
the scoring rubrics of every programme year, two submitted inspections of each managed estate of 山城街道
in the rated quarter (the last one whose cycle is over), the year's accepted applications with opinion and
satisfaction scores, the quarter computed on its run day, announced, its appeal window closed and then
published, the subsidy policy and the payout batch that settles the quarter, waiting to be checked. Two
rectification orders of the last working days: one open, one answered.

Each step is stamped with the moment it happened: the services take `today`/`now`; what a service stamps
with the clock itself (an event row's time, a batch's generation time) is set to that moment afterwards,
as a data keeper's backdating. Every step is guarded by an existence check, so a second run writes
nothing.
"""
from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db.models import F

from accounts.models import Role, User
from communities.models import District, Estate
from inspections.models import Inspection, OrderEvent, RectificationOrder, Rubric
from inspections.services.inspections import inspection_save, inspection_start, inspection_submit
from inspections.services.orders import order_answer, order_issue
from inspections.services.rubrics import ensure_default_rubric
from ratings.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    ComponentKind,
    ComponentScore,
    PeriodAction,
    PeriodEvent,
    RatingPeriod,
)
from ratings.services.periods import period_announce, period_publish, run_period
from subsidies.models import PayoutBatch, SubsidyPolicy
from subsidies.services.generation import generate_batch

from .dates import DemoDates

SEED = 2026
PROGRAMME_MONTHS = 36
YEARLY_BUDGET = Decimal("3000000.00")


def seed_supervision(*, dates: DemoDates, shanting: District, guancheng: District, managed: list[Estate],
                     say) -> None:
    rng = random.Random(SEED)
    rated = dates.rated
    street_staff = User.objects.get(username="street_staff")
    district_admin = User.objects.get(username="district_admin")
    for district in (shanting, guancheng):
        for year in dates.rubric_years:
            rubric = ensure_default_rubric(district=district, year=year, now=dates.rubric_activated_at(year))
            # Drafted the day it was activated (created_at is the clock's, as the service writes it).
            Rubric.objects.filter(pk=rubric.pk, created_at__gt=F("activated_at")).update(created_at=F("activated_at"))

    # Two submitted inspections per managed estate of 山城街道 in the rated quarter, each submitted that afternoon.
    if not Inspection.objects.filter(estate__in=managed).exists():
        for estate in managed:
            quality = rng.choice([0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4])  # share of points lost
            for day in rated.inspection_days:
                insp = inspection_start(actor=street_staff, estate=estate, kind="regular", date=day,
                                        inspectors="街道物业办检查组", today=day)
                scores = {}
                for item in insp.rubric.items.all():
                    lost = (item.max_points * Decimal(str(rng.uniform(0, quality * 2)))) / Decimal("0.5")
                    lost = min(item.max_points, lost.to_integral_value() * Decimal("0.5"))
                    scores[item.pk] = (item.max_points - lost, "现场发现问题，已告知项目负责人" if lost else "")
                inspection_save(actor=street_staff, inspection=insp, scores=scores, today=day)
                inspection_submit(actor=street_staff, inspection=insp, now=dates.at(day, 16))
                Inspection.objects.filter(pk=insp.pk).update(created_at=dates.at(day, 9))
        say("inspections", 2 * len(managed))

    _orders(dates=dates, managed=managed, street_staff=street_staff, say=say)
    _applications(dates=dates, managed=managed, rng=rng, street_staff=street_staff, district_admin=district_admin,
                  say=say)

    # The rated quarter: computed by the nightly job on its run day, announced the next working day, the
    # appeal window passed, published on the first working day after it.
    if not RatingPeriod.objects.filter(district=shanting).exists():
        period = run_period(district=shanting, year=rated.year, quarter=rated.quarter, today=rated.run_day,
                            now=dates.at(rated.run_day, 2))
        _stamp_events(period, PeriodAction.COMPUTE, dates.at(rated.run_day, 2))
        period = period_announce(actor=district_admin, period=period, today=rated.announce_day,
                                 now=dates.at(rated.announce_day, 10))
        _stamp_events(period, PeriodAction.ANNOUNCE, dates.at(rated.announce_day, 10))
        period = period_publish(actor=district_admin, period=period, today=rated.publish_day,
                                now=dates.at(rated.publish_day, 10))
        _stamp_events(period, PeriodAction.PUBLISH, dates.at(rated.publish_day, 10))
        say("rating periods", 1)

    # Subsidies (先考核后拨付): 山亭区 pays from the rated quarter's first month for three years; the batch
    # settles the quarter's three months on its published rating and lists any later month as deferred.
    if not SubsidyPolicy.objects.filter(district=shanting).exists():
        SubsidyPolicy.objects.create(district=shanting, effective_from=dates.programme_start,
                                     programme_start=dates.subsidy_start, programme_months=PROGRAMME_MONTHS,
                                     yearly_budget=YEARLY_BUDGET, created_by=district_admin)
    if not PayoutBatch.objects.filter(district=shanting).exists():
        batch = generate_batch(district=shanting, month=dates.batch_month)
        PayoutBatch.objects.filter(pk=batch.pk).update(generated_at=dates.batch_generated_at)
        say("payout batches", 1)


def _stamp_events(period: RatingPeriod, action: str, at: datetime.datetime) -> None:
    PeriodEvent.objects.filter(period=period, action=action).update(at=at)


def _orders(*, dates: DemoDates, managed: list[Estate], street_staff: User, say) -> None:
    """One order issued two working days ago at 梅花园 (firm_user's), open; one issued the same day at 锦绣花园
    (firm_user2's) and answered on the last working day, waiting for the street's acceptance."""
    if RectificationOrder.objects.filter(estate__in=managed, issued_by=street_staff).exists():
        return
    issued_on, answered_on = dates.working_days_before_today(2), dates.working_days_before_today(1)
    a, b = managed[0], managed[2]
    opened = order_issue(actor=street_staff, estate=a, problem="3 号楼楼道堆放杂物，消防通道不畅",
                         requirement="清理楼道杂物并张贴消防提示", deadline=dates.today + datetime.timedelta(days=5),
                         now=dates.at(issued_on, 10))
    answered = order_issue(actor=street_staff, estate=b, problem="小区东门监控摄像头损坏",
                           requirement="一周内修复并保存维修记录", deadline=dates.today + datetime.timedelta(days=3),
                           now=dates.at(issued_on, 10, 30))
    OrderEvent.objects.filter(order__in=[opened, answered]).update(at=dates.at(issued_on, 10))
    firm_user = User.objects.filter(roles__role=Role.FIRM_USER, roles__firm_id=b.firm_id).order_by("pk").first()
    if firm_user is not None:
        order_answer(actor=firm_user, order=answered, answer="已更换摄像头，录像恢复正常", now=dates.at(answered_on, 16))
        OrderEvent.objects.filter(order=answered, to_status="answered").update(at=dates.at(answered_on, 16))
    say("rectification orders", 2)


def _applications(*, dates: DemoDates, managed: list[Estate], rng: random.Random, street_staff: User,
                  district_admin: User, say) -> None:
    """The rated year's applications of the managed estates: submitted in January (by the firm's account, or
    entered by the street for a firm without one), reported by the street and accepted by the district; and
    the rated quarter's opinion and satisfaction scores, entered on the first working day after it."""
    rated = dates.rated
    if Application.objects.filter(estate__in=managed).exists():
        return
    submitted = dates.working_day_on_or_after(datetime.date(rated.year, 1, 10))
    reported = dates.working_day_on_or_after(submitted + datetime.timedelta(days=3))
    accepted = dates.working_day_on_or_after(reported + datetime.timedelta(days=5))
    firm_users = {fid: User.objects.get(pk=uid) for fid, uid in
                  User.objects.filter(roles__role=Role.FIRM_USER).values_list("roles__firm_id", "pk")}
    for estate in managed:
        applicant = firm_users.get(estate.firm_id, street_staff)
        app = Application.objects.create(firm_id=estate.firm_id, estate=estate, year=rated.year,
                                         status=ApplicationStatus.ACCEPTED, statement="申报星级评定",
                                         submitted_by=applicant)
        Application.objects.filter(pk=app.pk).update(submitted_at=dates.at(submitted, 9, 30))
        for src, dst, actor, day in (("", "submitted", applicant, submitted),
                                     ("submitted", "reported", street_staff, reported),
                                     ("reported", "accepted", district_admin, accepted)):
            event = ApplicationEvent.objects.create(application=app, actor=actor, from_status=src, to_status=dst)
            ApplicationEvent.objects.filter(pk=event.pk).update(at=dates.at(day, 9, 30))
        for kind in (ComponentKind.OPINION, ComponentKind.SATISFACTION):
            score = ComponentScore.objects.create(estate=estate, year=rated.year, quarter=rated.quarter, kind=kind,
                                                  score=Decimal(rng.randint(70, 98)), entered_by=street_staff)
            ComponentScore.objects.filter(pk=score.pk).update(entered_at=dates.at(rated.scores_day, 15))
    say("rating applications", len(managed))
