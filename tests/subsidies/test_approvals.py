"""The approval chain, pass-on, adjustments, and exactly-once under concurrency."""
import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from subsidies.models import Adjustment, BatchStatus, PassOn, Payout, PayoutBatch, PayoutKind
from subsidies.services import approvals as ap
from subsidies.services import generation as gen

from .conftest import participating, published, same_tiers

MARCH = datetime.date(2025, 3, 1)
B = BatchStatus


def _batch(w):
    participating(w, w.estate_a1, 2025, 0, area="20000.00")
    published(w, w.estate_a1, 2025, 1, 5)  # 6000.00
    participating(w, w.estate_b1, 2025, 0, area="10000.00")
    published(w, w.estate_b1, 2025, 1, 3)  # 2000.00
    return gen.generate_batch(district=w.shanting, month=MARCH)


@pytest.mark.django_db
def test_full_chain_with_events_and_pass_on(sub_world):
    w = sub_world
    batch = _batch(w)
    assert batch.total == Decimal("8000.00")
    assert ap.allowed_actions(batch, w.users["district_staff"]) == ["check"]
    ap.batch_transition(actor=w.users["district_staff"], batch=batch, action="check")
    ap.batch_transition(actor=w.users["district_admin"], batch=batch, action="approve")
    ap.batch_transition(actor=w.users["district_admin"], batch=batch, action="disburse",
                        disbursed_on=datetime.date(2025, 4, 10), voucher="SG-2025-0410")
    due = list(ap.pass_on_due(batch))
    assert [(d["street_id"], d["firm_id"], d["amount"]) for d in due] == [
        (w.shancheng.pk, w.firm1.pk, Decimal("6000.00")), (w.beizhuang.pk, w.firm2.pk, Decimal("2000.00"))]
    with pytest.raises(ValidationError, match="本街道"):
        ap.pass_on_record(actor=w.users["street_staff2"], batch=batch, street_id=w.shancheng.pk,
                          firm_id=w.firm1.pk, paid_on=datetime.date(2025, 4, 12), voucher="SC-1")
    ap.pass_on_record(actor=w.users["street_staff"], batch=batch, street_id=w.shancheng.pk, firm_id=w.firm1.pk,
                      paid_on=datetime.date(2025, 4, 12), voucher="SC-1")
    batch.refresh_from_db()
    assert batch.status == B.DISBURSED
    ap.pass_on_record(actor=w.users["street_staff2"], batch=batch, street_id=w.beizhuang.pk, firm_id=w.firm2.pk,
                      paid_on=datetime.date(2025, 4, 13), voucher="BZ-1")
    batch.refresh_from_db()
    assert batch.status == B.COMPLETED
    assert list(batch.events.values_list("from_status", "to_status")) == [
        ("generated", "checked"), ("checked", "approved"), ("approved", "disbursed"), ("disbursed", "completed")]
    assert PassOn.objects.count() == 2


@pytest.mark.django_db
def test_out_of_order_and_wrong_role_are_refused(sub_world):
    w = sub_world
    batch = _batch(w)
    with pytest.raises(ValidationError, match="不能执行"):
        ap.batch_transition(actor=w.users["district_admin"], batch=batch, action="approve")
    with pytest.raises(ValidationError, match="无权"):
        ap.batch_transition(actor=w.users["street_staff"], batch=batch, action="check")
    with pytest.raises(ValidationError, match="无权"):
        ap.batch_transition(actor=w.users["district_admin_gc"], batch=batch, action="check")
    ap.batch_transition(actor=w.users["district_staff"], batch=batch, action="check")
    with pytest.raises(ValidationError, match="无权"):
        ap.batch_transition(actor=w.users["district_staff"], batch=batch, action="approve")
    with pytest.raises(ValidationError, match="原因"):
        ap.batch_transition(actor=w.users["district_admin"], batch=batch, action="reject_check")
    ap.batch_transition(actor=w.users["district_admin"], batch=batch, action="reject_check", comment="面积有误")
    batch.refresh_from_db()
    assert batch.status == B.GENERATED


