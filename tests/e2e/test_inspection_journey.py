"""The street clerk's day in a real browser, on a phone-sized screen (390 x 844):

street_staff inspects 梅花园 (every score, one deduction with a note and a photo),
submits and sees the computed total, raises a rectification order from that item;
firm_user answers it with a photo; street_staff accepts it and it shows 已验收关闭.
A second test: a score typed while offline survives a reload (localStorage backup).
"""
import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from inspections.models import Inspection, OrderStatus, RectificationOrder
from inspections.services.rubrics import ensure_default_rubric

from .conftest import SCREENSHOTS, search_choose

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def rubric(world):
    return ensure_default_rubric(district=world.shanting, year=datetime.date.today().year, now=timezone.now())


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "problem.png"
    Image.new("RGB", (640, 480), (180, 60, 60)).save(path, "PNG")
    return str(path)


def log_out(page):
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        # Wait for the folded menu to finish opening (Bootstrap: .collapsing, then .show): a click during the
        # animation missed 退出 once under CI load.
        expect(page.locator(".navbar-collapse")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_inspect_score_submit_order_answer_accept(page, live_server, world, rubric, log_in, shot, photo):
    page.set_viewport_size(PHONE)
    page.on("console", lambda m: print("CONSOLE", m.type, m.text))
    page.on("pageerror", lambda e: print("PAGEERROR", e))
    page.on("response", lambda r: print("RESP", r.status, r.request.method, r.url) if r.request.method == "POST" or r.status >= 400 else None)
    page.on("dialog", lambda dialog: dialog.accept())  # the "提交后不能再修改" confirmation
    log_in(page, "street_staff", world.password)

    # Start from the inspection list's picker.
    page.goto(f"{live_server.url}/inspections/")
    search_choose(page, "new_for", "梅花", "梅花园（山城街道 · 梅园社区）")
    page.get_by_role("button", name="新建检查").click()
    page.wait_for_url(re.compile(r"/estates/\d+/inspections/new/$"))
    assert page.input_value("#id_date") == datetime.date.today().isoformat()
    shot(page, "e2e-inspection-01-start-390")
    page.get_by_role("button", name="开始评分").click()
    page.wait_for_url(re.compile(r"/inspections/\d+/edit/$"))
    inspection = Inspection.objects.get()

    # Every score: full marks by the button, then 1.2 (4 points) gets 2.5 and a note.
    buttons = page.locator("button.full-marks")
    assert buttons.count() == rubric.items.count()
    for i in range(buttons.count()):
        buttons.nth(i).click()
    item = rubric.items.get(code="1.2")
    page.fill(f"#score_{item.pk}", "2.5")
    page.fill(f"#note_{item.pk}", "服务中心无人值守")
    page.locator(f"#note_{item.pk}").blur()
    page.locator(f'input.photo-input[data-item="{item.pk}"]').set_input_files(photo)
    page.wait_for_selector(f'[data-strip="{item.pk}"] .photo-thumb')
    page.wait_for_timeout(3000)
    print("STATUS", page.inner_text("#save-status"), page.inner_text("#scored-count"), page.inner_text("#form-errors"))
    expect(page.locator("#save-status")).to_contain_text("已保存")
    assert page.inner_text("#running-total") == "98.5"
    row = inspection.scores.get(item=item)
    assert (row.score, row.note) == (Decimal("2.5"), "服务中心无人值守")  # autosaved before any button
    assert no_horizontal_scroll(page)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "e2e-inspection-02-scoring-390")
    page.evaluate(f"window.scrollBy(0, document.getElementById('item-{item.pk}').getBoundingClientRect().top - 90)")
    page.screenshot(path=str(SCREENSHOTS / "e2e-inspection-03-scoring-viewport-390.png"))

    # A bad score is refused next to the item and nothing is saved.
    page.fill(f"#score_{item.pk}", "5")
    page.locator(f"#score_{item.pk}").blur()
    expect(page.locator(f"#err-score_{item.pk}")).to_contain_text("不能超过")
    assert inspection.scores.get(item=item).score == Decimal("2.5")
    page.screenshot(path=str(SCREENSHOTS / "e2e-inspection-04-bad-score-390.png"))
    page.fill(f"#score_{item.pk}", "2.5")
    # Leave the field and let its error clear first: the message's line goes away on blur, which moves
    # the 提交 button; a click aimed before that shift could land beside it (seen once under CI load).
    page.locator(f"#score_{item.pk}").blur()
    expect(page.locator(f"#err-score_{item.pk}")).to_have_text("")
    expect(page.locator("#save-status")).to_contain_text("已保存")

    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(rf"/inspections/{inspection.pk}/$"))
    assert page.inner_text('[data-testid="inspection-total"]').strip() == "98.5"
    inspection.refresh_from_db()
    assert inspection.status == "submitted" and inspection.total == Decimal("98.5")
    shot(page, "e2e-inspection-05-detail-390")

    # An order from that item: problem prefilled from the note, deadline from the district policy.
    page.locator('[data-testid="order-item-1.2"]').click()
    page.wait_for_url(re.compile(r"/orders/new/\?"))
    assert "服务中心无人值守" in page.input_value("#id_problem")
    page.fill("#id_requirement", "三日内恢复值班并公示电话")
    shot(page, "e2e-inspection-06-order-form-390")
    page.get_by_role("button", name="下发").click()
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = RectificationOrder.objects.get()
    assert order.item == item and order.photos.filter(side="problem").count() == 1
    assert "待整改" in page.inner_text('[data-testid="order-status"]')
    shot(page, "e2e-inspection-07-order-issued-390")
    log_out(page)

    # The firm answers with a photo.
    log_in(page, "firm_user", world.password)
    page.goto(f"{live_server.url}/orders/")
    page.get_by_role("link", name=order.number).click()
    page.fill("#id_answer", "已安排专人值班，值班电话已公示")
    page.set_input_files("#id_photos", photo)
    page.get_by_role("button", name="提交整改回复").click()
    page.wait_for_url(re.compile(rf"/orders/{order.pk}/$"))
    assert "已回复待验收" in page.inner_text('[data-testid="order-status"]')
    shot(page, "e2e-inspection-08-firm-answered-390")
    log_out(page)

    # The street accepts it.
    log_in(page, "street_staff", world.password)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.fill("#id_comment", "复查合格")
    page.get_by_role("button", name="验收通过").click()
    page.wait_for_url(re.compile(rf"/orders/{order.pk}/$"))
    assert "已验收关闭" in page.inner_text('[data-testid="order-status"]')
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert [e.to_status for e in order.events.all()] == ["issued", "answered", "closed"]
    shot(page, "e2e-inspection-09-closed-390")


