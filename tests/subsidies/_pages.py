"""The batch the page tests look at, with amounts worked out by hand.

山亭区, March 2025 (ratings of 2025 Q1, published; the programme starts in March 2025, so the batch settles March alone):

  山城街道 · 梅园社区 · 梅花园     firm 甲  12,345.67 ㎡ × 0.30 (5★) = 3,703.701  -> 3,703.70
  山城街道 · 梅园社区 · 桂花苑     firm 甲   8,888.88 ㎡ × 0.25 (4★) = 2,222.22
  山城街道 · 紫薇社区 · 锦绣花园   no firm, no application                    ->     0.00 未参加星级评定
  北庄街道 · 北庄社区 · 北庄花园   firm 乙  10,000.05 ㎡ × 0.20 (3★) = 2,000.01

  山城街道 subtotal 3,703.70 + 2,222.22 + 0.00 = 5,925.92
  北庄街道 subtotal                                2,000.01
  grand total                                      7,925.93

管城回族区 has its own batch for March 2025 (紫荆小区, a zero line), which nobody of 山亭区 may see.
"""
import datetime
from decimal import Decimal

from communities.models import ManagementMode
from subsidies.models import SubsidyPolicy
from subsidies.services import generation as gen
from tests.factories import EstateFactory

from .conftest import participating, published

MARCH = datetime.date(2025, 3, 1)
SHANCHENG_SUBTOTAL = Decimal("5925.92")
BEIZHUANG_SUBTOTAL = Decimal("2000.01")
GRAND_TOTAL = Decimal("7925.93")


def build_batches(w):
    w.estate_a3 = EstateFactory(community=w.meiyuan, name="桂花苑", total_area=Decimal("8888.88"), firm=w.firm1,
                                firm_since=datetime.date(2024, 1, 1),
                                management_mode=ManagementMode.MARKET)
    participating(w, w.estate_a1, 2025, 0, area="12345.67")
    published(w, w.estate_a1, 2025, 1, 5)
    participating(w, w.estate_a3, 2025, 0)
    published(w, w.estate_a3, 2025, 1, 4)
    participating(w, w.estate_b1, 2025, 0, area="10000.05")
    published(w, w.estate_b1, 2025, 1, 3)
    w.batch = gen.generate_batch(district=w.shanting, month=MARCH)
    SubsidyPolicy.objects.create(district=w.guancheng, effective_from=datetime.date(2022, 1, 1),
                                 programme_start=datetime.date(2022, 2, 1), programme_months=60)
    w.batch_gc = gen.generate_batch(district=w.guancheng, month=MARCH)
    w.line_a1 = w.batch.lines.get(estate=w.estate_a1)
    w.line_b1 = w.batch.lines.get(estate=w.estate_b1)
    return w


# Which estates' lines each persona sees in 山亭区's batch.
VISIBLE_ESTATES = {
    "city_admin": {"梅花园", "桂花苑", "锦绣花园", "北庄花园"},
    "district_admin": {"梅花园", "桂花苑", "锦绣花园", "北庄花园"},
    "district_staff": {"梅花园", "桂花苑", "锦绣花园", "北庄花园"},
    "district_admin_gc": None,  # 404
    "street_staff": {"梅花园", "桂花苑", "锦绣花园"},
    "street_staff2": {"北庄花园"},
    "community_clerk": {"梅花园", "桂花苑"},
    "firm_user": {"梅花园", "桂花苑"},
    "firm_user2": {"北庄花园"},
}
# The total of those lines, by hand.
VISIBLE_TOTAL = {
    "city_admin": GRAND_TOTAL,
    "district_admin": GRAND_TOTAL,
    "district_staff": GRAND_TOTAL,
    "street_staff": SHANCHENG_SUBTOTAL,
    "street_staff2": BEIZHUANG_SUBTOTAL,
    "community_clerk": SHANCHENG_SUBTOTAL,  # 梅园社区's two estates are all of 山城's money
    "firm_user": SHANCHENG_SUBTOTAL,
    "firm_user2": BEIZHUANG_SUBTOTAL,
}
