"""The maintenance-fund pages against every persona (in scope 200, out of scope 404, anonymous → login), the
rules shown before the form is filled, the 核算 → 确认提交 steps, the Excel lists and the year's totals."""
import datetime
import io
import zoneinfo
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from accounts import menu
from maintenance.models import ApplicationStatus, FundApplication, MaintenancePolicy
from tests.conftest import PERSONAS

from .conftest import submit, through

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
ALL = {"建设新村", "纺织厂宿舍", "粮站家属院", "紫荆小区"}
SHANTING = {"建设新村", "纺织厂宿舍", "粮站家属院"}
VISIBLE = {
    "city_admin": ALL,
    "district_admin": SHANTING,
    "district_staff": SHANTING,
    "district_admin_gc": {"紫荆小区"},
    "street_staff": {"建设新村", "纺织厂宿舍"},
    "street_staff2": {"粮站家属院"},
    "community_clerk": {"建设新村", "纺织厂宿舍"},  # 梅园社区's estates
    "firm_user": set(),
    "firm_user2": set(),
}
# The 2025 figures each persona's totals page shows, worked out by hand from `pw` below: approved 建设新村
# 4,000 × 75 = 300,000.00 (+ 300,000.00), disbursed 粮站家属院 3,000 × 55 = 165,000.00 (+ 165,000.00); the
# submitted ones (纺织厂宿舍, 紫荆小区) count as applications, not money.
TOTALS = {  # persona -> (applications, granted, matched, disbursed)
    "city_admin": (4, "465000.00", "465000.00", "330000.00"),
    "district_admin": (3, "465000.00", "465000.00", "330000.00"),
    "district_staff": (3, "465000.00", "465000.00", "330000.00"),
    "district_admin_gc": (1, "0.00", "0.00", "0.00"),
    "street_staff": (2, "300000.00", "300000.00", "0.00"),
    "street_staff2": (1, "165000.00", "165000.00", "330000.00"),
    "community_clerk": (2, "300000.00", "300000.00", "0.00"),
    "firm_user": (0, "0.00", "0.00", "0.00"),
    "firm_user2": (0, "0.00", "0.00", "0.00"),
}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield NOW.date()


@pytest.fixture
def pw(mw, clock):
    w = mw
    w.a_lift = through(w, submit(w, w.lift_estate, area="4000", per_sqm="75", has_lift=True), "approve")
    w.a_nolift = submit(w, w.nolift_estate, area="2000", per_sqm="50")
    w.a_bz = through(w, submit(w, w.bz_estate, area="3000", per_sqm="55", actor="street_staff2"), "disburse")
    w.a_gc = submit(w, w.estate_c1, area="1000", per_sqm="40", actor="city_admin")
    w.apps = {"建设新村": w.a_lift, "纺织厂宿舍": w.a_nolift, "粮站家属院": w.a_bz, "紫荆小区": w.a_gc}
    return w


def _sheet(response):
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


@pytest.mark.parametrize("url", ["maintenance:application_list", "maintenance:estate_choice", "maintenance:totals",
                                 "maintenance:policy_list"])
def test_anonymous_is_sent_to_login(mw, client, url):
    response = client.get(reverse(url))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_an_application_is_found_only_inside_scope(pw, login, persona):
    client = login(persona)
    for name, app in pw.apps.items():
        expected = 200 if name in VISIBLE[persona] else 404
        assert client.get(reverse("maintenance:application_detail", args=[app.pk])).status_code == expected, name
        # A step posted from outside the scope is "not found" too, and changes nothing.
        if expected == 404:
            response = client.post(reverse("maintenance:application_transition", args=[app.pk]),
                                   {"action": "review"})
            assert response.status_code == 404, name
    assert FundApplication.objects.filter(status=ApplicationStatus.REVIEWED).count() == 0


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_list_and_its_excel_show_exactly_the_personas_applications(pw, login, persona):
    client = login(persona)
    response = client.get(reverse("maintenance:application_list"))
    assert response.status_code == 200
    assert {a.estate.name for a in response.context["object_list"]} == VISIBLE[persona]
    html = response.content.decode()
    for name in ALL:
        assert (name in html) == (name in VISIBLE[persona]), name
    sheet = _sheet(client.get(reverse("maintenance:application_list") + "?export=xlsx"))
    rows = list(sheet.iter_rows(min_row=3, values_only=True))  # title, headers, then the rows
    assert {r[3] for r in rows[:-1]} == VISIBLE[persona]
    total = rows[-1]
    assert total[0] == "合计"
    granted = sum(pw.apps[n].granted for n in VISIBLE[persona])
    assert Decimal(str(total[10])).quantize(Decimal("0.01")) == granted