@pytest.mark.django_db
def test_over_budget_batch_needs_an_explicit_reason(sub_world):
    w = sub_world
    w.policy.yearly_budget = Decimal("5000.00")
    w.policy.save()
    batch = _batch(w)
    assert batch.over_budget
    ap.batch_transition(actor=w.users["district_staff"], batch=batch, action="check")
    with pytest.raises(ValidationError, match="超出年度预算 5,000.00"):
        ap.batch_transition(actor=w.users["district_admin"], batch=batch, action="approve")
    batch.refresh_from_db()
    assert batch.status == B.CHECKED
    ap.batch_transition(actor=w.users["district_admin"], batch=batch, action="approve",
                        override_reason="区政府常务会议同意追加预算")
    batch.refresh_from_db()
    assert batch.status == B.APPROVED and batch.budget_override_reason == "区政府常务会议同意追加预算"


@pytest.mark.django_db
def test_approved_line_is_never_edited_and_a_correction_goes_into_the_next_batch(sub_world):
    w = sub_world
    batch = _batch(w)
    line = batch.lines.get(estate=w.estate_a1)
    with pytest.raises(ValidationError, match="重新生成"):
        ap.adjustment_create(actor=w.users["district_admin"], original=line, delta="-100", reason="面积核减")
    ap.batch_transition(actor=w.users["district_staff"], batch=batch, action="check")
    ap.batch_transition(actor=w.users["district_admin"], batch=batch, action="approve")
    with pytest.raises(ValidationError, match="不能修改"):
        ap.payout_edit(actor=w.users["district_admin"], payout=line, amount=Decimal("1"))
    # Area was 19,500 ㎡ not 20,000: 500 × 0.30 = 150.00 too much.
    with pytest.raises(ValidationError, match="原因"):
        ap.adjustment_create(actor=w.users["district_admin"], original=line, delta="-150.00", reason="")
    with pytest.raises(ValidationError, match="管理员"):
        ap.adjustment_create(actor=w.users["district_staff"], original=line, delta="-150.00", reason="面积核减")
    ap.adjustment_create(actor=w.users["district_admin"], original=line, delta="-150.00", reason="面积核减 500㎡")
    line.refresh_from_db()
    assert line.amount == Decimal("6000.00")
    same_tiers(w, 2025, 2)  # April is paid on 2025Q2, published with the same tiers
    april = gen.generate_batch(district=w.shanting, month=datetime.date(2025, 4, 1))
    adj = april.lines.get(kind=PayoutKind.ADJUSTMENT)
    assert (adj.adjusts, adj.month, adj.amount) == (line, MARCH, Decimal("-150.00"))
    # April regular lines 8000.00 + adjustment -150.00
    assert april.total == Decimal("7850.00")
    assert Adjustment.objects.get().line == adj
    # A rerun of April keeps exactly one adjustment line.
    gen.generate_batch(district=w.shanting, month=datetime.date(2025, 4, 1), recompute=True)
    assert april.lines.filter(kind=PayoutKind.ADJUSTMENT).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
def test_two_concurrent_runs_give_one_identical_batch(sub_world):
    w = sub_world
    participating(w, w.estate_a1, 2025, 0, area="20000.00")
    published(w, w.estate_a1, 2025, 1, 5)
    barrier = threading.Barrier(3)
    errors, results = [], []

    def worker():
        try:
            barrier.wait()
            results.append(gen.generate_batch(district=w.shanting, month=MARCH).pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(set(results)) == 1
    assert PayoutBatch.objects.count() == 1
    assert Payout.objects.count() == 3  # every estate of 山亭区 once
    assert Payout.objects.get(estate=w.estate_a1).amount == Decimal("6000.00")
