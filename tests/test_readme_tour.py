"""The README's tour, walked step by step on the day the demo is seeded.

`seed_demo` dates everything from the day it runs (demo/dates.py), so the tour must be true on any day: the
walk runs on three days chosen for their edges (New Year's Eve, the first working day of a year four days
after a quarter ended, the day after a quarter ended in mid-year). On each, as each demo account, it opens
the pages the README names, does what the README tells the reader to do, and checks what the README says
they will see. The README's own words are read too (`says`): a figure the README quotes is asserted both in
README.md and on the page, so the test fails when either one changes alone.
"""
from __future__ import annotations

import datetime
import html as htmllib
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.models import Notification, User
from communities.models import Estate, Street
from complaints.models import Complaint, ImportMapping, ImportRun, ImportStatus, Source, Status
from enterprises.models import BlacklistEntry, CreditObjection, Firm
from inspections.models import Inspection, OrderStatus, RectificationOrder
from ratings.models import Application, RatingPeriod, StarRating
from ratings.selectors import plaque_ratings, plaque_token
from subsidies.models import BatchStatus, PassOn, PayoutBatch

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "Demo-2026-portal"
README = re.sub(r"\s+", " ", (Path(django_settings.BASE_DIR) / "README.md").read_text(encoding="utf-8"))
# The days the tour is walked on (at 09:30): New Year's Eve (2026Q4 not over: 2026Q3 is the rated quarter),
# the first Monday of 2027 (2026Q4 over four days ago, its run day still ahead: 2026Q3 again), and the first
# day of 2027Q3 (2027Q1 rated, its batch 2027-04).
TOUR_DAYS = ["2026-12-31", "2027-01-04", "2027-07-01"]


def says(*phrases: str) -> None:
    """The README says each phrase (whitespace as in the README, collapsed)."""
    for phrase in phrases:
        assert re.sub(r"\s+", " ", phrase) in README, f"README no longer says: {phrase}"


def text_of(markup: str) -> str:
    markup = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", " ", markup)
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def jpeg(name="现场照片.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 90)).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


class Walker:
    """One demo account's browser: `page` opens an address and returns its text (200 expected)."""

    def __init__(self, username: str | None):
        self.client = Client()
        self.user = User.objects.get(username=username) if username else None
        if username:
            response = self.client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
            assert response.status_code == 302, f"{username} cannot log in with the README's password"

    def get(self, url, **params):
        return self.client.get(url, params)

    def page(self, url, **params) -> str:
        response = self.client.get(url, params)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        return text_of(response.content.decode())

    def post(self, url, data=None, expect=302):
        response = self.client.post(url, data or {})
        assert response.status_code == expect, (url, response.status_code, text_of(response.content.decode())[:3000]
                                                if response.status_code == 200 else "")
        return response


@pytest.fixture(params=TOUR_DAYS)
def tour(request, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"tour-{request.param}"}}
    moment = datetime.datetime.combine(datetime.date.fromisoformat(request.param), datetime.time(9, 30),
                                       tzinfo=TZ)
    with time_machine.travel(moment, tick=True):
        call_command("seed_demo", verbosity=0)
        from demo.dates import demo_dates

        yield demo_dates(moment)
    caches["default"].clear()


def test_the_readme_tour_is_true_on_the_day_the_demo_is_seeded(tour):
    dates = tour
    rated = dates.rated
    period = RatingPeriod.objects.get()
    assert (period.year, period.quarter) == (rated.year, rated.quarter)
    batch = PayoutBatch.objects.get()

    street_staff_tour(dates)
    firm_user_tour(dates)
    district_staff_tour(dates, batch)
    district_admin_tour(dates, batch, period)
    pass_on_tour(dates, batch)
    public_and_scope_tour(dates)
    complaints_tour(dates)
    credit_tour(dates)


# --- "A short tour" ---------------------------------------------------------------------------------------

