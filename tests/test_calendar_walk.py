"""Two years of one district, day by day, with the jobs running as beat runs them (issue 9).

Every day from 2025-01-01 to 2026-12-31 the clock (time-machine) stands at 01:10, 02:00 and, on the
3rd, 03:00, and the beat tasks run: overdue orders, the nightly star-rating job, the monthly payouts.
Between them, people act on realistic dates through the same services the pages use. At the end the
whole payout table — every estate, service month and firm, in which batch, how much — is compared
with the table below, written by hand.

山亭区, subsidy programme from 2025-01 for 36 months, yearly budget 120,000.00, default policies
(weights 70/10/20, thresholds 85/80/75/70/65, appeals 7 days, the job from the 5th day after a quarter;
rates 5★ 0.30, 4★ 0.25, 3★ 0.20, 2★ 0.15, 1★ 0.10 yuan/㎡/month).

Estates: 梅花园 20,000 ㎡ (firm 甲 to 2025-04-25, then 乙 from 04-26); 北庄花园 10,000 ㎡, 12,000 ㎡ from
2025-06-01 (edited on 06-10), 乙; 桂花苑 30,000 ㎡, 甲 until 2025-08-20, then nobody; 锦绣花园 never takes part.
Every quarter each participant gets one inspection, an opinion and a satisfaction score of the same
value X, so its score is X (X×0.7 + X×0.1 + X×0.2).

Each quarter: the job computes on the 5th of the next month, the district announces (公示) on the 8th
(appeals until the 15th) and publishes on the 20th; the batch of the month after is generated on the
3rd of the month after that and settles the quarter; batches are checked and approved on the 10th.

What happens, and what it must do:
  2025Q1  梅花园 78 -> 3★, 甲 appeals, upheld at 4★ (04-10); 北庄花园 86 5★; 桂花苑 72 2★.
  2025Q2  梅花园 86 5★, split April 甲 25 / 乙 5 days; corrected by the district to 4★ on 08-15 after
          its months were paid (batch 2025-07, approved 08-10): adjusting lines in batch 2025-08.
          北庄花园 81 4★ (June on the new area); 桂花苑 disqualified (05-12): nothing for April–June.
  2025Q3  梅花园 82 4★, 乙 appeals, upheld at 5★ (10-09) and kept by the recompute of 10-09;
          北庄花园 76, disqualified on 09-05, withdrawn on 10-09 and recomputed: 3★ (deadline -> 10-16);
          桂花苑 72 2★: July 甲, August 甲 20 days + 11 days nobody, September nobody.
  2025Q4  梅花园 86 5★; 北庄花园 81 4★; 桂花苑 66 1★ but nobody serves it: nothing.
          Published 2026-01-20, settled in batch 2026-01 (02-03): 2025 money, over 2025's budget.
  2026    Only 梅花园 and 北庄花园 apply. Q1 86/86, Q2 81/76, Q3 71/66; Q4 still waits at year end.
"""
import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from communities.services.estates import estate_update
from enterprises.services import contract_create, contract_end
from inspections.models import Inspection, InspectionStatus
from inspections.services.rubrics import ensure_default_rubric
from inspections.tasks import mark_overdue_orders_task
from ratings.models import (
    Application,
    ApplicationStatus,
    ComponentKind,
    ComponentScore,
    Disqualification,
    PeriodStatus,
    RatingPeriod,
    RecheckDecision,
    StarRating,
)
from ratings.selectors import plaque_ratings
from ratings.services.corrections import rating_correct, recheck_confirm
from ratings.services.periods import appeal_decide, appeal_submit, period_announce, period_publish, period_recompute
from ratings.services.policy import ensure_default_policy
from ratings.services.scores import disqualification_withdraw, disqualify
from ratings.tasks import run_quarterly_ratings_task
from subsidies.models import BatchStatus, Payout, PayoutBatch, SubsidyPolicy
from subsidies.selectors import budget_use
from subsidies.services.approvals import batch_transition
from subsidies.tasks import generate_monthly_payouts_task
from tests.factories import EstateFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")

