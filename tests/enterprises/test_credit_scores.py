"""The yearly credit score and the blacklist, held to issue 12's worked examples written out by hand:

- one 5★ and two 3★ estates in the year and one overdue order: 80 + (3 + 1 + 1) − 2 = 83 → AA;
- good points 29 and two overdue orders: 80 + 20 − 4 = 96 → AAA (not 105);
- scores 70 then 68: listed when 68 is published; 69, 71, 70: never listed;
- a serious record confirmed 2025-05-10, published 3 years: listed until 2028-05-10; a repair approved
  2026-09-01 removes it then; the published 2025 score is unchanged;
- an objection upheld: the record is withdrawn and not counted.
"""
import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from enterprises.credit.permissions import Unit
from enterprises.credit.records import (
    credit_objection_decide,
    credit_objection_submit,
    credit_record_auto,
    credit_record_confirm,
    credit_record_create,
    credit_record_repair,
)
from enterprises.credit.scores import (
    credit_year_publish,
    credit_year_recompute,
    credit_year_review,
    credit_year_run,
    credit_year_scheduled,
)
from enterprises.credit.writers import credit_for_recheck
from enterprises.models import (
    BlacklistEntry,
    CreditScore,
    CreditYear,
    CreditYearStatus,
    firm_is_blacklisted,
)
from ratings.models import RecheckDecision
from tests.factories import EstateFactory, FirmFactory

from .test_credit_records import at, bad_record, credit_world, document, overdue_order, record_of  # noqa: F401

pytestmark = pytest.mark.django_db


def star(w, estate, tier, decided=datetime.date(2025, 12, 18)):
    """The district's confirmed yearly re-check of `estate` at `tier` (its source), written as the ratings
    service writes it, then the writer that service calls."""
    decision = RecheckDecision.objects.create(estate=estate, year=decided.year, mean_score=Decimal("86.00"),
                                              tier_before=tier, tier_after=tier, decided_by=w.users["district_admin"],
                                              decided_at=at(decided))
    return credit_for_recheck(decision=decision, firm_id=estate.firm_id, now=at(decided))


def run_year(w, year, *, publish=True):
    day = datetime.date(year + 1, 1, 5)
    cy = credit_year_run(year=year, today=day, now=at(day, 4))
    if publish:
        cy = credit_year_review(actor=w.users["city_admin"], credit_year=cy, today=day, now=at(day, 10))
        cy = credit_year_publish(actor=w.users["city_admin"], credit_year=cy, today=day + datetime.timedelta(days=10),
                                 now=at(day + datetime.timedelta(days=10)))
    return cy


def score(firm, year):
    return CreditScore.objects.get(firm=firm, credit_year__year=year)


def test_five_star_two_three_stars_and_one_overdue_order_make_83_aa(credit_world):
    w = credit_world
    more = [EstateFactory(community=w.meiyuan, firm=w.firm1, firm_since=datetime.date(2024, 1, 1)) for _ in range(2)]
    for estate, tier in ((w.estate_a1, 5), (more[0], 3), (more[1], 3)):
        record = star(w, estate, tier)
        assert record.points == {5: 3, 3: 1}[tier]
        credit_record_confirm(actor=w.users["district_admin"], record=record, now=at(datetime.date(2025, 12, 29)))
    [order_record] = record_of(overdue_order(w, issued=datetime.date(2025, 6, 2)))
    credit_record_confirm(actor=w.users["district_admin"], record=order_record, now=at(datetime.date(2025, 6, 20)))
    run_year(w, 2025, publish=False)
    s = score(w.firm1, 2025)
    assert (s.good_points, s.bad_points, s.record_count, s.score, s.level) == (5, 2, 4, 83, "AA")


