"""A 12345 order and a resident's complaint, from intake to closing, in a real browser.

street_staff (山城街道) imports a small 12345 export (upload → check and preview → confirm → result), opens
an imported order on 梅花园 and sends it to the firm; firm_user, on a phone (390 x 844), finds it in 我的待办,
signs for it and answers with a photo; street_staff records the callback (满意) and closes it.

A resident scans 梅花园's plaque: the verification page's 我要投诉 opens the public form (no login); the
thank-you page gives a tracking code; the tracking page (code + last four phone digits) shows 已受理, and,
after street_staff sends the order to the firm, 已派给物业企业.
"""
import datetime
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from complaints.hotline_sample import write_hotline_xlsx
from complaints.models import Complaint, ImportRun, ImportStatus, Source, Status
from ratings.models import PeriodStatus, RatingPeriod, StarRating
from ratings.selectors import plaque_token
from ratings.services.policy import ensure_default_policy

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The public form's rate limits count in a cache of this test's own.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "complaints-journey"}}


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "现场.jpg"
    Image.new("RGB", (640, 480), (70, 130, 90)).save(path, "JPEG")
    return str(path)


@pytest.fixture
def hotline_file(world, tmp_path):
    """Five complaints of the last three days: four on 梅花园, one at a road crossing (no estate: triage)."""
    path = tmp_path / "12345-本周.xlsx"
    estate = type(world.estate_a1).objects.select_related("community__street__district").get(pk=world.estate_a1.pk)
    rows = write_hotline_xlsx(str(path), estates=[estate], count=5, days=3, seed=7, unmatched_share=0.2,
                              end=timezone.localtime().replace(tzinfo=None, microsecond=0) - datetime.timedelta(hours=1))
    assert rows == 5
    return str(path)


@pytest.fixture
def plaque_url(world, live_server):
    period = RatingPeriod.objects.create(district=world.shanting, year=2026, quarter=3,
                                         policy=ensure_default_policy(world.shanting),
                                         status=PeriodStatus.PUBLISHED, published_at=timezone.now())
    rating = StarRating.objects.create(period=period, estate=world.estate_a1, firm=world.firm1, tier=4,
                                       computed_at=timezone.now())
    return f"{live_server.url}/ratings/verify/{rating.pk}/{plaque_token(rating.pk)}/"


def log_out(page):
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def status_of(page):
    return page.get_by_test_id("complaint-status")


def timeline(page) -> list[str]:
    return [t.strip() for t in page.get_by_test_id("timeline").locator("li strong").all_inner_texts()]


def test_import_assign_sign_answer_callback_close(page, live_server, world, log_in, shot, photo, hotline_file):
    log_in(page, "street_staff", world.password)

    # 1. Upload: the whole file is checked, the first rows previewed as the mapping reads them.
    page.goto(f"{live_server.url}/complaints/import/upload/")
    expect(page.get_by_role("heading", name="上传12345工单文件")).to_be_visible()
    page.locator("#id_file").set_input_files(hotline_file)
    shot(page, "e2e-complaints-01-upload")
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_url(re.compile(r"/complaints/import/\d+/$"))
    check = page.get_by_test_id("import-check")
    expect(check).to_contain_text("文件检查通过，尚未导入")
    expect(check).to_contain_text("确认后将新建 5 件工单：4 件已匹配到小区，1 件地址未匹配到小区")
    preview = page.get_by_test_id("import-preview")
    expect(preview.locator("tbody tr")).to_have_count(5)
    expect(preview).to_contain_text("梅花园 (100)")
    expect(preview).to_contain_text("待分拣")
    assert not Complaint.objects.exists()  # nothing before the confirmation
    shot(page, "e2e-complaints-02-preview")

    # 2. Confirm: the result counts, the unmatched one listed for triage.
    page.get_by_test_id("import-confirm").click()
    expect(page.get_by_test_id("import-result")).to_contain_text("导入完成")
    expect(page.get_by_test_id("created-count")).to_have_text("5")
    expect(page.get_by_test_id("duplicate-count")).to_have_text("0")
    expect(page.get_by_test_id("triage-count")).to_have_text("1")
    expect(page.get_by_test_id("triage-rows").locator("tbody tr")).to_have_count(1)
    shot(page, "e2e-complaints-03-result")
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.DONE and run.complaints.count() == 5

    # 3. 我的待办 lists the imported orders placed on an estate (to send to the firm); one on 梅花园 goes.
    page.goto(f"{live_server.url}/complaints/tasks/")
    tasks = page.get_by_test_id("tasks")
    expect(tasks.locator("a")).to_have_count(4)
    order = Complaint.objects.filter(import_run=run, estate=world.estate_a1).order_by("received_at").first()
    tasks.locator("a", has_text=order.number).click()
    page.wait_for_url(re.compile(rf"/complaints/{order.pk}/$"))
    expect(status_of(page)).to_have_text("待派单")
    expect(page.get_by_test_id("content")).to_contain_text("梅花园")
    page.get_by_test_id("submit-assign").click()
    expect(status_of(page)).to_have_text("待企业签收")
    expect(page.get_by_test_id("sign-due")).not_to_have_text("—")
    shot(page, "e2e-complaints-04-assigned")
    log_out(page)

    # 4. The firm, on a phone: 我的待办 → sign for it → answer with a photo.
    page.set_viewport_size(PHONE)
    log_in(page, "firm_user", world.password)
    page.goto(f"{live_server.url}/complaints/tasks/")
    tasks = page.get_by_test_id("tasks")
    expect(tasks).to_contain_text(order.number)
    shot(page, "e2e-complaints-05-firm-tasks-390")
    tasks.locator("a", has_text=order.number).click()
    page.wait_for_url(re.compile(rf"/complaints/{order.pk}/$"))
    page.get_by_test_id("submit-sign").click()
    expect(status_of(page)).to_have_text("办理中")
    answer = page.get_by_test_id("action-answer")
    answer.locator("textarea").fill("已安排保洁人员清理楼道垃圾，并增加每日巡查一次。")
    answer.locator("input[type=file]").set_input_files(photo)
    shot(page, "e2e-complaints-06-firm-answer-390")
    page.get_by_test_id("submit-answer").click()
    expect(status_of(page)).to_have_text("待回访")
    expect(page.get_by_test_id("answer")).to_contain_text("已安排保洁人员清理楼道垃圾")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "e2e-complaints-07-firm-answered-390")
    log_out(page)

    # 5. The street calls back (满意) and closes it.
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "street_staff", world.password)
    page.goto(f"{live_server.url}/complaints/{order.pk}/")
    callback = page.get_by_test_id("action-callback")
    selects = callback.locator("select")
    selects.nth(0).select_option(label="是")   # 联系上投诉人
    selects.nth(1).select_option(label="是")   # 问题已解决
    selects.nth(2).select_option(label="满意")
    callback.locator("textarea").fill("投诉人确认楼道已清理干净。")
    page.get_by_test_id("submit-callback").click()
    expect(status_of(page)).to_have_text("已回访")
    expect(page.get_by_test_id("callback")).to_contain_text("满意")
    page.get_by_test_id("submit-close").click()
    expect(status_of(page)).to_have_text("已办结")
    assert timeline(page) == ["受理", "派单至企业", "签收", "答复", "回访", "办结"]
    shot(page, "e2e-complaints-08-closed")
    order.refresh_from_db()
    assert (order.status, order.satisfaction, order.sign_overdue, order.answer_overdue) == (
        Status.CLOSED, "satisfied", False, False)
    assert order.attachments.count() == 1


