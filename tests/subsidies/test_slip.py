"""The payout approval slip (拨付审批单): amounts by street, the approval trail, scope."""
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse

from subsidies.services import approvals as ap

from ._pages import BEIZHUANG_SUBTOTAL, GRAND_TOTAL, SHANCHENG_SUBTOTAL, build_batches

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw(sub_world):
    return build_batches(sub_world)


def rows(html: str, testid: str) -> list[list[str]]:
    """The cells' text of each <tr data-testid=...> of the page."""
    found = []
    for tr in re.findall(rf'<tr[^>]*data-testid="{testid}"[^>]*>(.*?)</tr>', html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        found.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return found


def slip(client, batch):
    return client.get(reverse("subsidies:batch_slip", args=[batch.pk]))


def test_district_admin_slip_lists_each_street_with_the_lines_summed_by_hand(pw, login):
    response = slip(login("district_admin"), pw.batch)
    assert response.status_code == 200
    html = response.content.decode()
    assert "山亭区物业服务效能补贴拨付审批单" in html
    assert "2025年3月" in html
    assert "山亭区住房保障服务中心" in html
    for label in ("经办人", "审核人", "批准人", "日期"):
        assert label in html

    # The batch's own lines, summed here street by street (not by the code under test).
    by_street = defaultdict(lambda: {"estates": set(), "lines": 0, "total": Decimal("0.00")})
    for line in pw.batch.lines.select_related("street"):
        s = by_street[line.street.name]
        s["estates"].add(line.estate_id)
        s["lines"] += 1
        s["total"] += line.amount
    assert by_street["山城街道"]["total"] == SHANCHENG_SUBTOTAL
    assert by_street["北庄街道"]["total"] == BEIZHUANG_SUBTOTAL

    expected = [[str(i), name, str(len(s["estates"])), str(s["lines"]), f"{s['total']:,.2f}"]
                for i, (name, s) in enumerate(sorted(by_street.items()), start=1)]
    assert rows(html, "street-row") == expected
    # Worked out by hand in _pages.py: 山城 3 estates 5,925.92, 北庄 1 estate 2,000.01.
    assert sorted(r[1:] for r in rows(html, "street-row")) == [
        ["北庄街道", "1", "1", "2,000.01"], ["山城街道", "3", "3", "5,925.92"]]
    assert rows(html, "total-row") == [["合计", "4", "4", "7,925.93"]]
    assert f"{GRAND_TOTAL:,.2f}" == "7,925.93"
    assert 'data-testid="scope-note"' not in html


def test_street_staff_slip_holds_only_its_own_street(pw, login):
    html = slip(login("street_staff"), pw.batch).content.decode()
    assert [r[1:] for r in rows(html, "street-row")] == [["山城街道", "3", "3", "5,925.92"]]
    assert rows(html, "total-row") == [["合计", "3", "3", "5,925.92"]]
    assert 'data-testid="scope-note"' in html


@pytest.mark.parametrize("persona, batch_attr", [
    ("district_admin_gc", "batch"),    # another district's admin
    ("district_admin", "batch_gc"),    # 山亭区's admin, 管城回族区's batch
    ("street_staff", "batch_gc"),
    ("firm_user", "batch_gc"),
])
def test_slip_outside_scope_is_not_found(pw, login, persona, batch_attr):
    assert slip(login(persona), getattr(pw, batch_attr)).status_code == 404


def test_anonymous_visitor_is_sent_to_login(pw, client):
    response = slip(client, pw.batch)
    assert response.status_code == 302 and "login" in response["Location"]


def test_trail_lists_the_batch_events_in_order_and_signatures_follow_the_chain(pw, login):
    w = pw
    staff, admin = w.users["district_staff"], w.users["district_admin"]
    ap.batch_transition(actor=staff, batch=w.batch, action="check", comment="初核无误")
    ap.batch_transition(actor=admin, batch=w.batch, action="reject_check", comment="北庄花园面积待核")
    ap.batch_transition(actor=staff, batch=w.batch, action="check", comment="已复核")
    html = slip(login("district_admin"), w.batch).content.decode()
    trail = rows(html, "trail-row")
    assert [(r[0], r[2], r[3], r[4]) for r in trail] == [
        ("1", "系统", "生成批次", ""),
        ("2", staff.display_name, "审核通过（已生成 → 已审核）", "初核无误"),
        ("3", admin.display_name, "退回重新核算（已审核 → 已生成）", "北庄花园面积待核"),
        ("4", staff.display_name, "审核通过（已生成 → 已审核）", "已复核"),
    ]
    assert 'data-testid="checked-record"' in html and staff.display_name in html
    assert 'data-testid="approved-record"' not in html  # not approved yet: no approver on the slip

    ap.batch_transition(actor=admin, batch=w.batch, action="approve", comment="同意拨付")
    html = slip(login("district_admin"), w.batch).content.decode()
    trail = rows(html, "trail-row")
    assert [r[3] for r in trail][-1] == "批准（已审核 → 已批准）"
    assert len(trail) == 1 + w.batch.events.count() == 5
    approved = re.search(r'data-testid="approved-record">(.*?)</div>', html, re.S).group(1)
    assert admin.display_name in approved and "批准" in approved


def test_batch_detail_links_the_slip(pw, login):
    html = login("district_staff").get(reverse("subsidies:batch_detail", args=[pw.batch.pk])).content.decode()
    assert reverse("subsidies:batch_slip", args=[pw.batch.pk]) in html and "打印审批单" in html


def test_slip_query_count_does_not_grow_with_events(pw, login, django_assert_max_num_queries):
    client = login("district_admin")
    for action, actor in (("check", "district_staff"), ("approve", "district_admin"),
                          ("reject_approval", "district_admin"), ("approve", "district_admin")):
        ap.batch_transition(actor=pw.users[actor], batch=pw.batch, action=action, comment="意见")
    # Session, user, roles, the batch, the street sums, the events with their actors, the settled months,
    # and the session's save (savepoint, update, release): ten, however many events the batch has.
    with django_assert_max_num_queries(10):
        assert slip(client, pw.batch).status_code == 200