def test_the_excel_list_has_each_application_with_its_figures(pw, login):
    sheet = _sheet(login("district_admin").get(reverse("maintenance:application_list") + "?export=xlsx&sort=estate"))
    assert sheet.cell(1, 1).value == "老旧小区维修资金申请清单"
    assert [c.value for c in sheet[2]][:13] == ["区", "街道", "社区", "小区", "年度", "申请日期", "归集单位", "电梯房",
                                               "申请面积（㎡）", "交存标准（元/㎡）", "核定金额（元）", "区财政配套（元）",
                                               "合计（元）"]
    *lines, total = list(sheet.iter_rows(min_row=3, values_only=True))
    rows = {r[3]: r for r in lines}
    lift = rows["建设新村"]
    assert lift[:5] == ("山亭区", "山城街道", "梅园社区", "建设新村", 2025)
    assert (lift[7], lift[8], lift[9], lift[10], lift[11], lift[12], lift[13]) == (
        "是", 4000, 75, 300000, 300000, 600000, "已批准")
    # 300,000 + 100,000 + 165,000 granted; 300,000 + 100,000 + 165,000 matched.
    assert total[0] == "合计" and total[3] == "3 份申请" and total[10:13] == (565000, 565000, 1130000)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_totals_page_adds_up_the_personas_applications(pw, login, persona):
    client = login(persona)
    response = client.get(reverse("maintenance:totals") + "?year=2025")
    assert response.status_code == 200
    overall = response.context["totals"]["overall"]
    count, granted, matched, disbursed = TOTALS[persona]
    assert (overall["applications"], overall["granted"], overall["matched"], overall["disbursed"]) == (
        count, Decimal(granted), Decimal(matched), Decimal(disbursed))
    assert overall["granted"].as_tuple().exponent == -2
    districts = {d["district__name"] for d in response.context["totals"]["districts"]}
    expected = set()
    if VISIBLE[persona] & SHANTING:
        expected.add("山亭区")
    if "紫荆小区" in VISIBLE[persona]:
        expected.add("管城回族区")
    assert districts == expected
    # Another year has nothing.
    other = client.get(reverse("maintenance:totals") + "?year=2024").context["totals"]["overall"]
    assert other["applications"] == 0


def test_the_totals_page_shows_the_districts_numbers_and_exports_them(pw, login):
    client = login("district_admin")
    html = client.get(reverse("maintenance:totals") + "?year=2025").content.decode()
    assert 'data-testid="district-granted">465,000.00<' in html
    assert 'data-testid="district-matched">465,000.00<' in html
    assert 'data-testid="district-disbursed">330,000.00<' in html
    sheet = _sheet(client.get(reverse("maintenance:totals") + "?year=2025&export=xlsx"))
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[0][:2] == ("山亭区", "全区") and rows[0][5:] == (465000, 465000, 930000, 1, 330000)
    assert {r[1]: r[5] for r in rows[1:-1]} == {"北庄街道": 165000, "山城街道": 300000}
    assert rows[-1][0] == "合计"


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_of_one_role(pw, login, persona):
    client = login(persona)
    streets = {"city_admin", "street_staff", "street_staff2"}
    assert client.get(reverse("maintenance:estate_choice")).status_code == (200 if persona in streets else 404)
    create = reverse("maintenance:application_create", args=[pw.nolift_estate.pk])
    assert client.get(create).status_code == (200 if persona in {"city_admin", "street_staff"} else 404)
    policy_new = reverse("maintenance:policy_create", args=[pw.shanting.pk])
    assert client.get(policy_new).status_code == (200 if persona in {"city_admin", "district_admin"} else 404)
    assert client.get(reverse("maintenance:policy_list")).status_code == 200
    # Only a returned application is corrected, by its street.
    resubmit = reverse("maintenance:application_resubmit", args=[pw.a_nolift.pk])
    assert client.get(resubmit).status_code == 404


