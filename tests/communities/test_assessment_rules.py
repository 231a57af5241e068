"""The owner-committee yearly assessment and its allowance (章贡 四(一)), worked by hand:
12 members × 300 yuan × 12 months = 43,200; a member who left in June counts 6 months; 350 yuan is refused
(the policy's 不高于300元); one assessment per committee and year; the result counts once the district confirms."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Notification
from communities.models import (
    ALLOWANCE_CAP,
    AssessmentStatus,
    CommitteeAssessment,
    CommitteeAssessmentPolicy,
)
from communities.services import assessments as svc

from .assessment_world import TODAY, YEAR, aw, confirm, submit  # noqa: F401  (aw is a fixture)

pytestmark = pytest.mark.django_db


def test_twelve_members_all_year_at_300_is_43200(aw):
    w = aw
    # 梅花园's committee was elected in June 2023 and sits until May 2028: all of 2025 (January to December).
    a = confirm(w, submit(w, w.c_mei))
    st = svc.allowance_statement(a)
    assert st.due and st.reason == ""
    assert st.rate == Decimal("300.00")
    assert [months for _m, months, _a in st.rows] == [12] * 12
    assert st.member_months == 144
    assert st.total == Decimal("43200.00")  # 12 × 300 × 12
    assert st.per_month == [12] * 12
    assert "物业服务费或公共收益" in st.funds


def test_a_member_who_left_in_june_counts_six_months(aw):
    w = aw
    roster = svc.default_roster(w.c_mei, YEAR)
    roster[-1]["to_month"] = 6  # the last member left at the end of June
    a = confirm(w, submit(w, w.c_mei, roster=roster))
    st = svc.allowance_statement(a)
    assert st.rows[-1][1] == 6 and st.rows[-1][2] == Decimal("1800.00")  # 6 × 300
    assert st.member_months == 11 * 12 + 6
    assert st.total == Decimal("41400.00")  # 43,200 − 6 × 300
    assert st.per_month == [12] * 6 + [11] * 6


def test_the_districts_lower_amount_is_used_and_the_committee_term_bounds_the_months(aw):
    w = aw
    w.policy = svc.policy_create(actor=w.users["district_admin"], district=w.shanting,
                                 effective_from=datetime.date(2025, 7, 1), pass_mark="60", allowance_per_member="200",
                                 criteria=svc.DEFAULT_CRITERIA)
    # 北庄花园's committee was elected in March 2024: in 2024 it sat March to December (10 months).
    assert svc.term_months(w.c_bz, 2024) == (3, 12)
    roster = svc.default_roster(w.c_bz, 2024)
    roster[0]["from_month"] = 1  # before the committee was elected
    with pytest.raises(ValidationError, match="超出委员会 2024 年的任期（3 月至 12 月）"):
        submit(w, w.c_bz, actor="street_staff2", year=2024, roster=roster)
    assert not CommitteeAssessment.objects.exists()
    a = confirm(w, submit(w, w.c_bz, actor="street_staff2", year=2024))
    st = svc.allowance_statement(a)
    assert a.policy.allowance_per_member == Decimal("200.00")  # the version in force on the assessment day
    assert st.total == Decimal("10000.00")  # 5 members × 10 months × 200


def test_an_amount_of_350_is_refused_with_the_cap_and_nothing_is_saved(aw):
    w = aw
    before = CommitteeAssessmentPolicy.objects.count()
    with pytest.raises(ValidationError) as exc:
        svc.policy_create(actor=w.users["district_admin"], district=w.shanting,
                          effective_from=datetime.date(2026, 1, 1), pass_mark="60", allowance_per_member="350",
                          criteria=svc.DEFAULT_CRITERIA)
    assert exc.value.message_dict["allowance_per_member"] == [
        "每人每月补贴 350.00 元超过政策上限 300 元（“每人每月不高于300元”），不能保存。"]
    assert CommitteeAssessmentPolicy.objects.count() == before
    # 300 itself is allowed; the database refuses more even past the service.
    svc.policy_create(actor=w.users["district_admin"], district=w.shanting, effective_from=datetime.date(2026, 1, 1),
                      pass_mark="60", allowance_per_member="300.00", criteria=svc.DEFAULT_CRITERIA)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitteeAssessmentPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2027, 1, 1),
                                                 allowance_per_member=ALLOWANCE_CAP + Decimal("0.01"))


def test_only_the_districts_administrator_sets_the_policy(aw):
    w = aw
    for persona in ("district_staff", "street_staff", "district_admin_gc"):
        with pytest.raises(ValidationError, match="只有本区管理员"):
            svc.policy_create(actor=w.users[persona], district=w.shanting, effective_from=datetime.date(2026, 1, 1),
                              pass_mark="60", allowance_per_member="300", criteria=svc.DEFAULT_CRITERIA)


def test_a_second_assessment_of_the_same_year_is_refused(aw):
    w = aw
    first = submit(w, w.c_mei)
    with pytest.raises(ValidationError, match="2025 年度已有考核"):
        submit(w, w.c_mei, points=Decimal("20"))
    assert list(CommitteeAssessment.objects.filter(committee=w.c_mei)) == [first]
    # The constraint holds even past the service's check.
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitteeAssessment.objects.create(committee=w.c_mei, year=YEAR, street=w.shancheng, district=w.shanting,
                                           policy=w.policy, total_points=0, pass_mark=60, qualified=False,
                                           assessed_by=w.users["street_staff"], assessed_on=TODAY)
    # Another year is another assessment.
    assert submit(w, w.c_mei, year=2024).year == 2024


def test_the_result_is_computed_from_the_items(aw):
    w = aw
    # 12 × 5 = 60 reaches the pass mark of 60; 11.99 × 5 = 59.95 does not.
    a = submit(w, w.c_mei, points=Decimal("12"))
    assert (a.total_points, a.qualified) == (Decimal("60.00"), True)
    b = submit(w, w.c_bz, actor="street_staff2", points=Decimal("11.99"))
    assert (b.total_points, b.qualified) == (Decimal("59.95"), False)
    assert "低于合格分数线 60.00 分" in svc.result_reason(b)
    # Full points but a failed pass/fail item: not qualified.
    c = submit(w, w.c_mei, year=2024, points=Decimal("20"), passed=False)
    assert (c.total_points, c.qualified) == (Decimal("100.00"), False)
    assert "不合格项：无违法违规行为" in svc.result_reason(c)


def test_points_above_the_maximum_or_missing_are_refused(aw):
    w = aw
    with pytest.raises(ValidationError, match="须在 0 至 20.00 分之间"):
        submit(w, w.c_mei, points=Decimal("21"))
    with pytest.raises(ValidationError, match="尚未评分"):
        svc.assessment_submit(actor=w.users["street_staff"], committee=w.c_mei, year=YEAR, scores={},
                              roster=svc.default_roster(w.c_mei, YEAR), today=TODAY)
    assert not CommitteeAssessment.objects.exists()


def test_not_confirmed_or_not_qualified_shows_zero_with_the_reason(aw):
    w = aw
    a = submit(w, w.c_mei)
    st = svc.allowance_statement(a)
    assert (st.total, st.due) == (Decimal("0.00"), False)
    assert st.reason == "考核结果尚未经区确认（待区确认）。"
    b = confirm(w, submit(w, w.c_bz, actor="street_staff2", points=Decimal("10")))
    st = svc.allowance_statement(b)
    assert st.total == Decimal("0.00")
    assert st.reason.startswith("年度考核不合格：得分 50.00 分，低于合格分数线 60.00 分")
    assert svc.allowance_statement(None, 2024).reason == "2024 年度未进行考核。"


def test_the_street_corrects_before_the_district_confirms_and_not_after(aw):
    w = aw
    a = submit(w, w.c_mei, points=Decimal("10"))
    assert a.qualified is False
    a = svc.assessment_transition(actor=w.users["district_admin"], assessment=a, action="return",
                                  comment="第三项评分依据不足", today=TODAY)
    assert a.status == AssessmentStatus.RETURNED
    a = svc.assessment_correct(actor=w.users["street_staff"], assessment=a,
                               scores={c.pk: ({"points": Decimal("15")} if c.max_points else {"passed": True})
                                       for c in w.policy.criteria.all()},
                               roster=svc.default_roster(w.c_mei, YEAR), comment="补充材料后更正", today=TODAY)
    assert (a.status, a.total_points, a.qualified) == (AssessmentStatus.SUBMITTED, Decimal("75.00"), True)
    assert a.events.last().comment.startswith("更正：50.00 分 → 得分 75.00 分")
    a = confirm(w, a)
    assert (a.status, a.confirmed_on) == (AssessmentStatus.CONFIRMED, TODAY)
    with pytest.raises(ValidationError, match="区已确认该考核结果"):
        svc.assessment_correct(actor=w.users["street_staff"], assessment=a, scores={}, roster=[], today=TODAY)
    with pytest.raises(ValidationError, match="不能执行此操作"):
        confirm(w, a)


def test_who_may_submit_and_confirm(aw):
    w = aw
    for persona in ("street_staff2", "community_clerk", "district_admin", "firm_user"):
        with pytest.raises(ValidationError, match="只能由委员会所在小区的街道"):
            submit(w, w.c_mei, actor=persona)
    a = submit(w, w.c_mei)
    for persona in ("street_staff", "district_staff", "district_admin_gc"):
        with pytest.raises(ValidationError, match="只有本区管理员"):
            svc.assessment_transition(actor=w.users[persona], assessment=a, action="confirm", today=TODAY)
    with pytest.raises(ValidationError, match="退回时请填写原因"):
        svc.assessment_transition(actor=w.users["district_admin"], assessment=a, action="return", today=TODAY)


def test_a_future_year_a_year_outside_the_term_and_a_district_without_policy_are_refused(aw):
    w = aw
    with pytest.raises(ValidationError, match="尚未开始的年度"):
        submit(w, w.c_mei, year=2026)
    with pytest.raises(ValidationError, match="2022 年不在任期内"):
        submit(w, w.c_mei, year=2022)
    with pytest.raises(ValidationError, match="尚未制定业委会考核政策"):
        svc.assessment_submit(actor=w.users["city_admin"], committee=w.c_zj, year=YEAR, scores={}, roster=[],
                              today=TODAY)


def test_one_person_is_counted_once_a_month(aw):
    w = aw
    roster = svc.default_roster(w.c_mei, YEAR)
    roster.append({**roster[0], "from_month": 6, "to_month": 8})
    with pytest.raises(ValidationError, match="同一人每月只计一次"):
        submit(w, w.c_mei, roster=roster)


def test_submitting_tells_the_district_admin_and_confirming_tells_the_street(aw):
    w = aw
    a = submit(w, w.c_mei)
    told = set(Notification.objects.filter(key__startswith="committee_assessment.submitted:")
               .values_list("user__username", flat=True))
    assert told == {"district_admin"}
    confirm(w, a)
    told = set(Notification.objects.filter(key__startswith="committee_assessment.confirmed:")
               .values_list("user__username", flat=True))
    assert told == {"street_staff"}
