"""The rating lifecycle over time (issue 9): announcement (公示) and the appeal window, recomputes,
decided appeals and withdrawn disqualifications, the policy in force, locked inspections, corrections
as new versions, and the yearly re-check that revokes plaques.

Worked figures used below (default policy: weights 70/10/20, thresholds 85/80/75/70/65):
  梅花园 (rated fixture): mean(90.5, 88.0, 87.5) = 88.67; 62.069 + 9 + 18 = 89.07 -> 5★
  北庄花园 (rated fixture): 78.0×0.7 + 80×0.1 + 80×0.2 = 54.6 + 8 + 16 = 78.60 -> 3★
  one inspection of 88.0, opinion 80, satisfaction 90: 61.6 + 8 + 18 = 87.60 -> 5★
"""
import datetime
import importlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from enterprises.models import ContractStatus
from inspections.models import Inspection
from inspections.services.inspections import inspection_correct, inspection_save, inspection_start, inspection_submit
from ratings.models import (
    Appeal,
    Disqualification,
    NoTierReason,
    PeriodAction,
    PeriodStatus,
    RatingPeriod,
    RatingPolicy,
    RecheckDecision,
    StarRating,
)
from ratings.selectors import plaque_ratings, plaque_token, published_tier, results_visible_to, yearly_ratings
from ratings.services.corrections import rating_correct, recheck_confirm
from ratings.services.periods import (
    appeal_decide,
    appeal_submit,
    period_announce,
    period_publish,
    period_recompute,
    run_period,
    scheduled_run,
)
from ratings.services.scores import disqualification_withdraw, disqualify
from tests.factories import ServiceContractFactory
from tests.inspections.conftest import score_all

from ._pages import DEADLINE, RUN_DAY, at, media, publish, rated  # noqa: F401 (fixtures)
from .conftest import accept, components, inspected, moment

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2025, 4, 20, 10, tzinfo=SHANGHAI)


def _q1(w, estate, insp=("88.0",), opinion="80", satisfaction="90"):
    accept(w, estate)
    inspected(w, estate, list(insp))
    components(w, estate, opinion, satisfaction)


def _rating(period, estate):
    return StarRating.objects.current().get(period=period, estate=estate)


def _messages(response):
    return " ".join(str(m) for m in response.context["messages"])


# --- 1. announcement, the appeal window and the nightly job --------------------------------------------------

def test_nightly_job_after_announcement_never_moves_the_appeal_deadline(rating_world):
    w = rating_world
    _q1(w, w.estate_a1)
    for day in (5, 6, 7):  # the job before the announcement: computes every night, opens no window
        scheduled_run(today=datetime.date(2025, 4, day), now=moment(datetime.date(2025, 4, day)))
    period = RatingPeriod.objects.get(district=w.shanting, year=2025, quarter=1)
    assert (period.status, period.appeal_deadline) == (PeriodStatus.PROVISIONAL, None)
    period = period_announce(actor=w.users["district_admin"], period=period, today=datetime.date(2025, 4, 8),
                             now=moment(datetime.date(2025, 4, 8)))
    assert period.appeal_deadline == datetime.date(2025, 4, 15)  # 04-08 + 7 days
    computed = period.computed_at
    inspected(w, w.estate_a1, ["10.0"])  # a late inspection does not reach an announced period by itself
    for day in range(9, 31):
        scheduled_run(today=datetime.date(2025, 4, day), now=moment(datetime.date(2025, 4, day)))
    period.refresh_from_db()
    assert (period.status, period.appeal_deadline, period.computed_at) == (
        PeriodStatus.ANNOUNCED, datetime.date(2025, 4, 15), computed)
    assert _rating(period, w.estate_a1).score == Decimal("87.60")


def test_scheduled_run_uses_the_given_day_not_the_clock(rating_world):
    """A backfill: the clock says 2025-04-06, the job is run for 2025-07-06 and rates 2025Q2."""
    w = rating_world
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["88.0"], day=datetime.date(2025, 5, 5))
    components(w, w.estate_a1, "80", "90", quarter=2)
    backfill = datetime.datetime(2025, 7, 6, 2, tzinfo=SHANGHAI)
    with time_machine.travel(datetime.datetime(2025, 4, 6, 2, tzinfo=SHANGHAI), tick=False):
        periods = scheduled_run(today=backfill.date(), now=backfill)
    assert {(p.district.name, p.label) for p in periods} == {("山亭区", "2025Q2"), ("管城回族区", "2025Q2")}
    q2 = RatingPeriod.objects.get(district=w.shanting, year=2025, quarter=2)
    assert _rating(q2, w.estate_a1).score == Decimal("87.60")
    assert q2.computed_at == _rating(q2, w.estate_a1).computed_at == backfill  # stamped with the given now


