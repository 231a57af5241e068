"""The 28-item scoring form in a real browser on a phone (390 x 844): the 其余项目满分 shortcut fills only the
items still empty (a deduction typed first stays), and a submit refused for an unscored item comes back
scrolled to that item with its score field focused."""
import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inspections.models import Inspection
from inspections.services.rubrics import ensure_default_rubric

from .conftest import SCREENSHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def rubric(world):
    return ensure_default_rubric(district=world.shanting, year=datetime.date.today().year, now=timezone.now())


def in_viewport(page, selector) -> bool:
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                      return r.top >= 0 && r.bottom <= window.innerHeight; }""", selector)


def test_fill_the_rest_with_full_marks_then_a_refused_submit_lands_on_the_missing_item(
        page, live_server, world, rubric, log_in, shot):
    page.set_viewport_size(PHONE)
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, "street_staff", world.password)
    page.goto(f"{live_server.url}/estates/{world.estate_a1.pk}/inspections/new/")
    page.get_by_role("button", name="开始评分").click()
    page.wait_for_url(re.compile(r"/inspections/\d+/edit/$"))
    inspection = Inspection.objects.get()
    items = list(rubric.items.order_by("category__order", "order"))
    assert len(items) == 28

    # One deduction first (1.2, 4 points -> 2.5), then the shortcut for the other 27.
    deducted = rubric.items.get(code="1.2")
    page.fill(f"#score_{deducted.pk}", "2.5")
    page.fill(f"#note_{deducted.pk}", "服务中心无人值守")
    page.locator(f"#note_{deducted.pk}").blur()
    page.get_by_role("button", name="其余项目满分").click()
    assert dialogs[-1] == "为尚未评分的 27 个项目填入满分？已填写的分数不变。"
    expect(page.get_by_test_id("fill-rest-status")).to_have_text("已为 27 个项目填入满分。")
    assert page.input_value(f"#score_{deducted.pk}") == "2.5"  # not overwritten
    for item in items:
        if item.pk != deducted.pk:
            assert page.input_value(f"#score_{item.pk}") == f"{item.max_points.normalize():f}"
    # 100 - (4 - 2.5) = 98.5
    assert page.inner_text("#running-total") == "98.5"
    expect(page.locator("#scored-count")).to_contain_text("28/28")
    expect(page.locator("#save-status")).to_contain_text("已保存")
    saved = dict(inspection.scores.values_list("item_id", "score"))
    assert saved[deducted.pk] == Decimal("2.5")
    assert all(score == item.max_points for item in items if item.pk != deducted.pk
               for score in [saved[item.pk]])

    # Pressing it again with nothing empty changes nothing and asks nothing.
    asked = len(dialogs)
    page.get_by_role("button", name="其余项目满分").click()
    expect(page.get_by_test_id("fill-rest-status")).to_have_text("所有项目都已评分。")
    assert len(dialogs) == asked

    # An item far down the form is emptied again, and the clerk submits from the top.
    missing = items[21]
    page.fill(f"#score_{missing.pk}", "")
    page.locator(f"#score_{missing.pk}").blur()
    expect(page.locator("#save-status")).to_contain_text("已保存")
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(rf"/inspections/{inspection.pk}/edit/\?missing=1#item-{missing.pk}$"))
    # Refused: back on the form, the missing item marked, in view and its score field focused.
    expect(page.locator(f"#item-{missing.pk}")).to_have_class(re.compile(r"\bis-missing\b"))
    expect(page.locator(f"#err-score_{missing.pk}")).to_have_text("提交前须为此项评分。")
    expect(page.locator(f"#score_{missing.pk}")).to_be_focused()
    assert in_viewport(page, f"#score_{missing.pk}")
    assert page.evaluate("window.scrollY") > 1000  # it is far below the top of the page
    page.screenshot(path=str(SCREENSHOTS / "e2e-scoring-missing-item-390.png"))
    inspection.refresh_from_db()
    assert inspection.status == "draft"

    # Scored, the submit goes through with the server's total.
    page.fill(f"#score_{missing.pk}", f"{missing.max_points.normalize():f}")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(rf"/inspections/{inspection.pk}/$"))
    inspection.refresh_from_db()
    assert inspection.status == "submitted" and inspection.total == Decimal("98.5")
    shot(page, "e2e-scoring-submitted-390")
    assert errors == []
