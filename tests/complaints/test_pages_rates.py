"""办理情况统计 page and the estate/firm cards against a hand-counted set.

2026Q4, 梅花园 (山城街道, firm 甲), received Tuesday 2026-12-01 and walked at once (all on time):
  A closed, contacted, solved, 满意
  B closed, contacted, solved, 基本满意
  C closed, contacted, not solved, 不满意
  D assigned, not signed yet
  E closed, 满意, then excluded by the district (不合理诉求): left out, counted apart
By hand: received 4, closed 3 → 处理率 75.0%; signed 3, all on time → 及时签收率 100.0%; closed on time 3/3 →
按时办结率 100.0%; contacted 3, solved 2 → 解决率 66.7%; with the district's weight 0.5 for 基本满意:
满意率 (1 + 0.5 × 1) / 3 = 50.0%. 北庄花园 (北庄街道, firm 乙) has one order received F.
"""
from decimal import Decimal

import pytest
from django.urls import reverse

from complaints.models import Satisfaction, Status, TimeLimitPolicy
from complaints.services import complaint_exclude

from .conftest import at

pytestmark = pytest.mark.django_db

T0 = at(2026, 12, 1, 9, 0)


@pytest.fixture
def counted(world, make_complaint, time_machine):
    time_machine.move_to(at(2026, 12, 2, 10, 0), tick=False)
    make_complaint(to=Status.CLOSED, at=T0, satisfaction=Satisfaction.SATISFIED, title="A")
    make_complaint(to=Status.CLOSED, at=T0, satisfaction=Satisfaction.BASIC, title="B")
    make_complaint(to=Status.CLOSED, at=T0, satisfaction=Satisfaction.UNSATISFIED, solved=False, title="C")
    make_complaint(to=Status.ASSIGNED, at=T0, title="D")
    e = make_complaint(to=Status.CLOSED, at=T0, title="E")
    complaint_exclude(actor=world.users["district_admin"], complaint=e, kind="unreasonable", reason="诉求不合理",
                      now=at(2026, 12, 1, 12, 0))
    make_complaint(at=T0, estate=world.estate_b1, clerk="street_staff2", title="F")
    TimeLimitPolicy.objects.filter(district=world.shanting).update(basic_satisfied_weight=Decimal("0.50"))
    return e


def figures(response):
    return {rate.key: text for rate, text in response.context["overall"]["cells"]}


def test_street_staff_sees_the_hand_counted_rates_of_its_street(counted, login):
    response = login("street_staff").get(reverse("complaints:rates"))
    assert response.status_code == 200
    overall = response.context["overall"]
    assert (overall["received"], overall["closed"], overall["excluded"]) == (4, 3, 1)
    assert figures(response) == {
        "handling_rate": "75.0%", "sign_rate": "100.0%", "on_time_rate": "100.0%", "solved_rate": "66.7%",
        "satisfaction_rate": "50.0%", "reopened": "0", "average_days": "0.0 天"}
    html = response.content.decode()
    assert "已办结件数 ÷ 受理件数" in html  # each formula beside its figure
    assert "2026 年第 4 季度" in html
    tables = {key: rows for key, _label, rows in response.context["tables"]}
    assert [(r["label"], r["received"], r["handling_rate"]) for r in tables["street"]] == [
        ("山城街道", 4, Decimal("75.0"))]
    assert [r["label"] for r in tables["firm"]] == ["山亭甲物业服务有限公司"]
    assert [r["label"] for r in tables["estate"]] == ["梅花园"]


def test_district_sees_both_streets_and_the_excluded_link_lists_the_excluded_order(world, counted, login):
    client = login("district_admin")
    response = client.get(reverse("complaints:rates"))
    tables = {key: rows for key, _label, rows in response.context["tables"]}
    assert {(r["label"], r["received"]) for r in tables["street"]} == {("山城街道", 4), ("北庄街道", 1)}
    assert response.context["overall"]["received"] == 5
    excluded = client.get(reverse("complaints:list") + response.context["excluded_url"])
    assert [c.pk for c in excluded.context["object_list"]] == [counted.pk]


