"""Payout generation against worked examples written by hand (先考核后拨付, by service month).

The sub_world programme runs from 2025-03 (36 months); tests that need other months set their own.
"""
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from communities.services.estates import estate_update
from enterprises.services import contract_end
from subsidies.models import BatchMonth, Payout, PayoutBatch, SubsidyPolicy
from subsidies.services import approvals as ap
from subsidies.services import generation as gen
from subsidies.services.policy import policy_create

from .conftest import participating, published

pytestmark = pytest.mark.django_db
MARCH_2025 = datetime.date(2025, 3, 1)


def d(y, m):
    return datetime.date(y, m, 1)


def lines(batch):
    """estate name -> (area, tier, rate, amount, reason) of a batch with one line per estate."""
    return {p.estate.name: (p.area, p.tier, p.rate, p.amount, p.reason) for p in batch.lines.select_related("estate")}


def table(batch):
    """[(estate, service month, firm, days, amount, reason)] of every line, in a stable order."""
    return sorted((p.estate.name, f"{p.month:%Y-%m}", p.firm.name if p.firm else "", p.days, p.amount, p.reason)
                  for p in batch.lines.select_related("estate", "firm"))


def months(batch):
    return [(f"{m.month:%Y-%m}", m.settled) for m in batch.months.order_by("month")]


def programme(w, start, months_=36, pilot=None):
    w.policy.programme_start, w.policy.programme_months, w.policy.pilot_start = start, months_, pilot
    w.policy.save()


def test_half_up_to_the_fen_worked_examples(sub_world):
    w = sub_world
    # 10.02 ㎡ × 0.25 (4★) = 2.505 -> 2.51 ; 123,456.78 ㎡ × 0.30 (5★) = 37,037.034 -> 37,037.03
    participating(w, w.estate_a1, 2025, 4, quarter=1, area="10.02")
    participating(w, w.estate_b1, 2025, 5, quarter=1, area="123456.78")
    batch = gen.generate_batch(district=w.shanting, month=MARCH_2025)
    got = lines(batch)
    assert got["梅花园"] == (Decimal("10.02"), 4, Decimal("0.25"), Decimal("2.51"), "")
    assert got["北庄花园"] == (Decimal("123456.78"), 5, Decimal("0.30"), Decimal("37037.03"), "")
    # 锦绣花园 has no result in 2025Q1: a zero line with the reason, so the batch accounts for every estate.
    assert got["锦绣花园"] == (Decimal("52000.00"), 0, Decimal("0"), Decimal("0.00"), "未参加星级评定")
    assert batch.line_count == 3 and batch.total == Decimal("37039.54")
    assert "紫荆小区" not in got  # another district
    assert months(batch) == [("2025-03", True)]


def test_every_reason_for_nothing(sub_world):
    w = sub_world
    participating(w, w.estate_a1, 2025, 0)  # accepted, but no result in the published quarter
    participating(w, w.estate_b1, 2025, 0, quarter=1)
    published(w, w.estate_a2, 2025, 1, 0, reason="below")
    from ratings.models import StarRating

    StarRating.objects.filter(estate=w.estate_b1).update(no_tier_reason="disqualified")
    got = lines(gen.generate_batch(district=w.shanting, month=MARCH_2025))
    assert got["梅花园"][3:] == (Decimal("0.00"), "未参加星级评定")
    assert got["北庄花园"][3:] == (Decimal("0.00"), "取消参评资格")
    assert got["锦绣花园"][3:] == (Decimal("0.00"), "未评上星级")


