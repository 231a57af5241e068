"""Targets as data: the seeded city targets, uniqueness, and the lookup by the most specific area. The
committee-formation target is not a Target row: the reports read it from communities.CommitteeTarget."""
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from communities.models import CommitteeTarget
from reports.indicators import CITY, Area
from reports.models import Target
from reports.selectors import target_for, targets_for
from tests.factories import DistrictFactory

pytestmark = pytest.mark.django_db


def test_the_city_targets_of_the_policy_are_seeded():
    # 驻政办〔2018〕10号: by 2020 full coverage, ≥ 80 % owner committees, 100 % complaints handled. The
    # committee one was moved to communities.CommitteeTarget (reports migration 0003), its one place.
    seeded = {(t.indicator, t.level, t.area_id, t.year, t.value) for t in Target.objects.all()}
    assert seeded == {
        ("coverage", "city", None, 2020, Decimal("100.0")),
        ("complaint_handling", "city", None, 2020, Decimal("100.0")),
    }
    committee = {(t.district_id, t.year, t.form, t.value) for t in CommitteeTarget.objects.all()}
    assert committee == {(None, 2020, "rate", Decimal("80.00"))}


@pytest.fixture
def targets(world):
    Target.objects.create(indicator="coverage", level="district", area_id=world.shanting.pk,
                          year=2026, value=Decimal("85.0"))
    Target.objects.create(indicator="coverage", level="street", area_id=world.shancheng.pk,
                          year=2027, value=Decimal("90.0"))
    Target.objects.create(indicator="coverage", level="community", area_id=world.meiyuan.pk,
                          year=2025, value=Decimal("70.0"))


@pytest.mark.parametrize("area, year, expected", [
    # 梅园社区 has its own target from 2025.
    (("community", "meiyuan"), 2026, ("community", Decimal("70.0"))),
    # 紫薇社区 (山城街道): the street's target starts only in 2027, so 山亭区's.
    (("community", "ziwei"), 2026, ("district", Decimal("85.0"))),
    (("street", "shancheng"), 2026, ("district", Decimal("85.0"))),
    (("street", "shancheng"), 2027, ("street", Decimal("90.0"))),
    (("street", "beizhuang"), 2030, ("district", Decimal("85.0"))),
    # 山亭区 before its own target: the city's (from 2020, still in force).
    (("district", "shanting"), 2025, ("city", Decimal("100.0"))),
    (("district", "guancheng"), 2026, ("city", Decimal("100.0"))),
    (("community", "zidong"), 2026, ("city", Decimal("100.0"))),
    (None, 2026, ("city", Decimal("100.0"))),
    # Before 2020 nothing was set.
    (None, 2019, None),
])
def test_target_lookup_takes_the_most_specific_area(world, targets, area, year, expected):
    area = CITY if area is None else Area(area[0], getattr(world, area[1]).pk)
    target = target_for("coverage", area, year)
    assert (None if target is None else (target.level, target.value)) == expected


def test_targets_for_several_indicators_in_two_queries(world, targets, django_assert_num_queries):
    # Target rows in one query, the committee target (communities.CommitteeTarget) in another.
    CommitteeTarget.objects.create(district=world.shanting, year=2026, value=Decimal("85"))
    with django_assert_num_queries(2):
        got = targets_for(["coverage", "committee_formation", "inspection_average"],
                          Area("community", world.ziwei.pk), 2026)
    assert {code: (t.level, t.value) for code, t in got.items()} == {
        "coverage": ("district", Decimal("85.0")), "committee_formation": ("district", Decimal("85"))}


@pytest.mark.parametrize("area, year, expected", [
    (("community", "ziwei"), 2026, ("district", Decimal("85"))),  # 山亭区's own, from 2026
    (("street", "shancheng"), 2025, ("city", Decimal("80.00"))),  # before it: the city's
    (("district", "guancheng"), 2026, ("city", Decimal("80.00"))),
    (None, 2026, ("city", Decimal("80.00"))),
    (None, 2019, None),
])
def test_the_formation_tile_reads_the_committee_target_of_the_areas_district(world, area, year, expected):
    CommitteeTarget.objects.create(district=world.shanting, year=2026, value=Decimal("85"))
    area = CITY if area is None else Area(area[0], getattr(world, area[1]).pk)
    target = target_for("committee_formation", area, year)
    assert (None if target is None else (target.level, target.value)) == expected


def test_a_district_on_yearly_steps_has_no_rate_on_the_tile(world):
    # 郑经管办〔2018〕92号: 30 % / 40 % / 30 % of the estates left without a committee at the start. That is a
    # number of estates (the street and district pages show it), not a rate over every estate: the tile of
    # such a district shows no target rather than a wrong one, and the city's 80 % does not stand in.
    for year, value in ((2026, "30"), (2027, "40"), (2028, "30")):
        CommitteeTarget.objects.create(district=world.shanting, year=year, form="remaining", value=Decimal(value),
                                       baseline_on="2026-01-01")
    assert target_for("committee_formation", Area("street", world.shancheng.pk), 2027) is None
    assert target_for("committee_formation", Area("district", world.guancheng.pk), 2027).value == Decimal("80.00")


def test_a_committee_formation_target_row_is_refused_here():
    with pytest.raises(ValidationError) as caught:
        Target(indicator="committee_formation", level="city", year=2027, value=Decimal("80.0")).full_clean()
    assert "业委会组建目标" in str(caught.value)


def test_one_target_per_indicator_area_and_year(world):
    Target.objects.create(indicator="coverage", level="district", area_id=world.shanting.pk, year=2026,
                          value=Decimal("95.0"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(indicator="coverage", level="district", area_id=world.shanting.pk, year=2026,
                              value=Decimal("90.0"))
    # The city has no area id (NULL): its own constraint.
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(indicator="coverage", level="city", year=2020, value=Decimal("90.0"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(indicator="coverage", level="street", area_id=None, year=2026, value=Decimal("90.0"))


def test_a_target_names_a_declared_indicator():
    with pytest.raises(ValidationError):
        Target(indicator="made_up", level="city", year=2026, value=Decimal("1.0")).full_clean()
