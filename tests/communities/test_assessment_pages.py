"""The owner-committee assessment pages: scope (a street its own, 404 outside; a firm nothing), the rules shown
before the form, submitting through the form, the district's confirmation, the committee page's history and
allowance, the district's per-street overview and the Excel list per street and year."""
import datetime
import io
import zoneinfo
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from accounts import menu
from communities.models import AssessmentStatus, CommitteeAssessment, CriterionKind
from communities.services import assessments as svc

from .assessment_world import TODAY, YEAR, aw, confirm, submit  # noqa: F401  (aw is a fixture)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 12, 20, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def pw(aw):
    with time_machine.travel(NOW, tick=False):
        w = aw
        w.a_mei = confirm(w, submit(w, w.c_mei))  # 梅花园: qualified, confirmed: 43,200
        yield w


def test_street_sees_its_own_assessment_and_gets_404_outside(pw, login):
    w = pw
    url = reverse("communities:assessment_detail", args=[w.a_mei.pk])
    for persona in ("street_staff", "district_admin", "district_staff", "city_admin", "community_clerk"):
        assert login(persona).get(url).status_code == 200, persona
    for persona in ("street_staff2", "district_admin_gc", "firm_user", "firm_user2"):
        assert login(persona).get(url).status_code == 404, persona
    # Another street's committee cannot be assessed (its form is "not found").
    assert login("street_staff2").get(reverse("communities:assessment_create", args=[w.c_mei.pk])).status_code == 404
    assert login("street_staff").get(reverse("communities:assessment_create", args=[w.c_bz.pk])).status_code == 404


def test_a_firm_sees_nothing_of_it(pw, login):
    w = pw
    client = login("firm_user")  # 梅花园 is served by firm 甲: it sees the committee, not its assessment
    for name in ("communities:assessment_list", "communities:assessment_policy_list"):
        assert client.get(reverse(name)).status_code == 404
    page = client.get(reverse("communities:committee_detail", args=[w.c_mei.pk]))
    assert page.status_code == 200
    assert "43,200.00" not in page.content.decode() and 'data-testid="committee-assessments"' not in page.content.decode()


def test_the_street_list_shows_the_year_and_who_is_still_unassessed(pw, login):
    w = pw
    with time_machine.travel(NOW, tick=False):
        page = login("street_staff").get(reverse("communities:assessment_list"))
    body = page.content.decode()
    assert [c.estate.name for c in page.context["rows"]] == ["梅花园"]  # its own street only
    assert page.context["summary"] is None
    assert "区已确认" in body and "43,200.00" in body
    with time_machine.travel(NOW, tick=False):
        page = login("street_staff2").get(reverse("communities:assessment_list"))
    assert [c.estate.name for c in page.context["unassessed"]] == ["北庄花园"]


def test_the_form_shows_the_rules_first_and_submits(pw, login):
    w = pw
    client = login("street_staff2")
    url = reverse("communities:assessment_create", args=[w.c_bz.pk])
    with time_machine.travel(NOW, tick=False):
        page = client.get(url)
        body = page.content.decode()
        assert 'data-testid="pass-mark">60.00<' in body
        assert "每人每月 300.00 元" in body and "物业服务费或公共收益" in body
        assert "本街道其他委员会本年度均已考核" in body
        data = {"roster-TOTAL_FORMS": "5", "roster-INITIAL_FORMS": "0", "roster-MIN_NUM_FORMS": "0",
                "roster-MAX_NUM_FORMS": "1000", "comment": "工作规范"}
        for i, member in enumerate(svc.default_roster(w.c_bz, YEAR)):
            data.update({f"roster-{i}-name": member["name"], f"roster-{i}-position": member["position"],
                         f"roster-{i}-from_month": "1", f"roster-{i}-to_month": "12"})
        data["roster-4-to_month"] = "6"  # the fifth member left in June
        for c in w.policy.criteria.all():
            if c.kind == CriterionKind.POINTS:
                data[f"c{c.pk}_points"] = "18"
            else:
                data[f"c{c.pk}_passed"] = "1"
        response = client.post(url, data)
    a = CommitteeAssessment.objects.get(committee=w.c_bz, year=YEAR)
    assert response.status_code == 302 and response.url == reverse("communities:assessment_detail", args=[a.pk])
    assert (a.total_points, a.qualified, a.status) == (Decimal("90.00"), True, AssessmentStatus.SUBMITTED)
    # A second one for the year: the form says so and a post is refused.
    with time_machine.travel(NOW, tick=False):
        again = client.get(url)
        assert 'data-testid="existing"' in again.content.decode()
        refused = client.post(url, data)
    assert refused.status_code == 200 and "每个委员会每年只考核一次" in refused.content.decode()
    assert CommitteeAssessment.objects.filter(committee=w.c_bz).count() == 1
    # The district admin confirms on the page: 4 × 12 + 6 = 54 member-months × 300 = 16,200.
    with time_machine.travel(NOW, tick=False):
        done = login("district_admin").post(reverse("communities:assessment_decide", args=[a.pk]),
                                             {"action": "confirm"})
    assert done.status_code == 302
    a.refresh_from_db()
    assert a.status == AssessmentStatus.CONFIRMED
    assert svc.allowance_statement(a).total == Decimal("16200.00")


