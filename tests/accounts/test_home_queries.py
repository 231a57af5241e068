"""The city home page: a constant number of queries, however many districts (one policy query in all)."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import DistrictPolicy
from tests.factories import CommunityFactory, DistrictFactory, EstateFactory, StreetFactory

pytestmark = pytest.mark.django_db


def _add_districts(n):
    for i in range(n):
        district = DistrictFactory(name=f"新区{i}")
        DistrictPolicy.objects.update_or_create(district=district, effective_from=datetime.date(2000, 1, 1),
                                                defaults={"coverage_target": 90 + i})
        for s in range(2):
            community = CommunityFactory(street=StreetFactory(district=district, name=f"新区{i}街道{s}"),
                                         name="社区")
            EstateFactory(community=community, name=f"小区{i}{s}")


def _home_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries]


def test_city_home_with_five_districts_in_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    _add_districts(3)  # 山亭区, 管城回族区 and three more: five districts
    client = login("city_admin")
    client.get("/")  # the session is stamped once (accounts.middleware)
    # Session, user, roles; counts by street, the streets, the policies in force, the committee targets;
    # notifications; the working-day calendar's warning for city administrators (one query); the indicator
    # tiles: one aggregate each over estates, inspections and complaints, and the targets (reports.selectors:
    # Target rows and the committee target).
    with django_assert_max_num_queries(14):
        response = client.get("/")
    rows = response.context["summary"]["streets"]
    assert len({r.district_id for r in rows}) == 5
    assert {r.coverage_target for r in rows if r.district.startswith("新区")} == {90, 91, 92}


def test_city_home_queries_do_not_grow_with_districts(world, login):
    client = login("city_admin")
    client.get("/")
    _response, before = _home_queries(client)
    _add_districts(4)
    _response, after = _home_queries(client)
    assert len(after) == len(before)
    assert sum("communities_districtpolicy" in sql for sql in after) == 1
