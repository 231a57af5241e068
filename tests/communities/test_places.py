"""Street and community lists: scope for every persona, hand-counted coverage and
formation figures, Excel export, scoped filter choices and pinned query counts."""
import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from communities.models import CommitteeKind, FilingStatus, ManagementMode
from tests.conftest import PERSONAS
from tests.factories import CommunityFactory, EstateFactory, OwnerCommitteeFactory, StreetFactory

pytestmark = pytest.mark.django_db

STREETS = {
    "city_admin": ["北庄街道", "山城街道", "紫荆山街道"],
    "district_admin": ["北庄街道", "山城街道"],
    "district_staff": ["北庄街道", "山城街道"],
    "district_admin_gc": ["紫荆山街道"],
    "street_staff": ["山城街道"],
    "street_staff2": ["北庄街道"],
    "community_clerk": ["山城街道"],
    "firm_user": ["山城街道"],
    "firm_user2": ["北庄街道"],
}
COMMUNITIES = {
    "city_admin": ["北庄社区", "梅园社区", "紫东社区", "紫薇社区"],
    "district_admin": ["北庄社区", "梅园社区", "紫薇社区"],
    "district_staff": ["北庄社区", "梅园社区", "紫薇社区"],
    "district_admin_gc": ["紫东社区"],
    "street_staff": ["梅园社区", "紫薇社区"],
    "street_staff2": ["北庄社区"],
    "community_clerk": ["梅园社区"],
    "firm_user": ["梅园社区"],
    "firm_user2": ["北庄社区"],
}


def listed(response):
    return sorted(o.name for o in response.context["object_list"])


def export_rows(response):
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


@pytest.fixture
def figures(world):
    """Extra estates and committees so every figure differs (counted by hand below).

    山城街道: 梅园社区 梅花园 (market, filed owners' committee)
              紫薇社区 锦绣花园 (none, stand-in committee), 自管苑 (self), 托管苑 (custody), 荒园 (none)
    北庄街道: 北庄社区 北庄花园 (market; an old filed committee no longer active, an active unfiled one)
    紫荆山街道: 紫东社区 紫荆小区 (none)
    """
    EstateFactory(community=world.ziwei, name="自管苑", management_mode=ManagementMode.SELF)
    EstateFactory(community=world.ziwei, name="托管苑", management_mode=ManagementMode.COMMUNITY_CUSTODY)
    EstateFactory(community=world.ziwei, name="荒园", management_mode=ManagementMode.NONE)
    OwnerCommitteeFactory(estate=world.estate_a1, filing_status=FilingStatus.FILED,
                          filed_on=datetime.date(2024, 4, 1))
    OwnerCommitteeFactory(estate=world.estate_a2, kind=CommitteeKind.STANDIN)
    OwnerCommitteeFactory(estate=world.estate_b1, is_active=False, filing_status=FilingStatus.FILED,
                          elected_on=datetime.date(2018, 1, 1), term_end=datetime.date(2023, 1, 1),
                          filed_on=datetime.date(2018, 2, 1))
    OwnerCommitteeFactory(estate=world.estate_b1, filing_status=FilingStatus.PENDING)
    return world


# ----------------------------------------------------------------- permissions