def test_resident_complains_from_the_plaque_and_follows_it(page, browser, browser_context_args, live_server,
                                                           world, log_in, shot, plaque_url):
    resident = browser.new_context(**{**browser_context_args, "viewport": PHONE})
    phone = resident.new_page()

    # The plaque's QR code opens the verification page, which offers 我要投诉.
    phone.goto(plaque_url)
    expect(phone.get_by_text("验证通过：该星级标牌真实有效")).to_be_visible()
    phone.get_by_test_id("complain").click()
    expect(phone.get_by_test_id("estate-name")).to_have_text("梅花园")
    phone.get_by_label("投诉类别").select_option(label="环境卫生")
    phone.get_by_label("投诉内容").fill("5号楼楼道里堆了很多装修垃圾，一个多星期没人清理。")
    phone.get_by_label("您的姓名").fill("林晓雯")
    phone.get_by_label("联系电话").fill("13800001234")
    phone.get_by_label("我已阅读并同意上述个人信息处理说明").check()
    shot(phone, "e2e-complaints-09-public-form-390")
    phone.get_by_role("button", name="提交投诉").click()

    # The tracking code, and the tracking page by code + the phone's last four digits.
    code = phone.get_by_test_id("tracking-code")
    expect(code).to_have_text(re.compile(r"^[2-9A-Z]{10}$"))
    tracking_code = code.inner_text().strip()
    complaint = Complaint.objects.get(tracking_code=tracking_code)
    assert (complaint.source, complaint.status, complaint.estate) == (Source.ONLINE, Status.RECEIVED, world.estate_a1)
    shot(phone, "e2e-complaints-10-public-done-390")
    phone.get_by_test_id("track-link").click()
    phone.get_by_label("联系电话后四位").fill("1234")
    phone.get_by_role("button", name="查询").click()
    expect(phone.get_by_test_id("public-status")).to_have_text("已受理，等待街道派单")
    result = phone.get_by_test_id("track-result")
    expect(result).to_contain_text("梅花园")
    expect(result).not_to_contain_text("林晓雯")
    expect(result).not_to_contain_text("13800001234")
    shot(phone, "e2e-complaints-11-public-track-390")

    # The street finds it in 我的待办 and sends it to the firm.
    log_in(page, "street_staff", world.password)
    page.goto(f"{live_server.url}/complaints/tasks/")
    page.get_by_test_id("tasks").locator("a", has_text=complaint.number).click()
    expect(page.get_by_test_id("complaint-status")).to_have_text("待派单")
    expect(page.get_by_test_id("complainant")).to_contain_text("林晓雯")
    page.get_by_test_id("submit-assign").click()
    expect(page.get_by_test_id("complaint-status")).to_have_text("待企业签收")

    # The resident asks again (the page keeps the code, not the phone digits): the order has gone to the firm.
    phone.get_by_label("联系电话后四位").fill("1234")
    phone.get_by_role("button", name="刷新进度").click()
    expect(phone.get_by_test_id("public-status")).to_have_text("已派给物业企业，等待签收")
    done = phone.locator(".public-timeline li .bi-check-circle-fill")
    expect(done).to_have_count(2)  # 已受理, 已派单
    shot(phone, "e2e-complaints-12-public-track-assigned-390")
    resident.close()
