"""Rectification orders through the pages: issue from an item, answer with a photo, reject, accept, cancel."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.models import OrderPhoto, OrderStatus, RectificationOrder
from inspections.services.inspections import inspection_add_photos, inspection_save, inspection_start
from inspections.services.orders import order_answer, order_issue

from .conftest import score_all
from .test_pages_permissions import _media, png, submitted  # noqa: F401

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
S = OrderStatus


@pytest.fixture
def scored(world, rubric):
    """A submitted inspection of 梅花园 with 1.2 scored 1 of 4, a note and a photo on that item."""
    clerk = world.users["street_staff"]
    insp = inspection_start(actor=clerk, estate=world.estate_a1, kind="regular", date=TODAY, inspectors="张三",
                            today=TODAY)
    item = rubric.items.get(code="1.2")
    scores = score_all(rubric, {"1.2": "1"})
    scores[item.pk] = ("1", "服务中心无人值守")
    inspection_save(actor=clerk, inspection=insp, scores=scores, today=TODAY)
    inspection_add_photos(actor=clerk, inspection=insp, images=[png()], item=item)
    from inspections.services.inspections import inspection_submit

    return inspection_submit(actor=clerk, inspection=insp, now=timezone.now()), item


@pytest.fixture
def order(world):
    return order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="楼道堆放杂物",
                       deadline=TODAY + datetime.timedelta(days=3), now=timezone.now())


def act(client, order, action, data):
    return client.post(reverse("inspections:order_action", args=[order.pk, action]), data)


def test_order_form_from_an_item_is_prefilled_from_its_score_and_note(world, scored, login):
    insp, item = scored
    response = login("street_staff").get(reverse("inspections:order_create"),
                                         {"estate": world.estate_a1.pk, "inspection": insp.pk, "item": item.pk})
    form = response.context["form"]
    assert form["problem"].value() == f"基础管理 · {item.title}（得分 1.0 / 4.0）：服务中心无人值守"
    assert form["deadline"].value() == TODAY + datetime.timedelta(days=7)  # the district's default
    assert form["estate"].value() == world.estate_a1.pk
    assert world.firm1.name in response.content.decode()


def test_issuing_from_an_item_copies_its_photos_and_notifies_the_firm(world, scored, login):
    insp, item = scored
    url = reverse("inspections:order_create") + f"?estate={world.estate_a1.pk}&inspection={insp.pk}&item={item.pk}"
    response = login("street_staff").post(url, {
        "estate": world.estate_a1.pk, "problem": "服务中心无人值守", "requirement": "三日内安排值班",
        "deadline": (TODAY + datetime.timedelta(days=3)).isoformat(), "photos": [png("extra.png", "green")]})
    order = RectificationOrder.objects.get()
    assert response["Location"] == reverse("inspections:order_detail", args=[order.pk])
    assert (order.inspection, order.item, order.firm, order.status) == (insp, item, world.firm1, S.ISSUED)
    assert order.photos.filter(side="problem").count() == 2  # the item's photo and the new one
    assert world.users["firm_user"].notifications.filter(url__endswith=f"/orders/{order.pk}/").exists()


def test_issuing_with_a_past_deadline_shows_the_message_and_creates_nothing(world, login):
    response = login("street_staff").post(reverse("inspections:order_create"), {
        "estate": world.estate_a1.pk, "problem": "x", "deadline": (TODAY - datetime.timedelta(days=1)).isoformat()})
    assert response.status_code == 200
    assert "整改期限不能早于今天" in response.content.decode()
    assert not RectificationOrder.objects.exists()


def test_estate_without_a_firm_is_not_offered_and_is_refused(world, login):
    client = login("street_staff")
    response = client.get(reverse("inspections:order_create"))
    assert list(response.context["form"].fields["estate"].queryset) == [world.estate_a1]
    response = client.post(reverse("inspections:order_create"), {
        "estate": world.estate_a2.pk, "problem": "x", "deadline": TODAY.isoformat()})
    assert "没有服务企业" in response.content.decode()
    assert not RectificationOrder.objects.exists()


def test_an_order_from_a_draft_inspection_is_refused(world, rubric, login):
    draft = inspection_start(actor=world.users["street_staff"], estate=world.estate_a1, kind="regular",
                             date=TODAY, inspectors="张三", today=TODAY)
    url = reverse("inspections:order_create") + f"?inspection={draft.pk}"
    response = login("street_staff").post(url, {"estate": world.estate_a1.pk, "problem": "x",
                                                "deadline": TODAY.isoformat()})
    assert "请先提交检查" in response.content.decode()
    assert not RectificationOrder.objects.exists()


def test_firm_answers_with_a_photo_and_the_street_sees_it(world, order, login):
    client = login("firm_user")
    page = client.get(reverse("inspections:order_detail", args=[order.pk]))
    assert page.context["actions"] == ["answer"] and 'data-testid="action-answer"' in page.content.decode()
    response = act(client, order, "answer", {"answer": "已清理楼道", "photos": [png("fixed.png", "green")]})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.ANSWERED and order.answer == "已清理楼道"
    photo = OrderPhoto.objects.get(order=order, side="answer")
    html = login("street_staff").get(reverse("inspections:order_detail", args=[order.pk])).content.decode()
    assert "已清理楼道" in html and photo.get_absolute_url() in html
    assert 'data-testid="action-accept"' in html and 'data-testid="action-reject"' in html


def test_answer_with_a_non_image_changes_nothing_and_keeps_the_text(world, order, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("x.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = act(login("firm_user"), order, "answer", {"answer": "已整改", "photos": [bad]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "文件“x.pdf”不是图片" in html and "已整改" in html
    order.refresh_from_db()
    assert order.status == S.ISSUED and not order.photos.exists() and order.events.count() == 1


def test_street_rejects_with_a_reason_and_the_firm_answers_again(world, order, login):
    order_answer(actor=world.users["firm_user"], order=order, answer="已清理", now=timezone.now())
    response = act(login("street_staff"), order, "reject", {"reject-reason": "仍有杂物"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.RETURNED
    assert login("firm_user").get(reverse("inspections:order_detail", args=[order.pk])).context["actions"] == [
        "answer"]


def test_reject_without_a_reason_is_refused_with_a_message(world, order, login):
    order_answer(actor=world.users["firm_user"], order=order, answer="已清理", now=timezone.now())
    response = act(login("street_staff"), order, "reject", {"reject-reason": ""})
    assert response.status_code == 200 and "操作未完成" in response.content.decode()
    order.refresh_from_db()
    assert order.status == S.ANSWERED


def test_street_accepts_with_a_followup_inspection_and_the_order_closes(world, rubric, order, login):
    order_answer(actor=world.users["firm_user"], order=order, answer="已清理", now=timezone.now())
    followup = submitted(world, world.estate_a1)
    response = act(login("street_staff"), order, "accept", {"comment": "复查合格", "followup_inspection": followup.pk})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.CLOSED and order.followup_inspection == followup and order.closed_at
    html = login("firm_user").get(reverse("inspections:order_detail", args=[order.pk])).content.decode()
    assert "已验收关闭" in html and "复查合格" in html


def test_followup_inspection_of_another_estate_is_not_accepted(world, rubric, order, login):
    order_answer(actor=world.users["firm_user"], order=order, answer="已清理", now=timezone.now())
    other = submitted(world, world.estate_a2)
    response = act(login("street_staff"), order, "accept", {"followup_inspection": other.pk})
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == S.ANSWERED


def test_a_forbidden_transition_is_shown_in_chinese_and_changes_nothing(world, order, login):
    # The firm has not answered yet: the street cannot accept.
    response = act(login("street_staff"), order, "accept", {"comment": "ok"})
    assert response.status_code == 200
    assert "整改通知当前状态为“待整改”，不能执行此操作。" in response.content.decode()
    order.refresh_from_db()
    assert order.status == S.ISSUED and order.events.count() == 1


def test_the_firm_cannot_cancel_and_the_street_cannot_answer(world, order, login):
    response = act(login("firm_user"), order, "cancel", {"cancel-reason": "不想改"})
    assert "您无权对该整改通知执行此操作" in response.content.decode()
    response = act(login("street_staff"), order, "answer", {"answer": "代答"})
    assert "您无权对该整改通知执行此操作" in response.content.decode()
    order.refresh_from_db()
    assert order.status == S.ISSUED


def test_street_cancels_with_a_reason(world, order, login):
    act(login("street_staff"), order, "cancel", {"cancel-reason": "重复下发"})
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert order.events.last().comment == "重复下发"


def test_unknown_action_is_404(world, order, login):
    assert act(login("street_staff"), order, "delete", {}).status_code == 404


def test_timeline_lists_who_when_from_to_and_comment(world, order, login):
    order_answer(actor=world.users["firm_user"], order=order, answer="已清理楼道", now=timezone.now())
    html = login("street_staff").get(reverse("inspections:order_detail", args=[order.pk])).content.decode()
    timeline = html[html.index('data-testid="timeline"'):]
    assert "待整改 → <strong>已回复待验收</strong>" in timeline
    assert world.users["firm_user"].display_name in timeline and "已清理楼道" in timeline


def test_passed_deadline_is_red_on_the_detail_and_in_the_list(world, order, login):
    RectificationOrder.objects.filter(pk=order.pk).update(deadline=TODAY - datetime.timedelta(days=1))
    client = login("street_staff")
    html = client.get(reverse("inspections:order_detail", args=[order.pk])).content.decode()
    assert 'class="deadline-passed" data-testid="deadline"' in html and "已过期限" in html
    response = client.get(reverse("inspections:order_list"))
    assert response.context["object_list"][0].is_overdue is True
