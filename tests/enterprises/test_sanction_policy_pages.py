"""The firm-sanction policy pages: the versions per district (the one in force today marked), a new version
by the district's administrators (a city administrator for any district; 404 for everyone else), the
version in force shown before the form is filled, the service's refusals on the form, and a new version
applied to the events from its effective date."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from enterprises.credit.permissions import Unit
from enterprises.models import EventKind, FirmSanction, SanctionPolicy
from enterprises.sanctions.services import event_record, media_count
from tests.ratings.conftest import moment

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw(world):
    world.base = SanctionPolicy.objects.create(district=world.shanting, effective_from=datetime.date(2020, 1, 1))
    return world


def create_url(district):
    return reverse("enterprises:sanction_policy_create", args=[district.pk])


def form_data(**changes):
    data = {"effective_from": "2025-06-01", "enabled": "on", "sanctioning_kinds": ["safety_accident", "petition"],
            "media_threshold": "2", "street_run_orders": "on", "street_run_max_tier": "1",
            "street_run_deadline_days": "15"}
    data.update(changes)
    return data


def test_the_list_marks_the_version_in_force_and_offers_a_new_one_for_ones_own_district(pw, login):
    w = pw
    today = timezone.localdate()
    later = SanctionPolicy.objects.create(district=w.shanting, effective_from=today + datetime.timedelta(days=30),
                                          media_threshold=2)
    other = SanctionPolicy.objects.create(district=w.guancheng, effective_from=datetime.date(2021, 1, 1))
    page = login("district_admin").get(reverse("enterprises:sanction_policy_list"))
    assert page.status_code == 200
    rows = list(page.context["object_list"])
    assert set(rows) == {w.base, later}  # 管城回族区's version is outside the scope
    assert page.context["in_force"] >= {w.base.pk} and later.pk not in page.context["in_force"]
    text = page.content.decode()
    assert text.count("现行") == 1
    assert create_url(w.shanting) in text and create_url(w.guancheng) not in text
    # district staff read the versions but are offered no new one
    text = login("district_staff").get(reverse("enterprises:sanction_policy_list")).content.decode()
    assert "2020-01-01" in text and create_url(w.shanting) not in text
    # the city administrator sees both districts and may add to either
    page = login("city_admin").get(reverse("enterprises:sanction_policy_list"))
    assert set(page.context["object_list"]) == {w.base, later, other}
    assert create_url(w.guancheng) in page.content.decode()


def test_the_sanctions_list_links_to_the_policy_page(pw, login):
    text = login("district_staff").get(reverse("enterprises:sanction_list")).content.decode()
    assert reverse("enterprises:sanction_policy_list") in text


def test_the_form_shows_the_version_in_force_before_it_is_filled(pw, login):
    w = pw
    SanctionPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2024, 1, 1), media_threshold=4,
                                  sanctioning_kinds=["safety_accident", "crime"], street_run_deadline_days=30)
    page = login("district_admin").get(create_url(w.shanting))
    assert page.status_code == 200
    text = page.content.decode()
    assert "2024-01-01" in text and "第 4 次曝光即取消当年评比资格" in text
    assert "重大安全责任事故、盗窃抢劫等重大案件" in text and "整改期限 30 个工作日" in text
    initial = page.context["form"].initial
    assert initial["media_threshold"] == 4 and initial["street_run_deadline_days"] == 30
    assert initial["sanctioning_kinds"] == ["safety_accident", "crime"]
    assert initial["effective_from"] == timezone.localdate()


def test_without_a_version_the_form_says_so_and_offers_the_defaults(world, login):
    page = login("district_admin").get(create_url(world.shanting))
    assert "本区今天没有有效的惩戒政策" in page.content.decode()
    initial = page.context["form"].initial
    assert initial["media_threshold"] == 3 and initial["street_run_max_tier"] == 1
    assert set(initial["sanctioning_kinds"]) == {"safety_accident", "petition", "crime", "other"}


@pytest.mark.parametrize("persona", ["district_admin", "district_staff", "street_staff", "firm_user",
                                     "community_clerk"])
def test_nobody_but_its_administrators_opens_or_posts_another_districts_form(pw, login, persona):
    """山亭区's administrator cannot add a version for 管城回族区; staff, streets and firms for none."""
    w = pw
    client = login(persona)
    assert client.get(create_url(w.guancheng)).status_code == 404
    assert client.post(create_url(w.guancheng), form_data()).status_code == 404
    if persona != "district_admin":
        assert client.get(create_url(w.shanting)).status_code == 404
        assert client.post(create_url(w.shanting), form_data()).status_code == 404
    assert SanctionPolicy.objects.count() == 1


