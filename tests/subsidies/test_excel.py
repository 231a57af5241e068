"""The payout list in Excel: sections per street, subtotals and the grand total to the fen, scope respected."""
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from subsidies.services import approvals as ap

from ._pages import BEIZHUANG_SUBTOTAL, GRAND_TOTAL, SHANCHENG_SUBTOTAL, VISIBLE_ESTATES, VISIBLE_TOTAL, build_batches

pytestmark = pytest.mark.django_db
HEADER = ["社区", "小区", "企业", "面积（㎡）", "星级", "标准（元/㎡/月）", "金额（元）", "说明"]
ZERO_HEADER = ["街道", "社区", "小区", "企业", "面积（㎡）", "星级", "服务月份", "金额（元）", "不拨付原因"]


@pytest.fixture
def pw(sub_world):
    return build_batches(sub_world)


def fen(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def read_payout_list(response):
    """{'sections': {street: {'lines': {estate: row}, 'subtotal': Decimal}}, 'grand': Decimal, 'money_cells': [...],
    'title', 'sheets', 'signatures': {label: (cells to sign, recorded)}, 'zero': [row], 'zero_count': str}"""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = book["拨付清单"]
    assert book.worksheets[0].title == "拨付清单"
    rows = list(ws.iter_rows())
    out = {"sections": {}, "grand": None, "money_cells": [], "title": rows[0][0].value, "note": rows[2][0].value,
           "sheets": book.sheetnames, "signatures": {}, "zero": [], "zero_count": None}
    street = None
    after_total = False
    for i, row in enumerate(rows):
        values = [c.value for c in row]
        first = values[0]
        if after_total:
            if first in ("经办人：", "审核人：", "批准人："):
                # label, two cells to sign, 日期：, two cells for the date, the platform's record
                assert values[3] == "日期："
                assert all(row[c].border.bottom.style == "thin" and values[c] is None for c in (1, 2, 4, 5))
                out["signatures"][first] = values[6]
            continue
        if i + 1 < len(rows) and [c.value for c in rows[i + 1]][:8] == HEADER:
            street = first
            out["sections"][street] = {"lines": {}, "subtotal": None}
        elif values[:8] == HEADER or first is None or i < 4:
            continue
        elif isinstance(first, str) and first.endswith(" 小计"):
            assert first == f"{street} 小计"
            out["sections"][street]["subtotal"] = fen(values[6])
            out["money_cells"].append(row[6])
        elif first == "合计":
            out["grand"] = fen(values[6])
            out["money_cells"].append(row[6])
            after_total = True
        else:
            out["sections"][street]["lines"][values[1]] = values
            out["money_cells"].append(row[6])
    zs = book["零金额明细"]
    zrows = [[c.value for c in row] for row in zs.iter_rows()]
    assert zrows[2][:9] == ZERO_HEADER
    for values in zrows[3:]:
        if isinstance(values[0], str) and values[0].startswith("共 "):
            out["zero_count"] = values[0]
        elif values[0] is not None:
            out["zero"].append(values[:9])
    return out


def test_subtotals_and_grand_total_match_the_hand_worked_figures_and_the_page(pw, login):
    client = login("district_admin")
    data = read_payout_list(client.get(reverse("subsidies:batch_export", args=[pw.batch.pk])))
    assert data["sheets"] == ["拨付清单", "零金额明细"]
    assert data["title"] == "山亭区 2025年03月 效能补贴拨付清单"
    assert data["note"] == "本表只列拨付金额不为零的明细；零金额明细 1 条（不拨付）见工作表“零金额明细”。"
    assert list(data["sections"]) == ["北庄街道", "山城街道"]
    shancheng = data["sections"]["山城街道"]
    # The paying sheet lists paying lines only: 锦绣花园's 0.00 is on the second sheet.
    assert list(shancheng["lines"]) == ["桂花苑", "梅花园"]
    # By hand (see _pages.py): 3,703.70 + 2,222.22 (+ 0.00) and 2,000.01; together 7,925.93.
    assert shancheng["subtotal"] == SHANCHENG_SUBTOTAL == Decimal("5925.92")
    assert data["sections"]["北庄街道"]["subtotal"] == BEIZHUANG_SUBTOTAL == Decimal("2000.01")
    assert data["grand"] == GRAND_TOTAL == Decimal("7925.93")
    # Each line: numbers, not text; the estate's figures as generated.
    mei = shancheng["lines"]["梅花园"]
    assert mei[:3] == ["梅园社区", "梅花园", pw.firm1.name]
    assert (fen(mei[3]), mei[4], fen(mei[5]), fen(mei[6])) == (
        Decimal("12345.67"), "★★★★★", Decimal("0.30"), Decimal("3703.70"))
    assert all(c.number_format == "#,##0.00" and isinstance(c.value, (int, float)) for c in data["money_cells"])
    assert all(fen(c.value) != 0 for c in data["money_cells"])
    # The lines add up to each subtotal, and the subtotals to the total, in Decimal.
    for section in data["sections"].values():
        assert sum((fen(r[6]) for r in section["lines"].values()), Decimal("0")) == section["subtotal"]
    assert sum((s["subtotal"] for s in data["sections"].values()), Decimal("0")) == data["grand"]

    # The zero line, with its reason, on its own sheet.
    assert data["zero"] == [["山城街道", "紫薇社区", "锦绣花园", "", 52000, "无星", "2025-03", 0,
                             "未参加星级评定"]]
    assert data["zero_count"] == "共 1 条"

    # The signature block under the total: a freshly generated batch is signed by nobody yet.
    assert data["signatures"] == {
        "经办人：": f"平台记录：系统 {pw.batch.generated_at.astimezone(ZoneInfo(settings.TIME_ZONE)):%Y年%m月%d日} 生成",
        "审核人：": "平台记录：尚未审核",
        "批准人：": "平台记录：尚未批准",
    }

    # The same figures as the batch page.
    page = client.get(reverse("subsidies:batch_detail", args=[pw.batch.pk]))
    by_street = {r["street__name"]: r["total"] for r in page.context["by_street"]}
    assert {k: v["subtotal"] for k, v in data["sections"].items()} == by_street
    assert page.context["totals"]["total"] == data["grand"]
    html = page.content.decode()
    assert "5,925.92" in html and "2,000.01" in html and "7,925.93" in html


def test_signature_block_names_who_checked_and_approved_on_which_day(pw, login):
    staff, admin = pw.users["district_staff"], pw.users["district_admin"]
    with time_machine.travel(datetime.datetime(2025, 4, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        ap.batch_transition(actor=staff, batch=pw.batch, action="check")
    with time_machine.travel(datetime.datetime(2025, 4, 9, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        ap.batch_transition(actor=admin, batch=pw.batch, action="approve")
    data = read_payout_list(login("district_admin").get(reverse("subsidies:batch_export", args=[pw.batch.pk])))
    # 23:30 in Beijing is still 9 April (15:30 UTC): the date is the local one.
    assert data["signatures"]["审核人："] == f"平台记录：{staff.full_name} 2025年04月07日 审核"
    assert data["signatures"]["批准人："] == f"平台记录：{admin.full_name} 2025年04月09日 批准"

    # Sent back: the approval no longer stands, so its line is blank again; the check still does.
    ap.batch_transition(actor=admin, batch=pw.batch, action="reject_approval", comment="金额待核")
    data = read_payout_list(login("district_admin").get(reverse("subsidies:batch_export", args=[pw.batch.pk])))
    assert data["signatures"]["批准人："] == "平台记录：尚未批准"
    assert data["signatures"]["审核人："] == f"平台记录：{staff.full_name} 2025年04月07日 审核"


@pytest.mark.parametrize("persona", ["city_admin", "district_staff", "street_staff", "street_staff2",
                                     "community_clerk", "firm_user", "firm_user2"])
def test_export_respects_scope(pw, login, persona):
    data = read_payout_list(login(persona).get(reverse("subsidies:batch_export", args=[pw.batch.pk])))
    estates = {name for s in data["sections"].values() for name in s["lines"]}
    # Paying lines on the first sheet, zero lines (锦绣花园, no firm, 山城街道) on the second: together the
    # persona's lines, no more.
    zero = {row[2] for row in data["zero"]}
    assert estates | zero == VISIBLE_ESTATES[persona] and not estates & zero
    assert zero == ({"锦绣花园"} & VISIBLE_ESTATES[persona])
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
