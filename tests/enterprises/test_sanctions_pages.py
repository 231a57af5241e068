"""Sanction pages: the rule shown before the form, recording through the page, scope (404 outside)."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enterprises.models import EventKind, FirmSanction, NegativeEvent, SanctionPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw(world):
    SanctionPolicy.objects.create(district=world.shanting, effective_from=datetime.date(2020, 1, 1))
    return world


def post_event(client, w, kind="media", firm=None):
    firm = firm or w.firm1
    return client.post(reverse("enterprises:sanction_event_create", args=[firm.pk]), {
        "unit": f"district:{w.shanting.pk}", "kind": kind, "occurred_on": datetime.date.today().isoformat(),
        "description": "某报道称小区电梯长期停运", "files": [SimpleUploadedFile("报道.pdf", b"%PDF-1.4")]})


def test_the_form_shows_the_count_and_threshold_before_it_is_filled(pw, login):
    w = pw
    client = login("district_admin")
    page = client.get(reverse("enterprises:sanction_event_create", args=[w.firm1.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "已记录新闻媒体曝光 <strong>0</strong> 次" in text and "第 <strong>3</strong> 次" in text
    assert post_event(client, w).status_code == 302
    text = client.get(reverse("enterprises:sanction_event_create", args=[w.firm1.pk])).content.decode()
    assert "已记录新闻媒体曝光 <strong>1</strong> 次" in text


def test_recording_through_the_page_sanctions_and_the_firm_page_says_so(pw, login):
    w = pw
    client = login("district_staff")
    response = post_event(client, w, kind=EventKind.SAFETY_ACCIDENT)
    event = NegativeEvent.objects.get()
    assert response.url == reverse("enterprises:sanction_event", args=[event.pk])
    year = datetime.date.today().year
    assert FirmSanction.objects.get().year == year
    firm_page = login("firm_user").get(reverse("enterprises:firm_detail", args=[w.firm1.pk])).content.decode()
    assert f"不得申报示范项目（{year} 年度）" in firm_page
    assert "记录重大负面事件" not in firm_page  # a firm does not record
    assert login("firm_user").get(reverse("enterprises:sanction_event", args=[event.pk])).status_code == 200


@pytest.mark.parametrize("persona, status", [
    ("district_admin", 200), ("district_staff", 200), ("city_admin", 200), ("firm_user", 200),
    ("district_admin_gc", 404), ("firm_user2", 404), ("street_staff2", 404), ("community_clerk", 404)])
def test_an_event_is_seen_only_in_scope(pw, login, persona, status):
    w = pw
    post_event(login("district_admin"), w)
    event = NegativeEvent.objects.get()
    client = login(persona)
    assert client.get(reverse("enterprises:sanction_event", args=[event.pk])).status_code == status
    listed = client.get(reverse("enterprises:sanction_list")).context["object_list"]
    assert (event in listed) == (status == 200)


def test_the_form_is_404_for_who_may_not_record(pw, login):
    w = pw
    for persona in ("firm_user", "community_clerk", "district_admin_gc"):
        assert login(persona).get(reverse("enterprises:sanction_event_create", args=[w.firm1.pk])).status_code == 404
    assert not NegativeEvent.objects.exists()
    assert login("firm_user").post(reverse("enterprises:sanction_event_create", args=[w.firm1.pk])).status_code == 404


def test_anonymous_is_sent_to_login(pw, client):
    response = client.get(reverse("enterprises:sanction_list"))
    assert response.status_code == 302 and "login" in response.url