SCORES = {  # (year, quarter): {estate: X}
    (2025, 1): {"梅花园": 78, "北庄花园": 86, "桂花苑": 72},
    (2025, 2): {"梅花园": 86, "北庄花园": 81, "桂花苑": 90},
    (2025, 3): {"梅花园": 82, "北庄花园": 76, "桂花苑": 72},
    (2025, 4): {"梅花园": 86, "北庄花园": 81, "桂花苑": 66},
    (2026, 1): {"梅花园": 86, "北庄花园": 86},
    (2026, 2): {"梅花园": 81, "北庄花园": 76},
    (2026, 3): {"梅花园": 71, "北庄花园": 66},
    (2026, 4): {"梅花园": 86, "北庄花园": 86},
}

# batch | service month | estate | firm (甲/乙/-) | days | amount | note  — written by hand.
# 梅花园 5★ 6,000.00, 4★ 5,000.00, 2★ 3,000.00; 北庄花园 5★ 3,000.00 (3,600.00 on 12,000 ㎡), 4★ 2,500.00
# (3,000.00), 3★ 2,400.00, 1★ 1,200.00; 桂花苑 2★ 4,500.00.
EXPECTED = """
2025-04 2025-01 梅花园   甲 31 5000.00
2025-04 2025-01 北庄花园 乙 31 3000.00
2025-04 2025-01 桂花苑   甲 31 4500.00
2025-04 2025-01 锦绣花园 -  -  0.00 未参加星级评定
2025-04 2025-02 梅花园   甲 28 5000.00
2025-04 2025-02 北庄花园 乙 28 3000.00
2025-04 2025-02 桂花苑   甲 28 4500.00
2025-04 2025-02 锦绣花园 -  -  0.00 未参加星级评定
2025-04 2025-03 梅花园   甲 31 5000.00
2025-04 2025-03 北庄花园 乙 31 3000.00
2025-04 2025-03 桂花苑   甲 31 4500.00
2025-04 2025-03 锦绣花园 -  -  0.00 未参加星级评定
2025-07 2025-04 梅花园   甲 25 5000.00
2025-07 2025-04 梅花园   乙 5  1000.00
2025-07 2025-04 北庄花园 乙 30 2500.00
2025-07 2025-04 桂花苑   甲 -  0.00 取消参评资格
2025-07 2025-04 锦绣花园 -  -  0.00 未参加星级评定
2025-07 2025-05 梅花园   乙 31 6000.00
2025-07 2025-05 北庄花园 乙 31 2500.00
2025-07 2025-05 桂花苑   甲 -  0.00 取消参评资格
2025-07 2025-05 锦绣花园 -  -  0.00 未参加星级评定
2025-07 2025-06 梅花园   乙 30 6000.00
2025-07 2025-06 北庄花园 乙 30 3000.00
2025-07 2025-06 桂花苑   甲 -  0.00 取消参评资格
2025-07 2025-06 锦绣花园 -  -  0.00 未参加星级评定
2025-08 2025-04 梅花园   甲 -  -833.33 adjustment
2025-08 2025-04 梅花园   乙 -  -166.67 adjustment
2025-08 2025-05 梅花园   乙 -  -1000.00 adjustment
2025-08 2025-06 梅花园   乙 -  -1000.00 adjustment
2025-10 2025-07 梅花园   乙 31 6000.00
2025-10 2025-07 北庄花园 乙 31 2400.00
2025-10 2025-07 桂花苑   甲 31 4500.00
2025-10 2025-07 锦绣花园 -  -  0.00 未参加星级评定
2025-10 2025-08 梅花园   乙 31 6000.00
2025-10 2025-08 北庄花园 乙 31 2400.00
2025-10 2025-08 桂花苑   甲 20 2903.23
2025-10 2025-08 桂花苑   -  11 0.00 无服务企业
2025-10 2025-08 锦绣花园 -  -  0.00 未参加星级评定
2025-10 2025-09 梅花园   乙 30 6000.00
2025-10 2025-09 北庄花园 乙 30 2400.00
2025-10 2025-09 桂花苑   -  -  0.00 无服务企业
2025-10 2025-09 锦绣花园 -  -  0.00 未参加星级评定
2026-01 2025-10 梅花园   乙 31 6000.00
2026-01 2025-10 北庄花园 乙 31 3000.00
2026-01 2025-10 桂花苑   -  -  0.00 无服务企业
2026-01 2025-10 锦绣花园 -  -  0.00 未参加星级评定
2026-01 2025-11 梅花园   乙 30 6000.00
2026-01 2025-11 北庄花园 乙 30 3000.00
2026-01 2025-11 桂花苑   -  -  0.00 无服务企业
2026-01 2025-11 锦绣花园 -  -  0.00 未参加星级评定
2026-01 2025-12 梅花园   乙 31 6000.00
2026-01 2025-12 北庄花园 乙 31 3000.00
2026-01 2025-12 桂花苑   -  -  0.00 无服务企业
2026-01 2025-12 锦绣花园 -  -  0.00 未参加星级评定
2026-04 2026-01 梅花园   乙 31 6000.00
2026-04 2026-01 北庄花园 乙 31 3600.00
2026-04 2026-01 桂花苑   -  -  0.00 未参加星级评定
2026-04 2026-01 锦绣花园 -  -  0.00 未参加星级评定
2026-04 2026-02 梅花园   乙 28 6000.00
2026-04 2026-02 北庄花园 乙 28 3600.00
2026-04 2026-02 桂花苑   -  -  0.00 未参加星级评定
2026-04 2026-02 锦绣花园 -  -  0.00 未参加星级评定
2026-04 2026-03 梅花园   乙 31 6000.00
2026-04 2026-03 北庄花园 乙 31 3600.00
2026-04 2026-03 桂花苑   -  -  0.00 未参加星级评定
2026-04 2026-03 锦绣花园 -  -  0.00 未参加星级评定
2026-07 2026-04 梅花园   乙 30 5000.00
2026-07 2026-04 北庄花园 乙 30 2400.00
2026-07 2026-04 桂花苑   -  -  0.00 未参加星级评定
2026-07 2026-04 锦绣花园 -  -  0.00 未参加星级评定
2026-07 2026-05 梅花园   乙 31 5000.00
2026-07 2026-05 北庄花园 乙 31 2400.00
2026-07 2026-05 桂花苑   -  -  0.00 未参加星级评定
2026-07 2026-05 锦绣花园 -  -  0.00 未参加星级评定
2026-07 2026-06 梅花园   乙 30 5000.00
2026-07 2026-06 北庄花园 乙 30 2400.00
2026-07 2026-06 桂花苑   -  -  0.00 未参加星级评定
2026-07 2026-06 锦绣花园 -  -  0.00 未参加星级评定
2026-10 2026-07 梅花园   乙 31 3000.00
2026-10 2026-07 北庄花园 乙 31 1200.00
2026-10 2026-07 桂花苑   -  -  0.00 未参加星级评定
2026-10 2026-07 锦绣花园 -  -  0.00 未参加星级评定
2026-10 2026-08 梅花园   乙 31 3000.00
2026-10 2026-08 北庄花园 乙 31 1200.00
2026-10 2026-08 桂花苑   -  -  0.00 未参加星级评定
2026-10 2026-08 锦绣花园 -  -  0.00 未参加星级评定
2026-10 2026-09 梅花园   乙 30 3000.00
2026-10 2026-09 北庄花园 乙 30 1200.00
2026-10 2026-09 桂花苑   -  -  0.00 未参加星级评定
2026-10 2026-09 锦绣花园 -  -  0.00 未参加星级评定
"""

