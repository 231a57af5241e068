"""A database made by the previous schema migrates forward with nothing lost (issue 9).

The database is built at the migrations before this change (ratings 0001, subsidies 0001,
communities 0003) with the historical models, holding what a running portal holds: a published
quarter with an upheld appeal, a provisional quarter already given its appeal window, an approved,
disbursed and passed-on batch with an adjustment paid in the next batch, and their event rows. It is
then migrated to the latest schema, and every row is still there, adding up to the same totals.
"""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

OLD = [("communities", "0003_districtpolicy_rectification_deadline_days_and_more"), ("ratings", "0001_initial"),
       ("subsidies", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _build_old(apps):
    now = timezone.now()
    get = apps.get_model
    user = get("accounts", "User").objects.create(username="old_admin", password="!")
    district = get("communities", "District").objects.create(name="山亭区")
    street = get("communities", "Street").objects.create(district=district, name="山城街道")
    community = get("communities", "Community").objects.create(street=street, name="梅园社区")
    firm = get("enterprises", "Firm").objects.create(name="山亭甲物业服务有限公司", credit_code="91370406MA3C0000X1",
                                                     legal_representative="（演示）")
    estates = []
    for i, area in enumerate(("20000.00", "10000.00")):
        estate = get("communities", "Estate").objects.create(
            community=community, name=f"旧库小区{i}", completion_year=2001, total_area=Decimal(area), firm=firm,
            firm_since=datetime.date(2024, 1, 1), management_mode="market")
        get("enterprises", "ServiceContract").objects.create(
            estate=estate, firm=firm, start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2026, 12, 31),
            fee_standard=Decimal("1.20"), bond=Decimal("50000.00"), status="active")
        estates.append(estate)
    rpolicy = get("ratings", "RatingPolicy").objects.create(district=district, effective_from=datetime.date(2000, 1, 1),
                                                            disqualifying_reasons=["小区内出现群租房"])
    published = get("ratings", "RatingPeriod").objects.create(
        district=district, year=2025, quarter=1, policy=rpolicy, status="published", computed_at=now,
        appeal_deadline=datetime.date(2025, 4, 12), published_at=now, published_by=user)
    provisional = get("ratings", "RatingPeriod").objects.create(
        district=district, year=2025, quarter=2, policy=rpolicy, status="provisional", computed_at=now,
        appeal_deadline=datetime.date(2025, 7, 12))
    StarRating = get("ratings", "StarRating")
    r1 = StarRating.objects.create(period=published, estate=estates[0], firm=firm, inspection_count=2,
                                   score=Decimal("86.00"), tier=5, computed_at=now)
    StarRating.objects.create(period=published, estate=estates[1], firm=firm, inspection_count=2,
                              score=Decimal("78.00"), tier=4, computed_at=now)
    StarRating.objects.create(period=provisional, estate=estates[0], firm=firm, inspection_count=1,
                              score=Decimal("70.00"), tier=2, computed_at=now)
    get("ratings", "Appeal").objects.create(rating=r1, firm=firm, reason="申诉", status="upheld", submitted_by=user,
                                            decision="成立", adjusted_tier=5, decided_by=user, decided_at=now)
    spolicy = get("subsidies", "SubsidyPolicy").objects.create(
        district=district, effective_from=datetime.date(2025, 1, 1), programme_start=datetime.date(2025, 1, 1),
        programme_months=36, yearly_budget=Decimal("1000000.00"))
    Batch, Payout = get("subsidies", "PayoutBatch"), get("subsidies", "Payout")
    april = Batch.objects.create(district=district, month=datetime.date(2025, 4, 1), policy=spolicy,
                                 status="completed", total=Decimal("8000.00"), line_count=2, generated_at=now,
                                 disbursed_on=datetime.date(2025, 5, 10), disbursement_voucher="SG-1")
    may = Batch.objects.create(district=district, month=datetime.date(2025, 5, 1), policy=spolicy,
                               status="approved", total=Decimal("7850.00"), line_count=3, generated_at=now,
                               year_to_date=Decimal("8000.00"))
    lines = []
    for batch in (april, may):
        for estate, tier, rate, amount in ((estates[0], 5, "0.30", "6000.00"), (estates[1], 4, "0.20", "2000.00")):
            lines.append(Payout.objects.create(
                batch=batch, kind="regular", estate=estate, month=batch.month, street=street, firm=firm,
                area=estate.total_area, tier=tier, rate=Decimal(rate), amount=Decimal(amount)))
    adj_line = Payout.objects.create(batch=may, kind="adjustment", estate=estates[0], month=april.month, street=street,
                                     firm=firm, area=Decimal("20000.00"), tier=5, rate=Decimal("0.30"),
                                     amount=Decimal("-150.00"), reason="面积核减", adjusts=lines[0])
    get("subsidies", "Adjustment").objects.create(original=lines[0], delta=Decimal("-150.00"), reason="面积核减",
                                                  line=adj_line, created_by=user)
    for b, steps in ((april, ["generated", "checked", "approved", "disbursed", "completed"]),
                     (may, ["generated", "checked", "approved"])):
        for a, z in zip(steps, steps[1:]):
            get("subsidies", "BatchEvent").objects.create(batch=b, actor=user, from_status=a, to_status=z)
    get("subsidies", "PassOn").objects.create(batch=april, street=street, firm=firm, amount=Decimal("8000.00"),
                                              paid_on=datetime.date(2025, 5, 12), voucher="SC-1", recorded_by=user)
    return district


@pytest.mark.django_db(transaction=True)
def test_previous_schema_migrates_forward_with_every_paid_line_and_result_kept():
    latest = _latest()
    old_apps = _migrate(OLD)
    try:
        _build_old(old_apps)
        _migrate(latest)
        from ratings.models import Appeal, PeriodStatus, RatingPeriod, StarRating
        from subsidies.models import BatchEvent, BatchMonth, PassOn, Payout, PayoutBatch
        from subsidies.services.generation import generate_batch

        assert Payout.objects.count() == 5
        assert sum(p.amount for p in Payout.objects.all()) == Decimal("15850.00")
        assert {f"{b.month:%Y-%m}": (b.status, b.total) for b in PayoutBatch.objects.all()} == {
            "2025-04": ("completed", Decimal("8000.00")), "2025-05": ("approved", Decimal("7850.00"))}
        assert PassOn.objects.get().amount == Decimal("8000.00") and BatchEvent.objects.count() == 6
        # The months the old batches paid are settled: the next batch never pays them again.
        assert sorted((f"{m.month:%Y-%m}", m.settled) for m in BatchMonth.objects.all()) == [
            ("2025-04", True), ("2025-05", True)]
        q1, q2 = RatingPeriod.objects.order_by("quarter")
        assert (q1.status, q2.status) == (PeriodStatus.PUBLISHED, PeriodStatus.ANNOUNCED)
        assert q2.appeal_deadline == datetime.date(2025, 7, 12)  # its window is kept, not reopened
        assert [(r.version, r.superseded_at) for r in StarRating.objects.all()] == [(1, None)] * 3
        assert StarRating.objects.published().count() == 2 and Appeal.objects.get().status == "upheld"
        # The new rule on the migrated data: June's batch settles January–March (2025Q1 published, never paid
        # before) and neither April nor May again; June waits for 2025Q2.
        june = generate_batch(district=q1.district, month=datetime.date(2025, 6, 1))
        assert sorted((f"{m.month:%Y-%m}", m.settled) for m in june.months.all()) == [
            ("2025-01", True), ("2025-02", True), ("2025-03", True), ("2025-06", False)]
        assert june.total == Decimal("3") * (Decimal("6000.00") + Decimal("2500.00"))
        assert Payout.objects.filter(month=datetime.date(2025, 4, 1), kind="regular").count() == 2
    finally:
        _migrate(_latest())