def test_a_month_waits_for_its_own_quarter_and_is_paid_once_it_is_published(sub_world):
    """Items 4 and 5: January–March are paid on 2025Q1 (never on 2024Q4's 5★), once 2025Q1 is published;
    until then every batch lists them as deferred, and nothing is lost or paid twice."""
    w = sub_world
    programme(w, d(2025, 1))
    participating(w, w.estate_a1, 2025, 0, area="20000.00")
    published(w, w.estate_a1, 2024, 4, 5)  # last year's result: never pays a 2025 month
    jan = gen.generate_batch(district=w.shanting, month=d(2025, 1))
    feb = gen.generate_batch(district=w.shanting, month=d(2025, 2))
    assert jan.line_count == 0 and jan.total == 0 and months(jan) == [("2025-01", False)]
    assert months(feb) == [("2025-01", False), ("2025-02", False)]
    assert feb.months.first().reason == "2025年第1季度尚未评定，顺延至评定结果公布后拨付"
    published(w, w.estate_a1, 2025, 1, 3)  # 20,000 × 0.20 = 4,000.00 a month
    mar = gen.generate_batch(district=w.shanting, month=d(2025, 3))
    assert months(mar) == [("2025-01", True), ("2025-02", True), ("2025-03", True)]
    assert [r for r in table(mar) if r[0] == "梅花园"] == [
        ("梅花园", "2025-01", "山亭甲物业服务有限公司", 31, Decimal("4000.00"), ""),
        ("梅花园", "2025-02", "山亭甲物业服务有限公司", 28, Decimal("4000.00"), ""),
        ("梅花园", "2025-03", "山亭甲物业服务有限公司", 31, Decimal("4000.00"), ""),
    ]
    assert mar.total == Decimal("12000.00")
    apr = gen.generate_batch(district=w.shanting, month=d(2025, 4))
    assert months(apr) == [("2025-04", False)] and apr.line_count == 0  # Q2 not yet rated
    assert Payout.objects.filter(estate=w.estate_a1, month=d(2025, 1)).count() == 1


def test_a_disqualified_quarter_pays_nothing_for_its_months(sub_world):
    w = sub_world
    programme(w, d(2025, 4))
    participating(w, w.estate_a1, 2025, 5, quarter=1, area="10000.00")
    published(w, w.estate_a1, 2025, 2, 0, reason="disqualified")
    published(w, w.estate_a1, 2025, 3, 4)
    batch = gen.generate_batch(district=w.shanting, month=d(2025, 9))
    got = [(m, a, r) for e, m, _f, _d, a, r in table(batch) if e == "梅花园"]
    assert got == [("2025-04", Decimal("0.00"), "取消参评资格"), ("2025-05", Decimal("0.00"), "取消参评资格"),
                   ("2025-06", Decimal("0.00"), "取消参评资格"), ("2025-07", Decimal("2500.00"), ""),
                   ("2025-08", Decimal("2500.00"), ""), ("2025-09", Decimal("2500.00"), "")]


def test_a_rating_of_another_year_never_pays(sub_world):
    """Item 4: an estate that sat out 2024 is not paid in 2025 on its 2023Q4 5★."""
    w = sub_world
    programme(w, d(2025, 1))
    published(w, w.estate_a1, 2023, 4, 5)
    published(w, w.estate_b1, 2025, 1, 3)
    batch = gen.generate_batch(district=w.shanting, month=d(2025, 3))
    assert {(m, a, r) for e, m, _f, _d, a, r in table(batch) if e == "梅花园"} == {
        ("2025-01", Decimal("0.00"), "未参加星级评定"), ("2025-02", Decimal("0.00"), "未参加星级评定"),
        ("2025-03", Decimal("0.00"), "未参加星级评定")}


def _end_contract(w, contract, last_day):
    contract_end(actor=w.users["street_staff"], contract=contract, data={
        "ended_on": last_day, "handover_date": last_day, "handover_note": "移交完毕", "handover_received_by": "社区"})


