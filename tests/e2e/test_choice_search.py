"""Long choice lists are searched, not listed (accounts/choices.py, static/js/choices.js), in a real browser:
a district administrator types into the inspection list's 小区 filter, picks a match, filters, and sees
that estate's inspections only; the choice is kept after the reload. At 1366 px with the mouse (and
scrolling the matches loads the next page), at 390 px with the keyboard."""
import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inspections.models import Inspection, InspectionStatus
from inspections.services.rubrics import ensure_default_rubric
from tests.factories import EstateFactory

from .conftest import search_choose

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SIZES = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}


@pytest.fixture
def inspected(world):
    today = datetime.date.today()
    rubric = ensure_default_rubric(district=world.shanting, year=today.year, now=timezone.now())
    for estate in (world.estate_a1, world.estate_a2, world.estate_b1):
        Inspection.objects.create(estate=estate, rubric=rubric, date=today, inspectors="街道检查组",
                                  status=InspectionStatus.SUBMITTED, total=Decimal("88.0"),
                                  submitted_at=timezone.now(), created_by=world.users["street_staff"])
    # 30 more estates whose names contain 梅: more than one page of matches (20 a page).
    for i in range(30):
        EstateFactory(community=world.meiyuan, name=f"梅岭{i:02d}小区")
    return world


def rows(page):
    return page.locator("table tbody tr")


@pytest.mark.parametrize("size", list(SIZES))
def test_estate_filter_searches_picks_and_filters(page, live_server, inspected, log_in, shot, size):
    w = inspected
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size(SIZES[size])
    log_in(page, "district_admin", w.password)
    page.goto(f"{live_server.url}/inspections/")
    assert rows(page).count() == 3
    if size == "390":
        page.get_by_role("button", name="筛选条件").click()  # the filter bar is folded on phones
    # The page holds no estate option; the field is a search box.
    assert page.locator("#id_estate option").count() <= 1
    control = page.locator("#id_estate-ts-control")
    assert control.get_attribute("placeholder") == "输入名称搜索…"

    if size == "1366":
        # 梅 matches 31 estates: 20 first, the rest when the list is scrolled to its end.
        control.click()
        control.press_sequentially("梅", delay=30)
        options = page.locator("#id_estate-ts-dropdown .option[data-value]")  # not "loading more"
        # All 31 start with 梅: in name order (梅岭 < 梅花 in code points), 20 at a time.
        expect(options.first).to_have_text("梅岭00小区（山城街道 · 梅园社区）")
        expect(options).to_have_count(20)
        assert "北庄花园" not in page.locator("#id_estate-ts-dropdown").inner_text()
        shot(page, "e2e-choices-01-search-1366")
        page.locator("#id_estate-ts-dropdown").evaluate("el => el.scrollTop = el.scrollHeight")
        expect(options).to_have_count(31)
        expect(page.locator("#id_estate-ts-dropdown .no-more-results")).to_have_text("没有更多结果")
        control.press("Escape")
        control.fill("")
        picked = search_choose(page, "id_estate", "北庄", "北庄花园（北庄街道 · 北庄社区）")
    else:
        picked = search_choose(page, "id_estate", "北庄", "北庄花园（北庄街道 · 北庄社区）", keyboard=True)
        shot(page, f"e2e-choices-01-picked-{size}")
    # Nothing matches: said in Chinese.
    page.locator("#id_community-ts-control").click()
    page.locator("#id_community-ts-control").press_sequentially("不存在的社区", delay=20)
    page.locator("#id_community-ts-dropdown .no-results").wait_for()
    assert page.locator("#id_community-ts-dropdown .no-results").inner_text() == "无匹配结果"
    page.locator("#id_community-ts-control").press("Escape")

    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"estate={w.estate_b1.pk}"))
    assert rows(page).count() == 1
    assert "北庄花园" in rows(page).first.inner_text()
    # The choice is kept, with its label, after the reload.
    assert page.locator("#id_estate").input_value() == str(w.estate_b1.pk)
    assert page.locator("#id_estate + .ts-wrapper .item").inner_text() == picked
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, f"e2e-choices-02-filtered-{size}")
    assert errors == []


def test_new_inspection_picker_offers_only_estates_the_clerk_may_inspect(page, live_server, inspected, log_in, shot):
    w = inspected
    page.set_viewport_size(SIZES["390"])
    log_in(page, "street_staff2", w.password)
    page.goto(f"{live_server.url}/inspections/")
    control = page.locator("#new_for-ts-control")
    control.click()
    control.press_sequentially("花园", delay=30)
    options = page.locator("#new_for-ts-dropdown .option[data-value]")
    # 北庄街道's clerk: 北庄花园 only (梅花园 and 锦绣花园 are 山城街道's).
    expect(options).to_have_text(["北庄花园（北庄街道 · 北庄社区）"])
    shot(page, "e2e-choices-03-new-inspection-390")
    control.press("Enter")
    page.get_by_role("button", name=re.compile("新建检查")).click()
    page.wait_for_url(re.compile(rf"/estates/{w.estate_b1.pk}/inspections/new/$"))
