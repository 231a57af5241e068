"""A firm user signs for and answers a complaint on a phone-sized screen (390 x 844), in a real browser.

The detail page puts the actions first on a narrow screen; nothing on the list, my tasks or the detail page
scrolls sideways. Screenshots land in test-results/.
"""
import datetime
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from complaints.models import AttachmentKind, Category, Status

# The browser set-up of the e2e suite (system Chromium, zh-CN, Asia/Shanghai) and its log-in helper.
from ..e2e.conftest import SCREENSHOTS, browser_context_args, browser_type_launch_args, log_in  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def category(db):
    """A transactional test empties the tables the data migrations filled: the category is made again."""
    return Category.objects.get_or_create(code="sanitation", defaults={"name": "环境卫生", "order": 1})[0]


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "after.png"
    Image.new("RGB", (640, 480), (60, 160, 60)).save(path, "PNG")
    return str(path)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_firm_signs_and_answers_on_a_phone(page, live_server, world, make_complaint, log_in, photo):
    SCREENSHOTS.mkdir(exist_ok=True)
    c = make_complaint(to=Status.ASSIGNED, at=timezone.now() - datetime.timedelta(hours=1),
                       title="3 号楼电梯困人", content="3 号楼电梯经常停在两层之间，今天又困人。")
    page.set_viewport_size(PHONE)
    log_in(page, "firm_user", world.password)

    page.goto(f"{live_server.url}/complaints/tasks/")
    expect(page.get_by_test_id("tasks")).to_contain_text("待签收")
    assert fits(page)
    page.get_by_test_id("tasks").get_by_text(c.number).click()
    page.wait_for_url(re.compile(rf"/complaints/{c.pk}/$"))
    assert fits(page)
    # The actions come first on a phone: the sign button is on the first screen.
    sign = page.get_by_test_id("submit-sign")
    expect(sign).to_be_in_viewport()
    page.screenshot(path=str(SCREENSHOTS / "complaint-phone-sign.png"), full_page=True)
    sign.click()
    expect(page.get_by_test_id("complaint-status")).to_have_text("办理中")

    form = page.get_by_test_id("action-answer")
    form.get_by_label("答复内容").fill("已联系电梯维保单位检修，更换了平层感应器，试运行正常。")
    form.locator("input[type=file]").set_input_files(photo)
    assert fits(page)
    page.screenshot(path=str(SCREENSHOTS / "complaint-phone-answer.png"), full_page=True)
    page.get_by_test_id("submit-answer").click()
    expect(page.get_by_test_id("complaint-status")).to_have_text("待回访")
    expect(page.get_by_test_id("answer")).to_contain_text("更换了平层感应器")
    assert fits(page)

    c.refresh_from_db()
    assert c.status == Status.ANSWERED and c.attachments.filter(kind=AttachmentKind.ANSWER).count() == 1
    page.goto(f"{live_server.url}/complaints/")
    expect(page.get_by_test_id("complaint-table")).to_contain_text(c.number)
    assert fits(page)


def test_rates_page_shows_the_fields_of_the_chosen_period_kind(page, live_server, world, make_complaint, log_in):
    make_complaint(to=Status.CLOSED, at=timezone.now() - datetime.timedelta(hours=2))
    page.set_viewport_size(PHONE)
    log_in(page, "street_staff", world.password)
    page.goto(f"{live_server.url}/complaints/rates/")
    expect(page.get_by_test_id("rate-handling_rate")).to_have_text("100.0%")
    expect(page.locator("#id_quarter")).to_be_visible()
    expect(page.locator("#id_month")).to_be_hidden()
    expect(page.locator("#id_date_from")).to_be_hidden()
    page.select_option("#id_kind", "range")
    expect(page.locator("#id_date_from")).to_be_visible()
    expect(page.locator("#id_quarter")).to_be_hidden()
    assert fits(page)
