"""Every indicator against the hand-counted world of tests/reports/conftest.py, per persona and area."""
from decimal import Decimal

import pytest

from complaints.selectors import RATES
from reports.indicators import BY_CODE, CITY, INDICATORS, Area, Period, Scope, measure

from .conftest import TODAY

pytestmark = pytest.mark.django_db
Q4 = Period.quarter_of(TODAY)


def figures(world, code, persona, area=CITY, period=None):
    m = measure(BY_CODE[code], Scope(user=world.users[persona], area=area, period=period))
    return m.numerator, m.denominator, m.value


def test_every_indicator_states_its_formula_and_a_unique_code():
    codes = [i.code for i in INDICATORS]
    assert len(codes) == len(set(codes))
    assert {"coverage", "committee_formation", "complaint_handling", "inspection_average"} <= set(codes)
    assert all(str(i.formula) and str(i.name) for i in INDICATORS)


def test_quarter_period():
    assert (Q4.start.isoformat(), Q4.end.isoformat(), Q4.label) == ("2026-10-01", "2026-12-31", "2026Q4")
    q1 = Period.quarter_of(TODAY.replace(month=2, day=28))
    assert (q1.start.isoformat(), q1.end.isoformat()) == ("2026-01-01", "2026-03-31")


@pytest.mark.parametrize("persona, area, expected", [
    # 4 estates, 梅花园 and 北庄花园 managed.
    ("city_admin", CITY, (2, 4, Decimal("50.0"))),
    # 山亭区: 梅花园, 锦绣花园, 北庄花园.
    ("district_admin", CITY, (2, 3, Decimal("66.7"))),
    ("street_staff", CITY, (1, 2, Decimal("50.0"))),
    ("street_staff2", CITY, (1, 1, Decimal("100.0"))),
    ("community_clerk", CITY, (1, 1, Decimal("100.0"))),
    # A city admin narrowed to 管城回族区: 紫荆小区 alone, unmanaged.
    ("city_admin", "guancheng", (0, 1, Decimal("0.0"))),
    # The area never widens what a user sees: 山城街道's clerk asking for 北庄街道 counts nothing.
    ("street_staff", "beizhuang", (0, 0, None)),
])
def test_coverage(world, persona, area, expected):
    if area == "guancheng":
        area = Area("district", world.guancheng.pk)
    elif area == "beizhuang":
        area = Area("street", world.beizhuang.pk)
    assert figures(world, "coverage", persona, area) == expected


@pytest.mark.parametrize("persona, expected, parts", [
    # filed: 梅花园, 紫荆小区 (its former stand-in is not active: not counted); stand-in: 锦绣花园.
    ("city_admin", (3, 4, Decimal("75.0")), (2, 1)),
    ("district_admin", (2, 3, Decimal("66.7")), (1, 1)),
    ("street_staff", (2, 2, Decimal("100.0")), (1, 1)),
    # 北庄花园's committee is not filed yet.
    ("street_staff2", (0, 1, Decimal("0.0")), (0, 0)),
    ("district_admin_gc", (1, 1, Decimal("100.0")), (1, 0)),
])
def test_committee_formation_counts_filed_and_standin_as_two_parts(world, committees, persona, expected, parts):
    m = measure(BY_CODE["committee_formation"], Scope(user=world.users[persona]))
    assert (m.numerator, m.denominator, m.value) == expected
    assert [(part.code, n) for part, n in m.parts] == [("filed", parts[0]), ("standin", parts[1])]
    assert sum(n for _, n in m.parts) == m.numerator


def test_formation_bar_segments_are_shares_of_all_estates(world, committees):
    m = measure(BY_CODE["committee_formation"], Scope(user=world.users["city_admin"]))
    # 2 of 4 filed, 1 of 4 stand-in.
    assert [m.share(n) for _, n in m.parts] == [Decimal("50.0"), Decimal("25.0")]


@pytest.mark.parametrize("persona, expected", [
    # 2026Q4: 梅花园 closed + received, 北庄花园 closed; the 2026Q3 case is outside the period.
    ("city_admin", (2, 3, Decimal("66.7"))),
    ("district_admin", (2, 3, Decimal("66.7"))),
    ("street_staff", (1, 2, Decimal("50.0"))),
    ("street_staff2", (1, 1, Decimal("100.0"))),
    ("district_admin_gc", (0, 0, None)),
])
def test_complaint_handling(world, complaints, persona, expected):
    assert figures(world, "complaint_handling", persona, period=Q4) == expected


def test_complaint_handling_is_the_complaints_apps_own_rate():
    handling = next(r for r in RATES if r.key == "handling_rate")
    assert BY_CODE["complaint_handling"].formula == handling.formula


@pytest.mark.parametrize("persona, expected", [
    # 90.0 + 80.0 + 70.5 = 240.5 over 3 (the superseded, the draft and the 2026Q3 one not counted) = 80.17.
    ("city_admin", (Decimal("240.5"), 3, Decimal("80.2"))),
    ("street_staff", (Decimal("170.0"), 2, Decimal("85.0"))),
    ("street_staff2", (Decimal("70.5"), 1, Decimal("70.5"))),
    # 甲物业 serves 梅花园 (contract 2025–2027): its two counted inspections.
    ("firm_user", (Decimal("170.0"), 2, Decimal("85.0"))),
    ("district_admin_gc", (0, 0, None)),
])
def test_inspection_average_of_the_quarter(world, inspections, persona, expected):
    assert figures(world, "inspection_average", persona, period=Q4) == expected


def test_periodic_indicator_refuses_a_scope_without_period(world):
    with pytest.raises(ValueError):
        measure(BY_CODE["inspection_average"], Scope(user=world.users["city_admin"]))


def test_area_must_be_consistent():
    with pytest.raises(ValueError):
        Area("city", 3)
    with pytest.raises(ValueError):
        Area("street")
