"""我的补贴 per viewer: each batch's state as the viewer sees it (已拨付街道 until the viewer's street has passed
the money on, then 已拨付企业) and every figure the sum of the lines the viewer may see.

The March 2025 batch of 山亭区 (see _pages.py), with two more estates of firm 甲, so that firm 甲 is served in two
streets and 山城街道's pass-on to it is more than 梅园社区's part:

  山城街道 · 梅园社区 · 梅花园     firm 甲  12,345.67 ㎡ × 0.30 (5★) = 3,703.70
  山城街道 · 梅园社区 · 桂花苑     firm 甲   8,888.88 ㎡ × 0.25 (4★) = 2,222.22
  山城街道 · 紫薇社区 · 紫薇苑     firm 甲   1,000.00 ㎡ × 0.20 (3★) =   200.00
  山城街道 · 紫薇社区 · 锦绣花园   no firm                              =     0.00
  北庄街道 · 北庄社区 · 北庄新村   firm 甲   2,000.00 ㎡ × 0.15 (2★) =   300.00
  北庄街道 · 北庄社区 · 北庄花园   firm 乙  10,000.05 ㎡ × 0.20 (3★) = 2,000.01

  山城街道 passes on to firm 甲  3,703.70 + 2,222.22 + 200.00 = 6,125.92
  北庄街道 passes on to firm 甲    300.00, to firm 乙 2,000.01
  梅园社区's lines                 3,703.70 + 2,222.22         = 5,925.92
  firm 甲's lines                  6,125.92 + 300.00           = 6,425.92
"""
import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from communities.models import ManagementMode
from subsidies.models import BatchStatus
from subsidies.services import approvals as ap
from subsidies.services import generation as gen
from tests.factories import EstateFactory

from .conftest import participating, published

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2025, 3, 1)
DAY = datetime.date(2025, 4, 20)

# The viewer's total of the batch, by hand (see above).
TOTAL = {
    "firm_user": Decimal("6425.92"),
    "firm_user2": Decimal("2000.01"),
    "street_staff": Decimal("6125.92"),
    "street_staff2": Decimal("2300.01"),
    "community_clerk": Decimal("5925.92"),
}


@pytest.fixture
def w(sub_world):
    w = sub_world
    market = {"management_mode": ManagementMode.MARKET, "firm_since": datetime.date(2024, 1, 1)}
    w.estate_a3 = EstateFactory(community=w.meiyuan, name="桂花苑", total_area=Decimal("8888.88"), firm=w.firm1,
                                **market)
    w.estate_a4 = EstateFactory(community=w.ziwei, name="紫薇苑", total_area=Decimal("1000.00"), firm=w.firm1,
                                **market)
    w.estate_b2 = EstateFactory(community=w.beizhuang_c, name="北庄新村", total_area=Decimal("2000.00"),
                                firm=w.firm1, **market)
    for estate, tier, area in ((w.estate_a1, 5, "12345.67"), (w.estate_a3, 4, None), (w.estate_a4, 3, None),
                               (w.estate_b2, 2, None), (w.estate_b1, 3, "10000.05")):
        participating(w, estate, 2025, 0, area=area)
        published(w, estate, 2025, 1, tier)
    w.batch = gen.generate_batch(district=w.shanting, month=MARCH)
    return w


def disburse(w):
    ap.batch_transition(actor=w.users["district_staff"], batch=w.batch, action="check")
    ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="approve")
    ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="disburse",
                        disbursed_on=datetime.date(2025, 4, 15), voucher="QZ-2025-031", today=DAY)


def pass_on(w, persona, street, firm, voucher):
    return ap.pass_on_record(actor=w.users[persona], batch=w.batch, street_id=street.pk, firm_id=firm.pk,
                             paid_on=datetime.date(2025, 4, 18), voucher=voucher, today=DAY)


def month_row(login, persona):
    """(status label, the month's total, [pass-on amounts shown]) of the March batch on 我的补贴, and the page."""
    response = login(persona).get(reverse("subsidies:mine"))
    assert response.status_code == 200
    (row,) = response.context["by_month"]  # the March batch is the only one
    html = response.content.decode()
    amounts = re.findall(r'data-testid="pass-on-amount">([^<]*)<', html)
    return row["status_label"], row["total"], amounts, response


