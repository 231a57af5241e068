"""The chain submitted → reviewed → approved → disbursed (with return and withdrawal): who may do each step,
its event rows, exactly once (also two requests at once), the budget of the district's match, the notices."""
import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from accounts.models import Notification, Role
from maintenance.models import ApplicationEvent, ApplicationStatus, FundApplication, MaintenancePolicy
from maintenance.services import applications as svc
from tests.factories import user_with_role

from .conftest import TODAY, step, submit, through

S = ApplicationStatus


def _app(w):
    return submit(w, w.lift_estate, area="4000", per_sqm="75", has_lift=True)


@pytest.mark.django_db
def test_the_full_chain_records_who_did_each_step(mw):
    w = mw
    app = _app(w)
    assert svc.allowed_actions(app, w.users["district_staff"]) == ["review", "return"]
    assert svc.allowed_actions(app, w.users["street_staff"]) == ["withdraw"]
    assert svc.allowed_actions(app, w.users["street_staff2"]) == []
    app = step(w, app, "review", "district_staff", comment="材料齐全，面积已核")
    assert svc.allowed_actions(app, w.users["district_staff"]) == ["return"]  # approval is the admin's
    step(w, app, "approve", "district_admin", comment="同意")
    app = step(w, app, "disburse", "district_admin", disbursed_on=datetime.date(2025, 6, 10), voucher="WX-2025-001")
    app.refresh_from_db()
    assert (app.status, app.approved_on, app.disbursed_on, app.disbursement_voucher) == (
        S.DISBURSED, TODAY, datetime.date(2025, 6, 10), "WX-2025-001")
    events = list(app.events.order_by("at", "pk").values_list("actor__username", "from_status", "to_status", "comment"))
    assert events == [
        ("street_staff", "", "submitted", "4,000.00 ㎡ × 75.00 元/㎡ = 300,000.00 元，区财政配套 300,000.00 元"),
        ("district_staff", "submitted", "reviewed", "材料齐全，面积已核"),
        ("district_admin", "reviewed", "approved", "同意"),
        ("district_admin", "approved", "disbursed",
         "拨付 600,000.00 元（核定 300,000.00 元 + 区财政配套 300,000.00 元），凭证号 WX-2025-001"),
    ]
    # The amounts never changed along the way; the history records each save and who made it.
    assert (app.granted, app.matched) == (Decimal("300000.00"), Decimal("300000.00"))
    assert [h.history_user.username for h in app.history.order_by("history_date", "history_id")] == [
        "street_staff", "district_staff", "district_admin", "district_admin"]


@pytest.mark.django_db
def test_steps_out_of_order_or_by_the_wrong_people_are_refused(mw):
    w = mw
    app = _app(w)
    with pytest.raises(ValidationError, match="申请当前状态为“已提交”，不能执行此操作"):
        step(w, app, "approve", "district_admin")
    for persona in ("street_staff", "street_staff2", "district_admin_gc", "community_clerk", "firm_user"):
        with pytest.raises(ValidationError, match="无权"):
            step(w, app, "review", persona)
    step(w, app, "review", "district_staff")
    with pytest.raises(ValidationError, match="无权"):
        step(w, app, "approve", "district_staff")
    with pytest.raises(ValidationError, match="申请当前状态为“已审核”，不能执行此操作"):
        step(w, app, "withdraw", "street_staff")  # reviewed: no longer the street's to withdraw
    with pytest.raises(ValidationError, match="未知操作"):
        step(w, app, "pay_twice", "district_admin")
    app.refresh_from_db()
    assert app.status == S.REVIEWED and app.events.count() == 2


@pytest.mark.django_db
def test_a_return_needs_a_reason_and_the_street_corrects_and_resubmits(mw):
    w = mw
    app = _app(w)
    step(w, app, "review", "district_staff")
    with pytest.raises(ValidationError, match="退回时请填写原因"):
        step(w, app, "return", "district_admin", comment="  ")
    step(w, app, "return", "district_admin", comment="电梯楼栋面积只有 3,000 ㎡")
    app.refresh_from_db()
    assert app.status == S.RETURNED
    assert svc.may_resubmit(app, w.users["street_staff"]) and not svc.may_resubmit(app, w.users["street_staff2"])
    with pytest.raises(ValidationError, match="只能由小区所在街道修改"):
        svc.application_resubmit(actor=w.users["street_staff2"], application=app, area="3000", has_lift=True,
                                 per_sqm="75", repair_items="电梯更新", collector="firm", today=TODAY)
    # The corrected figures are checked again (80 > 75) and, when right, recomputed: 3,000 × 75.
    with pytest.raises(ValidationError, match="超过电梯房上限 75.00"):
        svc.application_resubmit(actor=w.users["street_staff"], application=app, area="3000", has_lift=True,
                                 per_sqm="80", repair_items="电梯更新", collector="firm", today=TODAY)
    later = datetime.date(2025, 6, 20)
    app = svc.application_resubmit(actor=w.users["street_staff"], application=app, area="3000", has_lift=True,
                                   per_sqm="75", repair_items="电梯更新", collector="owners", today=later)
    app.refresh_from_db()
    assert (app.status, app.granted, app.matched, app.submitted_on, app.collector) == (
        S.SUBMITTED, Decimal("225000.00"), Decimal("225000.00"), later, "owners")
    assert list(app.events.values_list("from_status", "to_status")) == [
        ("", "submitted"), ("submitted", "reviewed"), ("reviewed", "returned"), ("returned", "submitted")]
    with pytest.raises(ValidationError, match="只有被退回的申请"):
        svc.application_resubmit(actor=w.users["street_staff"], application=app, area="3000", has_lift=True,
                                 per_sqm="75", repair_items="电梯更新", collector="owners", today=later)


