"""The bell on a phone (issue 15): a street clerk issues a rectification order through the real service; on a
390 x 844 screen the firm's user sees the bell with one unread notice beside the folded menu, opens the order
from it, and the notice is then read (in the database, and the bell shows no count). Screenshots:
test-results/bell-390-*.png."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Notification
from inspections.services.orders import order_issue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def test_the_firm_sees_the_bell_opens_the_order_from_it_and_the_notice_is_read(page, live_server, world, log_in,
                                                                                 shot):
    now = timezone.now()
    order = order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="3 号楼楼道堆放杂物",
                        deadline=timezone.localdate(now) + datetime.timedelta(days=7), now=now)
    notice = Notification.objects.get(user=world.users["firm_user"])
    assert notice.read_at is None

    page.set_viewport_size(PHONE)
    log_in(page, "firm_user", world.password)
    bell = page.get_by_test_id("notification-bell")
    expect(bell).to_be_visible()
    expect(page.get_by_test_id("unread-count")).to_have_text("1条未读")
    area = bell.bounding_box()
    assert area["x"] + area["width"] <= PHONE["width"] and area["y"] < 80  # in sight, not in the folded menu
    assert not page.get_by_test_id("logout").is_visible()
    shot(page, "bell-390-unread")

    bell.click()
    page.wait_for_url(live_server.url + reverse("accounts:notifications"))
    link = page.get_by_role("link", name=f"新的整改通知 {order.number}")
    expect(link).to_be_visible()
    shot(page, "bell-390-list")
    link.click()
    page.wait_for_url(live_server.url + reverse("inspections:order_detail", args=[order.pk]))
    expect(page.get_by_text(order.number).first).to_be_visible()
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    shot(page, "bell-390-order")

    notice.refresh_from_db()
    assert notice.read_at is not None
    # Back on the list, the notice is no longer marked unread.
    page.goto(live_server.url + reverse("accounts:notifications"))
    expect(page.locator(".list-group-item-warning")).to_have_count(0)
