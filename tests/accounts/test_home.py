"""The home page shows each persona the summary of its own scope."""
import datetime

import pytest

from communities.models import CommitteeKind, FilingStatus
from communities.selectors import estate_counts_by_street
from tests.factories import OwnerCommitteeFactory

pytestmark = pytest.mark.django_db


def test_anonymous_home_redirects_to_login(client, world):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_street_staff_home_counts_only_own_street(login, world):
    # 山城街道: 梅花园 (market) and 锦绣花园 (none) -> coverage 1/2 = 50.0 %.
    OwnerCommitteeFactory(estate=world.estate_a1, filing_status=FilingStatus.FILED,
                          filed_on=datetime.date(2024, 4, 1))
    response = login("street_staff").get("/")
    assert response.status_code == 200
    rows = response.context["summary"]["streets"]
    assert [(r.street, r.estates, r.covered, r.filed_committees) for r in rows] == [("山城街道", 2, 1, 1)]
    content = response.content.decode()
    assert "50.0%" in content
    assert "北庄街道" not in content and "紫荆山街道" not in content


def test_district_admin_sees_each_street_of_the_district(world):
    # Hand count: 山城街道 2 estates (1 covered); 北庄街道 1 estate (1 covered).
    # Committees: a filed owners' committee on 北庄花园, a stand-in on 锦绣花园, an
    # unfiled one on 梅花园 (does not count towards formation).
    OwnerCommitteeFactory(estate=world.estate_b1, filing_status=FilingStatus.FILED,
                          filed_on=datetime.date(2024, 4, 1))
    OwnerCommitteeFactory(estate=world.estate_a2, kind=CommitteeKind.STANDIN)
    OwnerCommitteeFactory(estate=world.estate_a1, filing_status=FilingStatus.PENDING)
    rows = estate_counts_by_street(user=world.users["district_admin"])
    got = [(r.street, r.estates, r.covered, r.filed_committees, r.standin_committees) for r in rows]
    assert got == [("北庄街道", 1, 1, 1, 0), ("山城街道", 2, 1, 0, 1)]
    by_street = {r.street: r for r in rows}
    assert str(by_street["北庄街道"].formation_rate) == "100.0"
    assert by_street["北庄街道"].formation_met is True
    assert str(by_street["山城街道"].formation_rate) == "50.0"  # the stand-in counts: 1 of 2
    assert by_street["山城街道"].formation_met is False
    assert str(by_street["山城街道"].coverage_rate) == "50.0"
    assert by_street["山城街道"].formation_target == 80


def test_firm_user_home_counts_only_served_estates(login, world):
    response = login("firm_user").get("/")
    rows = response.context["summary"]["streets"]
    assert [(r.street, r.estates) for r in rows] == [("山城街道", 1)]
    assert "山亭甲物业服务有限公司" in response.content.decode()


@pytest.mark.parametrize("persona", ["city_admin", "district_admin", "district_staff", "district_admin_gc",
                                     "street_staff", "street_staff2", "community_clerk", "firm_user", "firm_user2"])
def test_home_renders_for_every_persona_in_bounded_queries(login, persona, django_assert_max_num_queries):
    client = login(persona)
    # 11 before the indicator tiles; they add one aggregate per source (estates, inspections, complaints)
    # and two for the targets (Target rows, the committee target), whatever the data (tests/reports/test_home_tiles.py). A firm's home adds its
    # six cards (estates and tiers, orders, complaints, subsidy, application windows: tests/reports/
    # test_firm_home.py); none of these grows with the data (tests/reports/test_work_list.py).
    with django_assert_max_num_queries(22 if persona.startswith("firm_user") else 17):
        assert client.get("/").status_code == 200
