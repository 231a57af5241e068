"""Street-run firms at 1★ or below (管城回族区 附件2 六(二)2): publishing a quarter issues one rectification
order per estate of a street-run firm rated 1★ or no star, or not taking part; none for a market firm."""
import datetime

import pytest

from enterprises.models import SanctionPolicy, StreetRunOrder
from enterprises.sanctions.orders import street_run_orders_for_period
from enterprises.sanctions.selectors import demonstration_status
from inspections.models import OrderEvent, RectificationOrder
from inspections.services.orders import order_accept, order_answer
from ratings.services.periods import period_announce, period_publish, run_period
from accounts.models import Role
from tests.factories import FirmFactory, ServiceContractFactory, user_with_role

from .conftest import accept, components, inspected, moment

pytestmark = pytest.mark.django_db


@pytest.fixture
def srw(rating_world):
    w = rating_world
    SanctionPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2020, 1, 1),
                                  street_run_deadline_days=10)
    w.street_firm = FirmFactory(name="山城街道物业服务中心", is_street_run=True, street=w.shancheng,
                                registered_district=w.shanting, is_filed=True, filed_on=datetime.date(2020, 1, 1))
    for estate in (w.estate_a1, w.estate_a2):
        if estate.firm_id:
            estate.contracts.update(status="ended", ended_on=datetime.date(2024, 12, 31),
                                    handover_date=datetime.date(2024, 12, 31))
        ServiceContractFactory(estate=estate, firm=w.street_firm, start_date=datetime.date(2025, 1, 1))
        estate.firm, estate.firm_since = w.street_firm, datetime.date(2025, 1, 1)
        estate.save(update_fields=["firm", "firm_since"])
    # 梅花园: street-run, 1★ (66); 锦绣花园: street-run, did not apply; 北庄花园: market firm, 1★ (66)
    for estate in (w.estate_a1, w.estate_b1):
        accept(w, estate, 2025)
        inspected(w, estate, ["66"])
        components(w, estate, "66", "66")
    return w


def publish(w):
    admin = w.users["district_admin"]
    period = run_period(district=w.shanting, year=2025, quarter=1, today=datetime.date(2025, 4, 6),
                        now=moment(datetime.date(2025, 4, 6)))
    period = period_announce(actor=admin, period=period, today=datetime.date(2025, 4, 7),
                             now=moment(datetime.date(2025, 4, 7)))
    return period_publish(actor=admin, period=period, today=datetime.date(2025, 4, 20),
                          now=moment(datetime.date(2025, 4, 20)))


def test_publication_issues_one_order_per_street_run_estate_and_none_for_a_market_firm(srw):
    w = srw
    period = publish(w)
    rows = {r.estate_id: r for r in StreetRunOrder.objects.all()}
    assert set(rows) == {w.estate_a1.pk, w.estate_a2.pk}
    assert rows[w.estate_a1.pk].tier == 1 and rows[w.estate_a2.pk].tier is None
    orders = {o.estate_id: o for o in RectificationOrder.objects.all()}
    assert set(orders) == {w.estate_a1.pk, w.estate_a2.pk}
    one = orders[w.estate_a1.pk]
    assert one.firm == w.street_firm and "2025Q1 星级评定为 1 星级" in one.problem
    assert "未参加 2025Q1 星级评定" in orders[w.estate_a2.pk].problem
    # 10 working days after Sunday 2025-04-20 on the 2025 calendar: 04-21..04-25 (5), Sunday 04-27 a make-up
    # working day (6), 04-28..04-30 (9), the 05-01..05-05 holiday, so the 10th is Tuesday 2025-05-06
    assert one.deadline == datetime.date(2025, 5, 6)
    assert OrderEvent.objects.get(order=one).actor is None  # issued by the portal
    # a second run (the job, a retry) adds nothing
    assert street_run_orders_for_period(period=period, actor=w.users["district_admin"],
                                        now=moment(datetime.date(2025, 4, 21))) == []
    assert RectificationOrder.objects.count() == 2 and StreetRunOrder.objects.count() == 2


def test_the_firm_may_not_apply_for_demonstration_projects_until_the_order_is_closed(srw):
    w = srw
    assert demonstration_status(w.street_firm) == []
    publish(w)
    status = demonstration_status(w.street_firm)
    assert [s["text"] for s in status] == ["不得申报示范项目（整改期间）"] * 2
    assert demonstration_status(w.firm2) == []
    clerk = user_with_role("street_firm_user", Role.FIRM_USER, firm=w.street_firm)
    for order in RectificationOrder.objects.all():
        order_answer(actor=clerk, order=order, answer="已整改", now=moment(datetime.date(2025, 4, 25)))
        order_accept(actor=w.users["street_staff"], order=order, now=moment(datetime.date(2025, 4, 28)))
    assert demonstration_status(w.street_firm) == []


def test_without_the_policy_switch_no_order(srw):
    w = srw
    SanctionPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2025, 1, 1),
                                  street_run_orders=False)
    publish(w)
    assert not RectificationOrder.objects.exists()
