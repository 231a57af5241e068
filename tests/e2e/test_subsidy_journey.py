"""The subsidy journey in a real browser: a generated batch is checked by the district office, approved
(with its Excel payout list downloaded), disbursed to the streets, passed on by a street to its firm,
and the firm sees its money."""
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from subsidies.models import BatchStatus, PassOn
from tests.subsidies._pages import GRAND_TOTAL, build_batches
from tests.subsidies.conftest import sub_world  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def grand_total_of(path) -> Decimal:
    ws = openpyxl.load_workbook(io.BytesIO(Path(path).read_bytes())).active  # the download has no extension
    for row in ws.iter_rows(values_only=True):
        if row[0] == "合计":
            return Decimal(str(row[6])).quantize(Decimal("0.01"))
    raise AssertionError("no 合计 row")


def switch_user(page, log_in, world, username):
    page.context.clear_cookies()
    log_in(page, username, world.password)


def test_batch_goes_from_generated_to_the_firm(page, live_server, sub_world, log_in, shot):
    # A tight budget, so the batch is flagged: 7,925.93 > 5,000.00.
    sub_world.policy.yearly_budget = Decimal("5000.00")
    sub_world.policy.save()
    w = build_batches(sub_world)  # published 2024 Q4 ratings; 山亭区 March 2025 generated through the services
    assert w.batch.over_budget
    batch = w.batch
    detail = f"{live_server.url}/subsidies/batches/{batch.pk}/"
    today = timezone.localdate().isoformat()

    # District staff: find the batch in the list and check it.
    log_in(page, "district_staff", w.password)
    page.goto(f"{live_server.url}/subsidies/batches/")
    row = page.locator("[data-testid=batch-row]", has_text="山亭区")
    assert "7,925.93" in row.inner_text()
    shot(page, "e2e-subsidy-01-batch-list")
    row.get_by_role("link", name="2025-03", exact=True).click()
    page.wait_for_url(detail)
    assert page.get_by_test_id("batch-total").inner_text() == "7,925.93"
    page.locator("[data-testid=action-check]").get_by_role("textbox").fill("面积与星级已核对")
    page.get_by_role("button", name="审核通过").click()
    page.wait_for_url(detail)
    assert page.get_by_test_id("batch-status").first.inner_text() == "已审核"
    shot(page, "e2e-subsidy-02-checked")

    # District admin: approve, download the payout list, disburse to the streets.
    switch_user(page, log_in, w, "district_admin")
    page.goto(detail)
    assert "超出年度预算 5,000.00 元" in page.get_by_test_id("over-budget-alert").inner_text()
    # Approving without the override reason is refused with the service's message...
    page.get_by_role("button", name="批准").click()
    assert page.get_by_text("如确需批准，请填写超预算理由").first.is_visible()
    assert page.get_by_test_id("batch-status").first.inner_text() == "已审核"
    shot(page, "e2e-subsidy-03a-over-budget-refused")
    # ...and accepted with one.
    page.get_by_label("超预算批准理由").fill("区政府常务会议同意追加预算")
    page.get_by_role("button", name="批准").click()
    page.wait_for_url(detail)
    assert page.get_by_test_id("batch-status").first.inner_text() == "已批准"
    with page.expect_download() as download:
        page.get_by_test_id("export-link").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert grand_total_of(download.value.path()) == GRAND_TOTAL == Decimal("7925.93")
    disburse = page.locator("[data-testid=action-disburse]")
    disburse.get_by_label("拨付日期").fill(today)
    disburse.get_by_label("拨付凭证号").fill("ST-2025-03")
    shot(page, "e2e-subsidy-03-approved")
    page.get_by_role("button", name="登记拨付到街道").click()
    page.wait_for_url(detail)
    assert page.get_by_test_id("batch-status").first.inner_text() == "已拨付街道"
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "已审核 → 已批准" in timeline and "ST-2025-03" in timeline
    shot(page, "e2e-subsidy-04-disbursed")
    page.get_by_role("link", name="明细核对").click()
    page.wait_for_url(re.compile(r"/lines/$"))
    assert page.get_by_test_id("line-row").count() == 4
    assert page.get_by_test_id("lines-total").inner_text() == "7,925.93"
    shot(page, "e2e-subsidy-04a-lines")

    # Street staff of 山城街道: only its own street, and the pass-on to firm 甲.
    switch_user(page, log_in, w, "street_staff")
    page.goto(detail)
    assert page.get_by_test_id("batch-total").inner_text() == "5,925.92"
    assert "北庄" not in page.locator("main").inner_text()
    form = page.get_by_test_id("pass-on-form")
    assert form.count() == 1
    form.get_by_label("拨付日期").fill(today)
    form.get_by_label("凭证号").fill("SC-2025-03-01")
    form.get_by_role("button", name="登记拨付企业").click()
    page.wait_for_url(detail)
    assert page.get_by_text("已登记拨付山亭甲物业服务有限公司 5,925.92 元").is_visible()
    record = PassOn.objects.get()
    assert (record.firm, record.amount, record.voucher) == (w.firm1, Decimal("5925.92"), "SC-2025-03-01")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DISBURSED  # 北庄街道 has yet to record its own
    shot(page, "e2e-subsidy-05-passed-on")

    # Firm 甲 sees its lines and the money passed on.
    switch_user(page, log_in, w, "firm_user")
    page.get_by_test_id("main-menu").get_by_role("link", name="我的补贴", exact=True).click()  # a top-level entry
    page.wait_for_url(re.compile(r"/subsidies/mine/$"))
    line = page.locator("[data-testid=my-line]", has_text="梅花园")
    assert line.get_by_test_id("my-line-amount").inner_text() == "3,703.70"
    assert page.get_by_test_id("month-total").first.inner_text() == "5,925.92"
    assert "SC-2025-03-01" in page.get_by_test_id("by-month").inner_text()
    assert "北庄花园" not in page.locator("main").inner_text()
    shot(page, "e2e-subsidy-06-firm-mine")

    # The other firm gets 404 on nothing of firm 甲 and sees none of its lines.
    switch_user(page, log_in, w, "firm_user2")
    page.goto(f"{live_server.url}/subsidies/batches/{batch.pk}/lines/")
    assert "梅花园" not in page.locator("main").inner_text()
    response = page.goto(f"{live_server.url}/subsidies/lines/{w.line_a1.pk}/adjust/")
    assert response.status == 404