def test_announcing_is_once_by_the_district_admin_and_recorded(rated):
    w = rated
    events = [(e.action, e.actor, e.appeal_deadline) for e in w.period.events.all()]
    assert events == [(PeriodAction.COMPUTE, None, None),
                      (PeriodAction.ANNOUNCE, w.users["district_admin"], datetime.date(2025, 4, 13))]
    with pytest.raises(ValidationError, match="已于 2025-04-06 公示，不能重复公示"):
        period_announce(actor=w.users["district_admin"], period=w.period, today=datetime.date(2025, 4, 9),
                        now=moment(datetime.date(2025, 4, 9)))
    with pytest.raises(ValidationError, match="只有本区管理员可以公示"):
        period_announce(actor=w.users["district_admin_gc"], period=w.period, today=RUN_DAY, now=moment(RUN_DAY))
    w.period.refresh_from_db()
    assert w.period.appeal_deadline == DEADLINE


def test_recompute_after_announcement_needs_a_reason_and_reopens_the_window(rated):
    w = rated
    admin = w.users["district_admin"]
    inspected(w, w.estate_b1, ["98.0"])  # 北庄花园: mean(78.0, 98.0) = 88.00; 61.6 + 8 + 16 = 85.60 -> 5★
    with pytest.raises(ValidationError, match="请填写重新计算的原因"):
        period_recompute(actor=admin, period=w.period, reason="  ", today=datetime.date(2025, 4, 10),
                         now=moment(datetime.date(2025, 4, 10)))
    with pytest.raises(ValidationError, match="只有本区管理员可以重新计算"):
        period_recompute(actor=w.users["street_staff2"], period=w.period, reason="x", today=datetime.date(2025, 4, 10),
                         now=moment(datetime.date(2025, 4, 10)))
    assert _rating(w.period, w.estate_b1).tier == 3
    period = period_recompute(actor=admin, period=w.period, reason="补录 3 月 28 日检查",
                              today=datetime.date(2025, 4, 10), now=moment(datetime.date(2025, 4, 10)))
    assert period.status == PeriodStatus.ANNOUNCED and period.appeal_deadline == datetime.date(2025, 4, 17)
    b1 = _rating(period, w.estate_b1)
    assert (b1.score, b1.tier) == (Decimal("85.60"), 5)
    last = period.events.last()
    assert (last.action, last.actor, last.comment, last.appeal_deadline) == (
        PeriodAction.RECOMPUTE, admin, "补录 3 月 28 日检查", datetime.date(2025, 4, 17))
    with pytest.raises(ValidationError, match="申诉期至 2025-04-17 结束"):
        period_publish(actor=admin, period=period, today=datetime.date(2025, 4, 14),
                       now=moment(datetime.date(2025, 4, 14)))
    period_publish(actor=admin, period=period, today=datetime.date(2025, 4, 18), now=moment(datetime.date(2025, 4, 18)))
    with pytest.raises(ValidationError, match="已公布，不能重新计算"):
        period_recompute(actor=admin, period=period, reason="x", today=datetime.date(2025, 4, 20),
                         now=moment(datetime.date(2025, 4, 20)))
    assert [e.action for e in period.events.all()] == ["compute", "announce", "recompute", "publish"]


def test_appeals_only_while_announced_and_inside_the_window(rating_world):
    w = rating_world
    _q1(w, w.estate_a1)
    period = run_period(district=w.shanting, year=2025, quarter=1, today=RUN_DAY, now=moment(RUN_DAY))
    rating = _rating(period, w.estate_a1)
    with pytest.raises(ValidationError, match="尚未公示"):
        appeal_submit(actor=w.users["firm_user"], rating=rating, reason="检查漏记", today=RUN_DAY)
    period = period_announce(actor=w.users["district_admin"], period=period, today=datetime.date(2025, 4, 8),
                             now=moment(datetime.date(2025, 4, 8)))
    with pytest.raises(ValidationError, match=r"申诉期已过（截止 2025-04-15）"):
        appeal_submit(actor=w.users["firm_user"], rating=rating, reason="检查漏记", today=datetime.date(2025, 4, 16))
    appeal = appeal_submit(actor=w.users["firm_user"], rating=rating, reason="检查漏记",
                           today=datetime.date(2025, 4, 15))
    assert appeal.firm == w.firm1
    with pytest.raises(ValidationError, match="未处理的申诉"):
        period_publish(actor=w.users["district_admin"], period=period, today=datetime.date(2025, 4, 16),
                       now=moment(datetime.date(2025, 4, 16)))


