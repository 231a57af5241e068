"""The application pages: the firm's 申报 form, the review buttons and the timeline."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ratings.models import Application, ApplicationAttachment, ApplicationStatus
from tests.factories import EstateFactory

from ._pages import at, media, rated  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
SUBMIT = reverse("ratings:application_submit")
IN_WINDOW = datetime.date(2025, 2, 1)


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_submit_page_offers_only_the_firms_own_estates_and_this_year(rating_world, login):
    w = rating_world
    second = EstateFactory(community=w.ziwei, name="紫薇苑", firm=w.firm1, firm_since=datetime.date(2020, 1, 1))
    with at(IN_WINDOW):
        response = login("firm_user").get(SUBMIT)
    form = response.context["form"]
    assert {e.name for e in form.fields["estates"].queryset} == {"梅花园", second.name}
    assert form["year"].value() == 2025
    html = response.content.decode()
    assert "北庄花园" not in html and "锦绣花园" not in html


def test_firm_applies_for_two_estates_with_several_files(rating_world, login, media):
    w = rating_world
    second = EstateFactory(community=w.ziwei, name="紫薇苑", firm=w.firm1, firm_since=datetime.date(2020, 1, 1))
    files = [SimpleUploadedFile("方案.pdf", b"%PDF-1", content_type="application/pdf"),
             SimpleUploadedFile("照片.jpg", b"\xff\xd8jpg", content_type="image/jpeg")]
    with at(IN_WINDOW):
        response = login("firm_user").post(SUBMIT, {
            "firm": w.firm1.pk, "year": 2025, "estates": [w.estate_a1.pk, second.pk], "statement": "申报三星",
            "files": files}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("ratings:application_list")
    apps = Application.objects.order_by("estate__name")
    assert [(a.estate.name, a.year, a.status) for a in apps] == [
        ("梅花园", 2025, ApplicationStatus.SUBMITTED), ("紫薇苑", 2025, ApplicationStatus.SUBMITTED)]
    assert sorted(ApplicationAttachment.objects.values_list("name", flat=True)) == ["方案.pdf", "方案.pdf", "照片.jpg",
                                                                                   "照片.jpg"]
    assert "已提交 2 个小区的 2025 年度星级评定申报" in " ".join(_messages(response))


def test_applying_outside_the_window_lists_the_reason_and_saves_nothing(rating_world, login):
    w = rating_world
    with at(datetime.date(2025, 4, 1)):
        response = login("firm_user").post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "estates": [w.estate_a1.pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "申报未提交" in html and "不在申报期内" in html and "2025-01-01 至 2025-03-31" in html
    assert not Application.objects.exists()


def test_applying_without_an_estate_or_with_a_bad_file_is_refused(rating_world, login):
    w = rating_world
    client = login("firm_user")
    with at(IN_WINDOW):
        empty = client.post(SUBMIT, {"firm": w.firm1.pk, "year": 2025})
        exe = client.post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "estates": [w.estate_a1.pk],
                                   "files": [SimpleUploadedFile("a.exe", b"MZ")]})
        other = client.post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "estates": [w.estate_b1.pk]})
        other_firm = client.post(SUBMIT, {"firm": w.firm2.pk, "year": 2025, "estates": [w.estate_a1.pk]})
    assert "请至少选择一个小区" in empty.content.decode()
    assert "格式不支持" in exe.content.decode()
    assert other.context["form"].errors["estates"]  # not one of the firm's estates: not even a choice
    assert other_firm.context["form"].errors["firm"]
    assert not Application.objects.exists()


def _detail(client, app):
    return client.get(reverse("ratings:application_detail", args=[app.pk]))


def _buttons(response):
    return [label for _action, label, _colour in response.context["actions"]]


def test_review_chain_through_the_pages_with_exactly_the_allowed_buttons(rating_world, login, media):
    w = rating_world
    with at(IN_WINDOW):
        login("firm_user").post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "estates": [w.estate_a1.pk],
                                         "statement": "申报五星"})
    app = Application.objects.get()
    url = reverse("ratings:application_detail", args=[app.pk])
    assert _buttons(_detail(login("firm_user"), app)) == []
    assert _buttons(_detail(login("district_admin"), app)) == []
    assert _buttons(_detail(login("community_clerk"), app)) == []
    assert _buttons(_detail(login("street_staff"), app)) == ["审核上报", "退回"]

    response = login("street_staff").post(url, {"action": "report", "comment": "材料齐全"}, follow=True)
    assert "已审核上报" in " ".join(_messages(response))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REPORTED
    assert _buttons(_detail(login("street_staff"), app)) == []
    assert _buttons(_detail(login("district_admin"), app)) == ["退回", "受理", "不予受理"]

    refused = login("district_admin").post(url, {"action": "reject", "comment": ""})
    assert refused.status_code == 200 and "退回或不予受理时请填写原因" in refused.content.decode()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REPORTED

    login("district_admin").post(url, {"action": "accept", "comment": "同意受理"})
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACCEPTED

    html = _detail(login("firm_user"), app).content.decode()
    for text in ("已申报", "街道已审核上报", "区已受理", "材料齐全", "同意受理", w.users["street_staff"].display_name,
                 w.users["district_admin"].display_name):
        assert text in html
    assert list(app.events.values_list("from_status", "to_status")) == [
        ("", "submitted"), ("submitted", "reported"), ("reported", "accepted")]


def test_a_forbidden_action_is_refused_with_a_message(rated, login):
    w = rated
    url = reverse("ratings:application_detail", args=[w.app_a1.pk])
    response = login("firm_user").post(url, {"action": "reject", "comment": "x"})
    assert "不能执行此操作" in response.content.decode()
    assert login("street_staff2").post(url, {"action": "return", "comment": "x"}).status_code == 404
    w.app_a1.refresh_from_db()
    assert w.app_a1.status == ApplicationStatus.ACCEPTED


def test_street_returns_with_a_reason(rating_world, login):
    w = rating_world
    with at(IN_WINDOW):
        login("firm_user").post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "estates": [w.estate_a1.pk]})
    app = Application.objects.get()
    login("street_staff").post(reverse("ratings:application_detail", args=[app.pk]),
                               {"action": "return", "comment": "缺少物业服务合同"})
    app.refresh_from_db()
    assert app.status == ApplicationStatus.RETURNED
    assert "缺少物业服务合同" in _detail(login("firm_user"), app).content.decode()


def test_list_filters_by_year_status_street_and_firm(rated, login):
    w = rated
    client = login("district_admin")
    url = reverse("ratings:application_list")

    def names(**params):
        return sorted(a.estate.name for a in client.get(url, params).context["object_list"])

    assert names() == ["北庄花园", "梅花园"]
    assert names(street=w.shancheng.pk) == ["梅花园"]
    assert names(firm=w.firm2.pk) == ["北庄花园"]
    assert names(year=2024) == []
    assert names(status="accepted") == ["北庄花园", "梅花园"]
    assert names(status="submitted") == []


def test_application_list_query_count_does_not_grow(rated, login, django_assert_max_num_queries):
    w = rated
    for i in range(30):
        estate = EstateFactory(community=w.meiyuan, name=f"测试小区{i:02d}", firm=w.firm1,
                               firm_since=datetime.date(2020, 1, 1))
        Application.objects.create(firm=w.firm1, estate=estate, year=2025, submitted_by=w.users["firm_user"])
    client = login("district_admin")
    # Session, user, roles, notifications; count + one page; filter choice lists (street, firm).
    with django_assert_max_num_queries(12):
        response = client.get(reverse("ratings:application_list"))
    assert len(response.context["object_list"]) == 25
    with django_assert_max_num_queries(8):
        response = client.get(reverse("ratings:application_list"), {"export": "xlsx"})
    assert response.status_code == 200


def test_a_tampered_hidden_firm_is_refused_with_a_message_and_saves_nothing(rating_world, login):
    w = rating_world
    with at(IN_WINDOW):
        page = login("firm_user").get(SUBMIT)
        assert f'type="hidden" name="firm" value="{w.firm1.pk}"' in page.content.decode()
        response = login("firm_user").post(SUBMIT, {"firm": w.firm2.pk, "year": 2025, "estates": [w.estate_a1.pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "申报未提交" in html and "申报企业无效：只能以您所在的企业申报，请刷新页面后重新填写。" in html
    assert not Application.objects.exists()
