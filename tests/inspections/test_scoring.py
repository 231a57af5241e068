"""Inspection totals, worked out by hand; drafts, submission, corrections, scope."""
import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inspections.models import Inspection, InspectionStatus
from inspections.services.inspections import (
    inspection_correct,
    inspection_save,
    inspection_start,
    inspection_submit,
)
from inspections.services.rubrics import ensure_default_rubric

from .conftest import score_all

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def start(world, persona="street_staff", estate=None):
    return inspection_start(actor=world.users[persona], estate=estate or world.estate_a1, kind="regular",
                            date=TODAY, inspectors="张三、李四", today=TODAY)


def test_total_is_the_sum_of_item_scores_worked_example(world, rubric):
    # Default rubric: 1.1 = 4 pts, 1.2 = 4, 2.1 = 6 (环境: first item).  Deductions:
    # 1.1: 4 -> 3.5 (-0.5); 1.2: 4 -> 0 (-4); 2.1: 6 -> 4.5 (-1.5).  Total = 100 - 6 = 94.0
    clerk = world.users["street_staff"]
    insp = start(world)
    assert [(i.code, i.max_points) for i in rubric.items.filter(code__in=["1.1", "1.2", "2.1"])] == [
        ("1.1", Decimal("4.0")), ("1.2", Decimal("4.0")), ("2.1", Decimal("6.0"))]
    inspection_save(actor=clerk, inspection=insp,
                    scores=score_all(rubric, {"1.1": "3.5", "1.2": "0", "2.1": "4.5"}), today=TODAY)
    inspection_submit(actor=clerk, inspection=insp, now=timezone.now())
    insp.refresh_from_db()
    assert insp.total == Decimal("94.0")
    assert insp.status == InspectionStatus.SUBMITTED and insp.submitted_at is not None


def test_all_zero_inspection_totals_zero(world, rubric):
    clerk = world.users["street_staff"]
    insp = start(world)
    inspection_save(actor=clerk, inspection=insp, scores={i.pk: ("0", "全部缺失") for i in rubric.items.all()},
                    today=TODAY)
    inspection_submit(actor=clerk, inspection=insp, now=timezone.now())
    insp.refresh_from_db()
    assert insp.total == Decimal("0.0")


@pytest.mark.parametrize("raw, message", [("5", "不能超过该项分值 4.0"), ("-0.5", "不能为负数"),
                                          ("1.3", "0.5 的整数倍"), ("abc", "不是数字"), ("NaN", "不是数字")])
def test_bad_scores_are_refused_and_nothing_is_saved(world, rubric, raw, message):
    clerk = world.users["street_staff"]
    insp = start(world)
    first = rubric.items.order_by("category__order", "order").first()
    second = rubric.items.order_by("category__order", "order")[1]
    with pytest.raises(ValidationError, match=message):
        inspection_save(actor=clerk, inspection=insp, scores={second.pk: ("3", ""), first.pk: (raw, "")}, today=TODAY)
    # The valid score in the same request was not written either.
    assert not insp.scores.filter(score__isnull=False).exists()


def test_submit_with_an_unscored_item_is_refused(world, rubric):
    clerk = world.users["street_staff"]
    insp = start(world)
    scores = score_all(rubric)
    scores.pop(next(iter(scores)))
    inspection_save(actor=clerk, inspection=insp, scores=scores, today=TODAY)
    with pytest.raises(ValidationError, match="还有 1 项未评分"):
        inspection_submit(actor=clerk, inspection=insp, now=timezone.now())
    insp.refresh_from_db()
    assert insp.status == InspectionStatus.DRAFT and insp.total is None


def test_submitted_inspection_is_locked(world, rubric):
    clerk = world.users["street_staff"]
    insp = start(world)
    inspection_save(actor=clerk, inspection=insp, scores=score_all(rubric), today=TODAY)
    inspection_submit(actor=clerk, inspection=insp, now=timezone.now())
    with pytest.raises(ValidationError, match="已提交"):
        inspection_save(actor=clerk, inspection=insp, scores=score_all(rubric, {"1.1": "0"}), today=TODAY)


