"""Rules before work (issue 15): the 申报 form shows each district's window before it is filled and is
disabled when none is open; 确认并公布 is shown disabled with period_refusal's reason during the appeal
window or while an appeal is open. The POSTs stay refused by the services in the disabled cases."""
import datetime
import re

import pytest
from django.urls import reverse

from ratings.models import Appeal, Application, PeriodStatus, RatingPolicy

from ._pages import DEADLINE, at, media, rated  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
SUBMIT = reverse("ratings:application_submit")


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def _submit_button(html):
    return re.search(r'<button class="btn btn-primary" type="submit"[^>]*>', html).group(0)


def _estate_checkboxes(html):
    return re.findall(r'<input type="checkbox" name="estates"[^>]*>', html)


@pytest.mark.parametrize("day, state, closed", [
    (datetime.date(2024, 12, 31), "今天未开放", True),                                  # before
    (datetime.date(2025, 1, 1), "今天开放中", False),                                   # first day
    (datetime.date(2025, 3, 31), "今天开放中", False),                                  # last day
    (datetime.date(2025, 4, 1), "今天未开放", True),                                    # after
])
def test_form_shows_the_window_and_is_disabled_when_closed(rating_world, login, day, state, closed):
    with at(day):
        response = login("firm_user").get(SUBMIT)
    html = response.content.decode()
    windows = html.split('id="application-windows"')[1].split("</ul>")[0]
    assert f"山亭区：{day.year} 年度申报期 {day.year}-01-01 — {day.year}-03-31，" in windows
    assert state in windows
    # Only the district of the firm's own estates (管城回族区 serves firm 乙 only).
    assert "管城" not in windows
    assert response.context["closed"] is closed
    button = _submit_button(html)
    boxes = _estate_checkboxes(html)
    assert boxes
    if closed:
        assert "disabled" in button
        assert all("disabled" in b for b in boxes)
        assert 'name="statement"' in html and re.search(r'<textarea name="statement"[^>]*disabled', html)
        assert "今天均不在申报期内，暂不能申报" in html
    else:
        assert "disabled" not in button
        assert not any("disabled" in b for b in boxes)
        assert "暂不能申报" not in html


def test_district_without_a_policy_shows_the_default_window_without_creating_it(world, login):
    with at(datetime.date(2025, 5, 1)):
        html = login("firm_user").get(SUBMIT).content.decode()
    assert "2025 年度申报期 2025-01-01 — 2025-03-31，" in html and "今天未开放" in html
    assert "disabled" in _submit_button(html)
    assert not RatingPolicy.objects.exists()  # a GET saves nothing


def test_post_while_closed_is_still_refused_by_the_service(rating_world, login):
    w = rating_world
    with at(datetime.date(2025, 4, 1)):
        response = login("firm_user").post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "estates": [w.estate_a1.pk]})
    html = response.content.decode()
    assert "不在申报期内" in html and "2025-01-01 至 2025-03-31" in html
    assert "disabled" in _submit_button(html)
    assert not Application.objects.exists()


def _publish_area(html):
    return html.split("</h1>")[1].split('class="card card-body')[0]


def test_publish_button_is_disabled_with_the_reason_in_the_window_and_enabled_after(rated, login):
    w = rated
    page = reverse("ratings:period_detail", args=[w.period.pk])
    publish = reverse("ratings:period_publish", args=[w.period.pk])
    with at(DEADLINE):
        client = login("district_admin")
        area = _publish_area(client.get(page).content.decode())
        assert re.search(r'<button[^>]*type="button" disabled[^>]*id="publish-disabled"', area)
        assert "确认并公布" in area and "申诉期至 2025-04-13 结束，申诉期内不能公布" in area
        assert f'action="{publish}"' not in area
        refused = client.post(publish, follow=True)
        assert "申诉期至 2025-04-13 结束，申诉期内不能公布。" in _messages(refused)
    w.period.refresh_from_db()
    assert w.period.status == PeriodStatus.ANNOUNCED
    with at(DEADLINE + datetime.timedelta(days=1)):
        area = _publish_area(login("district_admin").get(page).content.decode())
    assert f'action="{publish}"' in area and "确认并公布" in area
    assert "disabled" not in area and "暂不能确认并公布" not in area


def test_publish_button_is_disabled_while_an_appeal_is_open(rated, login):
    w = rated
    page = reverse("ratings:period_detail", args=[w.period.pk])
    publish = reverse("ratings:period_publish", args=[w.period.pk])
    with at(DEADLINE):
        login("firm_user2").post(reverse("ratings:rating_detail", args=[w.rating_b1.pk]), {"reason": "漏记整改项目"})
    assert Appeal.objects.count() == 1
    with at(DEADLINE + datetime.timedelta(days=1)):
        client = login("district_admin")
        area = _publish_area(client.get(page).content.decode())
        assert 'id="publish-disabled"' in area and "还有未处理的申诉，请先处理后再公布" in area
        assert f'action="{publish}"' not in area
        refused = client.post(publish, follow=True)
        assert "还有未处理的申诉" in " ".join(_messages(refused))
    w.period.refresh_from_db()
    assert w.period.status == PeriodStatus.ANNOUNCED


def test_others_see_no_publish_button_at_all(rated, login):
    w = rated
    with at(DEADLINE):
        area = _publish_area(login("street_staff").get(
            reverse("ratings:period_detail", args=[w.period.pk])).content.decode())
    assert "确认并公布" not in area


# --- the 公示 date range (announcement date to appeal deadline) ---------------------------------------------

def _range(html):
    return html.split('id="announcement-range"')[1].split("</span>")[0]


def test_period_page_shows_the_announcement_range(rated, login):
    w = rated
    with at(DEADLINE):
        client = login("district_admin")
        assert _range(client.get(reverse("ratings:period_detail", args=[w.period.pk])).content.decode()) == (
            ">公示期：2025-04-06 至 2025-04-13")
        # 管城回族区's 2025Q1 is computed, not announced.
        assert _range(login("district_admin_gc").get(reverse("ratings:period_detail", args=[w.period_gc.pk]))
                      .content.decode()) == ">公示期：未公示"


def test_public_page_shows_each_districts_announcement_range_and_publication(rated, client):
    from ._pages import publish

    w = rated
    public = reverse("ratings:public_list")
    assert 'id="announcements"' not in client.get(public).content.decode()  # nothing published yet
    publish(w)  # on 2025-04-14
    html = client.get(public).content.decode()  # the latest published quarter by default
    box = html.split('id="announcements"')[1].split("</ul>")[0]
    assert "山亭区 2025 年第 1 季度：公示期 2025-04-06 至 2025-04-13（申诉截止），2025-04-14 确认公布" in box
    assert "管城" not in box  # its 2025Q1 is not published
    assert 'id="announcements"' not in client.get(public, {"period": ""}).content.decode()  # every quarter
    other = client.get(public, {"period": "2025Q1", "district": w.guancheng.pk}).content.decode()
    assert 'id="announcements"' not in other