def test_good_points_are_capped_at_20_96_aaa_not_105(credit_world):
    w = credit_world
    estates = [EstateFactory(community=w.meiyuan, firm=w.firm1, firm_since=datetime.date(2024, 1, 1)) for _ in range(8)]
    # Eight 5★ estates (24), one 4★ (2) and an award (3): 29 good points, counted as 20.
    goods = [star(w, e, 5) for e in estates] + [star(w, w.estate_a1, 4)]
    good_total = sum(r.points for r in goods)
    assert good_total == 26
    award = credit_record_create(actor=w.users["district_admin"], firm=w.firm1, unit=Unit(w.shanting.pk),
                                 rule_code="award", points=3, title="获区级物业管理先进单位", detail="",
                                 occurred_on=datetime.date(2025, 12, 1), document=document("表彰.pdf"),
                                 now=at(datetime.date(2025, 12, 2)))
    for r in [*goods, award]:
        credit_record_confirm(actor=w.users["district_admin"], record=r, now=at(datetime.date(2025, 12, 29)))
    for issued in (datetime.date(2025, 3, 3), datetime.date(2025, 9, 1)):
        [r] = record_of(overdue_order(w, issued=issued))
        credit_record_confirm(actor=w.users["district_admin"], record=r, now=at(issued + datetime.timedelta(days=20)))
    run_year(w, 2025, publish=False)
    s = score(w.firm1, 2025)
    assert (s.good_points, s.bad_points, s.score, s.level) == (29, 4, 96, "AAA")


def test_scores_70_then_68_list_the_firm_when_68_is_published(credit_world):
    w = credit_world
    bad_record(w, "2024-a", datetime.date(2024, 3, 1))
    bad_record(w, "2024-b", datetime.date(2024, 9, 1))  # 80 − 10 = 70
    bad_record(w, "2025-a", datetime.date(2025, 2, 3))
    bad_record(w, "2025-b", datetime.date(2025, 6, 2))
    last = bad_record(w, "2025-c", datetime.date(2025, 11, 20), rule_code="order_overdue")  # 80 − 12 = 68
    run_year(w, 2024)
    assert score(w.firm1, 2024).score == 70 and not BlacklistEntry.objects.exists()
    cy = run_year(w, 2025, publish=False)
    assert score(w.firm1, 2025).score == 68 and not BlacklistEntry.objects.exists()  # computed, not published
    cy = credit_year_review(actor=w.users["city_admin"], credit_year=cy, today=datetime.date(2026, 1, 6),
                            now=at(datetime.date(2026, 1, 6)))
    credit_year_publish(actor=w.users["city_admin"], credit_year=cy, today=datetime.date(2026, 1, 15),
                        now=at(datetime.date(2026, 1, 15)))
    [entry] = BlacklistEntry.objects.all()
    assert (entry.firm, entry.basis, entry.starts_on) == (w.firm1, "two_low_years", datetime.date(2026, 1, 15))
    # The records behind it still published on the day: 2025's (12 months each); the latest ends 2026-11-20.
    assert entry.ends_on == datetime.date(2026, 11, 20) and last in entry.records.all()
    assert entry.records.count() == 3
    assert "2024 年 70 分，2025 年 68 分" in entry.reason
    assert not firm_is_blacklisted(w.firm1.pk, datetime.date(2026, 1, 14))
    assert firm_is_blacklisted(w.firm1.pk, datetime.date(2026, 1, 15))
    assert firm_is_blacklisted(w.firm1.pk, datetime.date(2026, 11, 20))
    assert not firm_is_blacklisted(w.firm1.pk, datetime.date(2026, 11, 21))
    assert not firm_is_blacklisted(w.firm2.pk, datetime.date(2026, 6, 1))  # 80 both years


def test_scores_69_71_70_never_list_the_firm(credit_world):
    w = credit_world
    plan = {2023: ["disqualified", "disqualified", "inspection_below_60"],  # −11: 69
            2024: ["disqualified", "order_overdue", "order_overdue"],       # −9: 71
            2025: ["disqualified", "disqualified"]}                         # −10: 70
    for year, codes in plan.items():
        for i, code in enumerate(codes):
            bad_record(w, f"{year}-{i}", datetime.date(year, 3 + i, 10), rule_code=code)
    for year in plan:
        run_year(w, year)
    assert [score(w.firm1, y).score for y in plan] == [69, 71, 70]
    assert not BlacklistEntry.objects.exists()


