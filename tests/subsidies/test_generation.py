"""Payout generation against worked examples written by hand."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from subsidies.models import Payout, PayoutBatch, SubsidyPolicy
from subsidies.services import generation as gen
from subsidies.services.policy import policy_create

from .conftest import participating, published

pytestmark = pytest.mark.django_db
MARCH_2025 = datetime.date(2025, 3, 1)


def lines(batch):
    return {p.estate.name: (p.area, p.tier, p.rate, p.amount, p.reason) for p in batch.lines.select_related("estate")}


def test_half_up_to_the_fen_worked_examples(sub_world):
    w = sub_world
    # 10.02 ㎡ × 0.25 (4★) = 2.505 -> 2.51 ; 123,456.78 ㎡ × 0.30 (5★) = 37,037.034 -> 37,037.03
    participating(w, w.estate_a1, 2025, 4, quarter=None, area="10.02")
    published(w, w.estate_a1, 2024, 4, 4)
    participating(w, w.estate_b1, 2025, 5, area="123456.78")
    published(w, w.estate_b1, 2024, 4, 5)
    batch = gen.generate_batch(district=w.shanting, month=MARCH_2025)
    got = lines(batch)
    assert got["梅花园"] == (Decimal("10.02"), 4, Decimal("0.25"), Decimal("2.51"), "")
    assert got["北庄花园"] == (Decimal("123456.78"), 5, Decimal("0.30"), Decimal("37037.03"), "")
    # 锦绣花园 has no application: a zero line with the reason, so the batch accounts for every estate.
    assert got["锦绣花园"] == (Decimal("52000.00"), 0, Decimal("0"), Decimal("0.00"), "未参加星级评定")
    assert batch.line_count == 3 and batch.total == Decimal("37039.54")
    assert "紫荆小区" not in got  # another district


def test_every_reason_for_nothing(sub_world):
    w = sub_world
    participating(w, w.estate_a1, 2025, 0)  # accepted, no published rating
    participating(w, w.estate_b1, 2025, 0)
    published(w, w.estate_b1, 2024, 4, 0, reason="disqualified")
    participating(w, w.estate_a2, 2025, 0)
    published(w, w.estate_a2, 2024, 4, 0, reason="below")
    got = lines(gen.generate_batch(district=w.shanting, month=MARCH_2025))
    assert got["梅花园"][3:] == (Decimal("0.00"), "无已公布的星级评定结果")
    assert got["北庄花园"][3:] == (Decimal("0.00"), "取消参评资格")
    assert got["锦绣花园"][3:] == (Decimal("0.00"), "未评上星级")


def test_tier_change_between_months(sub_world):
    w = sub_world
    participating(w, w.estate_a1, 2025, 0, area="20000.00")
    published(w, w.estate_a1, 2024, 4, 3)   # pays Jan–Mar 2025 at 0.20
    published(w, w.estate_a1, 2025, 1, 5)   # pays from April at 0.30
    march = lines(gen.generate_batch(district=w.shanting, month=MARCH_2025))["梅花园"]
    april = lines(gen.generate_batch(district=w.shanting, month=datetime.date(2025, 4, 1)))["梅花园"]
    assert march[1:4] == (3, Decimal("0.20"), Decimal("4000.00"))
    assert april[1:4] == (5, Decimal("0.30"), Decimal("6000.00"))


def test_window_boundaries(sub_world):
    w = sub_world
    # Programme: 2022-02 .. 2026-01 inclusive (48 months); pilots from 2021-06.
    for y in (2021, 2022, 2026):
        participating(w, w.estate_a1, y, 0)
    published(w, w.estate_a1, 2021, 1, 5)
    assert gen.generate_batch(district=w.shanting, month=datetime.date(2021, 5, 1)) is None
    jan22 = gen.generate_batch(district=w.shanting, month=datetime.date(2022, 1, 1))  # pilots only
    assert lines(jan22)["梅花园"][4] == "不在补贴期内"
    w.policy.pilot_estates.add(w.estate_a1)
    jan22 = gen.generate_batch(district=w.shanting, month=datetime.date(2022, 1, 1), recompute=True)
    assert lines(jan22)["梅花园"][3] > 0
    feb22 = gen.generate_batch(district=w.shanting, month=datetime.date(2022, 2, 1))
    assert lines(feb22)["梅花园"][3] > 0
    jan26 = gen.generate_batch(district=w.shanting, month=datetime.date(2026, 1, 1))
    assert lines(jan26)["梅花园"][3] > 0
    assert gen.generate_batch(district=w.shanting, month=datetime.date(2026, 2, 1)) is None
    assert not PayoutBatch.objects.filter(month__in=[datetime.date(2021, 5, 1), datetime.date(2026, 2, 1)]).exists()


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


def test_budget_flag_counts_the_years_earlier_batches(sub_world):
    w = sub_world
    w.policy.yearly_budget = Decimal("12000.00")
    w.policy.save()
    participating(w, w.estate_a1, 2024, 0, area="20000.00")
    published(w, w.estate_a1, 2023, 4, 5)  # 20000 × 0.30 = 6000.00 a month
    jan = gen.generate_batch(district=w.shanting, month=datetime.date(2024, 1, 1))
    feb = gen.generate_batch(district=w.shanting, month=datetime.date(2024, 2, 1))
    mar = gen.generate_batch(district=w.shanting, month=datetime.date(2024, 3, 1))
    assert (jan.total, jan.over_budget) == (Decimal("6000.00"), False)
    assert (feb.year_to_date, feb.over_budget) == (Decimal("6000.00"), False)  # 12000 = budget: not over
    assert (mar.year_to_date, mar.over_budget) == (Decimal("12000.00"), True)   # 18000 > 12000


def test_second_run_adds_nothing(sub_world):
    w = sub_world
    participating(w, w.estate_a1, 2025, 0)
    published(w, w.estate_a1, 2024, 4, 4)
    first = gen.generate_batch(district=w.shanting, month=MARCH_2025)
    snapshot = list(Payout.objects.order_by("pk").values())
    again = gen.generate_batch(district=w.shanting, month=MARCH_2025)
    assert again.pk == first.pk and list(Payout.objects.order_by("pk").values()) == snapshot
    call_command("generate_payouts", "--month", "2025-03")
    assert list(Payout.objects.order_by("pk").values()) == snapshot
    assert PayoutBatch.objects.count() == 1


def test_killed_worker_leaves_nothing_and_the_next_run_writes_it_whole(sub_world, monkeypatch):
    w = sub_world
    participating(w, w.estate_a1, 2025, 0)
    published(w, w.estate_a1, 2024, 4, 4)
    real = gen._update_totals

    def die(batch):
        raise SystemExit("worker killed")

    monkeypatch.setattr(gen, "_update_totals", die)
    with pytest.raises(SystemExit):
        gen.generate_batch(district=w.shanting, month=MARCH_2025)
    assert not PayoutBatch.objects.exists() and not Payout.objects.exists()
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
        gen.parse_month(f"{datetime.date.today():%Y-%m}")
