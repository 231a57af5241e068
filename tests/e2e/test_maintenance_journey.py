"""The maintenance-fund journey in a real browser: a street clerk opens the form of an old lift estate and sees
its cap before filling anything, is refused at 80 yuan/㎡, gets 300,000.00 + 300,000.00 at 75 and submits; the
district staff review it, the district admin approves and disburses it; the year's totals show the money."""
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from maintenance.models import ApplicationStatus, FundApplication
from tests.maintenance.conftest import mw  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def switch_user(page, log_in, world, username):
    page.context.clear_cookies()
    log_in(page, username, world.password)


def test_an_application_goes_from_the_street_to_the_totals(page, live_server, mw, log_in, shot):  # noqa: F811
    w = mw
    year = timezone.localdate().year

    # Street staff of 山城街道: from the menu to the estate, whose rules are shown before the form is filled.
    log_in(page, "street_staff", w.password)
    page.get_by_test_id("main-menu").get_by_role("button", name="评定意见").click()
    page.locator(".dropdown-menu.show").get_by_role("link", name="老旧小区维修资金").click()
    page.wait_for_url(f"{live_server.url}/maintenance/")
    page.get_by_test_id("apply-link").click()
    page.wait_for_url(f"{live_server.url}/maintenance/new/")
    row = page.locator("[data-testid=estate-row]", has_text="建设新村")
    assert "75.00" in row.inner_text()
    shot(page, "e2e-maintenance-01-estates")
    row.get_by_role("link", name="申请建设新村维修资金").click()
    page.wait_for_url(re.compile(r"/maintenance/new/\d+/$"))
    eligibility = page.get_by_test_id("eligibility")
    assert "老旧小区（2004 年底前含当年建成）" in eligibility.get_by_test_id("old-estate").inner_text()
    assert eligibility.get_by_test_id("cap").inner_text() == "电梯房不高于 75.00 元/㎡，非电梯房不高于 55.00 元/㎡"
    assert page.get_by_label("电梯房").is_checked()
    shot(page, "e2e-maintenance-02-rules-before-the-form")

    page.get_by_label("归集单位").select_option(label="业主委员会")
    page.get_by_label("维修项目").fill("屋面防水\n电梯更新\n楼道照明")
    page.get_by_label("申请面积（㎡）").fill("4000")
    page.get_by_label("交存标准（元/㎡）").fill("80")
    page.get_by_role("button", name="核算金额").click()
    page.get_by_text("交存标准 80.00 元/㎡ 超过电梯房上限 75.00 元/㎡。").wait_for()
    assert page.get_by_role("button", name="确认提交").count() == 0
    shot(page, "e2e-maintenance-03-over-the-cap")
    page.get_by_label("交存标准（元/㎡）").fill("75")
    page.get_by_role("button", name="核算金额").click()
    page.get_by_test_id("quote").wait_for()
    assert page.get_by_test_id("quote-granted").inner_text() == "300,000.00"
    assert page.get_by_test_id("quote-matched").inner_text() == "300,000.00"
    assert page.get_by_test_id("quote-total").inner_text() == "600,000.00"
    assert not FundApplication.objects.exists()  # shown, not yet submitted
    shot(page, "e2e-maintenance-04-quote")
    page.get_by_role("button", name="确认提交").click()
    page.wait_for_url(re.compile(r"/maintenance/\d+/$"))
    app = FundApplication.objects.get()
    detail = f"{live_server.url}/maintenance/{app.pk}/"
    assert page.url == detail
    assert page.get_by_test_id("application-status").first.inner_text() == "已提交"
    assert page.get_by_test_id("granted").inner_text() == "300,000.00"
    assert page.get_by_test_id("matched").inner_text() == "300,000.00"

    # District staff: the application is in the list; review it with a comment.
    switch_user(page, log_in, w, "district_staff")
    page.goto(f"{live_server.url}/maintenance/")
    page.locator("[data-testid=application-row]", has_text="建设新村").get_by_role("link", name="建设新村").click()
    page.wait_for_url(detail)
    page.get_by_test_id("action-review").get_by_label("意见").fill("面积与电梯楼栋已核对")
    page.get_by_role("button", name="审核通过").click()
    page.wait_for_url(detail)
    assert page.get_by_test_id("application-status").first.inner_text() == "已审核"
    assert page.get_by_role("button", name="批准").count() == 0  # approval is the administrator's
    shot(page, "e2e-maintenance-05-reviewed")

    # District admin: approve, then disburse.
    switch_user(page, log_in, w, "district_admin")
    page.goto(detail)
    page.get_by_role("button", name="批准").click()
    page.wait_for_url(detail)
    assert page.get_by_test_id("application-status").first.inner_text() == "已批准"
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "已提交 → 已审核" in timeline and "面积与电梯楼栋已核对" in timeline and "已审核 → 已批准" in timeline
    shot(page, "e2e-maintenance-06-approved")

    # The year's totals: committed, not yet disbursed.
    page.goto(f"{live_server.url}/maintenance/")
    page.get_by_test_id("totals-link").click()
    page.wait_for_url(f"{live_server.url}/maintenance/totals/")
    district = page.locator("[data-testid=district-row]", has_text="山亭区")
    assert district.get_by_test_id("district-granted").inner_text() == "300,000.00"
    assert district.get_by_test_id("district-matched").inner_text() == "300,000.00"
    assert district.get_by_test_id("district-total").inner_text() == "600,000.00"
    assert district.get_by_test_id("district-disbursed").inner_text() == "0.00"
    assert f"{year} 年度" in page.locator("h1").inner_text()
    shot(page, "e2e-maintenance-07-totals")

    page.goto(detail)
    disburse = page.get_by_test_id("action-disburse")
    disburse.get_by_label("拨付日期").fill(timezone.localdate().isoformat())
    disburse.get_by_label("拨付凭证号").fill("WX-2025-001")
    page.get_by_role("button", name="登记拨付").click()
    page.wait_for_url(detail)
    assert page.get_by_test_id("application-status").first.inner_text() == "已拨付"
    page.goto(f"{live_server.url}/maintenance/totals/")
    district = page.locator("[data-testid=district-row]", has_text="山亭区")
    assert district.get_by_test_id("district-disbursed").inner_text() == "600,000.00"
    shot(page, "e2e-maintenance-08-disbursed")
    app.refresh_from_db()
    assert (app.status, app.granted, app.matched) == (ApplicationStatus.DISBURSED, Decimal("300000.00"),
                                                      Decimal("300000.00"))
    assert list(app.events.values_list("actor__username", flat=True)) == [
        "street_staff", "district_staff", "district_admin", "district_admin"]
