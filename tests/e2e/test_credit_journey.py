"""The credit journey in a real browser: the nightly job marks an order overdue and writes its bad record;
a district officer confirms it from the queue (it is published at once); the firm objects inside its
five-working-day window; the city, one level above the district, upholds the objection; the public page,
open without login, shows the record while confirmed and no longer once it is withdrawn.
The clock is moved with time_machine (it patches the live server too)."""
import datetime
import re

import pytest
import time_machine

from enterprises.models import CreditObjection, CreditStatus
from tests.enterprises.test_credit_records import at, credit_world, overdue_order, record_of  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_district_confirms_firm_objects_city_upholds_public_page_changes(page, live_server, credit_world, log_in,
                                                                          shot):
    w = credit_world
    url = live_server.url
    order = overdue_order(w)  # issued 2025-03-03, deadline 03-10, marked overdue by the job on 03-11
    [record] = record_of(order)
    assert record.status == CreditStatus.NOTIFIED
    public = f"{url}/credit/public/firms/{w.firm1.pk}/"

    with time_machine.travel(at(datetime.date(2025, 3, 12), 9), tick=True):
        # 1. The district officer opens the queue and confirms the record.
        log_in(page, "district_admin", w.password)
        page.goto(f"{url}/credit/queue/")
        queue = page.locator("#to-confirm")
        assert queue.get_by_text(order.number).is_visible()
        shot(page, "e2e-credit-01-queue")
        queue.get_by_role("link", name=re.compile(order.number)).click()
        page.wait_for_url(re.compile(r"/credit/records/\d+/$"))
        assert page.get_by_text("异议期至 2025-03-18").first.is_visible()
        page.get_by_test_id("confirm").click()
        page.wait_for_load_state()
        assert page.get_by_text("信用记录已确认，自今日起公示。").is_visible()
        assert page.get_by_test_id("record-status").inner_text() == "已确认"
        shot(page, "e2e-credit-02-confirmed")
        record.refresh_from_db()
        assert record.status == CreditStatus.CONFIRMED

        # 2. Anyone, without logging in, sees it on the firm's public credit page.
        page.context.clear_cookies()
        page.goto(public)
        assert page.locator("#records").get_by_text(order.number).is_visible()
        assert page.locator("#records").get_by_text("山亭区住房保障服务中心").is_visible()
        shot(page, "e2e-credit-03-public-before")

        # 3. The firm objects inside its window.
        log_in(page, "firm_user", w.password)
        page.goto(f"{url}/credit/records/{record.pk}/")
        page.get_by_role("button", name="提交异议").click()
        page.wait_for_load_state()
        assert page.get_by_text("该字段是必填项").is_visible()  # an empty reason is refused
        assert not CreditObjection.objects.exists()
        page.fill("#id_object_reason", "3 月 9 日已清理楼道杂物并报街道复查，有现场照片为证。")
        page.get_by_role("button", name="提交异议").click()
        page.wait_for_load_state()
        assert page.get_by_text("异议已提交，由上级单位处理。").is_visible()
        shot(page, "e2e-credit-04-objection")

    with time_machine.travel(at(datetime.date(2025, 3, 14), 10), tick=True):
        # 4. The city upholds it, with a reason.
        page.context.clear_cookies()
        log_in(page, "city_admin", w.password)
        page.goto(f"{url}/credit/queue/")
        page.locator("#objections").get_by_role("link", name=re.compile(order.number)).click()
        page.wait_for_url(re.compile(r"/credit/records/\d+/"))
        page.fill("#id_decision", "经街道核实，企业已在期限内整改，逾期标记有误。")
        shot(page, "e2e-credit-05-decide")
        page.get_by_role("button", name="异议成立，撤销记录").click()
        page.wait_for_load_state()
        assert page.get_by_text("异议成立，信用记录已撤销。").is_visible()
        assert page.get_by_test_id("record-status").inner_text() == "已撤销"
        record.refresh_from_db()
        assert record.status == CreditStatus.WITHDRAWN

        # 5. The public page no longer shows it, and its public address is a 404.
        page.context.clear_cookies()
        page.goto(public)
        assert page.locator("#records").get_by_text(order.number).count() == 0
        assert page.get_by_text("没有公示期内的信用记录。").is_visible()
        shot(page, "e2e-credit-06-public-after")
        response = page.goto(f"{url}/credit/public/records/{record.pk}/")
        assert response.status == 404
