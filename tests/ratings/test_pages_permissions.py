"""Every ratings page and export against every persona: in scope 200, out of scope 404, anonymous -> login.
The public pages answer anonymous visitors (see test_pages_public.py)."""
import io

import openpyxl
import pytest
from django.urls import reverse

from tests.conftest import PERSONAS

from ._pages import media, publish, rated  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

ALL = set(PERSONAS)
# Who sees 梅花园's application and result (firm 甲, 山城街道, 梅园社区, 山亭区).
SEES_A1 = {"city_admin", "district_admin", "district_staff", "street_staff", "community_clerk", "firm_user"}
# Who sees 北庄花园's (firm 乙, 北庄街道).
SEES_B1 = {"city_admin", "district_admin", "district_staff", "street_staff2", "firm_user2"}
# 山亭区's period: everyone acting in 山亭区, firms serving there included.
SEES_SHANTING = ALL - {"district_admin_gc"}
SCORE_KEEPERS = {"city_admin", "district_admin", "district_admin_gc", "street_staff", "street_staff2"}
DISTRICT_ADMINS = {"city_admin", "district_admin", "district_admin_gc"}
FIRMS = {"firm_user", "firm_user2"}


def _pages(w):
    """(url, personas answered 200): every page of the app that needs a login."""
    return [
        (reverse("ratings:policy_list"), ALL),
        (reverse("ratings:policy_create", args=[w.shanting.pk]), {"city_admin", "district_admin"}),
        (reverse("ratings:policy_create", args=[w.guancheng.pk]), {"city_admin", "district_admin_gc"}),
        (reverse("ratings:application_list"), ALL),
        (reverse("ratings:application_submit"), FIRMS),
        (reverse("ratings:application_detail", args=[w.app_a1.pk]), SEES_A1),
        (reverse("ratings:application_detail", args=[w.app_b1.pk]), SEES_B1),
        (reverse("ratings:attachment", args=[w.attachment.pk]), SEES_A1),
        (reverse("ratings:score_entry"), SCORE_KEEPERS),
        (reverse("ratings:score_import"), SCORE_KEEPERS),
        (reverse("ratings:score_template"), SCORE_KEEPERS),
        (reverse("ratings:disqualification_list"), ALL),
        (reverse("ratings:disqualification_create"), SCORE_KEEPERS),
        (reverse("ratings:period_list"), ALL),
        (reverse("ratings:period_run"), DISTRICT_ADMINS),
        (reverse("ratings:period_detail", args=[w.period.pk]), SEES_SHANTING),
        (reverse("ratings:period_detail", args=[w.period_gc.pk]), {"city_admin", "district_admin_gc"}),
        (reverse("ratings:rating_detail", args=[w.rating_a1.pk]), SEES_A1),
        (reverse("ratings:rating_detail", args=[w.rating_b1.pk]), SEES_B1),
        (reverse("ratings:my_ratings"), FIRMS),
        (reverse("ratings:plaque", args=[w.rating_a1.pk]), SEES_A1),
        (reverse("ratings:plaque", args=[w.rating_b1.pk]), SEES_B1),
    ]


@pytest.fixture
def published(rated):
    publish(rated)
    return rated


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_is_found_only_inside_scope(published, login, persona):
    client = login(persona)
    for url, allowed in _pages(published):
        response = client.get(url)
        expected = 200 if persona in allowed else 404
        assert response.status_code == expected, (persona, url, response.status_code)


def test_anonymous_visitor_is_sent_to_login_from_every_page(published, client):
    for url, _allowed in _pages(published):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url
    for name, args in (("period_publish", [published.period.pk]), ("period_discard", [published.period.pk]),
                       ("appeal_decide", [1])):
        response = client.post(reverse(f"ratings:{name}", args=args))
        assert response.status_code == 302 and "login" in response["Location"]


def _export(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_and_exports_hold_exactly_the_personas_rows(published, login, persona):
    w = published
    client = login(persona)
    expected = {name for name, who in (("梅花园", SEES_A1), ("北庄花园", SEES_B1)) if persona in who}

    apps = client.get(reverse("ratings:application_list"))
    assert {a.estate.name for a in apps.context["object_list"]} == expected
    assert {r["小区"] for r in _export(client.get(reverse("ratings:application_list"), {"export": "xlsx"}))} == expected

    if persona in SEES_SHANTING:
        url = reverse("ratings:period_detail", args=[w.period.pk])
        page = client.get(url)
        assert {r.estate.name for r in page.context["object_list"]} == expected
        html = page.content.decode()
        for name in ("梅花园", "北庄花园"):
            assert (name in html) == (name in expected)
        assert {r["小区"] for r in _export(client.get(url, {"export": "xlsx"}))} == expected
    else:
        assert client.get(reverse("ratings:period_detail", args=[w.period.pk]), {"export": "xlsx"}).status_code == 404

    periods = {(p.district.name, p.label) for p in client.get(reverse("ratings:period_list")).context["object_list"]}
    expected_periods = set()
    if persona in SEES_SHANTING:
        expected_periods.add(("山亭区", "2025Q1"))
    if persona in {"city_admin", "district_admin_gc"}:
        expected_periods.add(("管城回族区", "2025Q1"))
    assert periods == expected_periods
    assert {(r["区"], f"{r['年度']}Q{r['季度']}") for r in
            _export(client.get(reverse("ratings:period_list"), {"export": "xlsx"}))} == expected_periods

    policies = {r["区"] for r in _export(client.get(reverse("ratings:policy_list"), {"export": "xlsx"}))}
    assert policies == {d for d, _p in expected_periods}

    assert _export(client.get(reverse("ratings:disqualification_list"), {"export": "xlsx"})) == []

    if persona in FIRMS:
        mine = _export(client.get(reverse("ratings:my_ratings"), {"export": "xlsx"}))
        assert {r["小区"] for r in mine} == expected


def test_firm_user_cannot_download_another_firms_evidence(published, login):
    assert login("firm_user2").get(reverse("ratings:attachment", args=[published.attachment.pk])).status_code == 404
    response = login("firm_user").get(reverse("ratings:attachment", args=[published.attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 evidence"
    assert "attachment" in response["Content-Disposition"]
