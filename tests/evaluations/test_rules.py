"""The two-way evaluation's rules through its services: the window, who evaluates whom, one questionnaire per
evaluator, target and year, the committees' paper questionnaires, the results worked by hand, the credit hook
(off by default), the notice when a campaign is published and the 待办 count."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import menu
from accounts.models import Notification
from communities.models import CommitteeKind
from enterprises.models import CreditKind, CreditPolicy, CreditRecord, CreditRule
from evaluations import services as svc
from evaluations.models import Answer, Campaign, CampaignStatus, Response, UnitKind
from evaluations.selectors import fill_refusal, results, targets, to_fill
from tests.factories import EstateFactory, OwnerCommitteeFactory, ServiceContractFactory

from .conftest import AFTER, CLOSES, INSIDE, OPENS, answers, submit

pytestmark = pytest.mark.django_db
K = UnitKind
GOOD = [5, 4, 4, 3, 5, True]  # the default 街道/社区评价物业企业 questionnaire: five 1–5 questions and a yes/no
OFFICE = [4, 4, 5, 3, True]   # the default 物业企业/业主委员会评价街道/社区 questionnaire: four 1–5 and a yes/no
PAPER = {"paper_number": "SC-2025-001", "paper_signed_on": datetime.date(2025, 11, 5)}


# --- the window ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("day,allowed", [
    (datetime.date(2025, 10, 31), False), (datetime.date(2025, 11, 1), True),
    (datetime.date(2025, 11, 30), True), (datetime.date(2025, 12, 1), False)])
def test_questionnaires_are_filled_only_inside_the_window_both_days_included(ew, day, allowed):
    w = ew
    if allowed:
        submit(w, "street_staff", (K.STREET, w.shancheng), (K.FIRM, w.firm1), GOOD, today=day)
        assert Response.objects.count() == 1
    else:
        with pytest.raises(ValidationError) as exc:
            submit(w, "street_staff", (K.STREET, w.shancheng), (K.FIRM, w.firm1), GOOD, today=day)
        assert "2025-11-01 至 2025-11-30" in exc.value.messages[0]
        assert Response.objects.count() == 0 and Answer.objects.count() == 0


def test_the_refusal_says_before_or_after_with_the_dates(ew):
    c = ew.campaign
    assert fill_refusal(c, datetime.date(2025, 10, 31)) == "2025 年度评价填报时间为 2025-11-01 至 2025-11-30，尚未开始。"
    assert fill_refusal(c, datetime.date(2025, 12, 1)) == "2025 年度评价填报时间为 2025-11-01 至 2025-11-30，已经截止。"
    assert fill_refusal(c, INSIDE) is None


def test_a_draft_campaign_takes_no_questionnaire_even_inside_its_dates(world):
    w = world
    draft = svc.campaign_create(actor=w.users["district_admin"], district=w.shanting, year=2025, opens_on=OPENS,
                                closes_on=CLOSES)
    with pytest.raises(ValidationError, match="尚未发布"):
        svc.response_submit(actor=w.users["street_staff"], campaign=draft, evaluator_kind=K.STREET,
                            evaluator_id=w.shancheng.pk, target_kind=K.FIRM, target_id=w.firm1.pk, answers={},
                            today=INSIDE)


# --- the campaign ----------------------------------------------------------------------------------------------

def test_a_first_campaign_starts_from_the_default_questionnaire_and_the_next_copies_it(ew):
    w = ew
    assert [q.text for q in w.of_firm][0] == "履行物业服务合同约定事项"
    assert (len(w.of_firm), len(w.of_office)) == (6, 5)
    nxt = svc.campaign_create(actor=w.users["district_admin"], district=w.shanting, year=2026,
                              opens_on=datetime.date(2026, 11, 1), closes_on=datetime.date(2026, 11, 30))
    svc.question_add(actor=w.users["district_admin"], campaign=nxt, direction="of_firm", text="消防设施完好",
                     kind="yesno")
    assert nxt.questions.count() == 12
    assert w.campaign.questions.count() == 11  # last year's questionnaire is untouched


def test_only_the_districts_admin_runs_a_campaign_and_a_published_one_is_fixed(ew):
    w = ew
    for persona in ("district_staff", "street_staff", "district_admin_gc", "firm_user"):
        with pytest.raises(ValidationError, match="只有本区管理员"):
            svc.campaign_create(actor=w.users[persona], district=w.shanting, year=2026,
                                opens_on=datetime.date(2026, 11, 1), closes_on=datetime.date(2026, 11, 30))
    with pytest.raises(ValidationError, match="已发布"):
        svc.question_add(actor=w.users["district_admin"], campaign=w.campaign, direction="of_firm", text="新题",
                         kind="scale")
    with pytest.raises(ValidationError, match="已发布"):
        svc.question_remove(actor=w.users["district_admin"], question=w.of_firm[0])


def test_one_campaign_per_district_and_year_and_windows_do_not_overlap(ew):
    w = ew
    with pytest.raises(ValidationError, match="已有 2025 年度"):
        svc.campaign_create(actor=w.users["district_admin"], district=w.shanting, year=2025,
                            opens_on=datetime.date(2025, 12, 1), closes_on=datetime.date(2025, 12, 20))
    with pytest.raises(ValidationError, match="重叠"):
        svc.campaign_create(actor=w.users["district_admin"], district=w.shanting, year=2024,
                            opens_on=datetime.date(2025, 11, 30), closes_on=datetime.date(2025, 12, 10))
    with pytest.raises(ValidationError, match="应在 2026 年或次年开始"):
        svc.campaign_create(actor=w.users["district_admin"], district=w.shanting, year=2026,
                            opens_on=datetime.date(2025, 12, 1), closes_on=datetime.date(2026, 1, 31))
    with pytest.raises(ValidationError, match="不能早于"):
        svc.campaign_create(actor=w.users["district_admin_gc"], district=w.guancheng, year=2025,
                            opens_on=datetime.date(2025, 11, 30), closes_on=datetime.date(2025, 11, 1))
    assert Campaign.objects.count() == 1


def test_publishing_tells_the_streets_the_communities_clerks_and_the_serving_firms(world):
    w = world
    c = svc.campaign_create(actor=w.users["district_admin"], district=w.shanting, year=2025, opens_on=OPENS,
                            closes_on=CLOSES)
    svc.campaign_publish(actor=w.users["district_admin"], campaign=c, today=datetime.date(2025, 10, 20))
    told = set(Notification.objects.filter(key__startswith="evaluation.opened:").values_list("user__username",
                                                                                             flat=True))
    assert told == {"street_staff", "street_staff2", "community_clerk", "firm_user", "firm_user2"}
    title = Notification.objects.filter(key__startswith="evaluation.opened:").first().title
    assert title == "山亭区 2025 年度履约双向评价：2025-11-01 至 2025-11-30 填报"
    with pytest.raises(ValidationError):
        svc.campaign_publish(actor=w.users["district_admin"], campaign=c, today=datetime.date(2025, 10, 20))
    assert Notification.objects.filter(key__startswith="evaluation.opened:").count() == 5


# --- who evaluates whom -----------------------------------------------------------------------------------------

def test_streets_and_communities_evaluate_the_firms_serving_their_estates_and_firms_their_offices(ew):
    w = ew
    c = w.campaign
    names = lambda qs: sorted(qs.values_list("name", flat=True))  # noqa: E731
    assert names(targets(K.STREET, w.shancheng.pk, K.FIRM, INSIDE, campaign=c)) == [w.firm1.name]
    assert names(targets(K.STREET, w.beizhuang.pk, K.FIRM, INSIDE, campaign=c)) == [w.firm2.name]
    assert names(targets(K.COMMUNITY, w.meiyuan.pk, K.FIRM, INSIDE, campaign=c)) == [w.firm1.name]
    assert names(targets(K.COMMUNITY, w.ziwei.pk, K.FIRM, INSIDE, campaign=c)) == []  # 锦绣花园 has no firm
    assert names(targets(K.FIRM, w.firm1.pk, K.STREET, INSIDE, campaign=c)) == ["山城街道"]
    assert names(targets(K.FIRM, w.firm1.pk, K.COMMUNITY, INSIDE, campaign=c)) == ["梅园社区"]
    assert names(targets(K.COMMITTEE, w.committee.pk, K.COMMUNITY, INSIDE, campaign=c)) == ["梅园社区"]


def test_a_firm_that_left_before_the_year_is_not_evaluated_one_that_left_during_it_is(ew):
    w = ew
    old = EstateFactory(community=w.ziwei, name="翠竹苑")
    gone = ServiceContractFactory(estate=old, firm=w.firm2, start_date=datetime.date(2022, 1, 1),
                                  end_date=datetime.date(2024, 12, 31), status="ended",
                                  ended_on=datetime.date(2024, 12, 31), handover_date=datetime.date(2024, 12, 31))
    assert not targets(K.STREET, w.shancheng.pk, K.FIRM, INSIDE, campaign=w.campaign).filter(pk=w.firm2.pk).exists()
    gone.ended_on = gone.handover_date = datetime.date(2025, 3, 31)
    gone.save()
    assert targets(K.STREET, w.shancheng.pk, K.FIRM, INSIDE, campaign=w.campaign).filter(pk=w.firm2.pk).exists()


def test_a_unit_evaluates_only_its_own_targets_for_itself(ew):
    w = ew
    with pytest.raises(ValidationError, match="不能代表"):  # 北庄街道's clerk for 山城街道
        submit(w, "street_staff2", (K.STREET, w.shancheng), (K.FIRM, w.firm1), GOOD)
    with pytest.raises(ValidationError, match="不在本次评价范围"):  # 山城街道 is not served by firm 乙
        submit(w, "street_staff", (K.STREET, w.shancheng), (K.FIRM, w.firm2), GOOD)
    with pytest.raises(ValidationError, match="不能代表"):  # a firm does not fill in a committee's paper
        submit(w, "firm_user", (K.COMMITTEE, w.committee), (K.STREET, w.shancheng), OFFICE, **PAPER)
    assert Response.objects.count() == 0


# --- one per evaluator, target and year ------------------------------------------------------------------------

def test_one_questionnaire_per_unit_firm_and_year(ew):
    w = ew
    submit(w, "street_staff", (K.STREET, w.shancheng), (K.FIRM, w.firm1), GOOD)
    with pytest.raises(ValidationError, match="每个单位每年只能评价一次"):
        submit(w, "street_staff", (K.STREET, w.shancheng), (K.FIRM, w.firm1), [1, 1, 1, 1, 1, False])
    # another unit about the same firm, the same unit the next year: each once
    submit(w, "community_clerk", (K.COMMUNITY, w.meiyuan), (K.FIRM, w.firm1), GOOD)
    nxt = svc.campaign_create(actor=w.users["district_admin"], district=w.shanting, year=2026,
                              opens_on=datetime.date(2026, 11, 1), closes_on=datetime.date(2026, 11, 30))
    svc.campaign_publish(actor=w.users["district_admin"], campaign=nxt, today=datetime.date(2026, 10, 1))
    submit(w, "street_staff", (K.STREET, w.shancheng), (K.FIRM, w.firm1), GOOD, campaign=nxt,
           today=datetime.date(2026, 11, 2))
    assert Response.objects.filter(evaluator_street=w.shancheng, target_firm=w.firm1).count() == 2
    assert Response.objects.filter(campaign=w.campaign).count() == 2


def test_every_question_must_be_answered_and_nothing_is_half_written(ew):
    w = ew
    partial = answers(w.of_firm, GOOD)
    partial[w.of_firm[2].pk]["value"] = ""
    partial[w.of_firm[5].pk]["value"] = "maybe"
    with pytest.raises(ValidationError) as exc:
        svc.response_submit(actor=w.users["street_staff"], campaign=w.campaign, evaluator_kind=K.STREET,
                            evaluator_id=w.shancheng.pk, target_kind=K.FIRM, target_id=w.firm1.pk,
                            answers=partial, today=INSIDE)
    assert exc.value.message_dict == {f"q{w.of_firm[2].pk}": ["第 3 题请选择 1 至 5 分。"],
                                      f"q{w.of_firm[5].pk}": ["第 6 题请选择“是”或“否”。"]}
    assert Response.objects.count() == 0 and Answer.objects.count() == 0


# --- owners' committees on paper -------------------------------------------------------------------------------

def test_a_clerk_enters_the_committees_paper_questionnaire_marked_as_such(ew):
    w = ew
    with pytest.raises(ValidationError) as exc:
        submit(w, "community_clerk", (K.COMMITTEE, w.committee), (K.COMMUNITY, w.meiyuan), OFFICE)
    assert set(exc.value.message_dict) == {"paper_number", "paper_signed_on"}
    with pytest.raises(ValidationError, match="签署日期"):
        submit(w, "community_clerk", (K.COMMITTEE, w.committee), (K.COMMUNITY, w.meiyuan), OFFICE,
               paper_number="MY-1", paper_signed_on=datetime.date(2025, 10, 30))
    r = submit(w, "community_clerk", (K.COMMITTEE, w.committee), (K.COMMUNITY, w.meiyuan), OFFICE, **PAPER)
    assert (r.on_paper, r.paper_number, r.entered_by.username) == (True, "SC-2025-001", "community_clerk")
    # the street's clerk enters the same committee's questionnaire about the street, once
    submit(w, "street_staff", (K.COMMITTEE, w.committee), (K.STREET, w.shancheng), OFFICE, **PAPER)
    with pytest.raises(ValidationError, match="只能评价一次"):
        submit(w, "street_staff", (K.COMMITTEE, w.committee), (K.STREET, w.shancheng), OFFICE, **PAPER)


def test_a_standin_management_committee_does_not_evaluate_the_street_that_leads_it(ew):
    w = ew
    standin = OwnerCommitteeFactory(estate=EstateFactory(community=w.ziwei, name="老粮站"), kind=CommitteeKind.STANDIN)
    with pytest.raises(ValidationError, match="不能代表"):
        submit(w, "street_staff", (K.COMMITTEE, standin), (K.STREET, w.shancheng), OFFICE, **PAPER)


# --- results worked by hand ------------------------------------------------------------------------------------

def _fill_firm1_and_shancheng(w):
    # firm 甲 by 山城街道: 5 4 4 3 5 是; by 梅园社区: 3 4 2 3 4 否
    submit(w, "street_staff", (K.STREET, w.shancheng), (K.FIRM, w.firm1), [5, 4, 4, 3, 5, True])
    submit(w, "community_clerk", (K.COMMUNITY, w.meiyuan), (K.FIRM, w.firm1), [3, 4, 2, 3, 4, False])
    # 山城街道 by firm 甲: 4 4 5 3 是; by 梅花园's committee (paper): 2 3 3 3 否
    submit(w, "firm_user", (K.FIRM, w.firm1), (K.STREET, w.shancheng), [4, 4, 5, 3, True])
    submit(w, "street_staff", (K.COMMITTEE, w.committee), (K.STREET, w.shancheng), [2, 3, 3, 3, False], **PAPER)
    # firm 乙 by 北庄街道: 2 2 2 2 2 否
    submit(w, "street_staff2", (K.STREET, w.beizhuang), (K.FIRM, w.firm2), [2, 2, 2, 2, 2, False])


def test_results_by_firm_average_each_question_and_overall(ew):
    w = ew
    _fill_firm1_and_shancheng(w)
    rows = {r.target.name: r for r in results(w.campaign, K.FIRM)}
    r = rows[w.firm1.name]
    assert r.responses == 2
    # per question: (5+3)/2, (4+4)/2, (4+2)/2, (3+3)/2, (5+4)/2; yes/no: 1 of 2 = 50 %
    assert r.cells(w.of_firm) == [Decimal("4.00"), Decimal("4.00"), Decimal("3.00"), Decimal("3.00"),
                                  Decimal("4.50"), Decimal("50.00")]
    # overall: (5+4+4+3+5 + 3+4+2+3+4) / 10 = 37 / 10
    assert r.overall == Decimal("3.70")
    assert (rows[w.firm2.name].responses, rows[w.firm2.name].overall) == (1, Decimal("2.00"))


def test_results_by_street_count_the_committees_paper_and_round_half_up(ew):
    w = ew
    _fill_firm1_and_shancheng(w)
    [r] = results(w.campaign, K.STREET)
    assert (r.target.name, r.responses) == ("山城街道", 2)
    # (4+2)/2, (4+3)/2, (5+3)/2, (3+3)/2, 1 of 2 yes
    assert r.cells(w.of_office) == [Decimal("3.00"), Decimal("3.50"), Decimal("4.00"), Decimal("3.00"),
                                    Decimal("50.00")]
    # (4+4+5+3 + 2+3+3+3) / 8 = 27 / 8 = 3.375 -> 3.38
    assert r.overall == Decimal("3.38")
    assert results(w.campaign, K.COMMUNITY) == []


# --- confirming the results and the credit hook ----------------------------------------------------------------

@pytest.fixture
def poor_rule(db):
    """The city's catalogue with the rule the hook would feed (not in the default catalogue)."""
    policy = CreditPolicy.objects.in_force(datetime.date(2025, 12, 1)) or CreditPolicy.objects.create(
        effective_from=datetime.date(2020, 1, 1))
    return CreditRule.objects.create(policy=policy, code=svc.EVALUATION_POOR, name="履约双向评价结果较差",
                                     kind=CreditKind.BAD, points=-1, points_min=-1, points_max=-1, publish_months=12,
                                     evidence="双向评价结果", automatic=True)


