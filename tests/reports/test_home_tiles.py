"""The home page's indicator tiles per persona: value, numerator / denominator, target and gap; the formation
tile as filed + stand-in parts of one bar; a firm sees no government target."""
import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Role
from communities.models import CommitteeKind, FilingStatus, ManagementMode
from tests.factories import (
    CommunityFactory,
    EstateFactory,
    OwnerCommitteeFactory,
    StreetFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # in 2026Q4


def tiles(response) -> dict[str, str]:
    """indicator code -> the text of its tile (tags stripped, spaces collapsed)."""
    html = response.content.decode()
    out = {}
    for code, body in re.findall(r'data-testid="indicator-([a-z_]+)">(.*?)</div></div></div>', html, re.S):
        out[code] = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    return out


def home(client, user):
    with time_machine.travel(NOW, tick=False):  # logged in inside: the idle logout reads the same clock
        client.force_login(user)
        response = client.get("/")
    assert response.status_code == 200
    return response


def test_street_staff_sees_each_indicator_with_ratio_target_and_gap(client, world, committees, inspections,
                                                                   complaints):
    got = tiles(home(client, world.users["street_staff"]))
    assert list(got) == ["coverage", "committee_formation", "complaint_handling", "inspection_average"]
    # 山城街道: 梅花园 managed, 锦绣花园 not; the city's 100 % target.
    assert "50.0%" in got["coverage"] and "1 / 2" in got["coverage"]
    assert "目标 ≥ 100%" in got["coverage"] and "差 50.0 个百分点" in got["coverage"]
    # 梅花园 filed + 锦绣花园 stand-in = 2 of 2, over the city's ≥ 80 %.
    assert "100.0%" in got["committee_formation"] and "2 / 2" in got["committee_formation"]
    assert "已备案业委会 1 + 物业管理委员会代行 1" in got["committee_formation"]
    assert "目标 ≥ 80%" in got["committee_formation"] and "已达标" in got["committee_formation"]
    # 2026Q4: one of the street's two cases closed.
    assert "2026Q4" in got["complaint_handling"] and "50.0%" in got["complaint_handling"]
    assert "1 / 2" in got["complaint_handling"] and "差 50.0 个百分点" in got["complaint_handling"]
    # 梅花园 90.0 and 80.0; no target set for inspections.
    assert "85.0 分" in got["inspection_average"] and "共 2 次检查" in got["inspection_average"]
    assert "未设目标" in got["inspection_average"]


def test_firm_home_shows_no_government_target(client, world, committees, inspections, complaints):
    response = home(client, world.users["firm_user"])
    got = tiles(response)
    assert list(got) == ["complaint_handling", "inspection_average"]
    content = response.content.decode()
    assert "业委会组建率" not in content and "物业管理覆盖率" not in content
    # 甲物业's cases of 2026Q4: the closed one at 梅花园 (the other was never sent to it).
    assert "1 / 1" in got["complaint_handling"] and "100.0%" in got["complaint_handling"]
    assert "85.0 分" in got["inspection_average"]


@pytest.mark.parametrize("persona, coverage", [
    ("city_admin", "2 / 4"), ("district_admin", "2 / 3"), ("district_admin_gc", "0 / 1"),
    ("street_staff2", "1 / 1"), ("community_clerk", "1 / 1"),
])
def test_each_government_persona_sees_its_own_figures(client, world, persona, coverage):
    got = tiles(home(client, world.users[persona]))
    assert "committee_formation" in got
    assert coverage in got["coverage"]


def test_formation_tile_says_what_it_counts(client, world):
    """Issue 13: "已备案业委会 22" stood beside 68.3 % although 22 / 41 is 53.7 %: the six stand-in committees
    were counted without saying so. The tile shows 22 filed + 6 stand-in = 28 / 41 = 68.3 %."""
    street = StreetFactory(district=world.shanting, name="测试街道")
    community = CommunityFactory(street=street, name="测试社区")
    estates = [EstateFactory(community=community, management_mode=ManagementMode.NONE) for _ in range(41)]
    for estate in estates[:22]:
        OwnerCommitteeFactory(estate=estate, filing_status=FilingStatus.FILED, filed_on=datetime.date(2024, 4, 1))
    for estate in estates[22:28]:
        OwnerCommitteeFactory(estate=estate, kind=CommitteeKind.STANDIN)
    clerk = user_with_role("test_street_clerk", Role.STREET_STAFF, street=street)
    response = home(client, clerk)
    formation = tiles(response)["committee_formation"]
    assert "68.3%" in formation and "28 / 41" in formation
    assert "已备案业委会 22 + 物业管理委员会代行 6" in formation
    assert "差 11.7 个百分点" in formation
    html = response.content.decode()
    # One bar, two segments: 22 / 41 = 53.7 % and 6 / 41 = 14.6 % of its width.
    assert re.search(r'style="width: 53\.7%"[^>]*data-testid="part-filed"', html)
    assert re.search(r'style="width: 14\.6%"[^>]*data-testid="part-standin"', html)