def test_firms_do_not_see_results_before_the_announcement(rating_world, login):
    w = rating_world
    _q1(w, w.estate_a1)
    period = run_period(district=w.shanting, year=2025, quarter=1, today=RUN_DAY, now=moment(RUN_DAY))
    rating = _rating(period, w.estate_a1)
    assert list(results_visible_to(w.users["firm_user"])) == []
    assert list(results_visible_to(w.users["street_staff"])) == [rating]
    firm = login("firm_user")
    assert firm.get(reverse("ratings:rating_detail", args=[rating.pk])).status_code == 404
    assert list(firm.get(reverse("ratings:my_ratings")).context["object_list"]) == []
    page = firm.get(reverse("ratings:period_detail", args=[period.pk]))
    assert list(page.context["object_list"]) == [] and "尚未公示" in page.content.decode()
    assert firm.get(reverse("ratings:period_list")).context["object_list"][0].counts["n"] == 0
    period_announce(actor=w.users["district_admin"], period=period, today=RUN_DAY, now=moment(RUN_DAY))
    assert firm.get(reverse("ratings:rating_detail", args=[rating.pk])).status_code == 200
    assert [r.estate.name for r in firm.get(reverse("ratings:my_ratings")).context["object_list"]] == ["梅花园"]


def test_period_page_offers_only_the_allowed_action_and_says_why_not_publish(rated, login):
    w = rated
    url = reverse("ratings:period_detail", args=[w.period.pk])
    announce_url = reverse("ratings:period_announce", args=[w.period.pk])
    publish_url = reverse("ratings:period_publish", args=[w.period.pk])
    recompute_url = reverse("ratings:period_recompute", args=[w.period.pk])
    # 管城回族区 2025Q1 is computed, not announced: 公示 only.
    with at(datetime.date(2025, 4, 7)):
        gc = login("district_admin_gc").get(reverse("ratings:period_detail", args=[w.period_gc.pk]))
    assert (gc.context["can_announce"], gc.context["can_recompute"], gc.context["can_publish"]) == (True, False, False)
    assert reverse("ratings:period_announce", args=[w.period_gc.pk]) in gc.content.decode()
    # 山亭区 2025Q1 is announced; inside the window: 重新计算, and a note why 确认并公布 is not offered.
    with at(DEADLINE):
        page = login("district_admin").get(url)
    html = page.content.decode()
    assert (page.context["can_announce"], page.context["can_recompute"], page.context["can_publish"]) == (
        False, True, False)
    assert recompute_url in html and announce_url not in html and publish_url not in html
    assert "申诉期至 2025-04-13 结束，申诉期内不能公布" in html
    # An open appeal after the window: still no 确认并公布, and the note says why.
    Appeal.objects.create(rating=w.rating_b1, firm=w.firm2, reason="漏记", submitted_by=w.users["firm_user2"])
    with at(DEADLINE + datetime.timedelta(days=1)):
        page = login("district_admin").get(url)
        assert not page.context["can_publish"] and "还有未处理的申诉" in page.content.decode()
        Appeal.objects.update(status="dismissed", decision="不属实")
        page = login("district_admin").get(url)
        assert page.context["can_publish"] and publish_url in page.content.decode()
        assert page.context["publish_note"] is None
        # Nobody else gets a button.
        for persona in ("district_staff", "street_staff", "firm_user"):
            other = login(persona).get(url)
            assert not any(other.context[k] for k in ("can_announce", "can_recompute", "can_publish"))
        # Recompute through the page: the reason is required, then it is on the timeline.
        refused = login("district_admin").post(recompute_url, {"reason": ""}, follow=True)
        assert "重新计算须填写原因" in _messages(refused)
        done = login("district_admin").post(recompute_url, {"reason": "核实北庄花园检查"}, follow=True)
        assert "申诉期重新开始，截止 2025-04-21" in _messages(done)
        assert "核实北庄花园检查" in done.content.decode()


def test_walk_june_to_october_announce_then_publish_with_the_deadline_fixed(rating_world):
    """The nightly job as beat runs it, every day from 2025-06-30 to 2025-10-31; 2025Q3 is announced on
    2025-10-08 (window to 10-15) and published on 10-20."""
    w = rating_world
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["88.0"], day=datetime.date(2025, 8, 5))
    components(w, w.estate_a1, "80", "90", quarter=3)  # 87.60 -> 5★
    admin = w.users["district_admin"]
    deadlines, day = set(), datetime.date(2025, 6, 30)
    while day <= datetime.date(2025, 10, 31):
        with time_machine.travel(datetime.datetime(day.year, day.month, day.day, 2, tzinfo=SHANGHAI), tick=False):
            scheduled_run(today=day, now=moment(day))
            q3 = RatingPeriod.objects.filter(district=w.shanting, year=2025, quarter=3).first()
            if day < datetime.date(2025, 10, 5):
                assert q3 is None  # the run day is the 5th day after the quarter
            elif day < datetime.date(2025, 10, 8):
                assert (q3.status, q3.appeal_deadline) == (PeriodStatus.PROVISIONAL, None)
            if day == datetime.date(2025, 10, 6):  # before the announcement, the job picks up late input
                inspected(w, w.estate_a1, ["98.0"], day=datetime.date(2025, 9, 20))
            if day == datetime.date(2025, 10, 8):
                # mean(88.0, 98.0) = 93.00; 93×0.7 + 80×0.1 + 90×0.2 = 65.1 + 8 + 18 = 91.10
                assert _rating(q3, w.estate_a1).score == Decimal("91.10")
                q3 = period_announce(actor=admin, period=q3, today=day, now=moment(day))
            if day == datetime.date(2025, 10, 10):  # after it, it does not
                inspected(w, w.estate_a1, ["10.0"], day=datetime.date(2025, 9, 21))
            if day == datetime.date(2025, 10, 15):
                with pytest.raises(ValidationError, match="申诉期至 2025-10-15 结束"):
                    period_publish(actor=admin, period=q3, today=day, now=moment(day))
            if day == datetime.date(2025, 10, 20):
                q3 = period_publish(actor=admin, period=q3, today=day, now=moment(day))
            if q3 is not None and q3.status != PeriodStatus.PROVISIONAL:
                q3.refresh_from_db()
                deadlines.add(q3.appeal_deadline)
        day += datetime.timedelta(days=1)
    q3.refresh_from_db()
    assert deadlines == {datetime.date(2025, 10, 15)}
    assert q3.status == PeriodStatus.PUBLISHED
    assert timezone.localtime(q3.published_at).date() == datetime.date(2025, 10, 20)
    assert _rating(q3, w.estate_a1).score == Decimal("91.10")  # the 10.0 of 10-10 never counted
    assert [e.action for e in q3.events.all()] == ["compute", "announce", "publish"]
    # Q2 (no inspection) was computed every night from 07-05 and never announced: it stays provisional.
    assert RatingPeriod.objects.get(district=w.shanting, year=2025, quarter=2).status == PeriodStatus.PROVISIONAL


