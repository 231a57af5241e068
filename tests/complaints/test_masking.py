"""The complainant's name and phone per persona (PIPL): in full inside the handling chain, masked outside.

Order on 梅花园 (梅园社区, 山城街道, 山亭区), assigned to firm 甲; complainant COMPLAINANT_NAME (Faker zh_CN), 13812340000.
"""
import datetime
from decimal import Decimal

import pytest

from complaints import services as svc
from complaints.models import Status
from complaints.selectors import complainant_for, mask_name, mask_phone
from enterprises.models import ServiceContract

from .conftest import COMPLAINANT_NAME, at

pytestmark = pytest.mark.django_db

FULL = (COMPLAINANT_NAME, "13812340000")
MASKED = (COMPLAINANT_NAME[0] + "*", "138****0000")  # its surname is one character

EXPECTED = {
    "district_admin": FULL,      # the order's district
    "district_staff": FULL,
    "street_staff": FULL,        # the order's street
    "firm_user": FULL,           # the firm handling it now
    "city_admin": MASKED,        # city read-only users
    "district_admin_gc": MASKED,  # another district
    "street_staff2": MASKED,     # another street
    "community_clerk": MASKED,   # the estate's community
    "firm_user2": MASKED,        # another firm
}
CONFIDENTIAL = {**EXPECTED, "firm_user": MASKED}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_complainant_per_persona(world, make_complaint, persona):
    c = make_complaint(to=Status.ASSIGNED)
    assert complainant_for(world.users[persona], c) == EXPECTED[persona]


@pytest.mark.parametrize("persona", list(CONFIDENTIAL))
def test_a_confidential_order_hides_the_complainant_from_the_firm_too(world, make_complaint, persona):
    c = make_complaint(to=Status.SIGNED, confidential=True)
    assert complainant_for(world.users[persona], c) == CONFIDENTIAL[persona]


def test_the_firm_sees_nothing_before_assignment_and_after_returning(world, make_complaint):
    c = make_complaint()
    assert complainant_for(world.users["firm_user"], c) == MASKED
    c = svc.complaint_assign(actor=world.users["street_staff"], complaint=c, now=at(2026, 12, 1, 9, 5))
    assert complainant_for(world.users["firm_user"], c) == FULL
    c = svc.complaint_return(actor=world.users["firm_user"], complaint=c, reason="非本小区", now=at(2026, 12, 1, 9, 6))
    assert complainant_for(world.users["firm_user"], c) == MASKED


def test_a_firm_that_handled_it_before_a_reassignment_sees_it_masked(world, make_complaint):
    c = make_complaint(to=Status.ASSIGNED)
    c = svc.complaint_return(actor=world.users["firm_user"], complaint=c, reason="合同即将到期", now=at(2026, 12, 1, 10))
    # Firm 乙 takes over 梅花园 on 12-02.
    ServiceContract.objects.filter(pk=world.contract_a1.pk).update(
        status="ended", ended_on=datetime.date(2026, 12, 1), handover_date=datetime.date(2026, 12, 1))
    ServiceContract.objects.create(estate=world.estate_a1, firm=world.firm2, start_date=datetime.date(2026, 12, 2),
                                   end_date=datetime.date(2029, 12, 1), fee_standard=Decimal("1.20"),
                                   bond=Decimal("50000.00"))
    c = svc.complaint_assign(actor=world.users["street_staff"], complaint=c, now=at(2026, 12, 2, 9))
    assert c.handled_by.firm == world.firm2
    assert complainant_for(world.users["firm_user2"], c) == FULL
    assert complainant_for(world.users["firm_user"], c) == MASKED


@pytest.mark.parametrize(("raw", "masked"), [
    ("张三", "张*"), ("欧阳" + COMPLAINANT_NAME[1:], "欧*"), ("李", "*"), ("", ""), ("  王五 ", "王*"),
])
def test_mask_name(raw, masked):
    assert mask_name(raw) == masked


@pytest.mark.parametrize(("raw", "masked"), [
    ("13812340000", "138****0000"),
    ("0371-12345678", "037****5678"),
    ("+8613812340000", "+86****0000"),
    ("12345", "****"),              # short: wholly
    ("6612345", "****"),            # a 7-digit local number: wholly
    ("微信 abc1234567", "****"),     # odd characters: wholly
    ("", ""),
])
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked
