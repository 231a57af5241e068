"""Every estate page and API endpoint against every persona: in scope, out of scope, anonymous."""
import pytest
from django.urls import reverse

from tests.conftest import PERSONAS

pytestmark = pytest.mark.django_db

ESTATES = ["estate_a1", "estate_a2", "estate_b1", "estate_c1"]

VISIBLE = {
    "city_admin": {"estate_a1", "estate_a2", "estate_b1", "estate_c1"},
    "district_admin": {"estate_a1", "estate_a2", "estate_b1"},
    "district_staff": {"estate_a1", "estate_a2", "estate_b1"},
    "district_admin_gc": {"estate_c1"},
    "street_staff": {"estate_a1", "estate_a2"},
    "street_staff2": {"estate_b1"},
    "community_clerk": {"estate_a1"},
    "firm_user": {"estate_a1"},
    "firm_user2": {"estate_b1"},
}
EDITABLE = {
    "city_admin": {"estate_a1", "estate_a2", "estate_b1", "estate_c1"},
    "district_admin": {"estate_a1", "estate_a2", "estate_b1"},
    "district_staff": set(),
    "district_admin_gc": {"estate_c1"},
    "street_staff": {"estate_a1", "estate_a2"},
    "street_staff2": {"estate_b1"},
    "community_clerk": set(),
    "firm_user": set(),
    "firm_user2": set(),
}
EDITORS = {"city_admin", "district_admin", "district_admin_gc", "street_staff", "street_staff2"}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("estate", ESTATES)
def test_estate_detail_is_found_only_inside_scope(world, login, persona, estate):
    client = login(persona)
    response = client.get(reverse("communities:estate_detail", args=[getattr(world, estate).pk]))
    assert response.status_code == (200 if estate in VISIBLE[persona] else 404)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("estate", ESTATES)
def test_estate_edit_page_is_found_only_for_editable_estates(world, login, persona, estate):
    client = login(persona)
    response = client.get(reverse("communities:estate_update", args=[getattr(world, estate).pk]))
    assert response.status_code == (200 if estate in EDITABLE[persona] else 404)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("url_name", ["estate_create", "estate_import", "estate_import_template"])
def test_create_and_import_pages_only_for_users_who_may_edit(world, login, persona, url_name):
    response = login(persona).get(reverse(f"communities:{url_name}"))
    assert response.status_code == (200 if persona in EDITORS else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_estate_list_shows_exactly_the_personas_estates(world, login, persona):
    response = login(persona).get(reverse("communities:estate_list"))
    assert response.status_code == 200
    shown = {e.pk for e in response.context["object_list"]}
    assert shown == {getattr(world, name).pk for name in VISIBLE[persona]}
    for name in ESTATES:
        estate = getattr(world, name)
        assert (estate.name in response.content.decode()) == (name in VISIBLE[persona])


@pytest.mark.parametrize("persona", PERSONAS)
def test_estate_export_contains_exactly_the_personas_estates(world, login, persona):
    from .test_estate_list import export_rows

    rows = export_rows(login(persona).get(reverse("communities:estate_list"), {"export": "xlsx"}))
    assert {r["小区名称"] for r in rows} == {getattr(world, name).name for name in VISIBLE[persona]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_estate_api_list_contains_exactly_the_personas_estates(world, login, persona):
    response = login(persona).get("/api/estates/")
    assert response.status_code == 200
    assert {r["id"] for r in response.json()["results"]} == {getattr(world, n).pk for n in VISIBLE[persona]}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("estate", ESTATES)
def test_estate_api_detail_is_found_only_inside_scope(world, login, persona, estate):
    response = login(persona).get(f"/api/estates/{getattr(world, estate).pk}/")
    assert response.status_code == (200 if estate in VISIBLE[persona] else 404)


@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("communities:estate_list"),
        lambda w: reverse("communities:estate_list") + "?export=xlsx",
        lambda w: reverse("communities:estate_detail", args=[w.estate_a1.pk]),
        lambda w: reverse("communities:estate_update", args=[w.estate_a1.pk]),
        lambda w: reverse("communities:estate_create"),
        lambda w: reverse("communities:estate_import"),
        lambda w: reverse("communities:estate_import_template"),
    ],
    ids=["list", "export", "detail", "edit", "create", "import", "template"],
)
def test_anonymous_visitor_is_sent_to_login(world, client, url):
    response = client.get(url(world))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_anonymous_visitor_cannot_post_a_new_estate(world, client):
    response = client.post(reverse("communities:estate_create"), {"name": "x"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("url", ["/api/estates/", "/api/streets/", "/api/communities/"])
def test_anonymous_visitor_gets_403_from_the_api(world, client, url):
    assert client.get(url).status_code == 403


def test_anonymous_visitor_gets_403_from_the_api_detail(world, client):
    assert client.get(f"/api/estates/{world.estate_a1.pk}/").status_code == 403


@pytest.mark.parametrize("persona", ["community_clerk", "firm_user", "district_staff"])
def test_viewers_see_no_new_or_import_buttons(world, login, persona):
    html = login(persona).get(reverse("communities:estate_list")).content.decode()
    assert reverse("communities:estate_create") not in html
    assert reverse("communities:estate_import") not in html


@pytest.mark.parametrize("persona", ["street_staff", "district_admin", "city_admin"])
def test_editors_see_new_and_import_buttons(world, login, persona):
    html = login(persona).get(reverse("communities:estate_list")).content.decode()
    assert reverse("communities:estate_create") in html
    assert reverse("communities:estate_import") in html


def test_edit_button_shown_only_when_the_estate_is_editable(world, login):
    url = reverse("communities:estate_detail", args=[world.estate_a1.pk])
    edit = reverse("communities:estate_update", args=[world.estate_a1.pk])
    assert edit in login("street_staff").get(url).content.decode()
    assert edit not in login("community_clerk").get(url).content.decode()
    assert edit not in login("firm_user").get(url).content.decode()


def test_street_staff_cannot_post_an_edit_to_another_streets_estate(world, login):
    client = login("street_staff")
    before = world.estate_b1.name
    response = client.post(reverse("communities:estate_update", args=[world.estate_b1.pk]),
                           {"name": "被篡改", "community": world.beizhuang_c.pk})
    assert response.status_code == 404
    world.estate_b1.refresh_from_db()
    assert world.estate_b1.name == before


def test_street_staff_cannot_create_an_estate_in_another_streets_community(world, login):
    from communities.models import Estate

    client = login("street_staff")
    response = client.post(reverse("communities:estate_create"), {
        "community": world.beizhuang_c.pk, "name": "越权小区", "completion_year": 2010, "total_area": "100",
        "building_count": 1, "household_count": 1, "estate_type": "commercial", "management_mode": "none",
        "category": 1,
    })
    assert response.status_code == 200
    assert "该社区不在您的管辖范围内" in response.content.decode()
    assert not Estate.objects.filter(name="越权小区").exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_street_and_community_api_lists_respect_scope(world, login, persona):
    from communities.models import Community, Street

    client = login(persona)
    user = world.users[persona]
    streets = {r["id"] for r in client.get("/api/streets/").json()["results"]}
    communities = {r["id"] for r in client.get("/api/communities/").json()["results"]}
    assert streets == set(Street.objects.visible_to(user).values_list("pk", flat=True))
    assert communities == set(Community.objects.visible_to(user).values_list("pk", flat=True))