# --- 2. decided appeals and withdrawn disqualifications survive recomputes -----------------------------------

def test_upheld_appeal_tier_wins_over_a_later_disqualification_on_every_recompute(rated):
    w = rated
    appeal = appeal_submit(actor=w.users["firm_user2"], rating=w.rating_b1, reason="3 月 20 日检查漏记",
                           today=datetime.date(2025, 4, 8))
    appeal_decide(actor=w.users["district_admin"], appeal=appeal, upheld=True, decision="复核属实", adjusted_tier=4,
                  now=datetime.datetime(2025, 4, 8, 14, tzinfo=SHANGHAI))
    disqualify(actor=w.users["street_staff2"], estate=w.estate_b1, year=2025, quarter=1, reason="小区内出现群租房",
               occurred_on=datetime.date(2025, 3, 1), evidence="3 号楼群租",
               now=datetime.datetime(2025, 4, 8, 15, tzinfo=SHANGHAI))
    for day in (9, 10):
        period_recompute(actor=w.users["district_admin"], period=w.period, reason="录入取消参评记录",
                         today=datetime.date(2025, 4, day), now=moment(datetime.date(2025, 4, day)))
        b1 = _rating(w.period, w.estate_b1)
        assert (b1.tier, b1.no_tier_reason, b1.score) == (4, "", Decimal("78.60"))
    a1 = _rating(w.period, w.estate_a1)
    assert a1.tier == 5  # untouched


def test_withdrawn_disqualification_no_longer_counts_and_stays_listed_struck_through(rated, login):
    w = rated
    record = disqualify(actor=w.users["street_staff"], estate=w.estate_a1, year=2025, quarter=1,
                        reason="小区内新增违法建设", occurred_on=datetime.date(2025, 3, 2), evidence="屋顶加建",
                        now=datetime.datetime(2025, 4, 8, 9, tzinfo=SHANGHAI))
    period_recompute(actor=w.users["district_admin"], period=w.period, reason="取消参评", today=datetime.date(2025, 4, 8),
                     now=moment(datetime.date(2025, 4, 8)))
    a1 = _rating(w.period, w.estate_a1)
    assert (a1.tier, a1.no_tier_reason) == (0, NoTierReason.DISQUALIFIED)
    client = login("street_staff")
    listing = client.get(reverse("ratings:disqualification_list"))
    assert f'action="{reverse("ratings:disqualification_withdraw", args=[record.pk])}"' in listing.content.decode()
    with at(datetime.date(2025, 4, 9)):
        response = login("street_staff").post(reverse("ratings:disqualification_withdraw", args=[record.pk]),
                                              {"reason": "经核实系已备案的加装电梯"}, follow=True)
    assert "已撤销" in _messages(response)
    record.refresh_from_db()
    assert (record.withdrawn_by, record.withdrawal_reason) == (w.users["street_staff"], "经核实系已备案的加装电梯")
    assert timezone.localtime(record.withdrawn_at).date() == datetime.date(2025, 4, 9)
    html = response.content.decode()
    assert "<del>小区内新增违法建设</del>" in html and "经核实系已备案的加装电梯" in html and "已撤销" in html
    period_recompute(actor=w.users["district_admin"], period=w.period, reason="撤销取消参评",
                     today=datetime.date(2025, 4, 9), now=moment(datetime.date(2025, 4, 9)))
    a1 = _rating(w.period, w.estate_a1)
    assert (a1.tier, a1.score, a1.no_tier_reason) == (5, Decimal("89.07"), "")
    assert Disqualification.objects.count() == 1  # kept