def test_serious_record_lists_for_three_years_and_repair_removes_it_without_changing_the_score(credit_world):
    w = credit_world
    record = credit_record_create(actor=w.users["district_admin"], firm=w.firm1, unit=Unit(w.shanting.pk),
                                  rule_code="safety_accident", points=-10, title="小区地下车库火灾造成人员受伤",
                                  detail="", occurred_on=datetime.date(2025, 4, 28), document=document("事故调查报告.pdf"),
                                  now=at(datetime.date(2025, 4, 30)))
    credit_record_confirm(actor=w.users["district_admin"], record=record, now=at(datetime.date(2025, 5, 10)))
    [entry] = BlacklistEntry.objects.all()
    assert (entry.basis, entry.starts_on, entry.ends_on, entry.district) == (
        "serious_record", datetime.date(2025, 5, 10), datetime.date(2028, 5, 10), w.shanting)
    assert entry.trigger_record == record
    assert firm_is_blacklisted(w.firm1.pk, datetime.date(2028, 5, 10))
    assert not firm_is_blacklisted(w.firm1.pk, datetime.date(2028, 5, 11))
    run_year(w, 2025)
    assert score(w.firm1, 2025).score == 70
    credit_record_repair(actor=w.users["district_admin"], record=record, reason="企业已完成整改，消防设施验收合格",
                         now=at(datetime.date(2026, 9, 1)))
    entry.refresh_from_db()
    assert entry.removed_on == datetime.date(2026, 9, 1) and "信用修复" in entry.removal_reason
    assert entry.removed_by == w.users["district_admin"] and entry.ends_on == datetime.date(2028, 5, 10)
    assert firm_is_blacklisted(w.firm1.pk, datetime.date(2026, 8, 31))
    assert not firm_is_blacklisted(w.firm1.pk, datetime.date(2026, 9, 1))
    assert score(w.firm1, 2025).score == 70  # published: a later repair does not rewrite history
    with pytest.raises(ValidationError, match="已公布"):
        credit_year_run(year=2025, today=datetime.date(2026, 9, 2), now=at(datetime.date(2026, 9, 2)),
                        actor=w.users["city_admin"])


def test_an_upheld_objection_withdraws_the_record_from_the_score_and_the_listing(credit_world):
    w = credit_world
    serious = credit_record_auto(rule_code="media_exposure_third", firm=w.firm1, source=w.estate_a1, key="t",
                                 unit=Unit(w.shanting.pk), occurred_on=datetime.date(2025, 3, 3),
                                 now=at(datetime.date(2025, 3, 3)), title="年内第三次被新闻媒体曝光")
    credit_record_confirm(actor=w.users["district_admin"], record=serious, now=at(datetime.date(2025, 3, 4)))
    assert firm_is_blacklisted(w.firm1.pk, datetime.date(2025, 3, 4))
    objection = credit_objection_submit(actor=w.users["firm_user"], record=serious, reason="其中一次报道已更正",
                                        now=at(datetime.date(2025, 3, 5)))
    credit_objection_decide(actor=w.users["city_admin"], objection=objection, upheld=True,
                            decision="报道已由媒体更正，不计入", now=at(datetime.date(2025, 3, 7)))
    assert not firm_is_blacklisted(w.firm1.pk, datetime.date(2025, 3, 7))
    assert BlacklistEntry.objects.get().removed_on == datetime.date(2025, 3, 7)
    run_year(w, 2025, publish=False)
    s = score(w.firm1, 2025)
    assert (s.bad_points, s.record_count, s.score) == (0, 0, 80)