# Batch totals by hand (the sums of the rows above) and the months each batch defers (顺延).
TOTALS = {
    "2025-01": "0.00", "2025-02": "0.00", "2025-03": "0.00", "2025-04": "37500.00", "2025-05": "0.00",
    "2025-06": "0.00", "2025-07": "26000.00", "2025-08": "-3000.00", "2025-09": "0.00", "2025-10": "32603.23",
    "2025-11": "0.00", "2025-12": "0.00", "2026-01": "27000.00", "2026-02": "0.00", "2026-03": "0.00",
    "2026-04": "28800.00", "2026-05": "0.00", "2026-06": "0.00", "2026-07": "22200.00", "2026-08": "0.00",
    "2026-09": "0.00", "2026-10": "12600.00", "2026-11": "0.00",
}
DEFERRED = {
    "2025-01": ["2025-01"], "2025-02": ["2025-01", "2025-02"], "2025-03": ["2025-01", "2025-02", "2025-03"],
    "2025-04": ["2025-04"], "2025-05": ["2025-04", "2025-05"], "2025-06": ["2025-04", "2025-05", "2025-06"],
    "2025-07": ["2025-07"], "2025-08": ["2025-07", "2025-08"], "2025-09": ["2025-07", "2025-08", "2025-09"],
    "2025-10": ["2025-10"], "2025-11": ["2025-10", "2025-11"], "2025-12": ["2025-10", "2025-11", "2025-12"],
    "2026-01": ["2026-01"], "2026-02": ["2026-01", "2026-02"], "2026-03": ["2026-01", "2026-02", "2026-03"],
    "2026-04": ["2026-04"], "2026-05": ["2026-04", "2026-05"], "2026-06": ["2026-04", "2026-05", "2026-06"],
    "2026-07": ["2026-07"], "2026-08": ["2026-07", "2026-08"], "2026-09": ["2026-07", "2026-08", "2026-09"],
    "2026-10": ["2026-10"], "2026-11": ["2026-10", "2026-11"],
}
# Appeal deadlines: announced on the 8th (+7 days), 2025Q3 recomputed on 10-09 (+7 from then).
DEADLINES = {(2025, 1): "2025-04-15", (2025, 2): "2025-07-15", (2025, 3): "2025-10-16", (2025, 4): "2026-01-15",
             (2026, 1): "2026-04-15", (2026, 2): "2026-07-15", (2026, 3): "2026-10-15"}
