"""The star-rating journey in a real browser: the firm applies for 梅花园 in the window, the street
reviews and reports it, the district accepts; an inspection and the opinion/satisfaction scores are
entered; the district previews and computes 2025Q1, opens the results and the breakdown, announces them (公示: the
appeal window opens), is told why it cannot publish inside the window, publishes after it; an anonymous visitor sees 梅花园's stars on the public page
and the plaque's QR code verifies. The clock is moved with time_machine (it patches the live server too).
"""
import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from inspections.services.inspections import inspection_save, inspection_start, inspection_submit
from ratings.models import Application, ApplicationStatus, PeriodStatus, RatingPeriod, StarRating
from ratings.selectors import plaque_token
from tests.ratings.conftest import rating_world  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(y, m, d, hour=9):
    return datetime.datetime(y, m, d, hour, tzinfo=SHANGHAI)


def _inspect(w, estate, day, deduct=Decimal("10")):
    """An inspection of `estate` on `day` through the inspection services, every item scored, entered and
    submitted at the frozen clock's moment; the total is the rubric's full marks less `deduct`."""
    actor = w.users["street_staff"]
    insp = inspection_start(actor=actor, estate=estate, kind="regular", date=day, inspectors="山城街道检查组",
                            today=timezone.localdate())
    scores, left = {}, deduct
    for row in insp.scores.select_related("item"):
        take = min(left, row.item.max_points)
        scores[row.item_id] = (row.item.max_points - take, "")
        left -= take
    inspection_save(actor=actor, inspection=insp, scores=scores, today=timezone.localdate())
    return inspection_submit(actor=actor, inspection=insp, now=timezone.now())