@pytest.mark.parametrize("persona", PERSONAS)
def test_street_list_shows_exactly_the_personas_streets(login, persona):
    response = login(persona).get(reverse("communities:street_list"))
    assert response.status_code == 200
    assert listed(response) == STREETS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_community_list_shows_exactly_the_personas_communities(login, persona):
    response = login(persona).get(reverse("communities:community_list"))
    assert response.status_code == 200
    assert listed(response) == COMMUNITIES[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_street_export_holds_only_the_personas_streets(login, persona):
    response = login(persona).get(reverse("communities:street_list") + "?export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert sorted(r[1] for r in export_rows(response)[1:]) == STREETS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_community_export_holds_only_the_personas_communities(login, persona):
    response = login(persona).get(reverse("communities:community_list") + "?export=xlsx")
    assert response.status_code == 200
    assert sorted(r[2] for r in export_rows(response)[1:]) == COMMUNITIES[persona]


@pytest.mark.parametrize("url_name", ["street_list", "community_list"])
@pytest.mark.parametrize("query", ["", "?export=xlsx"])
def test_anonymous_visitor_is_sent_to_login_from_place_lists(client, world, url_name, query):
    response = client.get(reverse(f"communities:{url_name}") + query)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_district_choices_of_the_street_filter_are_scoped(login):
    response = login("district_admin").get(reverse("communities:street_list"))
    choices = [str(label) for _, label in response.context["filter"].form.fields["district"].choices]
    assert "山亭区" in choices and "管城回族区" not in choices


def test_filtering_by_a_district_outside_scope_lists_nothing(world, login):
    response = login("street_staff").get(reverse("communities:street_list"), {"district": world.guancheng.pk})
    assert listed(response) == []


def test_community_list_filters_by_street(world, login):
    response = login("district_admin").get(reverse("communities:community_list"), {"street": world.shancheng.pk})
    assert listed(response) == ["梅园社区", "紫薇社区"]


# --------------------------------------------------------------------- figures


def test_street_figures_match_hand_counted_expectations(figures, login):
    response = login("city_admin").get(reverse("communities:street_list"))
    rows = {s.name: s for s in response.context["object_list"]}
    # 山城: 5 estates; covered 梅花园 自管苑 托管苑 = 3 -> 60 %; filed 1 (梅花园) + stand-in 1 (锦绣花园) -> 40 %.
    s = rows["山城街道"]
    assert (s.community_total, s.estate_total, s.covered_total, s.filed_total, s.standin_total) == (2, 5, 3, 1, 1)
    assert s.coverage_pct == pytest.approx(60.0)
    assert s.formation_pct == pytest.approx(40.0)
    # 北庄: 1 estate, covered; the filed committee is no longer active, the active one is pending -> 0 %.
    b = rows["北庄街道"]
    assert (b.estate_total, b.covered_total, b.filed_total, b.standin_total) == (1, 1, 0, 0)
    assert b.coverage_pct == pytest.approx(100.0)
    assert b.formation_pct == pytest.approx(0.0)
    # 紫荆山: 1 estate with nobody managing it.
    z = rows["紫荆山街道"]
    assert (z.estate_total, z.covered_total, z.coverage_pct) == (1, 0, pytest.approx(0.0))
    # Totals over the 7 estates: covered 4, filed 1, stand-in 1.
    totals = response.context["totals"]
    assert (totals["estate_total"], totals["covered_total"], totals["filed_total"], totals["standin_total"]) == \
        (7, 4, 1, 1)
    assert totals["coverage_pct"] == pytest.approx(4 / 7 * 100)
    assert totals["formation_pct"] == pytest.approx(2 / 7 * 100)


def test_street_page_shows_rates_as_percentages(figures, login):
    content = login("street_staff").get(reverse("communities:street_list")).content.decode()
    assert "60.0%" in content and "40.0%" in content


def test_community_figures_match_hand_counted_expectations(figures, login):
    response = login("district_admin").get(reverse("communities:community_list"))
    rows = {c.name: c for c in response.context["object_list"]}
    m = rows["梅园社区"]
    assert (m.estate_total, m.covered_total, m.filed_total, m.standin_total) == (1, 1, 1, 0)
    assert (m.coverage_pct, m.formation_pct) == (pytest.approx(100.0), pytest.approx(100.0))
    # 紫薇: 锦绣花园 (none, stand-in), 自管苑, 托管苑, 荒园 (none) -> 2/4 covered, 1/4 formed.
    z = rows["紫薇社区"]
    assert (z.estate_total, z.covered_total, z.filed_total, z.standin_total) == (4, 2, 0, 1)
    assert (z.coverage_pct, z.formation_pct) == (pytest.approx(50.0), pytest.approx(25.0))


def test_street_export_carries_the_same_figures(figures, login):
    rows = export_rows(login("street_staff").get(reverse("communities:street_list") + "?export=xlsx"))
    assert rows[0][:4] == ["区", "街道（乡镇）", "社区数", "小区数"]
    assert rows[1] == ["山亭区", "山城街道", 2, 5, 3, 60.0, 1, 1, 40.0]


def test_community_clerk_counts_only_estates_of_their_own_community(figures, login):
    # The clerk of 梅园社区 sees 山城街道 but only 梅花园 among its estates.
    response = login("community_clerk").get(reverse("communities:street_list"))
    (s,) = response.context["object_list"]
    assert (s.community_total, s.estate_total, s.covered_total, s.filed_total) == (1, 1, 1, 1)


def test_street_with_no_estates_shows_no_rate_instead_of_dividing_by_zero(world, login):
    StreetFactory(district=world.shanting, name="空街道")
    response = login("district_admin").get(reverse("communities:street_list"), {"q": "空"})
    (s,) = response.context["object_list"]
    assert s.estate_total == 0 and s.coverage_pct is None and s.formation_pct is None
    assert "—" in response.content.decode()


def test_streets_sort_by_coverage(figures, login):
    response = login("city_admin").get(reverse("communities:street_list"), {"sort": "-coverage"})
    assert [s.name for s in response.context["object_list"]] == ["北庄街道", "山城街道", "紫荆山街道"]


def test_rate_below_the_district_target_is_flagged(figures, login):
    content = login("street_staff").get(reverse("communities:street_list")).content.decode()
    # Coverage 60 % is below the default 100 % target; formation 40 % below 80 %.
    assert content.count("text-danger fw-semibold") == 2


# ---------------------------------------------------------------- query counts


# Session, user, roles, count, totals, filter choices, rows, session save (+1 spare for the header).
QUERIES_LIST = 13
QUERIES_EXPORT = 8


@pytest.fixture
def many_places(world):
    for i in range(20):
        street = StreetFactory(district=world.shanting, name=f"新街道{i}")
        community = CommunityFactory(street=street, name=f"新社区{i}")
        estate = EstateFactory(community=community, name=f"新小区{i}", management_mode=ManagementMode.MARKET)
        OwnerCommitteeFactory(estate=estate)
    return world


# 2 + 20 streets and 3 + 20 communities in 山亭区.
# The street list adds the committee-target panel (communities.targets.progress_panel): the districts, and per
# district its target and one count (one district here; a city has a handful).
@pytest.mark.parametrize("url_name, rows, queries", [("street_list", 22, QUERIES_LIST + 3),
                                                      ("community_list", 23, QUERIES_LIST)])
def test_place_lists_run_a_fixed_number_of_queries(many_places, login, django_assert_max_num_queries,
                                                   url_name, rows, queries):
    client = login("district_admin")
    with django_assert_max_num_queries(queries):
        response = client.get(reverse(f"communities:{url_name}"))
    assert len(response.context["object_list"]) == rows


@pytest.mark.parametrize("url_name, rows", [("street_list", 22), ("community_list", 23)])
def test_place_exports_run_a_fixed_number_of_queries(many_places, login, django_assert_max_num_queries,
                                                     url_name, rows):
    client = login("district_admin")
    with django_assert_max_num_queries(QUERIES_EXPORT):
        response = client.get(reverse(f"communities:{url_name}") + "?export=xlsx")
    assert len(export_rows(response)) == rows + 1
