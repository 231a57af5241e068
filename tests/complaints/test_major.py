"""A major complaint (重大投诉) disqualifies the estate from the quarter's star rating, through the ratings service.

梅花园 takes part in 2025 (accepted application) with an inspection, opinion and satisfaction score of 95 in
2025Q1: 95×0.7 + 95×0.1 + 95×0.2 = 95.00 -> 5★ under the default thresholds (85 for 5★).
"""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from complaints import services as svc
from complaints.models import Action, Status
from inspections.models import Inspection, InspectionStatus
from inspections.services.rubrics import ensure_default_rubric
from ratings.models import (
    Application,
    ApplicationStatus,
    ComponentKind,
    ComponentScore,
    Disqualification,
    NoTierReason,
    StarRating,
)
from ratings.services.periods import period_announce, period_publish, run_period
from ratings.services.policy import ensure_default_policy

from .conftest import at

pytestmark = pytest.mark.django_db
AFTER_Q1 = datetime.date(2025, 4, 6)


@pytest.fixture
def rated(world):
    """梅花园 taking part in 2025Q1 with 95 everywhere."""
    ensure_default_policy(world.shanting)
    rubric = ensure_default_rubric(district=world.shanting, year=2025, now=timezone.now())
    Application.objects.create(firm=world.firm1, estate=world.estate_a1, year=2025, status=ApplicationStatus.ACCEPTED,
                               submitted_by=world.users["firm_user"])
    Inspection.objects.create(estate=world.estate_a1, rubric=rubric, date=datetime.date(2025, 2, 10), inspectors="检查组",
                              created_by=world.users["street_staff"], status=InspectionStatus.SUBMITTED,
                              total=Decimal("95.0"), submitted_at=at(2025, 2, 10, 10, 0))
    for kind in (ComponentKind.OPINION, ComponentKind.SATISFACTION):
        ComponentScore.objects.create(estate=world.estate_a1, year=2025, quarter=1, kind=kind, score=Decimal("95"),
                                      entered_by=world.users["street_staff"])
    return world


def tier(world):
    run_period(district=world.shanting, year=2025, quarter=1, today=AFTER_Q1, now=at(2025, 4, 6, 2, 0))
    r = StarRating.objects.get(period__year=2025, period__quarter=1, estate=world.estate_a1)
    return r.tier, r.no_tier_reason


def test_major_complaint_disqualifies_the_estate_and_unmarking_gives_the_tier_back(rated, make_complaint):
    w = rated
    assert tier(w) == (5, "")
    c = make_complaint(to=Status.SIGNED, at=at(2025, 3, 31, 23, 30))  # received on the last evening of Q1
    c = svc.complaint_mark_major(actor=w.users["street_staff"], complaint=c, reason="引发群体性上访",
                                 now=at(2025, 4, 1, 9, 0))
    d = c.disqualification
    assert c.major and c.major_reason == "引发群体性上访"
    assert (d.estate, d.year, d.quarter, d.occurred_on) == (w.estate_a1, 2025, 1, datetime.date(2025, 3, 31))
    assert d.reason == "“12345”市长热线等重大投诉"
    assert c.number in d.evidence and "引发群体性上访" in d.evidence
    assert Disqualification.objects.get(pk=d.pk).complaint == c  # linked both ways
    assert c.events.get(action=Action.MARK_MAJOR).data["disqualification"] == d.pk
    assert tier(w) == (0, NoTierReason.DISQUALIFIED)

    c = svc.complaint_unmark_major(actor=w.users["district_admin"], complaint=c, reason="经核实不属重大投诉",
                                   now=at(2025, 4, 5, 9, 0))
    d.refresh_from_db()
    assert not c.major and d.withdrawn_at == at(2025, 4, 5, 9, 0) and d.withdrawal_reason == "经核实不属重大投诉"
    assert tier(w) == (5, "")


def test_no_major_mark_once_the_quarter_is_published(rated, make_complaint):
    w = rated
    marked = make_complaint(to=Status.SIGNED, at=at(2025, 3, 10, 9, 0))
    marked = svc.complaint_mark_major(actor=w.users["street_staff"], complaint=marked, reason="严重影响居民生活",
                                      now=at(2025, 3, 11, 9, 0))
    other = make_complaint(to=Status.SIGNED, at=at(2025, 3, 12, 9, 0))
    period = run_period(district=w.shanting, year=2025, quarter=1, today=AFTER_Q1, now=at(2025, 4, 6, 2, 0))
    period = period_announce(actor=w.users["district_admin"], period=period, today=datetime.date(2025, 4, 8),
                             now=at(2025, 4, 8, 10, 0))
    period_publish(actor=w.users["district_admin"], period=period, today=datetime.date(2025, 4, 20),
                   now=at(2025, 4, 20, 10, 0))
    now = at(2025, 4, 21, 9, 0)
    assert svc.action_refusal(w.users["street_staff"], other, Action.MARK_MAJOR, now) == \
        "2025 年第 1 季度星级评定结果已公布，不能再认定重大投诉取消参评。"
    with pytest.raises(ValidationError, match="已公布"):
        svc.complaint_mark_major(actor=w.users["street_staff"], complaint=other, reason="影响恶劣", now=now)
    assert "已公布" in svc.action_refusal(w.users["street_staff"], marked, Action.UNMARK_MAJOR, now)
    with pytest.raises(ValidationError, match="已公布"):
        svc.complaint_unmark_major(actor=w.users["street_staff"], complaint=marked, reason="认定有误", now=now)
    marked.refresh_from_db()
    assert marked.major and marked.disqualification.withdrawn_at is None
    other.refresh_from_db()
    assert not other.major and Disqualification.objects.count() == 1


def test_who_may_mark_and_what_is_needed(rated, make_complaint):
    w = rated
    c = make_complaint(at=at(2025, 3, 10, 9, 0))
    now = at(2025, 3, 11, 9, 0)
    assert svc.action_refusal(w.users["district_staff"], c, Action.MARK_MAJOR, now) == "只有承办街道可以认定重大投诉。"
    assert svc.action_refusal(w.users["firm_user"], c, Action.MARK_MAJOR, now) is not None
    with pytest.raises(ValidationError, match="理由"):
        svc.complaint_mark_major(actor=w.users["street_staff"], complaint=c, reason="  ", now=now)
    triage = make_complaint(at=at(2025, 3, 10, 9, 0), estate=None, street=w.shancheng)
    assert svc.action_refusal(w.users["street_staff"], triage, Action.MARK_MAJOR, now) == \
        "请先确定工单所在小区，再认定重大投诉。"
    c = svc.complaint_mark_major(actor=w.users["district_admin"], complaint=c, reason="影响恶劣", now=now)
    assert svc.action_refusal(w.users["street_staff"], c, Action.MARK_MAJOR, now) == "该工单已认定为重大投诉。"
    assert Disqualification.objects.filter(estate=w.estate_a1, withdrawn_at__isnull=True).count() == 1
