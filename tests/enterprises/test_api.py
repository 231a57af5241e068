"""Read-only firm and contract API: the same scope and filters as the pages."""
import pytest
from django.urls import reverse

from tests.conftest import PERSONAS

from .test_contracts import LISTED as CONTRACTS
from .test_firms import LISTED as FIRMS

pytestmark = pytest.mark.django_db


def results(response):
    assert response.status_code == 200
    return response.json()["results"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_firm_api_lists_exactly_the_personas_firms(login, persona):
    names = sorted(r["name"] for r in results(login(persona).get("/api/firms/")))
    assert names == FIRMS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_contract_api_lists_exactly_the_personas_contracts(login, persona):
    names = sorted(r["estate_name"] for r in results(login(persona).get("/api/contracts/")))
    assert names == CONTRACTS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_firm_api_detail_is_404_outside_scope(world, login, persona):
    response = login(persona).get(f"/api/firms/{world.firm1.pk}/")
    assert response.status_code == (200 if "山亭甲物业服务有限公司" in FIRMS[persona] else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_contract_api_detail_is_404_outside_scope(world, login, persona):
    response = login(persona).get(f"/api/contracts/{world.contract_a1.pk}/")
    assert response.status_code == (200 if "梅花园" in CONTRACTS[persona] else 404)


@pytest.mark.parametrize("url", ["/api/firms/", "/api/contracts/", "/api/firms/1/", "/api/contracts/1/"])
def test_anonymous_api_requests_are_refused(client, world, url):
    assert client.get(url).status_code == 403


def test_api_is_read_only(world, login):
    client = login("city_admin")
    assert client.post("/api/firms/", {"name": "x"}).status_code == 405
    assert client.delete(f"/api/contracts/{world.contract_a1.pk}/").status_code == 405


def test_api_uses_the_page_filters(world, login):
    client = login("district_admin")
    assert [r["name"] for r in results(client.get("/api/firms/", {"is_filed": "true"}))] == ["山亭甲物业服务有限公司"]
    assert [r["estate_name"] for r in results(client.get("/api/contracts/", {"street": world.beizhuang.pk}))] == \
        ["北庄花园"]


def test_api_routes_are_registered():
    assert reverse("firm-list") == "/api/firms/"
    assert reverse("contract-list") == "/api/contracts/"