def street_staff_tour(dates):
    says("首页 shows coverage 48.8 % (20 of 41 estates managed, target 100 %) and committee formation 68.3 % "
         "(22 filed + 6 stand-in committees; target ≥ 80 %)")
    me = Walker("street_staff")
    home = me.page("/")
    assert "物业管理覆盖率 48.8% 20 / 41 个小区" in home
    assert "业委会组建率 68.3%" in home and "已备案业委会 22 + 物业管理委员会代行 6 28 / 41 个小区" in home
    assert "目标 ≥ 100%" in home and "目标 ≥ 80%" in home

    says("小区 lists the 41 estates (filter, sort, Excel export, 新增小区, 导入 with a downloadable template)")
    estates = me.page(reverse("communities:estate_list"))
    assert "共 41 个" in estates and "导出 Excel" in estates and "新增小区" in estates and "导入" in estates
    export = me.get(reverse("communities:estate_list"), export="xlsx")
    assert export.status_code == 200 and openpyxl.load_workbook(io.BytesIO(export.content)).active.max_row == 42
    assert me.get(reverse("communities:estate_import_template")).status_code == 200
    assert me.page(reverse("communities:estate_list"), sort="-name", management_mode="none").count("无人管理") >= 21

    says("梅花园 shows its committee, contract, history, the rated quarter's two inspections with the score trend "
         "(ECharts) and its open order.")
    meihua = Estate.objects.get(name="梅花园")
    detail = me.page(reverse("communities:estate_detail", args=[meihua.pk]))
    assert "业主委员会 已备案" in detail and "物业服务合同 山亭区梅岭物业服务有限公司 履行中" in detail
    assert "更新时间" in detail
    for day in dates.rated.inspection_days:
        assert f"{day:%Y-%m-%d} 日常检查" in detail
    assert "得分趋势" in detail and "1 份整改未结" in detail

    says("检查 › 检查记录 → 新建检查 opens the scoring form", "with this year's rubric;")
    start = reverse("inspections:inspection_create", args=[meihua.pk])
    assert f"{dates.today.year} 年度物业服务评分细则" in me.page(start)
    response = me.post(start, {"kind": "regular", "date": dates.today.isoformat(), "inspectors": "街道物业办检查组"})
    scoring = me.page(response.url)
    draft = Inspection.objects.filter(estate=meihua, date=dates.today).get()
    assert draft.rubric.year == dates.today.year and draft.scores.count() > 20
    assert "基础管理" in scoring

    says("检查计划进度 shows the current quarter's plan")
    quarter = (dates.today.month - 1) // 3 + 1
    assert f"检查计划进度 · {dates.today.year}Q{quarter}" in me.page(reverse("inspections:progress"))

    says("整改通知 lists the orders (the answered one at 锦绣花园 waits for 验收/退回)")
    orders = me.page(reverse("inspections:order_list"))
    answered = RectificationOrder.objects.get(estate__name="锦绣花园", status=OrderStatus.ANSWERED)
    assert f"{answered.number} 锦绣花园" in orders and "已回复待验收" in orders
    order_page = me.page(reverse("inspections:order_detail", args=[answered.pk]))
    assert "验收" in order_page and "退回" in order_page

    says("评定意见 › 意见及满意度得分 enters the components of a quarter.")
    assert "意见" in me.page(reverse("ratings:score_entry"))


def firm_user_tour(dates):
    says("**firm_user (梅岭物业)**: the bell shows its new order at 梅花园; it answers it with photos;")
    me = Walker("firm_user")
    order = RectificationOrder.objects.get(estate__name="梅花园", status=OrderStatus.ISSUED)
    notice = Notification.objects.get(user=me.user, url=reverse("inspections:order_detail", args=[order.pk]))
    assert notice.read_at is None and order.number in notice.title
    unread = Notification.objects.filter(user=me.user, read_at__isnull=True).count()
    assert f"{unread} 条未读" in me.page("/")  # the bell's count, the order's notice among them
    me.client.post(reverse("inspections:order_action", args=[order.pk, "answer"]),
                   {"answer": "已清理楼道杂物，张贴消防提示", "photos": [jpeg()]})
    order.refresh_from_db()
    assert order.status == OrderStatus.ANSWERED and order.photos.filter(side="answer").count() == 1

    says("applies for star rating (星级申报 › 申报星级评定: the page says 山亭区's window is open today; choose this "
         "year and 湖畔雅居 of 翠湖街道, which has no application yet)")
    form = me.page(reverse("ratings:application_submit"))
    assert f"山亭区：{dates.today.year} 年度申报期 {dates.today.year}-01-01 — {dates.today.year}-12-31， 今天开放中" in form
    huipan = Estate.objects.get(name="湖畔雅居")
    assert not Application.objects.filter(estate=huipan).exists()
    firm = Firm.objects.get(name="山亭区梅岭物业服务有限公司")
    me.post(reverse("ratings:application_submit"), {"firm": firm.pk, "year": dates.today.year,
                                                    "estates": [huipan.pk], "statement": "申报星级评定"})
    assert Application.objects.get(estate=huipan).year == dates.today.year

    says("sees 我的星级 (梅花园 and 樱花园 ★★★★★, 桂花园 ★★★ in the rated quarter, each with the printable plaque "
         "and its QR code) and 我的补贴 (its estates' lines of the batch).")
    label = dates.rated.label
    mine = me.page(reverse("ratings:my_ratings"))
    for name, stars in (("梅花园", "★★★★★"), ("樱花园", "★★★★★"), ("桂花园", "★★★")):
        assert f"{name} {stars} {label} · 星级标牌" in mine, name
        rating = plaque_ratings().get(estate__name=name)
        plaque = me.get(reverse("ratings:plaque", args=[rating.pk])).content.decode()
        assert name in text_of(plaque) and stars in text_of(plaque), name
        assert re.search(r'<div class="qr">\s*<svg', plaque) and "扫码验证真伪" in plaque  # the QR code
    subsidy = me.page(reverse("subsidies:mine"))
    assert f"{dates.batch_month:%Y-%m} 山亭区" in subsidy and "梅花园" in subsidy