def test_amounts_by_hand(w):
    lines = {line.estate.name: line.amount for line in w.batch.lines.select_related("estate")}
    assert lines == {"梅花园": Decimal("3703.70"), "桂花苑": Decimal("2222.22"), "紫薇苑": Decimal("200.00"),
                     "锦绣花园": Decimal("0.00"), "北庄新村": Decimal("300.00"), "北庄花园": Decimal("2000.01")}


@pytest.mark.parametrize("persona", sorted(TOTAL))
def test_totals_are_the_viewers_lines_summed_by_hand(w, login, persona):
    status, total, amounts, response = month_row(login, persona)
    assert total == TOTAL[persona] == response.context["grand_total"]
    assert status == "已生成" and amounts == []  # nothing disbursed yet: the batch's own state


def test_status_follows_each_viewers_pass_on_not_the_whole_batch(w, login):
    disburse(w)
    for persona in TOTAL:
        assert month_row(login, persona)[0] == "已拨付街道", persona

    # 山城街道 passes on firm 甲's 6,125.92: its street, its community and (for that street) the firm see it.
    pass_on(w, "street_staff", w.shancheng, w.firm1, "SC-001")
    w.batch.refresh_from_db()
    assert w.batch.status == BatchStatus.DISBURSED  # 北庄街道 still owes its two firms
    assert month_row(login, "street_staff")[:3] == ("已拨付企业", Decimal("6125.92"), ["6,125.92"])
    assert month_row(login, "community_clerk")[:3] == ("已拨付企业", Decimal("5925.92"), ["5,925.92"])
    # Firm 甲 is paid by 山城街道 but not yet by 北庄街道: one of its two pass-ons.
    assert month_row(login, "firm_user")[:3] == ("部分已拨付企业（1/2）", Decimal("6425.92"), ["6,125.92"])
    assert month_row(login, "street_staff2")[:3] == ("已拨付街道", Decimal("2300.01"), [])
    assert month_row(login, "firm_user2")[:3] == ("已拨付街道", Decimal("2000.01"), [])

    pass_on(w, "street_staff2", w.beizhuang, w.firm1, "BZ-001")
    assert month_row(login, "firm_user")[:3] == ("已拨付企业", Decimal("6425.92"), ["6,125.92", "300.00"])
    assert month_row(login, "street_staff2")[:3] == ("部分已拨付企业（1/2）", Decimal("2300.01"), ["300.00"])
    assert month_row(login, "firm_user2")[0] == "已拨付街道"

    pass_on(w, "street_staff2", w.beizhuang, w.firm2, "BZ-002")
    w.batch.refresh_from_db()
    assert w.batch.status == BatchStatus.COMPLETED
    for persona in TOTAL:
        assert month_row(login, persona)[0] == "已拨付企业", persona
    assert month_row(login, "firm_user2")[2] == ["2,000.01"]


def test_community_clerk_never_sees_the_street_wide_pass_on(w, login):
    disburse(w)
    pass_on(w, "street_staff", w.shancheng, w.firm1, "SC-001")
    # 我的补贴: the community's part of the payment (5,925.92), marked as a part, never 山城街道's 6,125.92.
    status, total, amounts, response = month_row(login, "community_clerk")
    html = response.content.decode()
    assert amounts == ["5,925.92"] and total == Decimal("5925.92")
    assert "6,125.92" not in html and "本辖区明细部分" in html
    assert "SC-001" in html
    # The batch page's pass-on table likewise.
    detail = login("community_clerk").get(reverse("subsidies:batch_detail", args=[w.batch.pk]))
    rows = [(r.street_name, r.firm_name, r.amount, r.partial) for r in detail.context["pass_ons"]]
    assert rows == [("山城街道", w.firm1.name, Decimal("5925.92"), True)]
    assert "6,125.92" not in detail.content.decode()
    # The street itself sees the whole sum it paid, not marked as a part.
    street = login("street_staff").get(reverse("subsidies:batch_detail", args=[w.batch.pk]))
    assert [(r.amount, r.partial) for r in street.context["pass_ons"]] == [(Decimal("6125.92"), False)]
    assert month_row(login, "street_staff")[2] == ["6,125.92"]
    assert "本辖区明细部分" not in month_row(login, "street_staff")[3].content.decode()
