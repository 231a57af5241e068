"""Committee-formation targets per district and year (communities.CommitteeTarget, their one place) and the
progress the street list shows against them, with numbers worked out by hand.

郑经管办〔2018〕92号 form: 30 % / 40 % / 30 % of the estates that had no committee when the programme started,
in three successive years (cumulative 30 %, 70 %, 100 %). 驻政办〔2018〕10号 form: at least 80 % of all estates.
"""
import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from communities.models import CommitteeKind, CommitteeTarget, FilingStatus
from communities.selectors import estate_counts_by_street
from communities.targets import committee_target_for, district_progress, required_estates, street_progress
from tests.factories import (
    CommunityFactory,
    DistrictFactory,
    EstateFactory,
    OwnerCommitteeFactory,
    StreetFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db
START = datetime.date(2026, 1, 1)
NOW = datetime.datetime(2027, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def filed(estate, elected_on, filed_on):
    return OwnerCommitteeFactory(estate=estate, elected_on=elected_on, term_end=elected_on.replace(year=2031),
                                 filing_status=FilingStatus.FILED, filed_on=filed_on)


@pytest.fixture
def zone(world):
    """郑州经开区: 23 estates in two streets. On 2026-01-01 three had a filed committee, 20 had none (12 in 明湖街道,
    8 in 九龙街道). Since then 8 of the 20 got one: 5 in 明湖 (4 filed owners' committees, 1 stand-in) and 3 in 九龙;
    one more was elected in 明湖 but is not filed yet, so it does not count."""
    z = world
    z.zone = DistrictFactory(name="郑州经开区")
    z.minghu = StreetFactory(district=z.zone, name="明湖街道")
    z.jiulong = StreetFactory(district=z.zone, name="九龙街道")
    c1, c2 = CommunityFactory(street=z.minghu), CommunityFactory(street=z.jiulong)
    before = [EstateFactory(community=c1) for _ in range(3)]
    for estate in before:
        filed(estate, datetime.date(2024, 5, 1), datetime.date(2024, 6, 1))
    z.minghu_left = [EstateFactory(community=c1) for _ in range(12)]
    z.jiulong_left = [EstateFactory(community=c2) for _ in range(8)]
    for estate in z.minghu_left[:4] + z.jiulong_left[:3]:
        filed(estate, datetime.date(2026, 4, 1), datetime.date(2026, 5, 1))
    OwnerCommitteeFactory(estate=z.minghu_left[4], kind=CommitteeKind.STANDIN, elected_on=datetime.date(2026, 9, 1),
                          term_end=datetime.date(2029, 8, 31))
    OwnerCommitteeFactory(estate=z.minghu_left[5], elected_on=datetime.date(2026, 10, 1),
                          term_end=datetime.date(2031, 9, 30))  # not filed
    for year, step in ((2026, "30"), (2027, "40"), (2028, "30")):
        CommitteeTarget.objects.create(district=z.zone, year=year, form="remaining", value=Decimal(step),
                                       baseline_on=START, source="郑经管办〔2018〕92号")
    z.zone_admin = user_with_role("zone_admin", Role.DISTRICT_ADMIN, district=z.zone)
    z.minghu_staff = user_with_role("minghu_staff", Role.STREET_STAFF, street=z.minghu)
    return z


def test_the_yearly_steps_add_up_to_the_years_target(zone):
    assert [committee_target_for(zone.zone.pk, y).share for y in (2026, 2027, 2028, 2030)] \
        == [Decimal(30), Decimal(70), Decimal(100), Decimal(100)]
    target = committee_target_for(zone.zone.pk, 2027)
    assert (target.is_rate, target.baseline_on, target.steps) == (False, START, ((2026, 30), (2027, 40)))
    assert target.plan == ((2026, 30), (2027, 40), (2028, 30))
    # Before its programme the district is held to the city's rate (migrated from reports, from 2020).
    before = committee_target_for(zone.zone.pk, 2025)
    assert (before.is_rate, before.share, before.row.district) == (True, Decimal("80.00"), None)


@pytest.mark.parametrize("year, required, gap", [
    # 20 estates without a committee on 2026-01-01; 8 of them have one now.
    (2026, 6, 0),  # 30 % of 20 = 6: met (8 ≥ 6)
    (2027, 14, 6),  # 30 + 40 = 70 % of 20 = 14: 6 to go
    (2028, 20, 12),  # all 20: 12 to go
])
def test_district_progress_worked_by_hand(zone, year, required, gap):
    p = district_progress(user=zone.zone_admin, district=zone.zone, year=year)
    assert (p.estates, p.formed, p.required, p.gap, p.met) == (20, 8, required, gap, gap == 0)


def test_street_progress_counts_the_streets_own_estates(zone):
    # 明湖: 12 left at the start, 5 formed (the unfiled one does not count); 2027: 70 % of 12 = 8.4 -> 9.
    p = street_progress(user=zone.minghu_staff, street=zone.minghu, year=2027)
    assert (p.estates, p.formed, p.required, p.gap) == (12, 5, 9, 4)
    # 九龙: 8 left, 3 formed; 2026: 30 % of 8 = 2.4 -> 3, met.
    p = street_progress(user=zone.zone_admin, street=zone.jiulong, year=2026)
    assert (p.estates, p.formed, p.required, p.gap, p.met) == (8, 3, 3, 0, True)


def test_a_target_is_a_floor_rounded_up_to_whole_estates():
    assert required_estates(Decimal(30), 20) == 6
    assert required_estates(Decimal(30), 7) == 3  # 2.1 estates: 2 would fall short of 30 %
    assert required_estates(Decimal(80), 41) == 33  # 32.8
    assert required_estates(Decimal(80), 40) == 32
    assert required_estates(Decimal(0), 40) == 0


def test_the_city_rate_applies_where_a_district_has_no_target(world, committees_for_shanting):
    # 山亭区 has no row: the city's ≥ 80 % (migrated from reports). 4 estates in the district seen by its admin,
    # 2 with a committee -> 80 % of 4 = 3.2 -> 4 required, gap 2.
    target = committee_target_for(world.shanting.pk, 2026)
    assert (target.is_rate, target.share, target.row.district) == (True, Decimal("80.00"), None)
    p = district_progress(user=world.users["district_admin"], district=world.shanting, year=2026)
    assert (p.estates, p.formed, p.required, p.gap) == (3, 2, 3, 1)


@pytest.fixture
def committees_for_shanting(world):
    filed(world.estate_a1, datetime.date(2024, 3, 1), datetime.date(2024, 4, 1))
    OwnerCommitteeFactory(estate=world.estate_b1, kind=CommitteeKind.STANDIN, elected_on=datetime.date(2025, 3, 1),
                          term_end=datetime.date(2028, 2, 28))


def test_a_districts_own_rate_replaces_the_citys_from_its_year(world):
    CommitteeTarget.objects.create(district=world.shanting, year=2027, value=Decimal("90"))
    assert committee_target_for(world.shanting.pk, 2026).share == Decimal("80.00")
    assert committee_target_for(world.shanting.pk, 2027).share == Decimal("90")
    assert committee_target_for(world.guancheng.pk, 2027).share == Decimal("80.00")


def test_the_place_lists_read_the_rate_target_from_committee_targets(world, login, time_machine):
    time_machine.move_to(NOW, tick=False)
    CommitteeTarget.objects.create(district=world.shanting, year=2027, value=Decimal("85"))
    rows = {r.street: r for r in estate_counts_by_street(user=world.users["city_admin"], today=NOW.date())}
    assert rows["山城街道"].formation_target == Decimal("85")
    assert rows["紫荆山街道"].formation_target == Decimal("80.00")
    page = login("city_admin").get(reverse("communities:street_list"))
    by_street = {s.name: s for s in page.context["object_list"]}
    assert by_street["山城街道"].formation_target == Decimal("85")
    assert by_street["紫荆山街道"].formation_target == Decimal("80.00")


# --- the street list's progress panel ---------------------------------------------------------------------

def panel(response, level, place):
    html = response.content.decode()
    marker = f'data-testid="committee-progress-{level}-{place.pk}"'
    if marker not in html:
        return None
    part = html.split(marker, 1)[1].split('data-testid="committee-progress-', 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", part).split())


def test_the_district_admin_sees_the_districts_progress_on_the_street_list(zone, client, time_machine):
    time_machine.move_to(NOW, tick=False)
    client.force_login(zone.zone_admin)
    response = client.get(reverse("communities:street_list"))
    text = panel(response, "district", zone.zone)
    assert "2027 年业委会组建目标" in text
    assert "累计完成 70%：2026-01-01 尚未成立业委会的 20 个小区中至少 14 个" in text
    assert "分年度 · 2026 30% · 2027 40% · 2028 30%" in text
    assert "已组建 8 个" in text and "差 6 个" in text and "郑经管办〔2018〕92号" in text
    # Another district's panel is not shown.
    assert panel(response, "district", zone.shanting) is None


def test_street_staff_see_their_streets_progress_only(zone, client, time_machine):
    time_machine.move_to(NOW, tick=False)
    client.force_login(zone.minghu_staff)
    response = client.get(reverse("communities:street_list"))
    text = panel(response, "street", zone.minghu)
    assert "12 个小区中至少 9 个" in text and "已组建 5 个" in text and "差 4 个" in text
    assert panel(response, "street", zone.jiulong) is None and panel(response, "district", zone.zone) is None


def test_a_rate_target_panel_counts_every_estate(world, committees_for_shanting, login, time_machine):
    time_machine.move_to(NOW, tick=False)
    text = panel(login("district_admin").get(reverse("communities:street_list")), "district", world.shanting)
    assert "组建率 ≥ 80%：3 个小区中至少 3 个" in text and "已组建 2 个" in text and "差 1 个" in text


# --- keeping the targets ----------------------------------------------------------------------------------

def test_steps_of_one_programme_may_not_exceed_100_percent(zone):
    row = CommitteeTarget(district=zone.zone, year=2029, form="remaining", value=Decimal("10"), baseline_on=START)
    with pytest.raises(ValidationError) as caught:
        row.full_clean()
    assert "不能超过 100%" in str(caught.value) and "其他年度已有 100%" in str(caught.value)


@pytest.mark.parametrize("fields, message", [
    ({"form": "remaining", "baseline_on": None}, "请填写基数日期"),
    ({"form": "remaining", "district": None, "baseline_on": START}, "须指定区"),
    ({"form": "rate", "baseline_on": START}, "组建率目标不需要基数日期"),
])
def test_a_target_row_says_what_is_wrong(world, fields, message):
    row = CommitteeTarget(**{"district": world.shanting, "year": 2027, "value": Decimal("30"), **fields})
    with pytest.raises(ValidationError) as caught:
        row.full_clean()
    assert message in str(caught.value)


def test_a_district_sets_its_steps_in_the_admin(world, login):
    keeper = world.users["city_admin"]  # the city's data keeper in the admin (every model permission)
    keeper.is_superuser = True
    keeper.save(update_fields=["is_superuser"])
    client = login("city_admin")
    url = reverse("admin:communities_committeetarget_add")
    for year, step in ((2026, "30"), (2027, "40"), (2028, "30")):
        response = client.post(url, {"district": world.guancheng.pk, "year": year, "form": "remaining",
                                     "value": step, "baseline_on": "2026-01-01", "source": "区政府文件"})
        assert response.status_code == 302, response.content.decode()[:500]
    response = client.post(url, {"district": world.guancheng.pk, "year": 2029, "form": "remaining",
                                 "value": "5", "baseline_on": "2026-01-01", "source": ""})
    assert response.status_code == 200 and "不能超过 100%" in response.content.decode()
    assert committee_target_for(world.guancheng.pk, 2027).share == Decimal("70")
    assert CommitteeTarget.objects.filter(district=world.guancheng).count() == 3