# Tiers published (current versions), by hand from SCORES and the decisions above.
TIERS = {
    (2025, 1): {"梅花园": 4, "北庄花园": 5, "桂花苑": 2},
    (2025, 2): {"梅花园": 4, "北庄花园": 4, "桂花苑": 0},
    (2025, 3): {"梅花园": 5, "北庄花园": 3, "桂花苑": 2},
    (2025, 4): {"梅花园": 5, "北庄花园": 4, "桂花苑": 1},
    (2026, 1): {"梅花园": 5, "北庄花园": 5},
    (2026, 2): {"梅花园": 4, "北庄花园": 3},
    (2026, 3): {"梅花园": 2, "北庄花园": 1},
}


def parse_expected():
    rows = []
    for line in EXPECTED.strip().splitlines():
        parts = line.split()
        batch, month, estate, firm, days, amount = parts[:6]
        note = parts[6] if len(parts) > 6 else ""
        rows.append((batch, month, estate, firm, None if days == "-" else int(days), Decimal(amount), note))
    return sorted(rows)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


class District:
    """The people and the places of the walk, and what they do on which day."""

    def __init__(self, w):
        self.w = w
        self.admin, self.street = w.users["district_admin"], w.users["street_staff"]
        self.street2 = w.users["street_staff2"]
        w.estate_a1.total_area = Decimal("20000.00")
        w.estate_a1.save()
        w.estate_b1.total_area = Decimal("10000.00")
        w.estate_b1.save()
        self.gui = EstateFactory(community=w.meiyuan, name="桂花苑", total_area=Decimal("30000.00"), firm=w.firm1,
                                 firm_since=datetime.date(2025, 1, 1))
        self.estates = {"梅花园": w.estate_a1, "北庄花园": w.estate_b1, "桂花苑": self.gui}
        w.firm2.is_filed, w.firm2.filed_on = True, datetime.date(2020, 1, 1)
        w.firm2.save()
        self.rubric = {y: ensure_default_rubric(district=w.shanting, year=y, now=timezone.now()) for y in (2025, 2026)}
        ensure_default_policy(w.shanting)
        ensure_default_policy(w.guancheng)
        SubsidyPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2025, 1, 1),
                                     programme_start=datetime.date(2025, 1, 1), programme_months=36,
                                     yearly_budget=Decimal("120000.00"))
        self.appeals = {}

    def period(self, y, q):
        return RatingPeriod.objects.get(district=self.w.shanting, year=y, quarter=q)

    def rating(self, y, q, name):
        return StarRating.objects.current().get(period__district=self.w.shanting, period__year=y, period__quarter=q,
                                                estate=self.estates[name])

    def apply(self, year, names):
        for name in names:
            estate = self.estates[name]
            Application.objects.create(firm_id=estate.firm_id, estate=estate, year=year,
                                       status=ApplicationStatus.ACCEPTED, submitted_by=self.street)

    def inspect(self, day, y, q):
        for name, x in SCORES[(y, q)].items():
            estate = self.estates[name]
            if not Application.objects.filter(estate=estate, year=y, status=ApplicationStatus.ACCEPTED).exists():
                continue
            Inspection.objects.create(estate=estate, rubric=self.rubric[y], date=day, inspectors="街道检查组",
                                      created_by=self.street, status=InspectionStatus.SUBMITTED, total=Decimal(x),
                                      submitted_at=timezone.now())
            for kind in (ComponentKind.OPINION, ComponentKind.SATISFACTION):
                ComponentScore.objects.create(estate=estate, year=y, quarter=q, kind=kind, score=Decimal(x),
                                              entered_by=self.street)

    def end_contract(self, estate, last_day):
        contract = estate.contracts.get(status="active")
        contract_end(actor=self.street, contract=contract, data={
            "ended_on": last_day, "handover_date": last_day, "handover_note": "资料钥匙移交完毕",
            "handover_received_by": "社区居委会"})

    def on(self, day: datetime.date):
        """What people do on `day` (in the daytime, after the night's jobs)."""
        w, y, m, d = self.w, day.year, day.month, day.day
        if (m, d) == (1, 10):
            self.apply(y, ["梅花园", "北庄花园", "桂花苑"] if y == 2025 else ["梅花园", "北庄花园"])
        if d == 15 and m in (2, 5, 8, 11):
            self.inspect(day, y, (m - 1) // 3 + 1)
        if d == 8 and m in (1, 4, 7, 10):
            yq = (y, (m - 1) // 3) if m > 1 else (y - 1, 4)
            period_announce(actor=self.admin, period=self.period(*yq), today=day, now=timezone.now())
        if d == 20 and m in (1, 4, 7, 10):
            yq = (y, (m - 1) // 3) if m > 1 else (y - 1, 4)
            period_publish(actor=self.admin, period=self.period(*yq), today=day, now=timezone.now())
        if d == 10:  # the district checks and approves the batch generated on the 3rd
            batch = PayoutBatch.objects.filter(district=w.shanting, status=BatchStatus.GENERATED).order_by(
                "-month").first()
            if batch is not None:
                batch_transition(actor=w.users["district_staff"], batch=batch, action="check", today=day)
                batch.refresh_from_db()
                batch_transition(actor=self.admin, batch=batch, action="approve", today=day,
                                 override_reason="追加预算已获批" if batch.over_budget else "")
        # The events of the story.
        if day == datetime.date(2025, 4, 9):
            self.appeals["A1"] = appeal_submit(actor=w.users["firm_user"], rating=self.rating(2025, 1, "梅花园"),
                                               reason="3 月份整改已完成，检查扣分有误", today=day)
        if day == datetime.date(2025, 4, 10):
            appeal_decide(actor=self.admin, appeal=self.appeals["A1"], upheld=True, decision="复核属实，调整为四星",
                          adjusted_tier=4, now=timezone.now())
        if day == datetime.date(2025, 4, 26):
            self.end_contract(w.estate_a1, datetime.date(2025, 4, 25))
            contract_create(actor=self.street, estate=w.estate_a1, data={
                "firm": w.firm2, "start_date": day, "end_date": datetime.date(2028, 4, 25),
                "fee_standard": Decimal("1.20"), "bond": Decimal("50000")})
        if day == datetime.date(2025, 5, 12):
            disqualify(actor=self.street, estate=self.gui, year=2025, quarter=2, reason="小区内出现群租房",
                       occurred_on=day, evidence="5 号楼 301 室群租，已核实", now=timezone.now())
        if day == datetime.date(2025, 6, 10):
            estate_update(actor=self.street2, estate=w.estate_b1, today=day, data={
                "total_area": Decimal("12000.00"), "area_effective_from": datetime.date(2025, 6, 1)})
        if day == datetime.date(2025, 8, 15):
            rating_correct(actor=self.admin, rating=self.rating(2025, 2, "梅花园"), tier=4,
                           reason="第二季度检查记录复核后评分依据有误，更正为四星", now=timezone.now())
        if day == datetime.date(2025, 8, 21):
            self.end_contract(self.gui, datetime.date(2025, 8, 20))
        if day == datetime.date(2025, 9, 5):
            disqualify(actor=self.street2, estate=w.estate_b1, year=2025, quarter=3, reason="小区内新增违法建设",
                       occurred_on=day, evidence="接群众举报", now=timezone.now())
        if day == datetime.date(2025, 10, 8):
            self.appeals["A3"] = appeal_submit(actor=w.users["firm_user2"], rating=self.rating(2025, 3, "梅花园"),
                                               reason="第三季度服务质量提升明显", today=day)
        if day == datetime.date(2025, 10, 9):
            appeal_decide(actor=self.admin, appeal=self.appeals["A3"], upheld=True, decision="申诉成立，调整为五星",
                          adjusted_tier=5, now=timezone.now())
            disq = Disqualification.objects.get(estate=w.estate_b1, year=2025, quarter=3)
            disqualification_withdraw(actor=self.street2, disqualification=disq, reason="经核实为临时搭建，已拆除，举报不实",
                                      now=timezone.now())
            period_recompute(actor=self.admin, period=self.period(2025, 3), reason="撤销北庄花园取消参评记录后重新计算",
                             today=day, now=timezone.now())
        if day == datetime.date(2026, 1, 25):
            for estate in (w.estate_a1, w.estate_b1):
                recheck_confirm(actor=self.admin, estate=estate, year=2025, note="年度复查", now=timezone.now())


def test_two_years_of_ratings_and_payouts_day_by_day(world):
    walk = District(world)
    day = datetime.date(2025, 1, 1)
    with time_machine.travel(at(day, 0), tick=False) as clock:
        while day <= datetime.date(2026, 12, 31):
            clock.move_to(at(day, 1, 10))
            mark_overdue_orders_task()
            clock.move_to(at(day, 2))
            run_quarterly_ratings_task()
            if day.day == 3:
                clock.move_to(at(day, 3))
                generate_monthly_payouts_task()
            clock.move_to(at(day, 9))
            walk.on(day)
            day += datetime.timedelta(days=1)

    firm_short = {world.firm1.pk: "甲", world.firm2.pk: "乙", None: "-"}
    got = sorted(
        (f"{p.batch.month:%Y-%m}", f"{p.month:%Y-%m}", p.estate.name, firm_short[p.firm_id], p.days, p.amount,
         "adjustment" if p.kind == "adjustment" else p.reason)
        for p in Payout.objects.filter(batch__district=world.shanting).select_related("batch", "estate"))
    assert got == parse_expected()

    batches = {f"{b.month:%Y-%m}": b for b in PayoutBatch.objects.filter(district=world.shanting)}
    assert {k: f"{b.total}" for k, b in batches.items()} == TOTALS
    assert {k: [f"{m.month:%Y-%m}" for m in b.months.filter(settled=False).order_by("month")]
            for k, b in batches.items()} == DEFERRED
    # Exactly once: every (estate, service month, firm) has one regular line, whatever ran how often.
    keys = list(Payout.objects.filter(kind="regular").values_list("estate_id", "month", "firm_id"))
    assert len(keys) == len(set(keys))

    # Ratings: the tiers published, deadlines that never moved (but for the recompute with a reason).
    for (y, q), tiers in TIERS.items():
        period = walk.period(y, q)
        assert period.status == PeriodStatus.PUBLISHED
        assert f"{period.appeal_deadline}" == DEADLINES[(y, q)]
        assert {n: walk.rating(y, q, n).tier for n in tiers} == tiers, (y, q)
    assert not RatingPeriod.objects.filter(year=2026, quarter=4).exists()  # computed from 2027-01-05 on
    # The corrected 2025Q2 result keeps its first version beside the second.
    versions = StarRating.objects.filter(period=walk.period(2025, 2), estate=world.estate_a1).order_by("version")
    assert [(r.version, r.tier, r.superseded_at is not None) for r in versions] == [(1, 5, True), (2, 4, False)]

    # Budget by service year: batch 2026-01 settles October–December 2025, counted against 2025:
    # 2025 lines in earlier batches 37,500 + 26,000 − 3,000 + 32,603.23 = 93,103.23; + 27,000.00 > 120,000.00.
    use = {u["year"]: u for u in budget_use(batches["2026-01"])}
    assert (use[2025]["earlier"], use[2025]["this"], use[2025]["over"]) == (
        Decimal("93103.23"), Decimal("27000.00"), True)
    assert batches["2026-01"].budget_override_reason == "追加预算已获批"
    assert not batches["2025-10"].over_budget

    # Yearly re-check of 2025 (confirmed 2026-01-25): 梅花园's mean (78 + 86 + 82 + 86) / 4 = 83.00 -> 4★ < the
    # 5★ it holds: its 5★ plaques of 2025 (Q3, Q4) are revoked. 北庄花园: (86 + 81 + 76 + 81) / 4 = 81.00 -> 4★,
    # the tier it holds: nothing revoked.
    decisions = {d.estate.name: (d.mean_score, d.tier_before, d.tier_after)
                 for d in RecheckDecision.objects.select_related("estate")}
    assert decisions == {"梅花园": (Decimal("83.00"), 5, 4), "北庄花园": (Decimal("81.00"), 4, 4)}
    plaques_2025 = {(r.estate.name, r.period.quarter) for r in plaque_ratings().filter(period__year=2025)}
    assert plaques_2025 == {("梅花园", 1), ("梅花园", 2), ("北庄花园", 1), ("北庄花园", 2), ("北庄花园", 3),
                            ("北庄花园", 4)}

    # A firm's scope follows the days it served: 甲 keeps 梅花园's 2025Q1–Q2, 乙 sees 2025Q2 on.
    def seen(persona):
        return sorted((r.period.year, r.period.quarter) for r in StarRating.objects.current()
                      .visible_to(world.users[persona]).filter(estate=world.estate_a1).select_related("period"))

    assert seen("firm_user") == [(2025, 1), (2025, 2)]
    assert seen("firm_user2") == [(2025, 2), (2025, 3), (2025, 4), (2026, 1), (2026, 2), (2026, 3)]
    # Applications moved with the estate: 梅花园's 2025 application is 乙's since 04-26.
    assert Application.objects.get(estate=world.estate_a1, year=2025).firm == world.firm2