def test_the_district_admin_saves_a_version_and_the_city_admin_for_any_district(pw, login):
    w = pw
    response = login("district_admin").post(create_url(w.shanting), form_data())
    assert response.status_code == 302
    assert response.url == reverse("enterprises:sanction_policy_list") + f"?district={w.shanting.pk}"
    policy = SanctionPolicy.objects.get(district=w.shanting, effective_from=datetime.date(2025, 6, 1))
    assert (policy.media_threshold, policy.street_run_deadline_days, policy.created_by) == (
        2, 15, w.users["district_admin"])
    assert policy.sanctioning_kinds == ["safety_accident", "petition"] and policy.enabled
    assert login("city_admin").post(create_url(w.guancheng), form_data(enabled="")).status_code == 302
    assert SanctionPolicy.objects.get(district=w.guancheng).enabled is False


@pytest.mark.parametrize("changes, field, message", [
    ({"effective_from": "2020-01-01"}, "effective_from", "该日期已有一个政策版本，请选择其他生效日期。"),
    ({"effective_from": ""}, "effective_from", "请填写生效日期。"),
    ({"effective_from": "2025-13-01"}, "effective_from", "有效"),
    ({"media_threshold": "0"}, "media_threshold", "媒体曝光次数应为 1–20。"),
    ({"media_threshold": "21"}, "media_threshold", "媒体曝光次数应为 1–20。"),
    ({"street_run_max_tier": "6"}, "street_run_max_tier", "星级应为 0–5。"),
    ({"street_run_deadline_days": "0"}, "street_run_deadline_days", "整改期限应为 1–120 个工作日。"),
    ({"sanctioning_kinds": ["media"]}, "sanctioning_kinds", "media"),  # not a choice of the form
])
def test_refusals_are_shown_on_the_form_and_nothing_is_saved(pw, login, changes, field, message):
    w = pw
    response = login("district_admin").post(create_url(w.shanting), form_data(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in e for e in errors)
    assert message in response.content.decode()
    assert SanctionPolicy.objects.count() == 1


def _exposure(w, firm, day):
    pdf = SimpleUploadedFile("报道.pdf", b"%PDF-1.4 report", content_type="application/pdf")
    return event_record(actor=w.users["district_staff"], firm=firm, unit=Unit(w.shanting.pk), kind=EventKind.MEDIA,
                        occurred_on=day, description="晚报报道小区电梯长期停运", files=[pdf],
                        now=moment(day + datetime.timedelta(days=1)))


def test_a_new_version_counts_exposures_against_its_limit_from_its_effective_date(pw, login, settings, tmp_path):
    """The default limit is 3 a year. A version from 2025-06-01 sets 2: firm 甲's exposure of March is
    counted under 3 and sanctions nothing; its second, in July, is the 2nd under the new limit and
    sanctions 2025. Firm 乙's two exposures, both before June, sanction nothing."""
    settings.MEDIA_ROOT = tmp_path
    w = pw
    assert login("district_admin").post(create_url(w.shanting), form_data(media_threshold="2")).status_code == 302
    _exposure(w, w.firm2, datetime.date(2025, 2, 1))
    _exposure(w, w.firm2, datetime.date(2025, 3, 1))
    assert media_count(w.firm2.pk, w.shanting.pk, 2025) == 2
    assert not FirmSanction.objects.filter(firm=w.firm2).exists()
    _exposure(w, w.firm1, datetime.date(2025, 3, 10))
    assert not FirmSanction.objects.filter(firm=w.firm1).exists()
    second = _exposure(w, w.firm1, datetime.date(2025, 7, 1))
    sanction = FirmSanction.objects.get(firm=w.firm1, year=2025)
    assert sanction.is_active and sanction.trigger == second
    assert sanction.reason == "企业发生重大负面事件（2025 年度第 2 次新闻媒体曝光）取消当年评比资格"


@pytest.mark.parametrize("model", ["sanctionpolicy", "negativeevent", "firmsanction", "streetrunorder"])
def test_the_django_admin_shows_the_sanction_tables_and_changes_none(pw, admin_client, model):
    assert admin_client.get(reverse(f"admin:enterprises_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:enterprises_{model}_add")).status_code == 403


def test_an_event_in_the_admin_is_read_only(pw, admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = pw
    event = _exposure(w, w.firm1, datetime.date(2025, 3, 10))
    url = reverse("admin:enterprises_negativeevent_change", args=[event.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    admin_client.post(url, {"description": "改写", "kind": "crime"})
    event.refresh_from_db()
    assert event.kind == EventKind.MEDIA and event.description == "晚报报道小区电梯长期停运"
    assert admin_client.post(reverse("admin:enterprises_negativeevent_delete", args=[event.pk]),
                             {"post": "yes"}).status_code == 403