@pytest.mark.parametrize("persona,received", [("street_staff2", 1), ("district_admin_gc", 0), ("city_admin", 5)])
def test_rates_follow_the_scope(counted, login, persona, received):
    response = login(persona).get(reverse("complaints:rates"))
    assert response.context["overall"]["received"] == received


def test_city_admin_can_pick_a_district_for_its_weight(world, counted, login):
    TimeLimitPolicy.objects.create(district=world.guancheng, effective_from="2000-01-01",
                                   basic_satisfied_weight=Decimal("1.00"))
    client = login("city_admin")
    response = client.get(reverse("complaints:rates"))
    assert not response.context["uniform"] and "权重不同" in response.content.decode()
    assert figures(response)["satisfaction_rate"] == "66.7%"  # weight 1 across districts
    response = client.get(reverse("complaints:rates"), {"district": world.shanting.pk})
    assert response.context["uniform"] and figures(response)["satisfaction_rate"] == "50.0%"


def test_period_picker_month_quarter_and_range(counted, login):
    client = login("street_staff")
    assert client.get(reverse("complaints:rates"), {"kind": "month", "month": "2026-11"}).context[
        "overall"]["received"] == 0
    response = client.get(reverse("complaints:rates"), {"kind": "month", "month": "2026-12"})
    assert response.context["overall"]["received"] == 4 and "2026 年 12 月" in response.content.decode()
    response = client.get(reverse("complaints:rates"), {"kind": "quarter", "quarter": "2026Q3"})
    assert response.context["overall"]["received"] == 0 and figures(response)["handling_rate"] == "—"
    response = client.get(reverse("complaints:rates"), {"kind": "range", "date_from": "2026-12-01",
                                                        "date_to": "2026-12-01"})
    assert response.context["overall"]["received"] == 4


@pytest.mark.parametrize("params,message", [
    ({"kind": "range", "date_from": "2026-12-05", "date_to": "2026-12-01"}, "结束日期不能早于开始日期"),
    ({"kind": "range", "date_from": "2026-12-01"}, "自定义时段请填写起止日期"),
    ({"kind": "quarter", "quarter": "2026Q5"}, "季度格式应为"),
    ({"kind": "month", "month": "2026-13"}, "月份格式应为"),
])
def test_a_wrong_period_says_so_and_shows_this_quarter(counted, login, params, message):
    response = login("street_staff").get(reverse("complaints:rates"), params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["overall"]["received"] == 4  # 2026Q4


def test_rates_export(counted, login):
    rows = xlsx_rows_after_title(login("street_staff").get(reverse("complaints:rates") + "?export=xlsx"))
    total = rows[0]
    assert (total["维度"], total["受理件数"], total["处理率"], total["满意率"], total["不计入考核件数"]) == (
        "合计", 4, "75.0%", "50.0%", 1)
    assert {r["名称"] for r in rows if r["维度"] == "按街道"} == {"山城街道"}
    assert any(r["维度"] == "指标说明" and "处理率：已办结件数 ÷ 受理件数" in r["名称"] for r in rows)


def xlsx_rows_after_title(response):
    """The rates workbook has a title row above the header."""
    import io

    import openpyxl

    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return [dict(zip(rows[1], row)) for row in rows[2:] if any(v is not None for v in row)]


def test_estate_and_firm_cards_show_this_quarter_s_rates(world, counted, login):
    client = login("street_staff")
    response = client.get(reverse("communities:estate_detail", args=[world.estate_a1.pk]))
    html = response.content.decode()
    assert 'data-testid="complaints-panel"' in html and "75.0%" in html and "50.0%" in html
    assert "1 件不计入考核" in html
    response = login("district_admin").get(reverse("enterprises:firm_detail", args=[world.firm1.pk]))
    html = response.content.decode()
    assert "75.0%" in html and "受理 4 件" in html

