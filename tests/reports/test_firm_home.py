"""A firm's home (reports' `{% firm_cards %}`): its estates with the latest published tier and score, its open
orders and complaints nearest deadline first, this year's subsidy and its application window; only its own.

World (tests/subsidies/_pages.build_batches): 梅花园 and 桂花苑 served by firm 甲, 北庄花园 by firm 乙;
2025Q1 published (梅花园 5★, 桂花苑 4★, 北庄花园 3★, each 80 points); 山亭区's 2025-03 batch generated.
山亭区's rating policy is the default one: applications from 01-01 to 03-31.
"""
import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Sum
from django.urls import reverse

from complaints.models import Status
from inspections.services.orders import order_accept, order_answer, order_issue
from ratings.models import PeriodStatus, RatingPeriod, StarRating
from subsidies.models import Payout
from subsidies.services import approvals as ap
from tests.factories import EstateFactory
from tests.complaints.conftest import at, category, make_complaint  # noqa: F401  (fixtures)
from tests.subsidies._pages import build_batches
from tests.subsidies.conftest import published, sub_world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2025, 4, 15, 10, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def w(sub_world):
    return build_batches(sub_world)


def section(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</div></div>', html, re.S)
    assert match, testid
    return match.group(1)


def text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def home(client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def estate_rows(html: str) -> list[str]:
    return [text(row) for row in re.findall(r'<tr data-testid="firm-estate">(.*?)</tr>', section(html, "firm-estates"),
                                            re.S)]


def test_estates_show_their_latest_published_tier_and_score(login, w):
    # 梅花园: 2025Q2 published at 3★ (later than 2025Q1's 5★); a provisional 2025Q3 is not shown.
    q2 = published(w, w.estate_a1, 2025, 2, 3)
    StarRating.objects.filter(pk=q2.pk).update(score=Decimal("76.40"))
    provisional = RatingPeriod.objects.create(district=w.shanting, year=2025, quarter=3, policy=w.rating_policy,
                                              status=PeriodStatus.PROVISIONAL, computed_at=NOW)
    StarRating.objects.create(period=provisional, estate=w.estate_a1, firm=w.firm1, score=Decimal("40"), tier=0,
                              computed_at=NOW)
    html = home(login("firm_user"))
    assert sorted(estate_rows(html)) == ["桂花苑 山城街道 2025Q1 ★★★★ 80.00", "梅花园 山城街道 2025Q2 ★★★ 76.40"]
    assert reverse("ratings:rating_detail", args=[q2.pk]) in section(html, "firm-estates")
    assert estate_rows(home(login("firm_user2"))) == ["北庄花园 北庄街道 2025Q1 ★★★ 80.00"]


def test_an_estate_without_a_published_rating_says_so(login, w):
    EstateFactory(community=w.beizhuang_c, name="北庄新苑", firm=w.firm2, firm_since=datetime.date(2025, 1, 1))
    assert sorted(estate_rows(home(login("firm_user2")))) == ["北庄新苑 北庄街道 暂无 — —", "北庄花园 北庄街道 2025Q1 ★★★ 80.00"]


def test_open_orders_nearest_deadline_first_and_gone_once_accepted(login, w):
    street, firm = w.users["street_staff"], w.users["firm_user"]

    def issue(estate, deadline, actor=street):
        return order_issue(actor=actor, estate=estate, problem="绿化带杂草丛生", deadline=deadline, now=NOW)

    late = issue(w.estate_a1, datetime.date(2025, 5, 30))
    soon = issue(w.estate_a3, datetime.date(2025, 4, 20))
    middle = issue(w.estate_a1, datetime.date(2025, 5, 5))
    other = issue(w.estate_b1, datetime.date(2025, 4, 18), actor=w.users["street_staff2"])
    order_answer(actor=firm, order=middle, answer="已修剪", now=NOW)  # answered: still open until accepted

    def listed(persona):
        return re.findall(r'href="/orders/(\d+)/"', section(home(login(persona)), "firm-orders"))

    assert listed("firm_user") == [str(soon.pk), str(middle.pk), str(late.pk)]
    assert listed("firm_user2") == [str(other.pk)]
    assert "整改期限 2025-04-20" in text(section(home(login("firm_user")), "firm-orders"))
    order_accept(actor=street, order=middle, now=NOW)
    assert listed("firm_user") == [str(soon.pk), str(late.pk)]


def test_complaints_waiting_on_the_firm_nearest_deadline_first(login, w, make_complaint):
    answer = make_complaint(to=Status.SIGNED, at=at(2025, 4, 10, 9, 0))  # answer due within 5 working days
    sign = make_complaint(to=Status.ASSIGNED, at=at(2025, 4, 15, 9, 0))  # sign-for due within 1 working day
    make_complaint(to=Status.RECEIVED, at=at(2025, 4, 15, 9, 0))  # still the street's
    cards = section(home(login("firm_user")), "firm-complaints")
    assert re.findall(r'href="/complaints/(\d+)/"', cards) == [str(sign.pk), str(answer.pk)]
    # Deadlines read as the working day's end: assigned Tuesday 2025-04-15 → 1 working day → 04-16 24:00;
    # signed Thursday 04-10 → 5 working days (11, 14, 15, 16, 17 April) → 04-17 24:00.
    assert "签收期限 2025-04-16 24:00" in text(cards)
    assert "答复期限 2025-04-17 24:00" in text(cards)
    assert "没有待签收或待答复的投诉" in section(home(login("firm_user2")), "firm-complaints")


def test_this_years_subsidy_received_and_due(login, w):
    firm1_lines = Payout.objects.filter(batch=w.batch, firm=w.firm1).aggregate(s=Sum("amount"))["s"]
    assert firm1_lines > 0

    def figures(persona):
        return text(section(home(login(persona)), "firm-subsidy"))

    before = figures("firm_user")
    assert "2025 年已收到补贴 ¥0.00" in before and "街道拨付 0 笔" in before
    assert f"2025 年各批次核定 ¥{firm1_lines:.2f}" in before
    ap.batch_transition(actor=w.users["district_staff"], batch=w.batch, action="check")
    ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="approve")
    ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="disburse",
                        disbursed_on=datetime.date(2025, 4, 10), voucher="SG-2025-0410")
    ap.pass_on_record(actor=w.users["street_staff"], batch=w.batch, street_id=w.shancheng.pk, firm_id=w.firm1.pk,
                      paid_on=datetime.date(2025, 4, 12), voucher="SC-1", today=NOW.date())
    after = figures("firm_user")
    received = f"{firm1_lines:,.2f}"
    assert f"2025 年已收到补贴 ¥{received}" in after and "街道拨付 1 笔" in after
    assert "¥0.00" in figures("firm_user2").split("街道拨付")[0]  # 北庄街道 has not paid firm 乙 yet