def test_disqualification_withdrawal_needs_scope_a_reason_and_an_open_quarter_and_happens_once(rated):
    w = rated
    record = disqualify(actor=w.users["street_staff"], estate=w.estate_a1, year=2025, quarter=1,
                        reason="小区内出现群租房", occurred_on=datetime.date(2025, 3, 2), evidence="2 号楼",
                        now=datetime.datetime(2025, 4, 8, 9, tzinfo=SHANGHAI))
    for persona in ("street_staff2", "firm_user", "community_clerk", "district_admin_gc"):
        with pytest.raises(ValidationError, match="不在您的管辖范围内"):
            disqualification_withdraw(actor=w.users[persona], disqualification=record, reason="x", now=NOW)
    with pytest.raises(ValidationError, match="请填写撤销原因"):
        disqualification_withdraw(actor=w.users["district_admin"], disqualification=record, reason=" ", now=NOW)
    disqualification_withdraw(actor=w.users["district_admin"], disqualification=record, reason="重复录入", now=NOW)
    with pytest.raises(ValidationError, match="已于 2025-04-20 撤销，不能重复撤销"):
        disqualification_withdraw(actor=w.users["street_staff"], disqualification=record, reason="x", now=NOW)
    other = disqualify(actor=w.users["street_staff"], estate=w.estate_a1, year=2025, quarter=1,
                       reason="破坏房屋承重结构", occurred_on=datetime.date(2025, 3, 3), evidence="5 号楼", now=NOW)
    publish(w)
    with pytest.raises(ValidationError, match="已公布，取消参评记录不能再撤销"):
        disqualification_withdraw(actor=w.users["street_staff"], disqualification=other, reason="x", now=NOW)


# --- 3. the policy in force for the quarter ------------------------------------------------------------------

def test_every_compute_uses_the_policy_in_force_on_the_quarters_last_day(rating_world):
    w = rating_world
    _q1(w, w.estate_a1)
    period = run_period(district=w.shanting, year=2025, quarter=1, today=RUN_DAY, now=moment(RUN_DAY))
    assert _rating(period, w.estate_a1).score == Decimal("87.60")
    # A version from 2025-03-01 (in force on 03-31) and one from 04-01 (too late for Q1), entered after the run.
    march = RatingPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2025, 3, 1),
                                        weight_inspection=Decimal("50"), weight_opinion=Decimal("20"),
                                        weight_satisfaction=Decimal("30"), threshold_5=Decimal("90"),
                                        threshold_4=Decimal("85"), threshold_3=Decimal("80"),
                                        threshold_2=Decimal("75"), threshold_1=Decimal("70"))
    RatingPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2025, 4, 1),
                                weight_inspection=Decimal("100"), weight_opinion=Decimal("0"),
                                weight_satisfaction=Decimal("0"))
    period = run_period(district=w.shanting, year=2025, quarter=1, today=datetime.date(2025, 4, 7),
                        now=moment(datetime.date(2025, 4, 7)))
    # 88×0.5 + 80×0.2 + 90×0.3 = 44 + 16 + 27 = 87.00 -> 4★ under 90/85/80/75/70
    r = _rating(period, w.estate_a1)
    assert (period.policy, r.score, r.tier) == (march, Decimal("87.00"), 4)
    period.refresh_from_db()
    assert period.policy == march


# --- 4. inspections of a published quarter --------------------------------------------------------------------

def test_inspections_of_a_published_quarter_cannot_be_added_submitted_or_corrected(rated):
    w = rated
    staff = w.users["street_staff"]
    draft = inspection_start(actor=staff, estate=w.estate_a1, kind="regular", date=datetime.date(2025, 3, 25),
                             inspectors="山城街道检查组", today=RUN_DAY)
    inspection_save(actor=staff, inspection=draft, scores=score_all(draft.rubric), today=RUN_DAY)
    original = Inspection.objects.filter(estate=w.estate_a1, status="submitted").first()
    publish(w)
    message = "2025 年第 1 季度星级评定结果已公布，检查记录不能再新增或更正"
    with pytest.raises(ValidationError, match=message):
        inspection_start(actor=staff, estate=w.estate_a1, kind="regular", date=datetime.date(2025, 3, 30),
                         inspectors="山城街道检查组", today=NOW.date())
    with pytest.raises(ValidationError, match=message):
        inspection_submit(actor=staff, inspection=draft, now=NOW)
    with pytest.raises(ValidationError, match=message):
        inspection_correct(actor=staff, inspection=original, reason="1.1 录错")
    # Another quarter, or another district's, is open.
    later = inspection_start(actor=staff, estate=w.estate_a1, kind="regular", date=datetime.date(2025, 4, 2),
                             inspectors="山城街道检查组", today=NOW.date())
    assert later.pk and Inspection.objects.filter(supersedes=original).count() == 0


