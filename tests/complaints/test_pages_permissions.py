"""Every complaint page, export and attachment against every persona: in scope 200, out of scope 404,
anonymous -> login; the complainant masked per persona on the detail page and in the export.

The records (all through the services): an order on 梅花园 (梅园社区, 山城街道) sent to firm 甲 with a photo
from the complainant; an order on 北庄花园 (北庄街道) sent to firm 乙; an order of 山城街道 whose address
matched no estate (待分拣). The clock is frozen an hour after they were received.
"""
import io
import re
from types import SimpleNamespace

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from complaints.models import Status
from tests.conftest import PERSONAS

from .conftest import at

pytestmark = pytest.mark.django_db

T0 = at(2026, 12, 1, 9, 0)  # a Tuesday
NOW = at(2026, 12, 1, 10, 0)
NAME, PHONE = "欧阳明", "13912345678"


def png(name="p.png", color="red", size=(24, 24)):
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def xlsx_rows(response):
    """The rows of an Excel response as dicts keyed by the header row."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def records(world, make_complaint, frozen):
    r = SimpleNamespace()
    r.a1 = make_complaint(to=Status.ASSIGNED, at=T0, complainant_name=NAME, complainant_phone=PHONE,
                          files=[png()])
    r.b1 = make_complaint(to=Status.ASSIGNED, at=T0, estate=world.estate_b1, clerk="street_staff2",
                          complainant_name=NAME, complainant_phone=PHONE)
    r.triage = make_complaint(at=T0, estate=None, street=world.shancheng, address="山城路 88 号院",
                              complainant_name=NAME, complainant_phone=PHONE)
    r.photo = r.a1.attachments.get()
    return r


# persona -> the records they see
SEES = {
    "city_admin": {"a1", "b1", "triage"},
    "district_admin": {"a1", "b1", "triage"},
    "district_staff": {"a1", "b1", "triage"},
    "district_admin_gc": set(),
    "street_staff": {"a1", "triage"},
    "street_staff2": {"b1"},
    "community_clerk": {"a1"},
    "firm_user": {"a1"},
    "firm_user2": {"b1"},
}

# persona -> sees the complainant unmasked on these records (the handling chain: district, street, current firm)
FULL = {
    "city_admin": set(),
    "district_admin": {"a1", "b1", "triage"},
    "district_staff": {"a1", "b1", "triage"},
    "district_admin_gc": set(),
    "street_staff": {"a1", "triage"},
    "street_staff2": {"b1"},
    "community_clerk": set(),
    "firm_user": {"a1"},
    "firm_user2": {"b1"},
}

# page -> the personas whose role uses it (complaints/views/cases_menu.py); everyone else gets a 404
PAGES = {
    "complaints:list": set(PERSONAS),
    "complaints:tasks": {"district_admin", "district_staff", "district_admin_gc", "street_staff", "street_staff2",
                         "firm_user", "firm_user2"},
    "complaints:triage": {"district_admin", "district_admin_gc", "street_staff", "street_staff2"},
    "complaints:new": {"district_admin", "district_admin_gc", "street_staff", "street_staff2"},
    "complaints:rates": {"city_admin", "district_admin", "district_staff", "district_admin_gc", "street_staff",
                         "street_staff2"},
}


def test_the_declared_pages_are_the_ones_tested():
    from complaints.views.cases_menu import PAGES as DECLARED

    assert {p.url_name for p in DECLARED} - {"complaints:import_list"} == set(PAGES)  # import: its own tests


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_page_for_each_persona(records, login, persona, page):
    response = login(persona).get(reverse(page))
    assert response.status_code == (200 if persona in PAGES[page] else 404)


@pytest.mark.parametrize("page", sorted(PAGES) + ["complaints:detail", "complaints:attachment"])
def test_anonymous_is_sent_to_login(records, client, page):
    args = {"complaints:detail": [records.a1.pk], "complaints:attachment": [records.photo.pk]}.get(page, [])
    response = client.get(reverse(page, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_anonymous_cannot_act(records, client):
    response = client.post(reverse("complaints:act", args=[records.a1.pk, "sign"]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    records.a1.refresh_from_db()
    assert records.a1.status == Status.ASSIGNED


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_exactly_the_persona_scope(records, login, persona):
    response = login(persona).get(reverse("complaints:list"))
    shown = {c.pk for c in response.context["object_list"]}
    assert shown == {getattr(records, name).pk for name in SEES[persona]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_in_scope_200_out_of_scope_404(records, login, persona):
    client = login(persona)
    for name in ("a1", "b1", "triage"):
        response = client.get(reverse("complaints:detail", args=[getattr(records, name).pk]))
        assert response.status_code == (200 if name in SEES[persona] else 404), name


@pytest.mark.parametrize("persona", PERSONAS)
def test_actions_outside_scope_are_not_found(records, login, persona):
    """Posting an action to an order outside one's scope is a 404 and changes nothing."""
    client = login(persona)
    for name in sorted({"a1", "b1", "triage"} - SEES[persona]):
        c = getattr(records, name)
        events = c.events.count()
        for action, data in (("sign", {}), ("close", {"close-comment": "x"}), ("urge", {"urge-comment": "x"})):
            response = client.post(reverse("complaints:act", args=[c.pk, action]), data)
            assert response.status_code == 404
        c.refresh_from_db()
        assert c.events.count() == events
        assert c.status in (Status.ASSIGNED, Status.RECEIVED) and c.signed_at is None and c.closed_at is None


