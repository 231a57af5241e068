"""Every subsidies page and export against every persona: in scope 200, out of scope 404, anonymous → login."""
import pytest
from django.urls import reverse

from tests.conftest import PERSONAS

from ._pages import VISIBLE_ESTATES, VISIBLE_TOTAL, build_batches

pytestmark = pytest.mark.django_db

DISTRICT_ADMINS = {"city_admin", "district_admin"}
GENERATORS = {"city_admin", "district_admin", "district_staff", "district_admin_gc"}
OWN_LINES = {"street_staff", "street_staff2", "community_clerk", "firm_user", "firm_user2"}


@pytest.fixture
def pw(sub_world):
    return build_batches(sub_world)


def _urls(w):
    return {
        "batch_list": reverse("subsidies:batch_list"),
        "policy_list": reverse("subsidies:policy_list"),
        "batch_detail": reverse("subsidies:batch_detail", args=[w.batch.pk]),
        "batch_lines": reverse("subsidies:batch_lines", args=[w.batch.pk]),
        "batch_export": reverse("subsidies:batch_export", args=[w.batch.pk]),
        "batch_generate": reverse("subsidies:batch_generate"),
        "policy_create": reverse("subsidies:policy_create", args=[w.shanting.pk]),
        "line_adjust": reverse("subsidies:line_adjust", args=[w.line_a1.pk]),
        "line_edit": reverse("subsidies:line_edit", args=[w.line_a1.pk]),
        "mine": reverse("subsidies:mine"),
    }


@pytest.mark.parametrize("name", ["batch_list", "policy_list", "batch_detail", "batch_lines", "batch_export",
                                  "batch_generate", "policy_create", "line_adjust", "line_edit", "mine"])
def test_anonymous_is_sent_to_login(pw, client, name):
    response = client.get(_urls(pw)[name])
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_batch_pages_are_found_only_inside_scope(pw, login, persona):
    client = login(persona)
    urls = _urls(pw)
    expected = 404 if VISIBLE_ESTATES[persona] is None else 200
    for name in ("batch_detail", "batch_lines", "batch_export"):
        assert client.get(urls[name]).status_code == expected, name
    for name in ("batch_list", "policy_list"):
        assert client.get(urls[name]).status_code == 200, name


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_other_districts_batch_is_found_only_by_its_district(pw, login, persona):
    client = login(persona)
    expected = 200 if persona in {"city_admin", "district_admin_gc"} else 404
    for name in ("subsidies:batch_detail", "subsidies:batch_lines", "subsidies:batch_export"):
        assert client.get(reverse(name, args=[pw.batch_gc.pk])).status_code == expected, name


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_of_one_role(pw, login, persona):
    client = login(persona)
    urls = _urls(pw)
    assert client.get(urls["batch_generate"]).status_code == (200 if persona in GENERATORS else 404)
    assert client.get(urls["policy_create"]).status_code == (200 if persona in DISTRICT_ADMINS else 404)
    assert client.get(urls["line_adjust"]).status_code == (200 if persona in DISTRICT_ADMINS else 404)
    assert client.get(urls["line_edit"]).status_code == (200 if persona in DISTRICT_ADMINS else 404)
    assert client.get(urls["mine"]).status_code == (200 if persona in OWN_LINES else 404)


@pytest.mark.parametrize("persona", [p for p in PERSONAS if VISIBLE_ESTATES[p] is not None])
def test_lines_page_shows_exactly_the_personas_lines_and_total(pw, login, persona):
    response = login(persona).get(reverse("subsidies:batch_lines", args=[pw.batch.pk]))
    shown = {line.estate.name for line in response.context["object_list"]}
    assert shown == VISIBLE_ESTATES[persona]
    assert response.context["totals"]["total"] == VISIBLE_TOTAL[persona]
    html = response.content.decode()
    for estate in ("梅花园", "桂花苑", "锦绣花园", "北庄花园"):
        assert (estate in html) == (estate in VISIBLE_ESTATES[persona]), estate


@pytest.mark.parametrize("persona", [p for p in PERSONAS if VISIBLE_ESTATES[p] is not None])
def test_detail_totals_are_the_personas_own(pw, login, persona):
    response = login(persona).get(reverse("subsidies:batch_detail", args=[pw.batch.pk]))
    ctx = response.context
    assert ctx["totals"]["total"] == VISIBLE_TOTAL[persona]
    streets = {row["street__name"] for row in ctx["by_street"]}
    html = response.content.decode()
    if persona in ("street_staff2", "firm_user2"):
        assert streets == {"北庄街道"} and "山城街道" not in html
        assert "5,925.92" not in html and "7,925.93" not in html
    if persona in ("street_staff", "firm_user", "community_clerk"):
        assert streets == {"山城街道"} and "北庄" not in html
    # Only district (and city) users see the batch-level budget figures.
    assert (ctx["budget"] is not None) == (persona in {"city_admin", "district_admin", "district_staff"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_batch_list_shows_the_personas_batches_and_totals(pw, login, persona):
    response = login(persona).get(reverse("subsidies:batch_list"))
    rows = {(b.district.name, b.shown_total) for b in response.context["object_list"]}
    expected = set()
    if VISIBLE_ESTATES[persona] is not None:
        expected.add(("山亭区", VISIBLE_TOTAL[persona]))
    if persona in ("city_admin", "district_admin_gc"):
        expected.add(("管城回族区", pw.batch_gc.total))
    assert rows == expected


def test_street_staff2_sees_no_shancheng_line_anywhere(pw, login):
    client = login("street_staff2")
    for name in ("subsidies:batch_detail", "subsidies:batch_lines"):
        html = client.get(reverse(name, args=[pw.batch.pk])).content.decode()
        assert "梅花园" not in html and "桂花苑" not in html and "锦绣花园" not in html
        assert "山城街道" not in html
    mine = client.get(reverse("subsidies:mine")).content.decode()
    assert "梅花园" not in mine and "北庄花园" in mine


def test_firm_user2_gets_404_on_firm_users_lines(pw, login):
    client = login("firm_user2")
    for name in ("subsidies:line_adjust", "subsidies:line_edit"):
        assert client.get(reverse(name, args=[pw.line_a1.pk])).status_code == 404
        assert client.post(reverse(name, args=[pw.line_a1.pk]), {"delta": "-1", "reason": "x",
                                                                   "amount": "1"}).status_code == 404
    lines = client.get(reverse("subsidies:batch_lines", args=[pw.batch.pk]) + f"?firm={pw.firm1.pk}")
    # Firm 甲 is not among firm 乙's choices: the filter is invalid and lists nothing.
    assert [line.estate.name for line in lines.context["object_list"]] == []


def test_district_admin_gc_gets_404_on_shanting_batches_and_posts(pw, login):
    client = login("district_admin_gc")
    b = pw.batch.pk
    assert client.post(reverse("subsidies:batch_transition", args=[b]), {"action": "check"}).status_code == 404
    assert client.post(reverse("subsidies:pass_on_record", args=[b]), {}).status_code == 404
    pw.batch.refresh_from_db()
    assert pw.batch.status == "generated" and not pw.batch.events.exists()


def test_nav_offers_my_subsidies_only_to_own_line_roles(pw, login):
    assert "我的补贴" in login("firm_user").get(reverse("home")).content.decode()
    assert "我的补贴" not in login("district_admin").get(reverse("home")).content.decode()
