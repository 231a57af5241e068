"""A firm's scope follows the days it served (issue 9, item 3).

梅花园 is served by firm 甲 from 2025-01-01; 甲 leaves on 2025-04-25 (its last day) and 乙 serves from
2025-04-26. 甲 keeps everything of 2025Q1 and Q2 (it served days of both) and sees nothing of 乙's days;
乙 sees 2025Q2 on, and nothing from before its contract began (the 2025-03 inspection, 2025Q1).
"""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enterprises.services import contract_create, contract_end
from inspections.models import Inspection, InspectionStatus
from inspections.services.rubrics import ensure_default_rubric
from ratings.models import (
    Application,
    ApplicationStatus,
    ComponentKind,
    ComponentScore,
    PeriodStatus,
    RatingPeriod,
    StarRating,
)
from ratings.services.policy import ensure_default_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed(world):
    w = world
    rubric = ensure_default_rubric(district=w.shanting, year=2025, now=timezone.now())
    policy = ensure_default_policy(w.shanting)
    w.app = Application.objects.create(firm=w.firm1, estate=w.estate_a1, year=2025, submitted_by=w.users["firm_user"],
                                       status=ApplicationStatus.ACCEPTED)
    w.insp = {}
    for day in (datetime.date(2024, 12, 2), datetime.date(2025, 3, 10), datetime.date(2025, 4, 25),
                datetime.date(2025, 4, 26), datetime.date(2025, 5, 10)):
        w.insp[day] = Inspection.objects.create(
            estate=w.estate_a1, rubric=rubric, date=day, inspectors="检查组", created_by=w.users["street_staff"],
            status=InspectionStatus.SUBMITTED, total=Decimal("90"), submitted_at=timezone.now())
    w.ratings = {}
    for year, quarter in ((2024, 4), (2025, 1), (2025, 2), (2025, 3)):
        period = RatingPeriod.objects.create(district=w.shanting, year=year, quarter=quarter, policy=policy,
                                             computed_at=timezone.now(), status=PeriodStatus.PUBLISHED)
        w.ratings[(year, quarter)] = StarRating.objects.create(period=period, estate=w.estate_a1, firm=w.firm1,
                                                               tier=5, score=Decimal("90"), inspection_score=Decimal("90"), opinion_score=Decimal("90"),
            satisfaction_score=Decimal("90"), inspection_count=1, computed_at=timezone.now())
        ComponentScore.objects.create(estate=w.estate_a1, year=year, quarter=quarter, kind=ComponentKind.OPINION,
                                      score=Decimal("90"), entered_by=w.users["street_staff"])
    actor = w.users["street_staff"]
    contract_end(actor=actor, contract=w.contract_a1, data={
        "ended_on": datetime.date(2025, 4, 25), "handover_date": datetime.date(2025, 4, 25),
        "handover_note": "资料、钥匙已移交", "handover_received_by": "社区居委会"})
    w.firm2.is_filed, w.firm2.filed_on = True, datetime.date(2020, 1, 1)
    w.firm2.save()
    contract_create(actor=actor, estate=w.estate_a1, data={
        "firm": w.firm2, "start_date": datetime.date(2025, 4, 26), "end_date": datetime.date(2028, 4, 25),
        "fee_standard": Decimal("1.20"), "bond": Decimal("50000")})
    return w


def quarters(qs):
    return sorted((r.period.year, r.period.quarter) for r in qs)


def test_leaving_firm_keeps_its_quarters_and_new_firm_sees_only_its_own(changed):
    w = changed
    assert quarters(StarRating.objects.visible_to(w.users["firm_user"])) == [(2025, 1), (2025, 2)]
    assert quarters(StarRating.objects.visible_to(w.users["firm_user2"])) == [(2025, 2), (2025, 3)]
    assert sorted((c.year, c.quarter) for c in ComponentScore.objects.visible_to(w.users["firm_user2"])) == [
        (2025, 2), (2025, 3)]
    seen1 = sorted(i.date for i in Inspection.objects.visible_to(w.users["firm_user"]))
    seen2 = sorted(i.date for i in Inspection.objects.visible_to(w.users["firm_user2"]))
    assert seen1 == [datetime.date(2025, 3, 10), datetime.date(2025, 4, 25)]
    assert seen2 == [datetime.date(2025, 4, 26), datetime.date(2025, 5, 10)]


def test_rating_pages_follow_the_days_served(changed, client):
    w = changed
    q1 = reverse("ratings:rating_detail", args=[w.ratings[(2025, 1)].pk])
    client.force_login(w.users["firm_user2"])
    assert client.get(q1).status_code == 404  # before 乙's contract began
    assert client.get(reverse("inspections:inspection_detail", args=[w.insp[datetime.date(2025, 3, 10)].pk])
                      ).status_code == 404
    client.force_login(w.users["firm_user"])
    assert client.get(q1).status_code == 200  # 甲 keeps its own after leaving
    assert client.get(reverse("inspections:inspection_detail", args=[w.insp[datetime.date(2025, 5, 10)].pk])
                      ).status_code == 404  # 乙's days


def test_new_firm_takes_over_the_estates_application_with_an_event(changed):
    w = changed
    w.app.refresh_from_db()
    assert w.app.firm == w.firm2
    assert w.app.status == ApplicationStatus.ACCEPTED
    event = w.app.events.order_by("-pk").first()
    assert "山亭甲物业服务有限公司 → 山亭乙物业服务有限公司" in event.comment
    assert Application.objects.visible_to(w.users["firm_user2"]).filter(pk=w.app.pk).exists()