def district_staff_tour(dates, batch):
    says("**district_staff (山亭区)**: 补贴 → the 山亭区 batch: the 服务月份 panel shows the rated quarter's three "
         "months settled (and the month after it deferred); 明细 lists each line's service month; → 审核通过.")
    me = Walker("district_staff")
    assert f"{batch.month:%Y-%m}" in me.page(reverse("subsidies:batch_list"))
    detail = me.page(reverse("subsidies:batch_detail", args=[batch.pk]))
    settled = " ".join(f"{m:%Y-%m}" for m in dates.rated.months)
    assert f"本批次结算 {settled}" in detail
    for month in dates.deferred_months:
        assert f"顺延 {month:%Y-%m}" in detail
    assert dates.deferred_months == ([dates.batch_month] if dates.batch_by_job else [])
    lines = me.page(reverse("subsidies:batch_lines", args=[batch.pk]))
    for month in dates.rated.months:
        assert f"{month:%Y-%m}" in lines
    me.post(reverse("subsidies:batch_transition", args=[batch.pk]), {"action": "check", "comment": "面积与星级已核对"})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CHECKED


def district_admin_tour(dates, batch, period):
    says("**district_admin (山亭区)**: 批准 the checked batch (an over-budget batch needs a written reason), "
         "登记拨付到街道, and 导出拨付清单 (Excel, subtotals per street and a grand total).")
    me = Walker("district_admin")
    transition = reverse("subsidies:batch_transition", args=[batch.pk])
    me.post(transition, {"action": "approve", "comment": "同意拨付"})
    me.post(transition, {"action": "disburse", "disbursed_on": dates.today.isoformat(), "voucher": "ST-DEMO-01"})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DISBURSED
    sheet = openpyxl.load_workbook(io.BytesIO(me.get(reverse("subsidies:batch_export", args=[batch.pk])).content)).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    labels = [str(c) for row in rows for c in row if isinstance(c, str)]
    assert any("小计" in c for c in labels) and any(c.startswith("合计") for c in labels)

    says("评定 › 评定期与结果: the rated quarter is 已公布, with its 公示期 and each estate's breakdown; a published "
         "result is corrected (更正) only as a new version with a reason, the first one staying visible.")
    r = dates.rated
    detail = me.page(reverse("ratings:period_detail", args=[period.pk]))
    assert f"{r.year} 年第 {r.quarter} 季度星级评定结果 已公布" in detail
    assert f"公示期：{r.announce_day} 至 {r.appeal_deadline}" in detail
    assert f"申诉截止：{r.appeal_deadline} 公布时间：{r.publish_day} 10:00" in detail
    assert "检查平均分 意见得分 满意度得分 综合得分" in detail
    rating = StarRating.objects.get(period=period, estate__name="欧亚城")
    me.post(reverse("ratings:rating_correct", args=[rating.pk]),
            {"tier": max(rating.tier - 1, 1), "reason": "复核发现一次检查漏记扣分"})
    versions = StarRating.objects.filter(period=period, estate__name="欧亚城").order_by("version")
    assert [v.version for v in versions] == [1, 2]
    corrected = me.page(reverse("ratings:rating_detail", args=[versions[1].pk]))
    assert "复核发现一次检查漏记扣分" in corrected

    says("政策: the rubric of each year (versions, activation only at exactly 100 points, Excel import/export), "
         "the rating policy (weights, thresholds, windows) and the subsidy policy")
    rubrics = me.page(reverse("inspections:rubric_list"))
    for year in dates.rubric_years:
        assert f"{year} 年度物业服务评分细则" in rubrics
    policies = me.page(reverse("ratings:policy_list"))
    assert f"{dates.programme_start}" in policies and "01-01" in policies and "12-31" in policies
    assert f"{dates.subsidy_start:%Y-%m}" in me.page(reverse("subsidies:policy_list"))