def test_a_month_is_split_between_firms_by_the_days_each_served(sub_world):
    """Item 3: 梅花园 changes firm on 26 April. 30,000 ㎡ × 0.30 = 9,000.00 for April:
    甲 1–25 April = 9,000 × 25/30 = 7,500.00; 乙 26–30 April = 1,500.00 (the remainder)."""
    from enterprises.services import contract_create

    w = sub_world
    programme(w, d(2025, 4))
    participating(w, w.estate_a1, 2025, 5, quarter=2, area="30000.00")
    _end_contract(w, w.contract_a1, datetime.date(2025, 4, 25))
    w.firm2.is_filed, w.firm2.filed_on = True, datetime.date(2020, 1, 1)
    w.firm2.save()
    contract_create(actor=w.users["street_staff"], estate=w.estate_a1, data={
        "firm": w.firm2, "start_date": datetime.date(2025, 4, 26), "end_date": datetime.date(2028, 4, 25),
        "fee_standard": Decimal("1.20"), "bond": Decimal("50000")})
    batch = gen.generate_batch(district=w.shanting, month=d(2025, 6))
    assert [r for r in table(batch) if r[0] == "梅花园"] == [
        ("梅花园", "2025-04", "山亭乙物业服务有限公司", 5, Decimal("1500.00"), ""),
        ("梅花园", "2025-04", "山亭甲物业服务有限公司", 25, Decimal("7500.00"), ""),
        ("梅花园", "2025-05", "山亭乙物业服务有限公司", 31, Decimal("9000.00"), ""),
        ("梅花园", "2025-06", "山亭乙物业服务有限公司", 30, Decimal("9000.00"), ""),
    ]
    # The split adds up exactly to the month's amount: 10,000.01 ㎡ × 0.30 = 3,000.003 -> 3,000.00,
    # 甲 25/30 = 2,500.00, 乙 = 500.00.
    assert gen.split_by_days(Decimal("3000.00"), [(1, 25), (2, 5)], 30) == [
        (1, 25, Decimal("2500.00")), (2, 5, Decimal("500.00"))]
    # Thirds of 100.00 over 31 days (10 + 10 + 11): 32.26 + 32.26 + 35.48 = 100.00.
    assert gen.split_by_days(Decimal("100.00"), [(1, 10), (2, 10), (3, 11)], 31) == [
        (1, 10, Decimal("32.26")), (2, 10, Decimal("32.26")), (3, 11, Decimal("35.48"))]


def test_days_without_a_serving_firm_pay_nothing_and_every_paid_yuan_reaches_a_firm(sub_world):
    """Item 2: 梅花园's contract ends on 20 May with no successor. 31,000 ㎡ × 0.20 = 6,200.00 for May:
    甲 20/31 = 4,000.00; 11 days with no firm: 0.00 (无服务企业); June: nothing (无服务企业)."""
    w = sub_world
    programme(w, d(2025, 4))
    participating(w, w.estate_a1, 2025, 3, quarter=2, area="31000.00")
    _end_contract(w, w.contract_a1, datetime.date(2025, 5, 20))
    batch = gen.generate_batch(district=w.shanting, month=d(2025, 6))
    assert [r for r in table(batch) if r[0] == "梅花园"] == [
        ("梅花园", "2025-04", "山亭甲物业服务有限公司", 30, Decimal("6200.00"), ""),
        ("梅花园", "2025-05", "", 11, Decimal("0.00"), "无服务企业"),
        ("梅花园", "2025-05", "山亭甲物业服务有限公司", 20, Decimal("4000.00"), ""),
        ("梅花园", "2025-06", "", None, Decimal("0.00"), "无服务企业"),
    ]
    assert not batch.lines.filter(firm__isnull=True, amount__gt=0).exists()
    ap.batch_transition(actor=w.users["district_staff"], batch=batch, action="check")
    ap.batch_transition(actor=w.users["district_admin"], batch=batch, action="approve")
    ap.batch_transition(actor=w.users["district_admin"], batch=batch, action="disburse",
                        disbursed_on=datetime.date(2025, 7, 10), voucher="SG-1", today=datetime.date(2025, 7, 10))
    for due in ap.pass_on_due(batch):
        staff = w.users["street_staff"] if due["street_id"] == w.shancheng.pk else w.users["street_staff2"]
        ap.pass_on_record(actor=staff, batch=batch, street_id=due["street_id"], firm_id=due["firm_id"],
                          paid_on=datetime.date(2025, 7, 11), voucher="P-1", today=datetime.date(2025, 7, 11))
    batch.refresh_from_db()
    assert batch.status == "completed"
    assert sum(p.amount for p in batch.pass_ons.all()) == batch.total == Decimal("10200.00")