# --- 5. corrections after publication are new versions -------------------------------------------------------

def test_correcting_a_published_rating_makes_a_new_version_and_keeps_the_old(rated):
    w = rated
    publish(w)
    new = rating_correct(actor=w.users["district_admin"], rating=w.rating_a1, tier=4, reason="3 月检查扣分漏计",
                         now=NOW)
    old = StarRating.objects.get(pk=w.rating_a1.pk)
    assert (new.version, new.tier, new.score, new.inspection_count, new.no_tier_reason) == (
        2, 4, Decimal("89.07"), 3, "")
    assert (new.correction_reason, new.corrected_by, new.corrected_at) == ("3 月检查扣分漏计", w.users["district_admin"], NOW)
    assert (old.superseded_by, old.superseded_at, old.tier, old.version) == (new, NOW, 5, 1)
    assert list(StarRating.objects.published().filter(estate=w.estate_a1)) == [new]
    assert set(StarRating.objects.current().filter(period=w.period)) == {w.rating_b1, new}
    assert published_tier(w.estate_a1, datetime.date(2025, 5, 1)) == new  # what pays May
    third = rating_correct(actor=w.users["district_admin"], rating=new, tier=0, reason="取消星级", now=NOW)
    assert (third.version, third.tier, third.no_tier_reason) == (3, 0, NoTierReason.CORRECTED)
    assert StarRating.objects.filter(period=w.period, estate=w.estate_a1).count() == 3


def test_correction_is_for_the_district_admin_after_publication_with_a_reason(rated):
    w = rated
    admin = w.users["district_admin"]
    with pytest.raises(ValidationError, match="公布后才能更正"):
        rating_correct(actor=admin, rating=w.rating_a1, tier=4, reason="x", now=NOW)
    publish(w)
    for persona in ("district_admin_gc", "street_staff", "district_staff", "firm_user"):
        with pytest.raises(ValidationError, match="只有本区管理员可以更正"):
            rating_correct(actor=w.users[persona], rating=w.rating_a1, tier=4, reason="x", now=NOW)
    with pytest.raises(ValidationError, match="请填写更正原因"):
        rating_correct(actor=admin, rating=w.rating_a1, tier=4, reason="", now=NOW)
    with pytest.raises(ValidationError, match="0–5"):
        rating_correct(actor=admin, rating=w.rating_a1, tier=6, reason="x", now=NOW)
    with pytest.raises(ValidationError, match="与现有星级相同"):
        rating_correct(actor=admin, rating=w.rating_a1, tier=5, reason="x", now=NOW)
    rating_correct(actor=admin, rating=w.rating_a1, tier=4, reason="x", now=NOW)
    with pytest.raises(ValidationError, match="请在最新版本上更正"):
        rating_correct(actor=admin, rating=w.rating_a1, tier=3, reason="x", now=NOW)


def test_lists_show_current_versions_and_the_result_page_the_history(rated, login, client):
    w = rated
    publish(w)
    with at(datetime.date(2025, 4, 20)):
        response = login("district_admin").post(reverse("ratings:rating_correct", args=[w.rating_a1.pk]),
                                                {"tier": "4", "reason": "3 月检查扣分漏计"}, follow=True)
    client_admin = login("district_admin")  # a fresh session on today's clock
    new = StarRating.objects.get(period=w.period, estate=w.estate_a1, version=2)
    assert response.redirect_chain[-1][0] == reverse("ratings:rating_detail", args=[new.pk])
    html = response.content.decode()
    assert "第 1 版" in html and "第 2 版" in html and "3 月检查扣分漏计" in html and "现行" in html
    old_page = client_admin.get(reverse("ratings:rating_detail", args=[w.rating_a1.pk])).content.decode()
    assert "已于 2025-04-20 更正为第 2 版" in old_page
    period_rows = client_admin.get(reverse("ratings:period_detail", args=[w.period.pk])).context["object_list"]
    assert sorted((r.estate.name, r.tier) for r in period_rows) == [("北庄花园", 3), ("梅花园", 4)]
    mine = login("firm_user").get(reverse("ratings:my_ratings"))
    assert [(r.estate.name, r.tier, r.version) for r in mine.context["object_list"]] == [("梅花园", 4, 2)]
    assert [(r.estate.name, r.tier) for r in mine.context["held"]] == [("梅花园", 4)]
    assert login("firm_user").get(reverse("ratings:plaque", args=[w.rating_a1.pk])).status_code == 404
    assert login("firm_user").get(reverse("ratings:plaque", args=[new.pk])).status_code == 200
    assert [r["held_tier"] for r in yearly_ratings(user=w.users["district_admin"], year=2025)
            if r["estate"] == "梅花园"] == [4]
    client.logout()
    public = client.get(reverse("ratings:public_list"))
    assert sorted((r.estate.name, r.tier) for r in public.context["object_list"]) == [("北庄花园", 3), ("梅花园", 4)]
    old_plaque = client.get(reverse("ratings:verify", args=[w.rating_a1.pk, plaque_token(w.rating_a1.pk)]))
    assert "已于 2025-04-20 更正" in old_plaque.content.decode() and "验证通过" not in old_plaque.content.decode()