def pass_on_tour(dates, batch):
    says("**street_staff** again: records the pass-on of the disbursed batch to each firm of its street.")
    me = Walker("street_staff")
    street = Street.objects.get(name="山城街道")
    firms = sorted({fid for fid in batch.lines.filter(street=street, amount__gt=0).values_list("firm_id", flat=True)})
    assert len(firms) >= 5
    for n, firm_id in enumerate(firms, start=1):
        me.post(reverse("subsidies:pass_on_record", args=[batch.pk]),
                {"street_id": street.pk, "firm_id": firm_id, "paid_on": dates.today.isoformat(),
                 "voucher": f"SC-DEMO-{n:02d}"})
    assert PassOn.objects.filter(batch=batch, street=street).count() == len(firms)


def public_and_scope_tour(dates):
    says("**Anyone, no login**: `/ratings/public/` (published stars) and `/ratings/public/blacklist/`; "
         "`/credit/public/`", "`/credit/public/blacklist/`")
    anyone = Walker(None)
    stars = anyone.page(reverse("ratings:public_list"))
    assert f"{dates.rated.year} 年第 {dates.rated.quarter} 季度" in stars and "梅花园 ★★★★★" in stars
    anyone.page(reverse("ratings:public_blacklist"))
    assert "山亭区梅岭物业服务有限公司" in anyone.page(reverse("enterprises:public_credit"))
    assert "山亭区银杉物业服务有限公司" in anyone.page(reverse("enterprises:public_blacklist"))

    says("the same pages show only their own scope; the address of anything outside it is a 404, not a 403.")
    meihua = reverse("communities:estate_detail", args=[Estate.objects.get(name="梅花园").pk])
    assert Walker("street_staff2").get(meihua).status_code == 404
    assert Walker("gc_district_admin").get(meihua).status_code == 404
    clerk = Walker("community_clerk")
    assert clerk.get(meihua).status_code == 200
    assert f"共 {Estate.objects.filter(community__name='梅园社区').count()} 个" in clerk.page(
        reverse("communities:estate_list"))

    says("**city_admin**: every district; `/admin/` for raw data keeping (only city administrators may enter it).")
    city = Walker("city_admin")
    assert city.get("/admin/").status_code == 200
    assert f"共 {Estate.objects.count()} 个" in city.page(reverse("communities:estate_list"))
    assert Walker("district_admin").get("/admin/").status_code != 200


# --- "投诉处理 / Complaints" -------------------------------------------------------------------------------