def test_the_estate_list_shows_eligibility_and_the_cap_before_anything_is_filled(pw, login):
    html = login("street_staff").get(reverse("maintenance:estate_choice")).content.decode()
    rows = html.split('data-testid="estate-row"')[1:]
    by_name = {name: row for row in rows for name in ("建设新村", "纺织厂宿舍", "梅花园", "锦绣花园") if name in row}
    assert "75.00" in by_name["建设新村"] and "在办（已批准）" in by_name["建设新村"]
    assert "55.00" in by_name["梅花园"] and reverse("maintenance:application_create", args=[pw.estate_a1.pk]) in \
        by_name["梅花园"]
    assert "否（2004 年后建成）" in by_name["锦绣花园"] and "查看原因" in by_name["锦绣花园"]
    assert "粮站家属院" not in html  # 北庄街道's


def test_the_form_shows_the_cap_and_eligibility_before_it_is_filled(mw, login, clock):
    html = login("street_staff").get(
        reverse("maintenance:application_create", args=[mw.lift_estate.pk])).content.decode()
    eligibility = html[html.index('data-testid="eligibility"'):html.index('<form method="post" class="card"')]
    assert "老旧小区（2004 年底前含当年建成）" in eligibility
    assert "电梯房不高于 75.00 元/㎡，非电梯房不高于 55.00 元/㎡" in eligibility
    assert "核定金额 × 1.00" in eligibility
    assert "<fieldset>" in html  # enabled
    refused = login("street_staff").get(
        reverse("maintenance:application_create", args=[mw.estate_a2.pk])).content.decode()
    assert "不是老旧小区（本区老旧小区为 2004 年底前含当年建成）" in refused
    assert "<fieldset disabled" in refused


def _form(**changes):
    data = {"collector": "firm", "repair_items": "屋面防水\n电梯更新", "area": "4000", "has_lift": "on",
            "per_sqm": "75", "step": "preview"}
    data.update(changes)
    return data


def test_the_amounts_are_shown_before_submitting_and_only_those_are_submitted(mw, login, clock):
    client = login("street_staff")
    url = reverse("maintenance:application_create", args=[mw.lift_estate.pk])
    response = client.post(url, _form())
    assert response.status_code == 200 and not FundApplication.objects.exists()
    html = response.content.decode()
    assert 'data-testid="quote-granted">300,000.00<' in html and 'data-testid="quote-matched">300,000.00<' in html
    assert 'data-testid="quote-total">600,000.00<' in html
    key = response.context["quote_key"]
    assert key == "4000.00|75.00|1"
    # Confirming after changing a figure shows the new amounts first and submits nothing.
    changed = client.post(url, _form(step="submit", quoted=key, area="3000"))
    assert changed.status_code == 200 and not FundApplication.objects.exists()
    assert 'data-testid="quote-granted">225,000.00<' in changed.content.decode()
    assert "已按新数据重新核算" in changed.content.decode()
    response = client.post(url, _form(step="submit", quoted=key))
    app = FundApplication.objects.get()
    assert response.status_code == 302 and response.url == reverse("maintenance:application_detail", args=[app.pk])
    assert (app.granted, app.matched, app.submitted_on) == (Decimal("300000.00"), Decimal("300000.00"), clock)
    # The same confirmation again (a double click) meets the open application: still one.
    again = client.post(url, _form(step="submit", quoted=key))
    assert again.status_code == 200 and FundApplication.objects.count() == 1
    assert "已有一份在办的维修资金申请" in again.content.decode()


def test_figures_beyond_the_rules_are_refused_on_the_form(mw, login, clock):
    client = login("street_staff")
    url = reverse("maintenance:application_create", args=[mw.lift_estate.pk])
    html = client.post(url, _form(per_sqm="80", step="submit", quoted="4000.00|80.00|1")).content.decode()
    assert "交存标准 80.00 元/㎡ 超过电梯房上限 75.00 元/㎡。" in html and 'data-testid="quote"' not in html
    html = client.post(url, _form(area="4500")).content.decode()
    assert "申请面积 4,500.00 ㎡ 超过小区总建筑面积 4,000.00 ㎡。" in html
    # The estate has no lift: the box is disabled and a posted "on" is ignored (55 applies).
    url = reverse("maintenance:application_create", args=[mw.nolift_estate.pk])
    html = client.post(url, _form(area="100", per_sqm="60")).content.decode()
    assert "超过非电梯房上限 55.00" in html
    assert not FundApplication.objects.exists()