def test_scoring_form_keeps_a_score_typed_offline(page, live_server, world, rubric, log_in, shot):
    page.set_viewport_size(PHONE)
    log_in(page, "community_clerk", world.password)
    page.goto(f"{live_server.url}/estates/{world.estate_a1.pk}/inspections/new/")
    page.get_by_role("button", name="开始评分").click()
    page.wait_for_url(re.compile(r"/inspections/\d+/edit/$"))
    inspection = Inspection.objects.get()
    first = rubric.items.get(code="1.1")

    page.context.set_offline(True)
    page.fill(f"#score_{first.pk}", "3")
    page.fill(f"#note_{first.pk}", "值班表缺两天")
    page.locator(f"#note_{first.pk}").blur()
    expect(page.locator("#save-status")).to_contain_text("本机暂存")
    assert inspection.scores.get(item=first).score is None
    page.context.set_offline(False)

    page.reload()
    assert page.input_value(f"#score_{first.pk}") == "3"
    assert page.input_value(f"#note_{first.pk}") == "值班表缺两天"
    assert page.locator("#restore-note").is_visible()
    expect(page.locator("#save-status")).to_contain_text("已保存")
    row = inspection.scores.get(item=first)
    assert (row.score, row.note) == (Decimal("3.0"), "值班表缺两天")
    shot(page, "e2e-inspection-10-restored-390")