def test_adjustments_never_net_below_zero(sub_world):
    """Item 6: 1,000.00 − 800.00 is accepted; a second − 800.00 would make it −600.00 and is refused."""
    w = sub_world
    participating(w, w.estate_a1, 2025, 5, quarter=1, area="3333.34")  # × 0.30 = 1,000.002 -> 1,000.00
    batch = gen.generate_batch(district=w.shanting, month=MARCH_2025)
    line = batch.lines.get(estate=w.estate_a1)
    assert line.amount == Decimal("1000.00")
    ap.batch_transition(actor=w.users["district_staff"], batch=batch, action="check")
    ap.batch_transition(actor=w.users["district_admin"], batch=batch, action="approve")
    ap.adjustment_create(actor=w.users["district_admin"], original=line, delta="-800.00", reason="面积核减")
    with pytest.raises(ValidationError, match="调整后金额不能为负数") as err:
        ap.adjustment_create(actor=w.users["district_admin"], original=line, delta="-800.00", reason="再次核减")
    assert "-600.00" in str(err.value)
    # Once the first adjustment is paid in April's batch, the rule still counts it.
    gen.generate_batch(district=w.shanting, month=d(2025, 4))
    with pytest.raises(ValidationError, match="调整后金额不能为负数"):
        ap.adjustment_create(actor=w.users["district_admin"], original=line, delta="-200.01", reason="再次核减")
    ap.adjustment_create(actor=w.users["district_admin"], original=line, delta="-200.00", reason="核减至 0")


def test_the_area_in_force_in_the_service_month_is_paid(sub_world):
    """Item 10: the area changes from 20,000 to 25,000 ㎡ effective 1 February, recorded on 10 March.
    January pays 20,000 × 0.30 = 6,000.00; February and March 25,000 × 0.30 = 7,500.00."""
    w = sub_world
    programme(w, d(2025, 1))
    participating(w, w.estate_a1, 2025, 5, quarter=1, area="20000.00")
    estate_update(actor=w.users["street_staff"], estate=w.estate_a1,
                  data={"total_area": Decimal("25000.00"), "area_effective_from": datetime.date(2025, 2, 1)},
                  today=datetime.date(2025, 3, 10))
    batch = gen.generate_batch(district=w.shanting, month=d(2025, 3))
    assert [(f"{p.month:%Y-%m}", f"{p.area}", p.amount) for p in batch.lines.filter(estate=w.estate_a1)
            .order_by("month")] == [
        ("2025-01", "20000.00", Decimal("6000.00")), ("2025-02", "25000.00", Decimal("7500.00")),
        ("2025-03", "25000.00", Decimal("7500.00"))]
    with pytest.raises(ValidationError, match="面积生效日期"):
        estate_update(actor=w.users["street_staff"], estate=w.estate_a1, data={"total_area": Decimal("1.00")},
                      today=datetime.date(2025, 3, 10))
    w.estate_a1.refresh_from_db()
    assert w.estate_a1.total_area == Decimal("25000.00")