def test_the_chain_through_the_pages(mw, login, clock):
    app = submit(mw, mw.lift_estate, area="4000", per_sqm="75", has_lift=True)
    url = reverse("maintenance:application_transition", args=[app.pk])
    staff = login("district_staff")
    page = staff.get(reverse("maintenance:application_detail", args=[app.pk]))
    assert [a["action"] for a in page.context["actions"]] == ["review", "return"]
    response = staff.post(url, {"action": "review", "comment": "已核"})
    assert response.status_code == 302
    # The same POST again (a second tab): a clear refusal, no second event.
    again = staff.post(url, {"action": "review", "comment": "已核"})
    assert again.status_code == 200 and "申请当前状态为“已审核”，不能执行此操作。" in again.content.decode()
    admin = login("district_admin")
    assert admin.post(url, {"action": "approve"}).status_code == 302
    page = admin.get(reverse("maintenance:application_detail", args=[app.pk]))
    assert [a["action"] for a in page.context["actions"]] == ["disburse"]
    missing = admin.post(url, {"action": "disburse", "disbursed_on": "", "voucher": ""})
    assert "请填写拨付日期和拨付凭证号" in missing.content.decode()
    assert admin.post(url, {"action": "disburse", "disbursed_on": "2025-06-10", "voucher": "WX-9"}).status_code == 302
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DISBURSED
    assert list(app.events.values_list("to_status", flat=True)) == ["submitted", "reviewed", "approved", "disbursed"]


def test_a_returned_application_is_corrected_on_its_page(mw, login, clock):
    app = submit(mw, mw.lift_estate, area="4000", per_sqm="75", has_lift=True)
    login("district_staff").post(reverse("maintenance:application_transition", args=[app.pk]),
                                 {"action": "return", "comment": "面积有误"})
    client = login("street_staff")
    url = reverse("maintenance:application_resubmit", args=[app.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"].initial["area"] == Decimal("4000.00")
    assert login("street_staff2").get(url).status_code == 404
    client = login("street_staff")
    preview = client.post(url, _form(area="3500"))
    key = preview.context["quote_key"]
    assert client.post(url, _form(area="3500", step="submit", quoted=key)).status_code == 302
    app.refresh_from_db()
    assert (app.status, app.granted) == (ApplicationStatus.SUBMITTED, Decimal("262500.00"))


def test_a_district_admin_keeps_the_policy_in_the_browser(mw, login, clock):
    client = login("district_admin")
    url = reverse("maintenance:policy_create", args=[mw.shanting.pk])
    form = client.get(url).context["form"]
    assert form.initial["lift_cap"] == Decimal("75.00") and form.initial["effective_from"] == datetime.date(2025, 7, 1)
    bad = client.post(url, {"effective_from": "2025-07-01", "lift_cap": "0", "no_lift_cap": "55", "match_ratio": "1",
                            "yearly_budget": "0"})
    assert bad.status_code == 200 and MaintenancePolicy.objects.filter(district=mw.shanting).count() == 1
    response = client.post(url, {"effective_from": "2025-07-01", "lift_cap": "70", "no_lift_cap": "50",
                                 "match_ratio": "1.00", "yearly_budget": "3000000", "note": "年度调整"})
    assert response.status_code == 302
    listed = client.get(reverse("maintenance:policy_list") + f"?district={mw.shanting.pk}")
    assert [(p.effective_from, p.lift_cap) for p in listed.context["object_list"]] == [
        (datetime.date(2025, 7, 1), Decimal("70.00")), (datetime.date(2024, 1, 1), Decimal("75.00"))]
    assert login("district_admin_gc").get(url).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_menu_offers_the_fund_to_district_and_street_roles(mw, login, persona):
    client = login(persona)
    html = client.get(reverse("home")).content.decode()
    nav = html[html.index('data-testid="main-menu"'):html.index("portal-nav-user")]
    offered = f'href="{reverse("maintenance:application_list")}"' in nav
    assert offered == (persona in {"district_admin", "district_staff", "district_admin_gc", "street_staff",
                                   "street_staff2"})
    assert "maintenance" in dict(menu.MENUS[menu.R.STREET_STAFF])["opinions"]


def test_the_list_page_costs_a_bounded_number_of_queries(pw, login, django_assert_max_num_queries):
    client = login("district_admin")
    client.get(reverse("maintenance:application_list"))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(reverse("maintenance:application_list"))
    assert len(response.context["object_list"]) == 3