def test_firm_applies_district_rates_and_publishes_public_sees_stars(page, live_server, rating_world, log_in,
                                                                      shot, settings, tmp_path):
    w = rating_world
    settings.MEDIA_ROOT = tmp_path / "media"
    evidence = tmp_path / "梅花园物业服务方案.pdf"
    evidence.write_bytes(b"%PDF-1.4 evidence of service quality")
    url = live_server.url

    with time_machine.travel(_at(2025, 2, 10), tick=True) as clock:
        # 1. The firm applies for 梅花园 inside the application window (01-01 to 03-31).
        log_in(page, "firm_user", w.password)
        page.goto(f"{url}/ratings/applications/new/")
        page.get_by_label("梅花园（山城街道 · 梅园社区）").check()
        page.fill("#id_statement", "小区环境整洁，设施完好，申报五星级。")
        page.set_input_files("#id_files", str(evidence))
        shot(page, "e2e-rating-01-apply")
        page.get_by_role("button", name=re.compile("提交申报")).click()
        page.wait_for_url(re.compile(r"/ratings/applications/\d+/$"))
        app = Application.objects.get(estate=w.estate_a1, year=2025)
        assert app.status == ApplicationStatus.SUBMITTED and app.attachments.count() == 1
        assert page.get_by_text("梅花园物业服务方案.pdf").is_visible()
        detail = page.url

        # 2. The street reviews and reports it.
        page.context.clear_cookies()
        log_in(page, "street_staff", w.password)
        page.goto(detail)
        page.fill("#id_comment", "材料齐全，同意上报。")
        page.get_by_role("button", name="审核上报").click()
        page.wait_for_load_state()
        assert page.get_by_text("街道已审核上报").first.is_visible()

        # 3. The district accepts it.
        page.context.clear_cookies()
        log_in(page, "district_admin", w.password)
        page.goto(detail)
        assert page.get_by_role("button", name="受理", exact=True).is_visible()
        page.get_by_role("button", name="受理", exact=True).click()
        page.wait_for_load_state()
        app.refresh_from_db()
        assert app.status == ApplicationStatus.ACCEPTED
        shot(page, "e2e-rating-02-accepted-timeline")

        # 4. An inspection in March (through the inspection services): full marks less 10 -> 90.0.
        clock.move_to(_at(2025, 3, 12))
        inspection = _inspect(w, w.estate_a1, datetime.date(2025, 3, 10))
        assert inspection.total == Decimal("90.0")

        # 5. The street enters the opinion and satisfaction scores; 101 is refused and nothing saved.
        clock.move_to(_at(2025, 4, 2))
        page.context.clear_cookies()
        log_in(page, "street_staff", w.password)
        page.goto(f"{url}/ratings/scores/?year=2025&quarter=1")
        page.fill(f"#id_opinion_{w.estate_a1.pk}", "88")
        page.fill(f"#id_satisfaction_{w.estate_a1.pk}", "101")
        page.get_by_role("button", name=re.compile("保存得分")).click()
        page.wait_for_load_state()
        assert page.get_by_text("得分必须在 0 到 100 之间，收到 101").is_visible()
        assert not w.estate_a1.component_scores.exists()
        shot(page, "e2e-rating-03-score-101-refused")
        page.fill(f"#id_opinion_{w.estate_a1.pk}", "90")
        page.fill(f"#id_satisfaction_{w.estate_a1.pk}", "90")
        page.get_by_role("button", name=re.compile("保存得分")).click()
        page.wait_for_load_state()
        assert page.get_by_text("已保存 2 项得分").is_visible()

        # 6. After the quarter, the district computes 2025Q1 from the periods page: a preview first (the
        #    one participant, 梅花园, has an inspection, so no confirmation is asked for), then 计算.
        clock.move_to(_at(2025, 4, 6))
        page.context.clear_cookies()
        log_in(page, "district_admin", w.password)
        page.goto(f"{url}/ratings/periods/")
        page.get_by_role("button", name=re.compile("预览并计算")).click()
        page.wait_for_url(re.compile(r"/ratings/periods/run/\?"))
        preview = page.locator("#preview")
        assert "山亭区 2025 年第 1 季度（2025-01-01 至 2025-03-31）计算预览" in preview.inner_text()
        assert "本季度有检查记录 1 个，无检查记录 0 个" in page.locator("#preview-counts").inner_text()
        assert page.locator("#id_confirm").count() == 0
        assert not RatingPeriod.objects.filter(district=w.shanting, year=2025, quarter=1).exists()
        shot(page, "e2e-rating-04a-compute-preview")
        preview.get_by_role("button", name=re.compile("计算")).click()
        page.wait_for_url(re.compile(r"/ratings/periods/\d+/$"))
        period = RatingPeriod.objects.get(district=w.shanting, year=2025, quarter=1)
        row = page.locator("#results tbody tr", has_text="梅花园")
        assert "90.00" in row.inner_text() and "★★★★★" in row.inner_text()
        assert page.get_by_text("待公示").first.is_visible()
        assert page.get_by_role("button", name=re.compile("确认并公布")).count() == 0  # not before 公示
        shot(page, "e2e-rating-04-provisional-results")

        # 7. The breakdown writes the computation out.
        row.get_by_role("link", name="梅花园").click()
        page.wait_for_url(re.compile(r"/ratings/results/\d+/$"))
        assert page.get_by_test_id("formula").inner_text() == "90.00×70% + 90.00×10% + 90.00×20% = 90.00"
        shot(page, "e2e-rating-05-breakdown")

        # 8. The district announces the results (公示): the appeal window runs to 04-13. Inside it,
        #    确认并公布 is shown disabled and the page says why beside it.
        page.goto(f"{url}/ratings/periods/{period.pk}/")
        page.get_by_role("button", name=re.compile("公示")).click()
        page.wait_for_load_state()
        assert page.get_by_text("已公示，申诉截止 2025-04-13").is_visible()
        period.refresh_from_db()
        assert (period.status, period.appeal_deadline) == (PeriodStatus.ANNOUNCED, datetime.date(2025, 4, 13))
        publish = page.get_by_role("button", name=re.compile("确认并公布"))
        assert publish.count() == 1 and publish.is_disabled()
        assert page.get_by_text("申诉期内不能公布").is_visible()
        assert page.locator("#timeline").get_by_text("公示", exact=True).is_visible()
        shot(page, "e2e-rating-05b-announced")

        # 9. After the window the district confirms and publishes.
        clock.move_to(_at(2025, 4, 14))
        page.context.clear_cookies()
        log_in(page, "district_admin", w.password)
        page.goto(f"{url}/ratings/periods/{period.pk}/")
        page.get_by_role("button", name=re.compile("确认并公布")).click()
        page.wait_for_load_state()
        assert page.get_by_text("星级评定结果已确认并公布").is_visible()
        period.refresh_from_db()
        assert period.status == PeriodStatus.PUBLISHED
        shot(page, "e2e-rating-06-published")

        # 10. The firm prints its plaque.
        rating = StarRating.objects.get(period=period, estate=w.estate_a1)
        page.context.clear_cookies()
        log_in(page, "firm_user", w.password)
        page.goto(f"{url}/ratings/mine/")
        shot(page, "e2e-rating-07-my-ratings")
        page.get_by_role("link", name="星级标牌").click()
        page.wait_for_url(re.compile(r"/ratings/plaque/\d+/$"))
        assert page.locator("main.plaque svg").count() == 1
        assert page.get_by_text("山亭区住宅小区管理星级标牌").is_visible()
        shot(page, "e2e-rating-08-plaque")

        # 11. An anonymous visitor sees 梅花园's stars, and the plaque's QR code verifies.
        page.context.clear_cookies()
        page.goto(f"{url}/ratings/public/")
        public_row = page.locator("table tbody tr", has_text="梅花园")
        assert public_row.count() == 1 and "★★★★★" in public_row.inner_text()
        shot(page, "e2e-rating-09-public")
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{url}/ratings/public/")
        assert page.locator("table tbody tr", has_text="梅花园").count() == 1
        shot(page, "e2e-rating-09b-public-phone")
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(f"{url}/ratings/verify/{rating.pk}/{plaque_token(rating.pk)}/")
        assert page.get_by_text("验证通过").is_visible()
        shot(page, "e2e-rating-10-verify")