def test_regenerating_a_batch_refreshes_the_budget_figures_of_later_batches(sub_world):
    """Item 10: budget 12,000.00 a year. 2024Q4 5★ on 20,000 ㎡ = 6,000.00 a month.
    November settles October and November (12,000.00 = the budget: not over); December 6,000.00 more
    (18,000.00: over). The area is then corrected to 10,000 ㎡ from 1 October and November regenerated
    (3,000.00 × 2 = 6,000.00): December's figures follow at once (6,000 + 6,000 = 12,000: not over)."""
    w = sub_world
    programme(w, d(2024, 10))
    w.policy.yearly_budget = Decimal("12000.00")
    w.policy.save()
    participating(w, w.estate_a1, 2024, 5, quarter=4, area="20000.00")
    w.contract_a1.start_date = datetime.date(2020, 1, 1)
    w.contract_a1.save()
    nov = gen.generate_batch(district=w.shanting, month=d(2024, 11))
    dec = gen.generate_batch(district=w.shanting, month=d(2024, 12))
    assert (nov.total, nov.over_budget) == (Decimal("12000.00"), False)
    assert (dec.total, dec.year_to_date, dec.over_budget) == (Decimal("6000.00"), Decimal("12000.00"), True)
    estate_update(actor=w.users["street_staff"], estate=w.estate_a1,
                  data={"total_area": Decimal("10000.00"), "area_effective_from": datetime.date(2024, 10, 1)},
                  today=datetime.date(2025, 1, 5))
    nov = gen.generate_batch(district=w.shanting, month=d(2024, 11), recompute=True)
    dec.refresh_from_db()
    assert nov.total == Decimal("6000.00")
    assert (dec.total, dec.year_to_date, dec.over_budget) == (Decimal("6000.00"), Decimal("6000.00"), False)


def test_budget_counts_lines_by_their_service_months_year(sub_world):
    """Item 10: budget 5,000.00 a year. 2024Q4 is published in January 2025, so the January 2025 batch
    settles December 2024: its 6,000.00 counts against 2024's budget (over), not 2025's."""
    w = sub_world
    programme(w, d(2024, 12))
    w.policy.yearly_budget = Decimal("5000.00")
    w.policy.save()
    participating(w, w.estate_a1, 2024, 0, area="20000.00")
    w.contract_a1.start_date = datetime.date(2020, 1, 1)
    w.contract_a1.save()
    dec = gen.generate_batch(district=w.shanting, month=d(2024, 12))
    assert (dec.total, months(dec)) == (Decimal("0.00"), [("2024-12", False)])
    published(w, w.estate_a1, 2024, 4, 5)
    jan = gen.generate_batch(district=w.shanting, month=d(2025, 1))
    assert [(u["year"], u["earlier"], u["this"], u["over"]) for u in gen.budget_use(jan)] == [
        (2024, Decimal("0.00"), Decimal("6000.00"), True), (2025, Decimal("0.00"), Decimal("0.00"), False)]
    assert jan.over_budget and jan.year_to_date == Decimal("0.00")


def test_window_boundaries(sub_world):
    w = sub_world
    # Programme: 2022-02 .. 2026-01 inclusive (48 months); pilots from 2021-06.
    programme(w, d(2022, 2), 48, pilot=d(2021, 6))
    w.contract_a1.start_date = datetime.date(2020, 1, 1)
    w.contract_a1.save()
    for y in (2021, 2022, 2026):
        participating(w, w.estate_a1, y, 0)
    published(w, w.estate_a1, 2021, 3, 5)
    published(w, w.estate_a1, 2022, 1, 5)
    published(w, w.estate_a1, 2026, 1, 5)
    assert gen.generate_batch(district=w.shanting, month=d(2021, 5)) is None
    q3 = gen.generate_batch(district=w.shanting, month=d(2021, 9))  # pilots only
    assert {r[5] for r in table(q3) if r[0] == "梅花园"} == {"不在补贴期内"}
    w.policy.pilot_estates.add(w.estate_a1)
    q3 = gen.generate_batch(district=w.shanting, month=d(2021, 9), recompute=True)
    # 36,000.50 ㎡ × 0.30 = 10,800.15 a month; June 2021 waits for 2021Q2, never rated.
    assert [(r[1], r[4]) for r in table(q3) if r[0] == "梅花园"] == [
        ("2021-07", Decimal("10800.15")), ("2021-08", Decimal("10800.15")), ("2021-09", Decimal("10800.15"))]
    assert ("2021-06", False) in months(q3)
    mar22 = gen.generate_batch(district=w.shanting, month=d(2022, 3))
    assert [r[1] for r in table(mar22) if r[0] == "梅花园"] == ["2022-01", "2022-02", "2022-03"]
    jan26 = gen.generate_batch(district=w.shanting, month=d(2026, 1))
    assert [r[1] for r in table(jan26) if r[0] == "梅花园"] == ["2026-01"]
    assert gen.generate_batch(district=w.shanting, month=d(2026, 2)) is None
    assert not PayoutBatch.objects.filter(month__in=[d(2021, 5), d(2026, 2)]).exists()
    # Months of the window whose quarter was never rated stay deferred, listed on every batch.
    assert ("2021-06", False) in months(jan26) and ("2025-12", False) in months(jan26)


