"""Discarding (作废) a computation that was never announced (issue 15): by the district admin with a
reason; the results are removed, the period is kept as 已作废 with the event (who, when, reason, how many)
on its timeline; nobody is notified (firms never saw provisional results); the nightly job leaves it alone
and the admin may compute it again. Announced or published periods cannot be discarded (the button is
shown disabled with the reason; the service refuses). Payouts never use unannounced results.

The world: 山亭区 accepted 2025 applications for 梅花园 (inspected in 2025Q1) and 北庄花园 (not), and the
job computed 2025Q1 on its run day, 2025-04-06.
"""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Notification
from ratings.models import PeriodAction, PeriodStatus, RatingPeriod, StarRating
from ratings.services.periods import (
    period_announce,
    period_discard,
    period_publish,
    period_run,
    run_period,
    scheduled_run,
)

from ._pages import DEADLINE, RUN_DAY, at, media, rated  # noqa: F401 (fixtures)
from .conftest import accept, components, inspected, moment

pytestmark = pytest.mark.django_db
NEXT_DAY = datetime.date(2025, 4, 7)


@pytest.fixture
def computed(rating_world):
    w = rating_world
    accept(w, w.estate_a1)
    accept(w, w.estate_b1)
    inspected(w, w.estate_a1, ["90.0"])
    components(w, w.estate_a1, "90", "90")
    w.period = run_period(district=w.shanting, year=2025, quarter=1, today=RUN_DAY, now=moment(RUN_DAY))
    assert w.period.ratings.count() == 2
    return w


def _discard(w, persona="district_admin", reason="2025Q1 检查记录尚未录入完毕，误算", day=NEXT_DAY):
    return period_discard(actor=w.users[persona], period=w.period, reason=reason, today=day)


def test_discard_removes_the_results_and_records_who_when_why(computed):
    w = computed
    notices = Notification.objects.count()
    period = _discard(w)
    period.refresh_from_db()
    assert (period.status, period.computed_at) == (PeriodStatus.DISCARDED, None)
    assert not StarRating.objects.filter(period=period).exists()
    event = period.events.get(action=PeriodAction.DISCARD)
    assert (event.actor, event.from_status, event.to_status, event.comment) == (
        w.users["district_admin"], PeriodStatus.PROVISIONAL, PeriodStatus.DISCARDED, "2025Q1 检查记录尚未录入完毕，误算")
    assert (event.discarded_results, event.discarded_uninspected) == (2, 1)
    # The job's first computation stays on the timeline before it.
    assert [e.action for e in period.events.all()] == [PeriodAction.COMPUTE, PeriodAction.DISCARD]
    assert Notification.objects.count() == notices  # firms never saw it: nobody is told


@pytest.mark.parametrize("reason", ["", "   "])
def test_discard_needs_a_reason(computed, reason):
    w = computed
    with pytest.raises(ValidationError) as refused:
        _discard(w, reason=reason)
    assert refused.value.message_dict == {"reason": ["请填写作废的原因。"]}
    w.period.refresh_from_db()
    assert w.period.status == PeriodStatus.PROVISIONAL and w.period.ratings.count() == 2


@pytest.mark.parametrize("persona", ["district_staff", "street_staff", "district_admin_gc", "firm_user"])
def test_only_the_districts_admin_may_discard(computed, persona):
    w = computed
    with pytest.raises(ValidationError, match="只有本区管理员可以作废暂定结果"):
        _discard(w, persona=persona)
    assert w.period.ratings.count() == 2


def test_announced_and_published_periods_cannot_be_discarded(computed):
    w = computed
    period_announce(actor=w.users["district_admin"], period=w.period, today=RUN_DAY, now=moment(RUN_DAY))
    with pytest.raises(ValidationError, match="2025Q1 评定结果已于 2025-04-06 公示，企业已看到结果，不能作废"):
        _discard(w)
    after = DEADLINE + datetime.timedelta(days=1)
    period_publish(actor=w.users["district_admin"], period=w.period, today=after, now=moment(after))
    with pytest.raises(ValidationError, match="2025Q1 评定结果已公布，不能作废"):
        _discard(w, day=after)
    w.period.refresh_from_db()
    assert w.period.status == PeriodStatus.PUBLISHED and w.period.ratings.count() == 2
    assert not w.period.events.filter(action=PeriodAction.DISCARD).exists()


def test_discarding_twice_is_refused(computed):
    w = computed
    _discard(w)
    with pytest.raises(ValidationError, match="2025Q1 暂定结果已作废"):
        _discard(w)
    assert w.period.events.filter(action=PeriodAction.DISCARD).count() == 1


def test_the_nightly_job_leaves_a_discarded_period_alone(computed):
    w = computed
    _discard(w)
    for day in (datetime.date(2025, 4, 8), datetime.date(2025, 4, 20)):
        scheduled_run(today=day, now=moment(day, hour=2))
    period = RatingPeriod.objects.get(pk=w.period.pk)
    assert period.status == PeriodStatus.DISCARDED and not period.ratings.exists()


