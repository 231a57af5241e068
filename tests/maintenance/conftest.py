"""The maintenance-fund world: the test world (tests/conftest.py) plus each district's fund policy and a few
old estates, with their figures written out here.

  山亭区 (75 / 55 yuan per ㎡, 1:1, no budget)
    山城街道 · 梅园社区: 建设新村 (1995, lifts, 4,000 ㎡), 纺织厂宿舍 (1990, no lift, 6,000 ㎡),
                        梅花园 (2001, no lift, 36,000.50 ㎡) — and 锦绣花园 (2012: not old) in 紫薇社区
    北庄街道 · 北庄社区: 粮站家属院 (2000, no lift, 3,000 ㎡)
  管城回族区 (the same numbers)
    紫荆山街道 · 紫东社区: 紫荆小区 (1998, no lift, 28,000 ㎡)

The cut-off is the default (2004: built in 2004 or before is old) unless a test sets a DistrictPolicy.
"""
import datetime
from decimal import Decimal

import pytest

from maintenance.models import Collector, MaintenancePolicy
from maintenance.services import applications as svc
from tests.factories import EstateFactory

TODAY = datetime.date(2025, 6, 10)


@pytest.fixture
def mw(world):
    w = world
    for district in (w.shanting, w.guancheng):
        MaintenancePolicy.objects.create(district=district, effective_from=datetime.date(2024, 1, 1))
    w.policy = MaintenancePolicy.objects.get(district=w.shanting)
    w.lift_estate = EstateFactory(community=w.meiyuan, name="建设新村", completion_year=1995, has_lift=True,
                                  total_area=Decimal("4000.00"))
    w.nolift_estate = EstateFactory(community=w.meiyuan, name="纺织厂宿舍", completion_year=1990, has_lift=False,
                                    total_area=Decimal("6000.00"))
    w.bz_estate = EstateFactory(community=w.beizhuang_c, name="粮站家属院", completion_year=2000, has_lift=False,
                                total_area=Decimal("3000.00"))
    w.today = TODAY
    return w


def submit(w, estate, *, area, per_sqm, has_lift=False, actor="street_staff", today=TODAY,
           items="屋面防水\n楼道照明更换"):
    return svc.application_submit(actor=w.users[actor], estate=estate, area=Decimal(str(area)), has_lift=has_lift,
                                  per_sqm=Decimal(str(per_sqm)), repair_items=items, collector=Collector.FIRM,
                                  today=today)


def step(w, app, action, actor, today=TODAY, **kwargs):
    return svc.application_transition(actor=w.users[actor], application=app, action=action, today=today, **kwargs)


def through(w, app, last: str, today=TODAY):
    """Walk `app` along the chain up to `last` (review, approve or disburse) by the usual people."""
    app = step(w, app, "review", "district_staff", today=today, comment="材料齐全")
    if last == "review":
        return app
    app = step(w, app, "approve", "district_admin", today=today)
    if last == "approve":
        return app
    return step(w, app, "disburse", "district_admin", today=today, disbursed_on=today, voucher="WX-2025-001")