def test_only_the_district_admin_gets_the_confirm_buttons(pw, login):
    w = pw
    with time_machine.travel(NOW, tick=False):
        a = submit(w, w.c_bz, actor="street_staff2")
    url = reverse("communities:assessment_detail", args=[a.pk])
    assert 'data-testid="decision"' in login("district_admin").get(url).content.decode()
    for persona in ("district_staff", "street_staff2"):
        assert 'data-testid="decision"' not in login(persona).get(url).content.decode()
    refused = login("district_staff").post(reverse("communities:assessment_decide", args=[a.pk]),
                                           {"action": "confirm"})
    assert refused.status_code == 200 and "只有本区管理员" in refused.content.decode()
    a.refresh_from_db()
    assert a.status == AssessmentStatus.SUBMITTED


def test_the_committee_page_shows_its_assessments_and_allowance(pw, login):
    w = pw
    with time_machine.travel(NOW, tick=False):
        b = submit(w, w.c_mei, year=2024, points=Decimal("10"))
        confirm(w, b)
    page = login("street_staff").get(reverse("communities:committee_detail", args=[w.c_mei.pk]))
    body = page.content.decode()
    assert [a.year for a in page.context["assessments"]] == [2025, 2024]
    assert 'data-testid="assessment-2025"' in body and "43,200.00" in body
    assert "年度考核不合格：得分 50.00 分" in body  # 2024: 0 with the reason


def test_the_district_overview_counts_per_street(pw, login):
    w = pw
    with time_machine.travel(NOW, tick=False):
        submit(w, w.c_bz, actor="street_staff2")  # assessed, not yet confirmed
        page = login("district_admin").get(reverse("communities:assessment_list"))
    summary = {s["street"].name: s for s in page.context["summary"]}
    assert set(summary) == {"山城街道", "北庄街道"}
    assert (summary["山城街道"]["assessed"], summary["山城街道"]["qualified"],
            summary["山城街道"]["allowance"]) == (1, 1, Decimal("43200.00"))
    assert (summary["北庄街道"]["assessed"], summary["北庄街道"]["confirmed"], summary["北庄街道"]["qualified"],
            summary["北庄街道"]["allowance"]) == (1, 0, 0, Decimal("0.00"))


def test_excel_list_per_street_and_year(pw, login):
    w = pw
    with time_machine.travel(NOW, tick=False):
        response = login("district_admin").get(reverse("communities:assessment_list"),
                                                {"year": YEAR, "street": w.shancheng.pk, "export": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "2025 年度业委会考核及补贴清单"
    header = rows[1]
    body = [dict(zip(header, r)) for r in rows[2:]]
    assert [r["小区"] for r in body[:-1]] == ["梅花园"]
    assert body[0]["补贴金额（元）"] == 43200 and body[0]["在任人月"] == 144 and body[0]["每人每月标准（元）"] == 300
    assert body[0]["资金来源"] == "小区物业服务费或公共收益"
    assert body[-1]["区"] == "合计" and body[-1]["补贴金额（元）"] == 43200


def test_a_policy_version_with_350_is_refused_on_the_page(pw, login):
    w = pw
    client = login("district_admin")
    url = reverse("communities:assessment_policy_create", args=[w.shanting.pk])
    assert client.get(url).status_code == 200
    data = {"effective_from": "2026-01-01", "pass_mark": "60", "allowance_per_member": "350", "note": "",
            "criteria-TOTAL_FORMS": "1", "criteria-INITIAL_FORMS": "0", "criteria-MIN_NUM_FORMS": "0",
            "criteria-MAX_NUM_FORMS": "1000", "criteria-0-title": "依法履职", "criteria-0-description": "",
            "criteria-0-kind": "points", "criteria-0-max_points": "100"}
    page = client.post(url, data)
    assert page.status_code == 200 and "超过政策上限 300 元" in page.content.decode()
    assert w.shanting.assessment_policies.count() == 1
    assert login("street_staff").get(url).status_code == 404


def test_the_menu_offers_the_page_to_street_and_district(pw):
    w = pw
    for persona in ("street_staff", "district_admin", "district_staff"):
        keys = {c.key for item in menu.menu_for(w.users[persona], menu.HeaderCounts()) for c in item.children}
        assert "committee_assessments" in keys, persona
    keys = {c.key for item in menu.menu_for(w.users["firm_user"], menu.HeaderCounts()) for c in item.children}
    assert "committee_assessments" not in keys
