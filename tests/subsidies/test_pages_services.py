"""What the pages added to the services and selectors: batch_generate (who may press 生成, what it says) and
the scoped reads, against hand-worked figures (see _pages.py)."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.scope import scope_of
from subsidies import selectors
from subsidies.models import PayoutBatch
from subsidies.services import approvals as ap
from subsidies.services.generation import batch_generate, may_generate

from ._pages import BEIZHUANG_SUBTOTAL, GRAND_TOTAL, MARCH, SHANCHENG_SUBTOTAL, build_batches
from .conftest import participating, published

pytestmark = pytest.mark.django_db


def test_batch_generate_checks_the_role_and_names_the_outcome(sub_world):
    w = sub_world
    participating(w, w.estate_a1, 2025, 0, area="20000.00")
    published(w, w.estate_a1, 2025, 1, 5)
    for persona in ("street_staff", "firm_user", "district_admin_gc", "community_clerk"):
        assert not may_generate(w.users[persona], w.shanting.pk)
        with pytest.raises(ValidationError, match="只有本区管理员或工作人员"):
            batch_generate(actor=w.users[persona], district=w.shanting, month=MARCH)
    assert not PayoutBatch.objects.exists()
    batch, outcome = batch_generate(actor=w.users["district_staff"], district=w.shanting, month=MARCH)
    assert outcome == "created" and batch.total == Decimal("6000.00")
    assert batch_generate(actor=w.users["district_admin"], district=w.shanting, month=MARCH)[1] == "existing"
    assert batch_generate(actor=w.users["city_admin"], district=w.shanting, month=MARCH,
                          recompute=True)[1] == "recomputed"
    ap.batch_transition(actor=w.users["district_staff"], batch=batch, action="check")
    with pytest.raises(ValidationError, match="已审核，金额已固定"):
        batch_generate(actor=w.users["district_admin"], district=w.shanting, month=MARCH, recompute=True)
    # Without recompute a checked batch is simply there.
    assert batch_generate(actor=w.users["district_admin"], district=w.shanting, month=MARCH)[1] == "existing"
    with pytest.raises(ValidationError, match="2021-05 不在山亭区的补贴期内"):
        batch_generate(actor=w.users["district_admin"], district=w.shanting, month=datetime.date(2021, 5, 1))


def test_totals_by_street_and_firm_are_summed_in_sql_and_scoped(sub_world, django_assert_num_queries):
    w = build_batches(sub_world)
    admin = w.users["district_admin"]
    scope_of(admin)  # the user's roles, loaded once per request
    with django_assert_num_queries(1):
        by_street = selectors.totals_by_street(admin, w.batch)
    assert [(r["street__name"], r["total"], r["lines"], r["paying"]) for r in by_street] == [
        ("北庄街道", BEIZHUANG_SUBTOTAL, 1, 1), ("山城街道", SHANCHENG_SUBTOTAL, 3, 2)]
    with django_assert_num_queries(1):
        by_firm = selectors.totals_by_firm(admin, w.batch)
    assert sorted((r["firm__name"], r["total"]) for r in by_firm) == sorted([
        (w.firm1.name, SHANCHENG_SUBTOTAL), (w.firm2.name, BEIZHUANG_SUBTOTAL)])
    assert [r["street__name"] for r in selectors.totals_by_street(w.users["street_staff2"], w.batch)] == ["北庄街道"]
    assert selectors.totals_by_firm(w.users["firm_user2"], w.batch)[0]["firm__name"] == w.firm2.name
    assert len(selectors.totals_by_firm(w.users["firm_user2"], w.batch)) == 1
    assert selectors.line_totals(admin, w.batch) == {
        "total": GRAND_TOTAL, "lines": 4, "paying": 3, "zero": 1, "adjustments": 0}


def test_payout_list_sections_add_up_in_decimal(sub_world):
    w = build_batches(sub_world)
    data = selectors.payout_list(w.users["district_admin"], w.batch)
    assert [(s.street_name, [line.estate.name for line in s.lines], s.subtotal) for s in data.sections] == [
        ("北庄街道", ["北庄花园"], Decimal("2000.01")),
        ("山城街道", ["桂花苑", "梅花园"], Decimal("5925.92")),
    ]
    # The zero line (锦绣花园: no firm, not in the rating) is kept apart, with its reason.
    assert [(line.estate.name, line.amount, line.reason) for line in data.zero_lines] == [
        ("锦绣花园", Decimal("0.00"), "未参加星级评定")]
    assert data.grand_total == Decimal("7925.93") == w.batch.total
    own = selectors.payout_list(w.users["street_staff"], w.batch)
    assert [s.street_name for s in own.sections] == ["山城街道"] and own.grand_total == Decimal("5925.92")


def test_pass_on_rows_show_whole_amounts_of_the_users_pairs(sub_world):
    w = build_batches(sub_world)
    rows = selectors.pass_on_rows(w.users["district_admin"], w.batch)
    assert [(r.street_name, r.firm_name, r.amount) for r in rows] == [
        ("山城街道", w.firm1.name, Decimal("5925.92")), ("北庄街道", w.firm2.name, Decimal("2000.01"))]
    assert [r.firm_name for r in selectors.pass_on_rows(w.users["firm_user2"], w.batch)] == [w.firm2.name]
    assert [r.street_name for r in selectors.pass_on_rows(w.users["street_staff"], w.batch)] == ["山城街道"]


def test_budget_figures(sub_world):
    w = sub_world
    w.policy.yearly_budget = Decimal("5000.00")
    w.policy.save()
    build_batches(w)
    assert selectors.budget_figures(w.batch) == {
        "year": 2025, "earlier": Decimal("0.00"), "this": Decimal("7925.93"), "with_this": Decimal("7925.93"),
        "budget": Decimal("5000.00"), "left": Decimal("-2925.93"), "over": Decimal("2925.93"),
        "percent": 100}