def test_a_discarded_period_is_computed_again_by_hand_and_may_then_be_announced(computed):
    w = computed
    _discard(w)
    with pytest.raises(ValidationError, match="2025Q1 暂定结果已作废：请先重新计算"):
        period_announce(actor=w.users["district_admin"], period=w.period, today=NEXT_DAY, now=moment(NEXT_DAY))
    inspected(w, w.estate_b1, ["80.0"])  # the missing inspection is entered
    later = datetime.date(2025, 4, 9)
    period = period_run(actor=w.users["district_admin"], district=w.shanting, year=2025, quarter=1, today=later,
                        now=moment(later))
    assert period.pk == w.period.pk and period.status == PeriodStatus.PROVISIONAL
    assert sorted(period.ratings.values_list("estate__name", "inspection_count")) == [("北庄花园", 1), ("梅花园", 1)]
    last = period.events.order_by("-at", "-pk").first()
    assert (last.action, last.from_status, last.to_status) == (
        PeriodAction.COMPUTE, PeriodStatus.DISCARDED, PeriodStatus.PROVISIONAL)
    period = period_announce(actor=w.users["district_admin"], period=period, today=later, now=moment(later))
    assert period.appeal_deadline == datetime.date(2025, 4, 16)


# --- the pages ---------------------------------------------------------------------------------------------

def _page(w):
    return reverse("ratings:period_detail", args=[w.period.pk])


def test_admin_discards_from_the_period_page(computed, login):
    w = computed
    client = login("district_admin")
    with at(NEXT_DAY):
        html = client.get(_page(w)).content.decode()
        assert 'id="discard"' in html and "作废暂定结果（尚未公示，须填写原因）" in html
        assert 'id="discard-disabled"' not in html
        refused = client.post(reverse("ratings:period_discard", args=[w.period.pk]), {"reason": ""}, follow=True)
        assert "作废暂定结果须填写原因。" in [str(m) for m in refused.context["messages"]]
        assert RatingPeriod.objects.get(pk=w.period.pk).status == PeriodStatus.PROVISIONAL
        done = client.post(reverse("ratings:period_discard", args=[w.period.pk]), {"reason": "季度数据未录完"},
                           follow=True)
    assert [str(m) for m in done.context["messages"]] == [
        "山亭区 2025Q1 的 2 个暂定结果已作废（未公示，企业未收到通知）。定时任务不再自动计算本期，需要时可重新计算。"]
    html = done.content.decode()
    notice = html.split('id="discarded-notice"')[1].split("</div>\n</div>")[0]
    assert "2 个参评小区的结果已删除" in notice and "原因：季度数据未录完" in notice
    assert "预览并重新计算" in notice and 'id="discard"' not in html
    timeline = html.split('id="timeline"')[1]
    assert "作废暂定结果" in timeline and "删除 2 个暂定结果（其中 1 个本季度无检查记录）；未公示，未通知企业" in timeline
    assert "原因：季度数据未录完" in timeline
    assert "已作废" in html


def test_announced_period_shows_the_discard_button_disabled_with_the_reason(rated, login):
    w = rated
    client = login("district_admin")
    with at(RUN_DAY):
        html = client.get(_page(w)).content.decode()
        assert 'id="discard-disabled"' in html and 'id="discard"' not in html
        assert "不能作废：2025Q1 评定结果已于 2025-04-06 公示，企业已看到结果，不能作废；如需更改，请填写原因重新计算。" in html
        refused = client.post(reverse("ratings:period_discard", args=[w.period.pk]), {"reason": "误算"}, follow=True)
    assert "企业已看到结果，不能作废" in " ".join(str(m) for m in refused.context["messages"])
    w.period.refresh_from_db()
    assert w.period.status == PeriodStatus.ANNOUNCED and w.period.ratings.count() == 2


def test_discard_of_another_districts_period_is_not_found(computed, login):
    w = computed
    with at(NEXT_DAY):
        response = login("district_admin_gc").post(reverse("ratings:period_discard", args=[w.period.pk]),
                                                   {"reason": "误算"})
    assert response.status_code == 404
    w.period.refresh_from_db()
    assert w.period.status == PeriodStatus.PROVISIONAL and w.period.ratings.count() == 2


def test_others_see_no_discard_controls_and_firms_no_reason(computed, login):
    w = computed
    with at(NEXT_DAY):
        assert "作废暂定结果" not in login("street_staff").get(_page(w)).content.decode()
        _discard(w)
        firm_html = login("firm_user").get(_page(w)).content.decode()
    assert 'id="discarded-notice"' not in firm_html and "本期评定结果尚未公示" in firm_html


def test_payouts_never_use_a_computation_that_was_not_published(computed):
    """Money follows published results only (subsidies.services.generation): a provisional quarter's
    months are deferred, and so are they once it is discarded."""
    from subsidies.models import SubsidyPolicy
    from subsidies.services.generation import generate_batch

    w = computed
    SubsidyPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2021, 1, 1),
                                 programme_start=datetime.date(2025, 3, 1), programme_months=36,
                                 yearly_budget="1000000.00")
    march = datetime.date(2025, 3, 1)
    batch = generate_batch(district=w.shanting, month=march)
    assert batch.lines.count() == 0 and batch.total == 0
    assert [m.reason for m in batch.months.all()] == ["2025年第1季度评定结果尚未公布（待公示），顺延至公布后拨付"]
    _discard(w)
    batch = generate_batch(district=w.shanting, month=march, recompute=True)
    assert batch.lines.count() == 0
    assert [m.reason for m in batch.months.all()] == ["2025年第1季度评定结果尚未公布（已作废），顺延至公布后拨付"]