def test_results_are_confirmed_only_after_the_window(ew):
    w = ew
    with pytest.raises(ValidationError, match="截止（2025-11-30）后"):
        svc.campaign_confirm(actor=w.users["district_admin"], campaign=w.campaign, today=CLOSES, now=timezone.now())
    with pytest.raises(ValidationError, match="只有本区管理员"):
        svc.campaign_confirm(actor=w.users["district_staff"], campaign=w.campaign, today=AFTER, now=timezone.now())
    svc.campaign_confirm(actor=w.users["district_admin"], campaign=w.campaign, today=AFTER, now=timezone.now())
    w.campaign.refresh_from_db()
    assert (w.campaign.status, w.campaign.confirmed_on) == (CampaignStatus.CONFIRMED, AFTER)


def test_the_credit_hook_does_not_fire_when_the_campaign_does_not_feed_credit(ew, poor_rule):
    w = ew
    _fill_firm1_and_shancheng(w)  # firm 乙 at 2.00, below the default line 3.00
    assert w.campaign.feeds_credit is False  # the default
    written = svc.campaign_confirm(actor=w.users["district_admin"], campaign=w.campaign, today=AFTER,
                                   now=timezone.now())
    assert written == [] and CreditRecord.objects.count() == 0


def test_the_credit_hook_when_on_records_the_firms_below_the_line_once(ew, poor_rule):
    w = ew
    _fill_firm1_and_shancheng(w)
    Campaign.objects.filter(pk=w.campaign.pk).update(feeds_credit=True)
    w.campaign.refresh_from_db()
    [record] = svc.campaign_confirm(actor=w.users["district_admin"], campaign=w.campaign, today=AFTER,
                                    now=timezone.now())
    assert (record.firm_id, record.rule_code, record.points) == (w.firm2.pk, "evaluation_poor", -1)  # 2.00 < 3.00
    assert "综合平均分 2.00，低于 3.00" in record.title  # firm 甲 at 3.70 is not recorded
    assert svc.credit_feed(campaign=w.campaign, now=timezone.now()) == [record]  # a rerun adds nothing
    assert CreditRecord.objects.count() == 1


