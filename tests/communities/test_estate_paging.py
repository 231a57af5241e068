"""The estate list read community by community (accounts.pagination.GroupedPaginator) shows exactly the
pages a plain ORDER BY … LIMIT/OFFSET would, and the old-estate cut-off is read once per district."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import DistrictPolicy, Estate
from communities.views.estates import EstateListView
from tests.factories import CommunityFactory, EstateFactory, StreetFactory

pytestmark = pytest.mark.django_db
LIST = "/estates/"
ORDER = ("community__street__district__name", "community__street__name", "community__name", "name", "pk")


@pytest.fixture
def many(world):
    """Estates in communities of 1 to 5, names that sort differently from creation order, a second street
    whose name sorts first, and 管城回族区 (after 山亭区 by name)."""
    extra_street = StreetFactory(district=world.shanting, name="东风街道")
    places = [world.meiyuan, world.ziwei, world.beizhuang_c, world.zidong,
              CommunityFactory(street=extra_street, name="东风社区"), CommunityFactory(street=extra_street, name="安康社区")]
    for i in range(23):
        EstateFactory(community=places[i % len(places)], name=f"{'乙甲丙'[i % 3]}小区{22 - i:02d}", completion_year=2000 + i)
    return world


def _walk(client, per_page, **query):
    names, page = [], 1
    while True:
        response = client.get(LIST, {**query, "page": page})
        assert response.status_code == 200
        names += [e.name for e in response.context["object_list"]]
        if not response.context["page_obj"].has_next():
            return names, response.context["paginator"].count
        page += 1


@pytest.mark.parametrize("per_page", [1, 4, 7, 25])
def test_pages_in_the_default_order_are_those_of_a_plain_sort(many, login, monkeypatch, per_page):
    monkeypatch.setattr(EstateListView, "paginate_by", per_page)
    client = login("city_admin")
    names, count = _walk(client, per_page)
    expected = list(Estate.objects.order_by(*ORDER).values_list("name", flat=True))
    assert names == expected and count == len(expected) == 27


def test_pages_with_a_filter_and_a_scope_are_those_of_a_plain_sort(many, login, monkeypatch):
    monkeypatch.setattr(EstateListView, "paginate_by", 3)
    names, count = _walk(login("district_admin"), 3, q="小区")
    expected = list(Estate.objects.filter(community__street__district=many.shanting, name__contains="小区")
                    .order_by(*ORDER).values_list("name", flat=True))
    assert names == expected and count == len(expected) > 3


def test_a_chosen_sort_still_pages_every_estate(many, login, monkeypatch):
    monkeypatch.setattr(EstateListView, "paginate_by", 5)
    names, _count = _walk(login("city_admin"), 5, sort="-year")
    assert names == list(Estate.objects.order_by("-completion_year", "pk").values_list("name", flat=True))


def test_a_page_past_the_end_is_not_found(many, login):
    assert login("city_admin").get(LIST, {"page": 99}).status_code == 404


def test_old_estate_cutoff_is_each_districts_policy_read_once(many, login):
    w = many
    DistrictPolicy.objects.update_or_create(district=w.shanting, effective_from=datetime.date(2000, 1, 1),
                                            defaults={"old_estate_cutoff_year": 2005})
    DistrictPolicy.objects.update_or_create(district=w.guancheng, effective_from=datetime.date(2000, 1, 1),
                                            defaults={"old_estate_cutoff_year": 2010})
    # A later policy not yet in force does not count.
    DistrictPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2999, 1, 1),
                                  old_estate_cutoff_year=2020)
    client = login("city_admin")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, {"page": 1})
    policy_queries = [q["sql"] for q in ctx.captured_queries if "communities_districtpolicy" in q["sql"]]
    assert len(policy_queries) == 1  # once per request, not a subquery per row
    for estate in Estate.objects.select_related("community__street"):
        cutoff = 2005 if estate.community.street.district_id == w.shanting.pk else 2010
        shown = {e.pk: e.is_old() for e in response.context["object_list"]}
        if estate.pk in shown:
            assert shown[estate.pk] is (estate.completion_year <= cutoff)
    old = _walk(client, 25, old="true")[0]
    expected = [e.name for e in Estate.objects.select_related("community__street").order_by(*ORDER)
                if e.completion_year <= (2005 if e.community.street.district_id == w.shanting.pk else 2010)]
    assert old == expected and 0 < len(old) < 27
    # The same figure on the API and the detail page (with_cutoff_year: one CASE over the districts).
    assert Estate.objects.with_cutoff_year().get(pk=w.estate_b1.pk).cutoff_year == 2005
    assert Estate.objects.with_cutoff_year(datetime.date(2999, 6, 1)).get(pk=w.estate_b1.pk).cutoff_year == 2020
