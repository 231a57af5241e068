"""The header in a real browser (issue 15, navigation by role): on one line at 1280 px for every persona,
and on a 390 px phone the bell stays in sight beside the folded menu. Screenshots: test-results/menu-*.png."""
import pytest

from accounts.services import notify
from tests.conftest import PERSONAS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def box(page, testid):
    return page.get_by_test_id(testid).bounding_box()


def same_line(a, b) -> bool:
    """b's vertical centre lies within a's height."""
    centre = b["y"] + b["height"] / 2
    return a["y"] <= centre <= a["y"] + a["height"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_header_holds_on_one_line_at_1280(page, live_server, world, log_in, shot, persona):
    notify(users=[world.users[persona]], key="menu-e2e", title="一条新通知")
    page.set_viewport_size(DESKTOP)
    log_in(page, persona, world.password)
    brand = box(page, "brand")
    assert same_line(brand, box(page, "logout")), "退出 wrapped below the brand"
    assert same_line(brand, box(page, "notification-bell"))
    entries = page.locator("[data-menu-entry] > .nav-link")
    assert entries.count() >= 4
    for i in range(entries.count()):
        assert same_line(brand, entries.nth(i).bounding_box()), entries.nth(i).inner_text()
        assert entries.nth(i).bounding_box()["height"] < 50  # a label on one line
    assert page.locator("nav.portal-nav").bounding_box()["height"] < 70
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, f"menu-1280-{persona}")


@pytest.mark.parametrize("persona,entry", [("city_admin", "全市"), ("district_admin", "统计"),
                                           ("street_staff", "待办"), ("firm_user", "本企业")])
def test_a_dropdown_opens_within_the_window(page, live_server, world, log_in, shot, persona, entry):
    page.set_viewport_size(DESKTOP)
    log_in(page, persona, world.password)
    page.get_by_test_id("main-menu").get_by_role("button", name=entry).click()
    menu = page.locator(".dropdown-menu.show")
    menu.wait_for()
    area = menu.bounding_box()
    assert area["x"] >= 0 and area["x"] + area["width"] <= DESKTOP["width"]
    assert area["y"] + area["height"] <= DESKTOP["height"]
    shot(page, f"menu-1280-{persona}-open")


@pytest.mark.parametrize("persona", ["firm_user", "street_staff", "district_admin", "city_admin"])
def test_the_bell_stays_in_sight_on_a_phone(page, live_server, world, log_in, shot, persona):
    notify(users=[world.users[persona]], key="menu-e2e", title="一条新通知", url="/")
    page.set_viewport_size(PHONE)
    log_in(page, persona, world.password)
    bell = page.get_by_test_id("notification-bell")
    assert bell.is_visible()
    assert page.get_by_test_id("unread-count").inner_text().startswith("1")
    area = bell.bounding_box()
    assert area["x"] >= 0 and area["x"] + area["width"] <= PHONE["width"] and area["y"] < 80
    assert same_line(box(page, "brand"), area)
    assert not page.get_by_test_id("logout").is_visible()  # the menu is folded
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, f"menu-390-{persona}")

    page.locator(".navbar-toggler").click()
    page.locator("#mainnav.collapse.show").wait_for()  # unfolded, the transition over
    assert page.get_by_test_id("logout").is_visible()
    assert bell.is_visible()
    shot(page, f"menu-390-{persona}-open")

    bell.click()
    page.wait_for_url(f"{live_server.url}/accounts/notifications/")
    assert page.get_by_text("一条新通知").is_visible()