def test_rate_above_the_cap_is_refused(sub_world):
    w = sub_world
    data = {"rate_5": "0.31", "rate_4": "0.25", "rate_3": "0.20", "rate_2": "0.15", "rate_1": "0.10",
            "cap": "0.30", "programme_start": datetime.date(2026, 1, 1), "programme_months": 12,
            "yearly_budget": "100000"}
    with pytest.raises(ValidationError, match="超过上限"):
        policy_create(actor=w.users["district_admin"], district=w.shanting,
                      effective_from=datetime.date(2026, 1, 1), data=data)
    assert SubsidyPolicy.objects.count() == 1
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
        SubsidyPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2026, 1, 1),
                                     programme_start=datetime.date(2026, 1, 1), rate_5=Decimal("0.31"))


def test_second_run_adds_nothing(sub_world):
    w = sub_world
    participating(w, w.estate_a1, 2025, 4, quarter=1)
    first = gen.generate_batch(district=w.shanting, month=MARCH_2025)
    snapshot = list(Payout.objects.order_by("pk").values())
    again = gen.generate_batch(district=w.shanting, month=MARCH_2025)
    assert again.pk == first.pk and list(Payout.objects.order_by("pk").values()) == snapshot
    out = io.StringIO()
    call_command("generate_payouts", "--month", "2025-03", stdout=out)
    # 梅花园 36,000.50 ㎡ × 0.25 = 9,000.125 -> 9,000.13; the other two estates have zero lines.
    assert "山亭区 2025-03: 3 条明细，合计 9000.13 元" in out.getvalue()
    assert list(Payout.objects.order_by("pk").values()) == snapshot
    assert PayoutBatch.objects.count() == 1 and BatchMonth.objects.count() == 1


def test_killed_worker_leaves_nothing_and_the_next_run_writes_it_whole(sub_world, monkeypatch):
    w = sub_world
    participating(w, w.estate_a1, 2025, 4, quarter=1)
    real = gen._update_totals

    def die(batch):
        raise SystemExit("worker killed")

    monkeypatch.setattr(gen, "_update_totals", die)
    with pytest.raises(SystemExit):
        gen.generate_batch(district=w.shanting, month=MARCH_2025)
    assert not PayoutBatch.objects.exists() and not Payout.objects.exists() and not BatchMonth.objects.exists()
    monkeypatch.setattr(gen, "_update_totals", real)
    batch = gen.generate_batch(district=w.shanting, month=MARCH_2025)
    assert batch.line_count == 3


@pytest.mark.parametrize("text, message", [("2025/03", "格式"), ("2025-13", "格式"), ("march", "格式"),
                                           ("2099-01", "尚未结束")])
def test_bad_month_is_refused(sub_world, text, message):
    with pytest.raises(ValidationError, match=message):
        gen.parse_month(text)
    with pytest.raises(CommandError, match=message):
        call_command("generate_payouts", "--month", text)
    assert not PayoutBatch.objects.exists()


def test_current_month_is_refused(sub_world):
    with pytest.raises(ValidationError, match="尚未结束"):
        gen.parse_month("2025-06", today=datetime.date(2025, 6, 30))