def test_the_rating_names_the_firm_serving_at_quarter_end_and_every_serving_firm_may_appeal(rated, login):
    w = rated
    w.contract_a1.status, w.contract_a1.ended_on = ContractStatus.ENDED, datetime.date(2025, 2, 15)
    w.contract_a1.handover_date = datetime.date(2025, 2, 15)
    w.contract_a1.save()
    ServiceContractFactory(estate=w.estate_a1, firm=w.firm2, start_date=datetime.date(2025, 2, 16))
    accept(w, w.estate_a2, firm=w.firm1)  # 锦绣花园: no contract at all -> the application's firm
    period = period_recompute(actor=w.users["district_admin"], period=w.period, reason="企业更替",
                              today=datetime.date(2025, 4, 8), now=moment(datetime.date(2025, 4, 8)))
    assert _rating(period, w.estate_a1).firm == w.firm2
    assert _rating(period, w.estate_a2).firm == w.firm1
    # firm 甲 served 梅花园 from 01-01 to 02-15: it may appeal its estate's Q1 result; the appeal is its own.
    appeal = appeal_submit(actor=w.users["firm_user"], rating=_rating(period, w.estate_a1), reason="1–2 月服务",
                           today=datetime.date(2025, 4, 9))
    assert appeal.firm == w.firm1
    page = login("district_admin").get(reverse("ratings:rating_detail", args=[w.rating_a1.pk]))
    assert [f.name for f in page.context["serving_firms"]] == ["山亭甲物业服务有限公司", "山亭乙物业服务有限公司"]
    # firm 乙 leaves on 03-10 and nobody follows: the last firm that served (乙), not the application's (甲).
    appeal_decide(actor=w.users["district_admin"], appeal=appeal, upheld=False, decision="不属实",
                  now=moment(datetime.date(2025, 4, 9), hour=15))
    second = w.estate_a1.contracts.get(firm=w.firm2)
    second.status, second.ended_on, second.handover_date = (ContractStatus.ENDED, datetime.date(2025, 3, 10),
                                                            datetime.date(2025, 3, 10))
    second.save()
    period = period_recompute(actor=w.users["district_admin"], period=period, reason="企业退出",
                              today=datetime.date(2025, 4, 9), now=moment(datetime.date(2025, 4, 9)))
    assert _rating(period, w.estate_a1).firm == w.firm2


# --- 6. the yearly re-check revokes plaques -------------------------------------------------------------------

def _published_quarters(w):
    """梅花园: Q1 87.60 5★, Q2 79.80 3★, Q3 86.00 5★ (each announced on its run day, published after the window).
    Q2: 84×0.7 + 70×0.1 + 70×0.2 = 58.8 + 7 + 14 = 79.80; Q3: 86 everywhere = 86.00."""
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["88.0"])
    components(w, w.estate_a1, "80", "90")
    inspected(w, w.estate_a1, ["84.0"], day=datetime.date(2025, 5, 5))
    components(w, w.estate_a1, "70", "70", quarter=2)
    inspected(w, w.estate_a1, ["86.0"], day=datetime.date(2025, 8, 5))
    components(w, w.estate_a1, "86", "86", quarter=3)
    out = {}
    for q, day in ((1, datetime.date(2025, 4, 6)), (2, datetime.date(2025, 7, 6)), (3, datetime.date(2025, 10, 6))):
        p = run_period(district=w.shanting, year=2025, quarter=q, today=day, now=moment(day))
        p = period_announce(actor=w.users["district_admin"], period=p, today=day, now=moment(day))
        after = day + datetime.timedelta(days=8)
        out[q] = period_publish(actor=w.users["district_admin"], period=p, today=after, now=moment(after))
    return {q: _rating(p, w.estate_a1) for q, p in out.items()}