def complaints_tour(dates):
    says("**street_staff (山城街道)**: 待办 › 投诉待办 lists what waits on the street, nearest deadline first: an "
         "extension to decide (延期待审批), answers to call back (待回访; one marked 重大 and 督办, one 提请督办), a "
         "returned order and a new one to send to the firm (待派单), a callback to close (待办结).")
    me = Walker("street_staff")
    tasks = me.page(reverse("complaints:tasks"))
    assert "我的待办 7 件" in tasks
    for label in ("延期待审批", "待回访 重大 督办", "待回访 提请督办", "已退单", "待派单", "待办结"):
        assert label in tasks, label

    says("12345 导入 → 上传文件: choose `var/demo-12345-week.xlsx`", "→ 确认导入: 12 新建工单, 0 已导入过, 1 进入待分拣 "
         "(the same file again skips all 12).")
    week = Path(django_settings.VAR_DIR) / "demo-12345-week.xlsx"
    street = Street.objects.get(name="山城街道")
    mapping = ImportMapping.objects.get(district=street.district, name="12345 热线标准导出")

    def upload():
        me.post(reverse("complaints:import_upload"), {
            "street": street.pk, "mapping": mapping.pk,
            "file": SimpleUploadedFile(week.name, week.read_bytes())})
        run = ImportRun.objects.latest("pk")
        me.post(reverse("complaints:import_confirm", args=[run.pk]))
        run.refresh_from_db()
        return run

    first = upload()
    assert (first.status, first.created_count, first.duplicate_count, first.triage_count) == (
        ImportStatus.DONE, 12, 0, 1)
    again = upload()
    assert (again.created_count, again.duplicate_count) == (0, 12)

    says("待分拣 places an unmatched address on an estate (确定小区).")
    unmatched = Complaint.objects.filter(import_run=first, estate__isnull=True).get()
    meihua = Estate.objects.get(name="梅花园")
    me.post(reverse("complaints:act", args=[unmatched.pk, "match"]), {"match-estate": meihua.pk})
    unmatched.refresh_from_db()
    assert unmatched.estate == meihua

    says("On an order: 派单至企业 starts the firm's sign-for clock; on an answered one, 回访 (联系上投诉人, 问题已解决, "
         "满意度) and then 办结")
    new = Complaint.objects.get(title="外来车辆占用业主车位")
    me.post(reverse("complaints:act", args=[new.pk, "assign"]), {"assign-comment": ""})
    new.refresh_from_db()
    assert new.status == Status.ASSIGNED and new.sign_due_at is not None
    answered = Complaint.objects.get(title="客服态度恶劣推诿报修")
    me.post(reverse("complaints:act", args=[answered.pk, "callback"]), {
        "callback-contacted": "true", "callback-solved": "true", "callback-satisfaction": "satisfied",
        "callback-comment": "投诉人表示满意"})
    me.post(reverse("complaints:act", args=[answered.pk, "close"]), {"close-comment": ""})
    answered.refresh_from_db()
    assert answered.status == Status.CLOSED

    says("办理情况统计 shows 处理率, 及时签收率, 按时办结率, 解决率, 满意率, 重办次数 and 平均办结天数")
    rates = me.page(reverse("complaints:rates"))
    for label in ("处理率", "及时签收率", "按时办结率", "解决率", "满意率", "重办次数", "平均办结天数"):
        assert label in rates

    says("**firm_user (梅岭物业), on a phone**: 待办 › 投诉待办: an order to sign for (待签收), a late answer "
         "(小区路灯不亮, 已超时) and a reopened one (顶楼漏水, 重办 1).")
    firm = Walker("firm_user")
    mine = firm.page(reverse("complaints:tasks"))
    assert "待签收" in mine and re.search(r"已超时 .*小区路灯不亮", mine) and "重办 1" in mine and "顶楼漏水" in mine
    to_sign = Complaint.objects.get(title="绿化带里有死老鼠气味难闻")
    firm.post(reverse("complaints:act", args=[to_sign.pk, "sign"]))
    firm.client.post(reverse("complaints:act", args=[to_sign.pk, "answer"]), {
        "answer-answer": "已清理死老鼠并对绿化带消杀", "answer-photos": [jpeg()]})
    to_sign.refresh_from_db()
    assert to_sign.status == Status.ANSWERED

    says("**firm_user2 (紫瑞物业)** has a late order to sign for, urged (催办) by the street, and its extension "
         "request on 顶楼住户私搭乱建 waits for the street's approval.")
    firm2 = Walker("firm_user2").page(reverse("complaints:tasks"))
    assert re.search(r"待签收 .*已超时.*楼下电动车飞线充电", firm2)
    charging = Complaint.objects.get(title="楼下电动车飞线充电")
    assert charging.events.filter(action="urge").exists()
    attic = Complaint.objects.get(title="顶楼住户私搭乱建")
    assert attic.extension_requested and attic.firm.name == "山亭区紫瑞物业服务有限公司"
    assert re.search(r"延期待审批 .*顶楼住户私搭乱建", tasks)

    says("**district_admin (山亭区)**: 我的待办 lists the cases flagged 提请督办", "评定 › 取消参评记录 shows 银光上城 "
         "disqualified by the major complaint (撤销 before the quarter is published).")
    district = Walker("district_admin")
    flagged = district.page(reverse("complaints:tasks"))
    assert "提请督办" in flagged and "化粪池堵塞污水外溢" in flagged
    case = Complaint.objects.get(title="化粪池堵塞污水外溢")
    assert case.merged_reports.count() == 2
    disq = district.page(reverse("ratings:disqualification_list"))
    assert "银光上城" in disq and "重大投诉" in disq and "撤销" in disq
    major = Complaint.objects.get(major=True)
    assert not RatingPeriod.objects.filter(year=major.disqualification.year, quarter=major.disqualification.quarter,
                                           status="published").exists()

    says("firm_user's 我的星级 › 星级标牌 prints 梅花园's plaque; its QR code holds the address of the verification "
         "page", "There, 我要投诉 opens the form", "→ 提交投诉 → a 查询码 → 查询办理进度 with the code and the phone's "
         "last four digits shows the status in plain words", "The order waits in street_staff's 我的待办 (待派单), its "
         "source 网上投诉.")
    rating = plaque_ratings().get(estate__name="梅花园")
    anyone = Walker(None)
    verify = anyone.page(reverse("ratings:verify", args=[rating.pk, plaque_token(rating.pk)]))
    assert "梅花园" in verify and "我要投诉" in verify
    from complaints.models import Category

    form_url = reverse("complaints:public_new", args=[rating.pk, plaque_token(rating.pk)])
    done = anyone.post(form_url, {"category": Category.objects.get(code="sanitation").pk,
                                  "description": "3号楼楼道堆放杂物一周无人清理。", "name": "业主甲",
                                  "phone": "138 0000 5678", "consent": "on", "website": ""})
    online = Complaint.objects.get(source=Source.ONLINE, content="3号楼楼道堆放杂物一周无人清理。")
    assert online.tracking_code in anyone.page(done.url)
    tracked = anyone.client.post(reverse("complaints:public_track"), {"code": online.tracking_code,
                                                                       "phone_last4": "5678"})
    assert "已受理" in text_of(tracked.content.decode())
    clerk = Walker("street_staff")
    assert f"待派单 {online.number} · 3号楼楼道堆放杂物一周无人清理。 梅花园" in clerk.page(reverse("complaints:tasks"))
    assert "网上投诉" in clerk.page(reverse("complaints:detail", args=[online.pk]))