def test_the_hook_writes_nothing_while_the_city_has_no_such_rule(ew):
    w = ew
    _fill_firm1_and_shancheng(w)
    Campaign.objects.filter(pk=w.campaign.pk).update(feeds_credit=True)
    w.campaign.refresh_from_db()
    assert svc.campaign_confirm(actor=w.users["district_admin"], campaign=w.campaign, today=AFTER,
                                now=timezone.now()) == []
    assert CreditRecord.objects.count() == 0


# --- 待办 ------------------------------------------------------------------------------------------------------

def _count(user, day):
    return sum(qs.count() for qs in to_fill(user, timezone.make_aware(datetime.datetime.combine(
        day, datetime.time(10)))))


def test_the_queue_counts_what_each_street_and_firm_still_owes_inside_the_window(ew):
    w = ew
    assert _count(w.users["street_staff"], INSIDE) == 1  # firm 甲
    assert _count(w.users["firm_user"], INSIDE) == 2  # 山城街道 and 梅园社区
    assert _count(w.users["street_staff"], datetime.date(2025, 10, 31)) == 0
    assert _count(w.users["street_staff"], AFTER) == 0
    submit(w, "street_staff", (K.STREET, w.shancheng), (K.FIRM, w.firm1), GOOD)
    submit(w, "firm_user", (K.FIRM, w.firm1), (K.COMMUNITY, w.meiyuan), OFFICE)
    assert _count(w.users["street_staff"], INSIDE) == 0
    assert _count(w.users["firm_user"], INSIDE) == 1
    assert _count(w.users["street_staff2"], INSIDE) == 1
    assert _count(w.users["district_admin"], INSIDE) == 0
    assert "evaluations_to_fill" in menu.queues_for(w.users["street_staff"])
    counts = menu.header_counts(w.users["firm_user"], timezone.make_aware(datetime.datetime(2025, 11, 10, 10)))
    assert counts.queues["evaluations_to_fill"] == 1