@pytest.mark.parametrize("persona", PERSONAS)
def test_attachment_is_served_only_in_scope(records, login, persona):
    response = login(persona).get(reverse("complaints:attachment", args=[records.photo.pk]))
    if "a1" in SEES[persona]:
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    else:
        assert response.status_code == 404


def test_attachment_link_is_the_scoped_view_never_a_media_url(records, login):
    html = login("street_staff").get(reverse("complaints:detail", args=[records.a1.pk])).content.decode()
    assert reverse("complaints:attachment", args=[records.photo.pk]) in html
    assert records.photo.file.name not in html


@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_masks_the_complainant_outside_the_handling_chain(records, login, persona):
    client = login(persona)
    for name in SEES[persona]:
        response = client.get(reverse("complaints:detail", args=[getattr(records, name).pk]))
        html = response.content.decode()
        if name in FULL[persona]:
            assert (response.context["complainant_name"], response.context["complainant_phone"]) == (NAME, PHONE)
            assert NAME in html and PHONE in html
        else:
            assert (response.context["complainant_name"], response.context["complainant_phone"]) == (
                "欧*", "139****5678")
            assert NAME not in html and PHONE not in html
            assert "139****5678" in html


def test_confidential_order_hides_the_complainant_from_the_firm(world, make_complaint, login, frozen):
    c = make_complaint(to=Status.ASSIGNED, at=T0, complainant_name=NAME, complainant_phone=PHONE,
                       confidential=True)
    html = login("firm_user").get(reverse("complaints:detail", args=[c.pk])).content.decode()
    assert NAME not in html and PHONE not in html and "139****5678" in html
    html = login("street_staff").get(reverse("complaints:detail", args=[c.pk])).content.decode()
    assert NAME in html and PHONE in html


@pytest.mark.parametrize("persona", PERSONAS)
def test_export_has_the_persona_rows_with_the_complainant_masked_as_on_the_page(records, login, persona):
    rows = xlsx_rows(login(persona).get(reverse("complaints:list") + "?export=xlsx"))
    by_number = {r["受理编号"]: r for r in rows}
    expected = {getattr(records, name).number: name for name in SEES[persona]}
    assert set(by_number) == set(expected)
    for number, name in expected.items():
        row = by_number[number]
        if name in FULL[persona]:
            assert (row["投诉人"], row["联系电话"]) == (NAME, PHONE)
        else:
            assert (row["投诉人"], row["联系电话"]) == ("欧*", "139****5678")


def test_export_keeps_the_filters(records, login):
    rows = xlsx_rows(login("district_admin").get(reverse("complaints:list") + "?triage=true&export=xlsx"))
    assert [r["受理编号"] for r in rows] == [records.triage.number]
    assert not rows[0]["小区"] and rows[0]["地址（原文）"] == "山城路 88 号院"


@pytest.mark.parametrize("persona", PERSONAS)
def test_estate_page_complaint_card_shows_only_what_the_persona_sees(records, login, persona, world):
    response = login(persona).get(reverse("communities:estate_detail", args=[world.estate_a1.pk]))
    if response.status_code == 404:
        assert "a1" not in SEES[persona]
        return
    html = response.content.decode()
    assert 'data-testid="complaints-panel"' in html
    assert (records.a1.number in html) == ("a1" in SEES[persona])
    assert records.b1.number not in html


@pytest.mark.parametrize("persona", ["district_admin", "firm_user", "street_staff"])
def test_firm_page_complaint_card(records, login, persona, world):
    html = login(persona).get(reverse("enterprises:firm_detail", args=[world.firm1.pk])).content.decode()
    assert 'data-testid="complaints-panel"' in html
    assert records.a1.number in html and records.b1.number not in html


@pytest.mark.parametrize("persona,items", [
    ("street_staff", ["工单列表", "我的待办", "待分拣", "登记投诉", "办理情况统计", "12345 导入"]),
    ("district_staff", ["工单列表", "我的待办", "办理情况统计", "12345 导入"]),
    ("firm_user", ["工单列表", "我的待办"]),
    ("community_clerk", ["工单列表"]),
    ("city_admin", ["工单列表", "办理情况统计"]),
])
def test_menu_offers_the_pages_of_the_role(records, login, persona, items):
    from complaints.views.cases_menu import menu_for

    response = login(persona).get(reverse("complaints:list"))
    offered = [str(label) for _url, label, _icon in menu_for(response.wsgi_request.user)]
    assert offered == items


@pytest.mark.parametrize("persona", PERSONAS)
def test_header_menu_links_exactly_the_complaint_pages_the_role_uses(records, login, persona):
    """The header menu (accounts/menu.py) links the complaint pages the pages themselves let the role use
    (complaints/views/cases_menu.py): none more, none less."""
    from complaints.views.cases_menu import PAGES, menu_for

    response = login(persona).get(reverse("complaints:list"))
    html = response.content.decode()
    nav = html[html.index('data-testid="main-menu"'):html.index("portal-nav-user")]
    complaint_urls = {reverse(page.url_name) for page in PAGES}
    linked = {href for href in re.findall(r'href="([^"?]+)', nav) if href in complaint_urls}
    assert linked == {url for url, _label, _icon in menu_for(response.wsgi_request.user)}
