"""The payout list in Excel: sections per street, subtotals and the grand total to the fen, scope respected."""
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from ._pages import BEIZHUANG_SUBTOTAL, GRAND_TOTAL, SHANCHENG_SUBTOTAL, VISIBLE_ESTATES, VISIBLE_TOTAL, build_batches

pytestmark = pytest.mark.django_db
HEADER = ["社区", "小区", "企业", "面积（㎡）", "星级", "标准（元/㎡/月）", "金额（元）", "说明"]


@pytest.fixture
def pw(sub_world):
    return build_batches(sub_world)


def fen(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def read_payout_list(response):
    """{'sections': {street: {'lines': {estate: row}, 'subtotal': Decimal}}, 'grand': Decimal, 'cells': [...]}"""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows())
    out = {"sections": {}, "grand": None, "money_cells": [], "title": rows[0][0].value}
    street = None
    for i, row in enumerate(rows):
        values = [c.value for c in row]
        first = values[0]
        if i + 1 < len(rows) and [c.value for c in rows[i + 1]][:8] == HEADER:
            street = first
            out["sections"][street] = {"lines": {}, "subtotal": None}
        elif values[:8] == HEADER or first is None or i < 3:
            continue
        elif isinstance(first, str) and first.endswith(" 小计"):
            assert first == f"{street} 小计"
            out["sections"][street]["subtotal"] = fen(values[6])
            out["money_cells"].append(row[6])
        elif first == "合计":
            out["grand"] = fen(values[6])
            out["money_cells"].append(row[6])
        else:
            out["sections"][street]["lines"][values[1]] = values
            out["money_cells"].append(row[6])
    return out


def test_subtotals_and_grand_total_match_the_hand_worked_figures_and_the_page(pw, login):
    client = login("district_admin")
    data = read_payout_list(client.get(reverse("subsidies:batch_export", args=[pw.batch.pk])))
    assert data["title"] == "山亭区 2025年03月 效能补贴拨付清单"
    assert list(data["sections"]) == ["北庄街道", "山城街道"]
    shancheng = data["sections"]["山城街道"]
    assert list(shancheng["lines"]) == ["桂花苑", "梅花园", "锦绣花园"]
    # By hand (see _pages.py): 3,703.70 + 2,222.22 + 0.00 and 2,000.01; together 7,925.93.
    assert shancheng["subtotal"] == SHANCHENG_SUBTOTAL == Decimal("5925.92")
    assert data["sections"]["北庄街道"]["subtotal"] == BEIZHUANG_SUBTOTAL == Decimal("2000.01")
    assert data["grand"] == GRAND_TOTAL == Decimal("7925.93")
    # Each line: numbers, not text; the estate's figures as generated.
    mei = shancheng["lines"]["梅花园"]
    assert mei[:3] == ["梅园社区", "梅花园", pw.firm1.name]
    assert (fen(mei[3]), mei[4], fen(mei[5]), fen(mei[6])) == (
        Decimal("12345.67"), "★★★★★", Decimal("0.30"), Decimal("3703.70"))
    assert shancheng["lines"]["锦绣花园"][6] == 0 and shancheng["lines"]["锦绣花园"][7] == "未参加星级评定"
    assert all(c.number_format == "#,##0.00" and isinstance(c.value, (int, float)) for c in data["money_cells"])
    # The lines add up to each subtotal, and the subtotals to the total, in Decimal.
    for section in data["sections"].values():
        assert sum((fen(r[6]) for r in section["lines"].values()), Decimal("0")) == section["subtotal"]
    assert sum((s["subtotal"] for s in data["sections"].values()), Decimal("0")) == data["grand"]

    # The same figures as the batch page.
    page = client.get(reverse("subsidies:batch_detail", args=[pw.batch.pk]))
    by_street = {r["street__name"]: r["total"] for r in page.context["by_street"]}
    assert {k: v["subtotal"] for k, v in data["sections"].items()} == by_street
    assert page.context["totals"]["total"] == data["grand"]
    html = page.content.decode()
    assert "5,925.92" in html and "2,000.01" in html and "7,925.93" in html


@pytest.mark.parametrize("persona", ["city_admin", "district_staff", "street_staff", "street_staff2",
                                     "community_clerk", "firm_user", "firm_user2"])
def test_export_respects_scope(pw, login, persona):
    data = read_payout_list(login(persona).get(reverse("subsidies:batch_export", args=[pw.batch.pk])))
    estates = {name for s in data["sections"].values() for name in s["lines"]}
    assert estates == VISIBLE_ESTATES[persona]
    assert data["grand"] == VISIBLE_TOTAL[persona]
    if persona in ("street_staff2", "firm_user2"):
        assert list(data["sections"]) == ["北庄街道"]
    if persona in ("street_staff", "firm_user", "community_clerk"):
        assert list(data["sections"]) == ["山城街道"]


def test_export_of_an_adjustment_explains_it(pw, login):
    from subsidies.services import approvals as ap
    from subsidies.services import generation as gen
    import datetime

    w = pw
    ap.batch_transition(actor=w.users["district_staff"], batch=w.batch, action="check")
    ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="approve")
    ap.adjustment_create(actor=w.users["district_admin"], original=w.line_a1, delta="-150.00", reason="面积核减")
    from .conftest import same_tiers

    same_tiers(w, 2025, 2)  # April is paid on 2025Q2, published with the same tiers
    april = gen.generate_batch(district=w.shanting, month=datetime.date(2025, 4, 1))
    data = read_payout_list(login("district_admin").get(reverse("subsidies:batch_export", args=[april.pk])))
    # April: 7,925.93 of regular lines − 150.00 = 7,775.93; 山城街道 5,925.92 − 150.00 = 5,775.92.
    assert data["sections"]["山城街道"]["subtotal"] == Decimal("5775.92")
    assert data["grand"] == Decimal("7775.93") == april.total