def test_the_year_is_computed_once_over_recomputed_until_reviewed_and_fixed_once_published(credit_world):
    w = credit_world
    with pytest.raises(ValidationError, match="尚未结束"):
        credit_year_run(year=2025, today=datetime.date(2025, 12, 31), now=at(datetime.date(2025, 12, 31)))
    bad_record(w, "a", datetime.date(2025, 3, 3))
    cy = credit_year_run(year=2025, today=datetime.date(2026, 1, 5), now=at(datetime.date(2026, 1, 5)))
    assert (cy.status, score(w.firm1, 2025).score, cy.events.count()) == (CreditYearStatus.COMPUTED, 75, 1)
    assert set(CreditScore.objects.filter(credit_year=cy).values_list("firm__name", flat=True)) == {
        w.firm1.name, w.firm2.name}
    # A record withdrawn after the year's end: the job's rerun recomputes while only computed.
    late = bad_record(w, "late", datetime.date(2025, 12, 30), confirm=True)
    credit_year_run(year=2025, today=datetime.date(2026, 1, 6), now=at(datetime.date(2026, 1, 6)))
    assert score(w.firm1, 2025).score == 70 and CreditScore.objects.count() == 2
    cy = credit_year_review(actor=w.users["city_admin"], credit_year=cy, today=datetime.date(2026, 1, 7),
                            now=at(datetime.date(2026, 1, 7)))
    objection = credit_objection_submit(actor=w.users["firm_user"], record=late, reason="记录有误",
                                        now=at(datetime.date(2026, 1, 5)))
    credit_objection_decide(actor=w.users["city_admin"], objection=objection, upheld=True, decision="记录有误",
                            now=at(datetime.date(2026, 1, 7)))
    credit_year_run(year=2025, today=datetime.date(2026, 1, 8), now=at(datetime.date(2026, 1, 8)))
    assert score(w.firm1, 2025).score == 70  # reviewed: the job leaves it alone
    for persona in ("district_admin", "firm_user"):
        with pytest.raises(ValidationError, match="只有市级管理员"):
            credit_year_publish(actor=w.users[persona], credit_year=cy, today=datetime.date(2026, 1, 8),
                                now=at(datetime.date(2026, 1, 8)))
    with pytest.raises(ValidationError, match="原因"):
        credit_year_recompute(actor=w.users["city_admin"], credit_year=cy, reason="", today=datetime.date(2026, 1, 8),
                              now=at(datetime.date(2026, 1, 8)))
    cy = credit_year_recompute(actor=w.users["city_admin"], credit_year=cy, reason="一条记录异议成立",
                               today=datetime.date(2026, 1, 8), now=at(datetime.date(2026, 1, 8)))
    assert cy.status == CreditYearStatus.COMPUTED and score(w.firm1, 2025).score == 75
    cy = credit_year_review(actor=w.users["city_admin"], credit_year=cy, today=datetime.date(2026, 1, 9),
                            now=at(datetime.date(2026, 1, 9)))
    cy = credit_year_publish(actor=w.users["city_admin"], credit_year=cy, today=datetime.date(2026, 1, 9),
                             now=at(datetime.date(2026, 1, 9)))
    assert (cy.status, cy.published_on) == (CreditYearStatus.PUBLISHED, datetime.date(2026, 1, 9))
    assert [e.action for e in cy.events.order_by("pk")] == ["compute", "review", "recompute", "review", "publish"]
    bad_record(w, "after", datetime.date(2025, 12, 31))  # never happens in practice; published stays fixed anyway
    assert credit_year_run(year=2025, today=datetime.date(2026, 2, 1), now=at(datetime.date(2026, 2, 1))) == cy
    assert score(w.firm1, 2025).score == 75
    with pytest.raises(ValidationError, match="已公布"):
        credit_year_publish(actor=w.users["city_admin"], credit_year=cy, today=datetime.date(2026, 2, 1),
                            now=at(datetime.date(2026, 2, 1)))


def test_scored_firms_are_those_active_in_the_year(credit_world):
    w = credit_world
    FirmFactory(name="新设物业服务有限公司", is_filed=True, filed_on=datetime.date(2026, 3, 1))
    credit_year_run(year=2025, today=datetime.date(2026, 1, 5), now=at(datetime.date(2026, 1, 5)))
    assert set(CreditScore.objects.values_list("firm__name", flat=True)) == {w.firm1.name, w.firm2.name}


def test_beat_task_computes_the_year_just_ended_in_january_only(credit_world):
    assert credit_year_scheduled(today=datetime.date(2026, 2, 5), now=at(datetime.date(2026, 2, 5))) is None
    cy = credit_year_scheduled(today=datetime.date(2026, 1, 5), now=at(datetime.date(2026, 1, 5)))
    assert cy.year == 2025 and CreditYear.objects.count() == 1
    assert credit_year_scheduled(today=datetime.date(2026, 1, 5), now=at(datetime.date(2026, 1, 5))) == cy
    assert CreditYear.objects.get().events.count() == 1


def test_run_credit_year_command_is_idempotent(credit_world, capsys):
    w = credit_world
    bad_record(w, "a", datetime.date(2025, 3, 3))
    with time_machine.travel(at(datetime.date(2026, 1, 10)), tick=False):
        call_command("run_credit_year", "--year", "2025")
        call_command("run_credit_year", "--year", "2025")
    out = capsys.readouterr().out
    assert out.count("2025 年度：2 家企业（AA 1 家，A 1 家），已计算待审核") == 2
    assert CreditScore.objects.count() == 2 and CreditYear.objects.get().events.count() == 1