@pytest.mark.parametrize("when, expected", [
    (datetime.datetime(2025, 2, 10, 9, 0, tzinfo=SH), "申报中 山亭区 2025-01-01 — 2025-03-31"),
    (datetime.datetime(2025, 4, 15, 9, 0, tzinfo=SH), "未开放 山亭区 2025-01-01 — 2025-03-31 下次开放：2026-01-01"),
])
def test_the_application_window_open_or_closed_with_its_dates(login, w, when, expected):
    with time_machine.travel(when, tick=False):
        window = text(section(home(login("firm_user")), "firm-window"))
    assert expected in window


def test_government_users_do_not_get_the_firm_cards(login, w):
    assert 'data-testid="firm-home"' not in home(login("street_staff"))
    assert 'data-testid="firm-home"' in home(login("firm_user"))


def test_a_long_order_list_shows_ten_with_the_full_count(login, w):
    for day in range(12):
        order_issue(actor=w.users["street_staff"], estate=w.estate_a1, problem="路灯损坏",
                    deadline=datetime.date(2025, 5, 1) + datetime.timedelta(days=day), now=NOW)
    cards = section(home(login("firm_user")), "firm-orders")
    assert len(re.findall(r'data-testid="firm-order"', cards)) == 10
    assert re.search(r'未关闭的整改通知 <span class="badge text-bg-secondary">12</span>', cards)
    assert "整改期限 2025-05-01" in text(cards) and "整改期限 2025-05-12" not in text(cards)