@pytest.mark.django_db
def test_approval_and_disbursement_happen_exactly_once(mw):
    w = mw
    app = through(w, _app(w), "approve")
    with pytest.raises(ValidationError, match="申请当前状态为“已批准”，不能执行此操作"):
        step(w, app, "approve", "district_admin")
    step(w, app, "disburse", "district_staff", disbursed_on=TODAY, voucher="WX-1")
    with pytest.raises(ValidationError, match="申请当前状态为“已拨付”，不能执行此操作"):
        step(w, app, "disburse", "district_admin", disbursed_on=TODAY, voucher="WX-2")
    app.refresh_from_db()
    assert app.disbursement_voucher == "WX-1"
    assert app.events.filter(to_status=S.APPROVED).count() == 1
    assert app.events.filter(to_status=S.DISBURSED).count() == 1


@pytest.mark.django_db
def test_disbursement_needs_a_date_between_approval_and_today_and_a_voucher(mw):
    w = mw
    app = through(w, _app(w), "approve")  # approved on TODAY (2025-06-10)
    with pytest.raises(ValidationError, match="请填写拨付日期和拨付凭证号"):
        step(w, app, "disburse", "district_admin", disbursed_on=TODAY, voucher=" ")
    with pytest.raises(ValidationError, match="不能晚于今天"):
        step(w, app, "disburse", "district_admin", disbursed_on=datetime.date(2025, 6, 11), voucher="WX-1")
    with pytest.raises(ValidationError, match="不能早于批准日期 2025-06-10"):
        step(w, app, "disburse", "district_admin", disbursed_on=datetime.date(2025, 6, 9), voucher="WX-1")
    app.refresh_from_db()
    assert app.status == S.APPROVED and app.disbursed_on is None


@pytest.mark.django_db
def test_approving_beyond_the_yearly_budget_of_the_match_needs_a_reason(mw):
    w = mw
    w.policy.yearly_budget = Decimal("400000.00")
    w.policy.save()
    first = through(w, submit(w, w.nolift_estate, area="2000", per_sqm="50"), "approve")  # match 100,000.00
    assert first.status == S.APPROVED
    app = through(w, _app(w), "review")  # match 300,000.00: 400,000.00 in all, the budget exactly
    step(w, app, "approve", "district_admin")
    third = through(w, submit(w, w.estate_a1, area="100", per_sqm="50"), "review")  # match 5,000.00
    with pytest.raises(ValidationError) as exc:
        step(w, third, "approve", "district_admin")
    assert exc.value.message_dict["override_reason"] == [
        "2025 年度区财政配套：已批准 400,000.00 元，加上本申请 5,000.00 元共 405,000.00 元，超出年度预算 400,000.00 元；"
        "如确需批准，请填写超预算理由。"]
    third.refresh_from_db()
    assert third.status == S.REVIEWED
    step(w, third, "approve", "district_admin", override_reason="区政府常务会议同意追加")
    third.refresh_from_db()
    assert (third.status, third.budget_override_reason) == (S.APPROVED, "区政府常务会议同意追加")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