def test_correction_supersedes_the_original_when_submitted(world, rubric):
    clerk = world.users["street_staff"]
    insp = start(world)
    inspection_save(actor=clerk, inspection=insp, scores=score_all(rubric), today=TODAY)
    inspection_submit(actor=clerk, inspection=insp, now=timezone.now())
    fix = inspection_correct(actor=clerk, inspection=insp, reason="第 1.1 项录入错误")
    assert fix.supersedes == insp and fix.status == InspectionStatus.DRAFT
    item = rubric.items.order_by("category__order", "order").first()
    inspection_save(actor=clerk, inspection=fix, scores={item.pk: ("1", "合同未备案")}, today=TODAY)
    insp.refresh_from_db()
    assert insp.status == InspectionStatus.SUBMITTED  # still counts until the fix is submitted
    inspection_submit(actor=clerk, inspection=fix, now=timezone.now())
    insp.refresh_from_db()
    fix.refresh_from_db()
    assert insp.status == InspectionStatus.SUPERSEDED and insp.total == Decimal("100.0")
    assert fix.total == Decimal("97.0")
    assert list(Inspection.objects.counted().filter(estate=world.estate_a1)) == [fix]


def test_correction_needs_a_reason(world, rubric):
    clerk = world.users["street_staff"]
    insp = start(world)
    inspection_save(actor=clerk, inspection=insp, scores=score_all(rubric), today=TODAY)
    inspection_submit(actor=clerk, inspection=insp, now=timezone.now())
    with pytest.raises(ValidationError, match="更正原因"):
        inspection_correct(actor=clerk, inspection=insp, reason="  ")


@pytest.mark.parametrize("persona", ["street_staff2", "firm_user", "district_staff", "district_admin_gc"])
def test_inspection_of_an_estate_outside_scope_is_refused(world, rubric, persona):
    with pytest.raises(ValidationError, match="不在您的管辖范围"):
        start(world, persona=persona)
    assert not Inspection.objects.exists()


def test_community_clerk_inspects_own_community_only(world, rubric):
    assert start(world, persona="community_clerk", estate=world.estate_a1).pk
    with pytest.raises(ValidationError):
        start(world, persona="community_clerk", estate=world.estate_a2)


def test_future_date_is_refused(world, rubric):
    with pytest.raises(ValidationError):
        inspection_start(actor=world.users["street_staff"], estate=world.estate_a1, kind="regular",
                         date=TODAY + datetime.timedelta(days=1), inspectors="张三", today=TODAY)


def test_no_active_rubric_gives_a_clear_message(world):
    with pytest.raises(ValidationError, match="尚未启用评分细则"):
        start(world)


def test_firm_sees_submitted_inspections_of_its_estates_but_not_drafts(world, rubric):
    clerk = world.users["street_staff"]
    draft = start(world)
    done = start(world)
    inspection_save(actor=clerk, inspection=done, scores=score_all(rubric), today=TODAY)
    inspection_submit(actor=clerk, inspection=done, now=timezone.now())
    assert list(Inspection.objects.visible_to(world.users["firm_user"])) == [done]
    assert not Inspection.objects.visible_to(world.users["firm_user2"]).exists()
    assert set(Inspection.objects.visible_to(clerk)) == {draft, done}


# --- time is an input: the services judge by the `today`/`now` they are given, never the clock ----------------
# FAR is years away from the real clock and time is NOT frozen here: a service reading the clock would refuse
# a 2031 inspection date as "later than today" and stamp the real moment.
FAR = datetime.datetime(2031, 6, 2, 16, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_inspection_dates_are_judged_against_the_given_today_and_submission_stamped_with_the_given_now(world):
    clerk = world.users["street_staff"]
    rubric = ensure_default_rubric(district=world.shanting, year=2031, now=FAR)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        inspection_start(actor=clerk, estate=world.estate_a1, kind="regular", date=datetime.date(2031, 6, 3),
                         inspectors="张三", today=FAR.date())
    insp = inspection_start(actor=clerk, estate=world.estate_a1, kind="regular", date=datetime.date(2031, 6, 1),
                            inspectors="张三", today=FAR.date())
    with pytest.raises(ValidationError, match="不能晚于今天"):
        inspection_save(actor=clerk, inspection=insp, scores={}, date=datetime.date(2031, 6, 3), today=FAR.date())
    inspection_save(actor=clerk, inspection=insp, scores=score_all(rubric), date=datetime.date(2031, 6, 2),
                    today=FAR.date())
    inspection_submit(actor=clerk, inspection=insp, now=FAR)
    insp.refresh_from_db()
    assert (insp.date, insp.status, insp.submitted_at) == (datetime.date(2031, 6, 2), InspectionStatus.SUBMITTED, FAR)