# --- "Firm credit" ------------------------------------------------------------------------------------------

def credit_tour(dates):
    says("Tour: **district_admin** opens `/credit/` › 待办: the records the demo's supervision cycle wrote (the rated "
         "quarter's inspections below 60, a major complaint's disqualification, the rated year's yearly re-check of "
         "a 5★, 4★ and 3★ estate) wait to be confirmed.")
    queue = Walker("district_admin").page(reverse("enterprises:credit_queue"))
    assert f"低于 60 分（{dates.rated.year} 年第 {dates.rated.quarter} 季度）" in queue
    assert "被取消参评资格：“12345”市长热线等重大投诉" in queue
    for tier, points in ((5, "+3"), (4, "+2"), (3, "+1")):
        assert re.search(rf"{dates.rated.year} 年度星级评定为{tier}星级（年度复查确认.*?{re.escape(points)}", queue), tier

    says("**firm_user** (梅岭物业) has the bell's notice of the order overdue at 樱花园 and the objection it filed; "
         "**city_admin** decides it from its 待办")
    firm_user = User.objects.get(username="firm_user")
    overdue = RectificationOrder.objects.get(estate__name="樱花园", status=OrderStatus.OVERDUE)
    assert Notification.objects.filter(user=firm_user, title__contains=overdue.number).exists()
    objection = CreditObjection.objects.get()
    assert objection.record.source_id == overdue.pk and objection.status == "open"
    city = Walker("city_admin")
    assert "待处理的异议（1 件）" in city.page(reverse("enterprises:credit_queue"))
    city.post(reverse("enterprises:credit_objection_decide", args=[objection.pk]),
              {"outcome": "dismissed", "decision": "现场照片显示期限届满时通道仍未清理，异议不成立。"})
    objection.refresh_from_db()
    assert objection.status == "dismissed"

    says("**山亭区银杉物业** scored 70 and 68 in the two years before the seeding year", "so it is on the blacklist "
         "to the end of this year: its 信用档案 shows the records, scores and listing with the two letters, and "
         "`/credit/public/blacklist/` shows it to anyone.")
    low = Firm.objects.get(name="山亭区银杉物业服务有限公司")
    entry = BlacklistEntry.objects.in_force(dates.today).get()
    assert entry.firm == low and entry.ends_on == datetime.date(dates.today.year, 12, 31)
    credit_file = Walker("district_admin").page(reverse("enterprises:credit_file", args=[low.pk]))
    assert f"{dates.today.year - 2} 年 70 分，{dates.today.year - 1} 年 68 分" in credit_file
    assert "抄告函" in credit_file and "建议函" in credit_file