def test_confirmed_yearly_recheck_lowers_the_tier_and_revokes_the_plaques_above_it(rating_world, login, client):
    w = rating_world
    ratings = _published_quarters(w)
    assert set(plaque_ratings().values_list("pk", flat=True)) == {r.pk for r in ratings.values()}
    page = login("district_admin").get(reverse("ratings:yearly"), {"year": 2025})
    [row] = page.context["rows"]
    # (87.60 + 79.80 + 86.00) / 3 = 84.466… -> 84.47 -> 4★, below the 5★ held from Q3.
    assert (row["mean"], row["tier"], row["held_tier"], row["lowered"], row["can_confirm"]) == (
        Decimal("84.47"), 4, 5, True, True)
    assert reverse("ratings:recheck_confirm") in page.content.decode()
    assert not login("street_staff").get(reverse("ratings:yearly"), {"year": 2025}).context["rows"][0]["can_confirm"]
    with at(datetime.date(2025, 12, 20)):
        response = login("district_admin").post(reverse("ratings:recheck_confirm"), {
            "estate": w.estate_a1.pk, "year": 2025, "note": "年度复查降为四星"}, follow=True)
    assert "由 5 星降为 4 星" in _messages(response)
    decision = RecheckDecision.objects.get()
    assert (decision.mean_score, decision.tier_before, decision.tier_after, decision.decided_by, decision.note) == (
        Decimal("84.47"), 5, 4, w.users["district_admin"], "年度复查降为四星")
    assert "已确认降级" in response.content.decode()
    # Q1 and Q3 (5★) lose their plaques; Q2 (3★, not above 4★) keeps its.
    assert set(plaque_ratings().values_list("pk", flat=True)) == {ratings[2].pk}
    client.logout()
    html = client.get(reverse("ratings:verify", args=[ratings[3].pk, plaque_token(ratings[3].pk)])).content.decode()
    assert "该标牌已于 2025-12-20 经年度复查撤销" in html and "验证通过" not in html
    assert "验证通过" in client.get(reverse("ratings:verify", args=[ratings[2].pk,
                                                                  plaque_token(ratings[2].pk)])).content.decode()
    detail = login("firm_user").get(reverse("ratings:rating_detail", args=[ratings[3].pk]))
    assert not detail.context["has_plaque"] and detail.context["recheck"] == decision
    assert "经 2025 年度复查撤销" in detail.content.decode()
    assert login("firm_user").get(reverse("ratings:plaque", args=[ratings[1].pk])).status_code == 404


def test_recheck_is_confirmed_once_by_the_district_admin_and_a_kept_tier_revokes_nothing(rating_world):
    w = rating_world
    accept(w, w.estate_a1)
    inspected(w, w.estate_a1, ["88.0"])
    components(w, w.estate_a1, "80", "90")  # Q1 87.60 5★ only: the yearly mean keeps 5★
    with pytest.raises(ValidationError, match="没有已公布的季度综合得分"):
        recheck_confirm(actor=w.users["district_admin"], estate=w.estate_a1, year=2025, note="", now=NOW)
    p = run_period(district=w.shanting, year=2025, quarter=1, today=RUN_DAY, now=moment(RUN_DAY))
    p = period_announce(actor=w.users["district_admin"], period=p, today=RUN_DAY, now=moment(RUN_DAY))
    after = DEADLINE + datetime.timedelta(days=1)
    period_publish(actor=w.users["district_admin"], period=p, today=after, now=moment(after))
    for persona in ("street_staff", "district_staff", "district_admin_gc", "firm_user"):
        with pytest.raises(ValidationError, match="只有本区管理员可以确认年度复查"):
            recheck_confirm(actor=w.users[persona], estate=w.estate_a1, year=2025, note="", now=NOW)
    decision = recheck_confirm(actor=w.users["district_admin"], estate=w.estate_a1, year=2025, note="", now=NOW)
    assert (decision.tier_before, decision.tier_after, decision.lowers) == (5, 5, False)
    assert plaque_ratings().count() == 1
    with pytest.raises(ValidationError, match="已于 2025-04-20 确认，不能重复确认"):
        recheck_confirm(actor=w.users["district_admin"], estate=w.estate_a1, year=2025, note="", now=NOW)


# --- the data migration ----------------------------------------------------------------------------------------

def test_migration_announces_provisional_periods_that_had_a_deadline(rating_world):
    w = rating_world
    computed = datetime.datetime(2025, 4, 6, 2, tzinfo=SHANGHAI)
    policy = RatingPolicy.objects.get(district=w.shanting)
    running = RatingPeriod.objects.create(district=w.shanting, year=2025, quarter=1, policy=policy,
                                          computed_at=computed, appeal_deadline=datetime.date(2025, 4, 13))
    fresh = RatingPeriod.objects.create(district=w.shanting, year=2025, quarter=2, policy=policy, computed_at=computed)
    done = RatingPeriod.objects.create(district=w.shanting, year=2024, quarter=4, policy=policy, computed_at=computed,
                                       appeal_deadline=datetime.date(2025, 1, 12), status=PeriodStatus.PUBLISHED)
    migration = importlib.import_module("ratings.migrations.0003_announce_existing_periods")
    migration.forwards(django_apps, None)
    for p in (running, fresh, done):
        p.refresh_from_db()
    assert (running.status, running.announced_at, running.appeal_deadline) == (
        PeriodStatus.ANNOUNCED, computed, datetime.date(2025, 4, 13))
    assert (fresh.status, fresh.announced_at) == (PeriodStatus.PROVISIONAL, None)
    assert (done.status, done.announced_at) == (PeriodStatus.PUBLISHED, computed)
    migration.backwards(django_apps, None)
    running.refresh_from_db()
    assert (running.status, running.announced_at) == (PeriodStatus.PROVISIONAL, None)
