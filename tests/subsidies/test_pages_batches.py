"""POST flows of the batch pages: generate, the approval chain, pass-on, adjustments, edit attempts."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from subsidies.models import Adjustment, BatchEvent, BatchStatus, PassOn, Payout, PayoutBatch

from ._pages import GRAND_TOTAL, MARCH, build_batches
from .conftest import participating, published, same_tiers

pytestmark = pytest.mark.django_db
B = BatchStatus


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def ready(sub_world):
    """Ratings and applications in place, no batch yet."""
    w = sub_world
    participating(w, w.estate_a1, 2025, 0, area="12345.67")
    published(w, w.estate_a1, 2025, 1, 5)
    return w


@pytest.fixture
def pw(sub_world):
    return build_batches(sub_world)


def post_generate(client, w, month, **extra):
    return client.post(reverse("subsidies:batch_generate"), {"district": w.shanting.pk, "month": month, **extra})


# --- generate -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("month, message", [
    ("2025/03", "月份格式应为“2025-03”，收到“2025/03”"),
    ("2025-13", "月份格式应为"),
    ("", "该字段是必填项"),
])
def test_generate_with_a_bad_month_shows_the_message_and_creates_nothing(ready, login, month, message):
    response = post_generate(login("district_admin"), ready, month)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PayoutBatch.objects.exists() and not Payout.objects.exists()


def test_generate_for_a_month_not_yet_over_shows_the_message_and_creates_nothing(ready, login):
    this_month = datetime.date.today().replace(day=1)
    next_year = f"{this_month.year + 1}-01"
    client = login("district_admin")
    for month in (f"{this_month:%Y-%m}", next_year):
        response = post_generate(client, ready, month)
        assert response.status_code == 200
        assert "尚未结束，只能为已结束的月份生成补贴" in response.content.decode()
    assert not PayoutBatch.objects.exists()


def test_generate_outside_the_programme_says_so(ready, login):
    response = post_generate(login("district_staff"), ready, "2021-05")
    assert "2021-05 不在山亭区的补贴期内" in response.content.decode()
    assert not PayoutBatch.objects.exists()


def test_generate_creates_once_then_says_it_exists_then_recomputes(ready, login):
    client = login("district_staff")
    response = post_generate(client, ready, "2025-03")
    batch = PayoutBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("subsidies:batch_detail", args=[batch.pk])
    # 12,345.67 × 0.30 = 3,703.701 -> 3,703.70; the other two estates have zero lines.
    assert (batch.month, batch.line_count, batch.total) == (MARCH, 3, Decimal("3703.70"))
    page = client.get(response.url)
    assert "已生成山亭区 2025-03 批次：3 条明细，合计 3,703.70 元。" in messages_of(page)

    again = client.post(reverse("subsidies:batch_generate"), {"district": ready.shanting.pk, "month": "2025-03"},
                        follow=True)
    assert any("已存在" in m for m in messages_of(again))
    assert PayoutBatch.objects.count() == 1 and Payout.objects.count() == 3

    participating(ready, ready.estate_b1, 2025, 0, area="10000.05")
    published(ready, ready.estate_b1, 2025, 1, 3)
    redo = client.post(reverse("subsidies:batch_generate"),
                       {"district": ready.shanting.pk, "month": "2025-03", "recompute": "on"}, follow=True)
    assert any("已重新生成" in m for m in messages_of(redo))
    batch.refresh_from_db()
    assert batch.total == Decimal("5703.71") and Payout.objects.count() == 3


def test_recompute_is_refused_once_checked(pw, login):
    login("district_staff").post(reverse("subsidies:batch_transition", args=[pw.batch.pk]), {"action": "check"})
    response = post_generate(login("district_admin"), pw, "2025-03", recompute="on")
    assert response.status_code == 200
    assert "已审核，金额已固定，不能重新生成" in response.content.decode()
    pw.batch.refresh_from_db()
    assert pw.batch.total == GRAND_TOTAL


def test_generate_is_refused_outside_ones_district(ready, login):
    assert post_generate(login("street_staff"), ready, "2025-03").status_code == 404
    # 管城回族区's admin cannot pick 山亭区: not among the choices.
    response = post_generate(login("district_admin_gc"), ready, "2025-03")
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    assert not PayoutBatch.objects.exists()


def test_recompute_button_only_while_generated_and_only_for_generators(pw, login):
    url = reverse("subsidies:batch_detail", args=[pw.batch.pk])
    assert "重新生成" in login("district_staff").get(url).content.decode()
    assert "重新生成" not in login("street_staff").get(url).content.decode()


# --- the approval chain -----------------------------------------------------------------------------------------

def transition(client, w, action, **data):
    return client.post(reverse("subsidies:batch_transition", args=[w.batch.pk]), {"action": action, **data})


def test_action_forms_are_exactly_the_allowed_actions(pw, login):
    url = reverse("subsidies:batch_detail", args=[pw.batch.pk])
    assert [a["action"] for a in login("district_staff").get(url).context["actions"]] == ["check"]
    assert [a["action"] for a in login("district_admin").get(url).context["actions"]] == ["check"]
    for persona in ("street_staff", "firm_user", "community_clerk"):
        assert login(persona).get(url).context["actions"] == []
    transition(login("district_staff"), pw, "check")
    page = login("district_admin").get(url)
    assert [a["action"] for a in page.context["actions"]] == ["approve", "reject_check"]
    assert 'data-testid="action-approve"' in page.content.decode()
    assert login("district_staff").get(url).context["actions"] == []


def test_out_of_order_approve_is_refused_with_the_message(pw, login):
    response = transition(login("district_admin"), pw, "approve")
    assert response.status_code == 200
    assert "批次当前状态为“已生成”，不能执行此操作。" in messages_of(response)
    pw.batch.refresh_from_db()
    assert pw.batch.status == B.GENERATED and not BatchEvent.objects.exists()


def test_wrong_role_is_refused(pw, login):
    response = transition(login("street_staff"), pw, "check")
    assert "您无权对该批次执行此操作。" in messages_of(response)
    pw.batch.refresh_from_db()
    assert pw.batch.status == B.GENERATED


def test_full_chain_through_the_pages(pw, login):
    w = pw
    response = transition(login("district_staff"), w, "check", comment="已核对面积")
    assert response.status_code == 302
    response = transition(login("district_admin"), w, "approve")
    assert response.status_code == 302
    w.batch.refresh_from_db()
    assert w.batch.status == B.APPROVED
    # Disburse without a voucher: the service's message, nothing changes.
    response = transition(login("district_admin"), w, "disburse", disbursed_on="2025-04-10", voucher="")
    # On the disburse form itself (not repeated above the page).
    assert response.context["actions"][0]["form"].non_field_errors() == ["请填写拨付日期和凭证号。"]
    assert "请填写拨付日期和凭证号。" not in messages_of(response)
    response = transition(login("district_staff"), w, "disburse", disbursed_on="2025-04-10", voucher="ST-0410")
    assert response.status_code == 302
    w.batch.refresh_from_db()
    assert (w.batch.status, w.batch.disbursed_on, w.batch.disbursement_voucher) == (
        B.DISBURSED, datetime.date(2025, 4, 10), "ST-0410")
    page = login("district_admin").get(reverse("subsidies:batch_detail", args=[w.batch.pk]))
    timeline = page.content.decode()
    assert "已核对面积" in timeline and "ST-0410" in timeline
    events = list(page.context["events"])
    assert [(e.from_status, e.to_status, e.actor.username) for e in events] == [
        ("generated", "checked", "district_staff"), ("checked", "approved", "district_admin"),
        ("approved", "disbursed", "district_staff")]


def test_over_budget_approve_needs_the_reason(sub_world, login):
    w = sub_world
    w.policy.yearly_budget = Decimal("5000.00")
    w.policy.save()
    build_batches(w)
    assert w.batch.over_budget
    detail = reverse("subsidies:batch_detail", args=[w.batch.pk])
    page = login("district_admin").get(detail).content.decode()
    assert 'data-testid="over-budget-alert"' in page and "超出年度预算 5,000.00 元" in page
    transition(login("district_staff"), w, "check")
    page = login("district_admin").get(detail).content.decode()
    assert 'name="override_reason"' in page

    response = transition(login("district_admin"), w, "approve", override_reason="  ")
    assert response.status_code == 200
    html = response.content.decode()
    assert ("2025 年度：本批次 7,925.93 元加上此前批次 0.00 元共 7,925.93 元，超出年度预算 5,000.00 元"
            "；如确需批准，请填写超预算理由。") in html
    w.batch.refresh_from_db()
    assert w.batch.status == B.CHECKED

    response = transition(login("district_admin"), w, "approve", override_reason="区政府常务会议同意追加预算")
    assert response.status_code == 302
    w.batch.refresh_from_db()
    assert w.batch.status == B.APPROVED and w.batch.budget_override_reason == "区政府常务会议同意追加预算"
    # Streets never see the budget alert.
    assert "over-budget-alert" not in login("street_staff").get(detail).content.decode()


def test_reject_check_needs_a_reason(pw, login):
    transition(login("district_staff"), pw, "check")
    response = transition(login("district_admin"), pw, "reject_check", comment="")
    assert "退回时请填写原因。" in response.content.decode()
    assert transition(login("district_admin"), pw, "reject_check", comment="面积有误").status_code == 302
    pw.batch.refresh_from_db()
    assert pw.batch.status == B.GENERATED


# --- pass-on ------------------------------------------------------------------------------------------------------

def _disbursed(w, login):
    transition(login("district_staff"), w, "check")
    transition(login("district_admin"), w, "approve")
    transition(login("district_admin"), w, "disburse", disbursed_on="2025-04-10", voucher="ST-0410")
    w.batch.refresh_from_db()
    assert w.batch.status == B.DISBURSED


def test_street_staff_records_the_pass_on_of_its_own_firm(pw, login):
    w = pw
    _disbursed(w, login)
    detail = reverse("subsidies:batch_detail", args=[w.batch.pk])
    page = login("street_staff").get(detail)
    rows = page.context["pass_ons"]
    # 山城街道 → firm 甲: 3,703.70 + 2,222.22 = 5,925.92 (锦绣花园 has no firm and no money).
    assert [(r.street_name, r.firm_name, r.amount, r.may_record) for r in rows] == [
        ("山城街道", w.firm1.name, Decimal("5925.92"), True)]
    assert page.content.decode().count('data-testid="pass-on-form"') == 1

    url = reverse("subsidies:pass_on_record", args=[w.batch.pk])
    data = {"street_id": w.shancheng.pk, "firm_id": w.firm1.pk, "paid_on": "2025-04-12", "voucher": "SC-0412"}
    # The other street's clerk cannot record it.
    refused = login("street_staff2").post(url, data)
    assert "只能登记本街道的拨付。" in messages_of(refused)
    assert not PassOn.objects.exists()
    # A missing voucher: the form says so, nothing saved.
    missing = login("street_staff").post(url, {**data, "voucher": ""})
    assert missing.status_code == 200 and not PassOn.objects.exists()

    ok = login("street_staff").post(url, data)
    assert ok.status_code == 302
    record = PassOn.objects.get()
    assert (record.amount, record.paid_on, record.voucher, record.recorded_by.username) == (
        Decimal("5925.92"), datetime.date(2025, 4, 12), "SC-0412", "street_staff")
    w.batch.refresh_from_db()
    assert w.batch.status == B.DISBURSED  # 北庄街道 has not recorded yet
    again = login("street_staff").post(url, data)
    assert "该企业的拨付已登记。" in messages_of(again)

    login("street_staff2").post(url, {"street_id": w.beizhuang.pk, "firm_id": w.firm2.pk, "paid_on": "2025-04-13",
                                      "voucher": "BZ-0413"}, follow=True)  # follow: consume the message
    w.batch.refresh_from_db()
    assert w.batch.status == B.COMPLETED
    firm_page = login("firm_user").get(detail).content.decode()
    assert "SC-0412" in firm_page and "BZ-0413" not in firm_page


def test_pass_on_before_disbursement_is_refused(pw, login):
    url = reverse("subsidies:pass_on_record", args=[pw.batch.pk])
    response = login("street_staff").post(url, {"street_id": pw.shancheng.pk, "firm_id": pw.firm1.pk,
                                                "paid_on": "2025-04-12", "voucher": "SC-1"})
    assert "区里拨付到街道后，街道才能登记拨付给企业。" in messages_of(response)
    assert not PassOn.objects.exists()


# --- adjustments and edit attempts ------------------------------------------------------------------------------------

def test_edit_attempt_shows_the_services_message(pw, login):
    url = reverse("subsidies:line_edit", args=[pw.line_a1.pk])
    response = login("district_admin").post(url, {"amount": "3000.00"})
    assert "未审核的批次请修正基础数据后“重新生成”，不能手工修改金额。" in response.content.decode()
    transition(login("district_staff"), pw, "check")
    transition(login("district_admin"), pw, "approve")
    response = login("district_admin").post(url, {"amount": "3000.00"})
    assert "已批准的补贴金额不能修改；如需更正，请登记调整，调整将计入下一批次。" in response.content.decode()
    pw.line_a1.refresh_from_db()
    assert pw.line_a1.amount == Decimal("3703.70")


def test_adjustment_only_after_approval_then_it_goes_into_the_next_batch(pw, login):
    w = pw
    url = reverse("subsidies:line_adjust", args=[w.line_a1.pk])
    lines_url = reverse("subsidies:batch_lines", args=[w.batch.pk])
    assert "登记调整" not in login("district_admin").get(lines_url).content.decode().split("<tbody>")[1]
    response = login("district_admin").post(url, {"delta": "-100.00", "reason": "面积核减"})
    assert "批次尚未批准，请修正基础数据后重新生成，无需调整。" in response.content.decode()
    assert not Adjustment.objects.exists()

    transition(login("district_staff"), w, "check")
    transition(login("district_admin"), w, "approve")
    assert f'href="{url}"' in login("district_admin").get(lines_url).content.decode()
    assert login("district_staff").get(url).status_code == 404
    bad = login("district_admin").post(url, {"delta": "-100.00", "reason": ""})
    assert bad.status_code == 200 and not Adjustment.objects.exists()
    # 500 ㎡ too many: 500 × 0.30 = 150.00 paid too much.
    ok = login("district_admin").post(url, {"delta": "-150.00", "reason": "面积核减 500㎡"})
    assert ok.status_code == 302 and ok.url == lines_url
    adj = Adjustment.objects.get()
    assert (adj.original, adj.delta, adj.created_by.username) == (w.line_a1, Decimal("-150.00"), "district_admin")

    same_tiers(w, 2025, 2)  # April is paid on 2025Q2, published with the same tiers
    response = login("district_admin").post(reverse("subsidies:batch_generate"),
                                            {"district": w.shanting.pk, "month": "2025-04"}, follow=True)
    april = PayoutBatch.objects.get(district=w.shanting, month=datetime.date(2025, 4, 1))
    line = april.lines.get(kind="adjustment")
    assert line.amount == Decimal("-150.00") and line.adjusts == w.line_a1
    # April: the same three paying lines 7,925.93 − 150.00 = 7,775.93.
    assert april.total == Decimal("7775.93")
    page = login("district_admin").get(reverse("subsidies:batch_lines", args=[april.pk]) + "?kind=adjustment")
    html = page.content.decode()
    assert "原 2025-03 明细" in html and "-150.00" in html
    assert response.status_code == 200