def test_two_approvals_at_once_approve_once(mw):
    w = mw
    app = through(w, _app(w), "review")
    barrier = threading.Barrier(2)
    errors, done = [], []

    def worker():
        try:
            barrier.wait()
            done.append(step(w, app, "approve", "district_admin").status)
        except ValidationError as exc:
            errors.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert done == [S.APPROVED]
    assert errors == ["申请当前状态为“已批准”，不能执行此操作。"]
    assert ApplicationEvent.objects.filter(application=app, to_status=S.APPROVED).count() == 1
    assert sorted(Notification.objects.filter(key__startswith="maintenance.approved:")
                  .values_list("user__username", flat=True)) == ["district_staff", "street_staff"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
def test_two_submissions_at_once_give_one_application(mw):
    w = mw
    barrier = threading.Barrier(2)
    errors, done = [], []

    def worker():
        try:
            barrier.wait()
            done.append(_app(w).pk)
        except ValidationError as exc:
            errors.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(done) == 1 and len(errors) == 1
    assert "已有一份在办的维修资金申请" in errors[0]
    assert FundApplication.objects.count() == 1 and ApplicationEvent.objects.count() == 1


# --- notices: who is told of each step (written out by hand, not read from HANDOFFS) -----------------------------

@pytest.fixture
def people(mw):
    w = mw
    w.users["street_staff_b"] = user_with_role("street_staff_b", Role.STREET_STAFF, street=w.shancheng)
    w.users["district_staff_b"] = user_with_role("district_staff_b", Role.DISTRICT_STAFF, district=w.shanting)
    w.users["district_admin_b"] = user_with_role("district_admin_b", Role.DISTRICT_ADMIN, district=w.shanting)
    return w


def _submitted(w):
    w.app = _app(w)


def _reviewed(w):
    _submitted(w)
    through(w, w.app, "review")


def _approved(w):
    _submitted(w)
    through(w, w.app, "approve")


STEPS = {
    # event: (state before, the step, the actor, the people told)
    "maintenance.submitted": (lambda w: None, _submitted, "street_staff", {"district_staff", "district_staff_b"}),
    "maintenance.reviewed": (_submitted, lambda w: step(w, w.app, "review", "district_staff"), "district_staff",
                             {"district_admin", "district_admin_b"}),
    "maintenance.returned": (_reviewed, lambda w: step(w, w.app, "return", "district_admin", comment="面积有误"),
                             "district_admin", {"street_staff", "street_staff_b"}),
    "maintenance.approved": (_reviewed, lambda w: step(w, w.app, "approve", "district_admin"), "district_admin",
                             {"street_staff", "street_staff_b", "district_staff", "district_staff_b"}),
    "maintenance.disbursed": (_approved, lambda w: step(w, w.app, "disburse", "district_staff", disbursed_on=TODAY,
                                                        voucher="WX-1"),
                              "district_staff", {"street_staff", "street_staff_b"}),
    "maintenance.withdrawn": (_submitted, lambda w: step(w, w.app, "withdraw", "street_staff_b"), "street_staff_b",
                              {"district_staff", "district_staff_b"}),
}


def _told(event):
    counts = {}
    for n in Notification.objects.filter(key__startswith=f"{event}:").select_related("user"):
        counts[n.user.username] = counts.get(n.user.username, 0) + 1
    return counts


@pytest.mark.django_db
@pytest.mark.parametrize("event", list(STEPS))
def test_each_step_tells_the_next_people_once_and_never_the_actor(people, event):
    w = people
    before, run, actor, told = STEPS[event]
    before(w)
    assert _told(event) == {}
    run(w)
    assert _told(event) == dict.fromkeys(told, 1)
    assert actor not in told
    url = f"/maintenance/{w.app.pk}/"
    assert set(Notification.objects.filter(key__startswith=f"{event}:").values_list("url", flat=True)) == {url}
    # The same step again is refused (or, for a submission, meets the open application): nobody is told twice.
    with pytest.raises(ValidationError):
        run(w)
    assert _told(event) == dict.fromkeys(told, 1)
    # 管城回族区 and 北庄街道 hear nothing of 山亭区's 山城街道 application.
    assert not {"district_admin_gc", "street_staff2"} & set(_told(event))


def test_every_maintenance_event_of_the_declaration_has_a_worked_step():
    from accounts.notices import HANDOFFS

    assert {e for e in HANDOFFS if e.startswith("maintenance.")} == set(STEPS)


@pytest.mark.django_db
def test_a_policy_version_is_kept_with_its_history(mw):
    w = mw
    from maintenance.services.policy import policy_create

    with pytest.raises(ValidationError, match="只有本区管理员"):
        policy_create(actor=w.users["district_staff"], district=w.shanting, effective_from=datetime.date(2025, 7, 1),
                      data={"lift_cap": "70", "no_lift_cap": "50", "match_ratio": "1", "yearly_budget": "0"})
    with pytest.raises(ValidationError) as exc:
        policy_create(actor=w.users["district_admin"], district=w.shanting, effective_from=datetime.date(2025, 7, 1),
                      data={"lift_cap": "0", "no_lift_cap": "50.123", "match_ratio": "-1", "yearly_budget": "x"})
    assert exc.value.message_dict == {"lift_cap": ["必须大于 0。"], "no_lift_cap": ["最多两位小数。"],
                                      "match_ratio": ["不能为负数。"], "yearly_budget": ["请填写数字。"]}
    with pytest.raises(ValidationError, match="该日期已有一个政策版本"):
        policy_create(actor=w.users["district_admin"], district=w.shanting, effective_from=datetime.date(2024, 1, 1),
                      data={"lift_cap": "70", "no_lift_cap": "50", "match_ratio": "1", "yearly_budget": "0"})
    policy = policy_create(actor=w.users["district_admin"], district=w.shanting,
                           effective_from=datetime.date(2025, 7, 1),
                           data={"lift_cap": "70.00", "no_lift_cap": "50.00", "match_ratio": "1.00",
                                 "yearly_budget": "2000000.00", "note": "区财政局 2025 年 6 月通知"})
    assert MaintenancePolicy.objects.filter(district=w.shanting).count() == 2
    assert policy.history.get().history_user == w.users["district_admin"]
    with pytest.raises(ValidationError, match="超过电梯房上限 70.00"):
        submit(w, w.lift_estate, area="4000", per_sqm="75", has_lift=True, today=datetime.date(2025, 7, 1))
