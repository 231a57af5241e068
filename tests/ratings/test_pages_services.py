"""The small services and selectors the pages needed: all-or-nothing score table, the page's run
button, the computation written out, plaque tokens, participating estates."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ratings.models import ComponentScore, PeriodStatus, StarRating
from ratings.selectors import participating_estates, plaque_token, rating_for_plaque, score_terms
from ratings.services.periods import period_run
from ratings.services.scores import ComponentChange, components_set_many

from ._pages import RUN_DAY, media, publish, rated  # noqa: F401 (fixtures)
from .conftest import accept, moment

pytestmark = pytest.mark.django_db


def test_components_set_many_saves_every_cell(rating_world):
    w = rating_world
    n = components_set_many(actor=w.users["street_staff"], year=2025, quarter=2, changes=[
        ComponentChange(w.estate_a1, "opinion", "88.5"), ComponentChange(w.estate_a1, "satisfaction", "91"),
        ComponentChange(w.estate_a2, "opinion", Decimal("70"))])
    assert n == 3
    assert sorted(ComponentScore.objects.values_list("estate__name", "kind", "score")) == [
        ("梅花园", "opinion", Decimal("88.50")), ("梅花园", "satisfaction", Decimal("91.00")),
        ("锦绣花园", "opinion", Decimal("70.00"))]


def test_components_set_many_is_all_or_nothing_and_names_every_bad_cell(rating_world):
    w = rating_world
    with pytest.raises(ValidationError) as exc:
        components_set_many(actor=w.users["street_staff"], year=2025, quarter=2, changes=[
            ComponentChange(w.estate_a1, "opinion", "88"),
            ComponentChange(w.estate_a1, "satisfaction", "101"),
            ComponentChange(w.estate_b1, "opinion", "80")])  # another street's estate
    assert exc.value.messages == [
        "梅花园 · 第三方满意度：得分必须在 0 到 100 之间，收到 101。",
        "北庄花园 · 业主及业委会意见：“北庄花园”不在您的管辖范围内。",
    ]
    assert not ComponentScore.objects.exists()  # the good first cell was rolled back too


def test_period_run_is_for_the_districts_admin_only(rated):
    w = rated
    for persona in ("street_staff", "district_staff", "district_admin_gc", "firm_user"):
        with pytest.raises(ValidationError, match="只有本区管理员"):
            period_run(actor=w.users[persona], district=w.shanting, year=2025, quarter=1, today=RUN_DAY,
                       now=moment(RUN_DAY))
    # 2025Q1 is announced: computing it again needs the recompute with a reason.
    with pytest.raises(ValidationError, match="已于 2025-04-06 公示，不能直接重新计算"):
        period_run(actor=w.users["district_admin"], district=w.shanting, year=2025, quarter=1, today=RUN_DAY,
                   now=moment(RUN_DAY))
    period = period_run(actor=w.users["district_admin_gc"], district=w.guancheng, year=2025, quarter=1,
                        today=RUN_DAY, now=moment(RUN_DAY))
    assert period.pk == w.period_gc.pk and period.status == PeriodStatus.PROVISIONAL


def test_period_run_refuses_a_published_quarter(rated):
    w = rated
    publish(w)
    with pytest.raises(ValidationError, match="已公布，不能重新计算"):
        period_run(actor=w.users["district_admin"], district=w.shanting, year=2025, quarter=1,
                   today=datetime.date(2025, 5, 1), now=moment(datetime.date(2025, 5, 1)))


def test_score_terms_write_out_the_computation(rated):
    w = rated
    terms = score_terms(StarRating.objects.select_related("period__policy").get(pk=w.rating_a1.pk))
    # 88.67×0.7 = 62.069; 90×0.1 = 9; 90×0.2 = 18; 89.069 -> 89.07
    assert terms["formula"] == "88.67×70% + 90.00×10% + 90.00×20% = 89.07"
    assert [r["product"] for r in terms["rows"]] == [Decimal("62.069"), Decimal("9"), Decimal("18")]
    assert terms["sum"] == Decimal("89.069")


def test_score_terms_is_none_without_a_score(rated):
    w = rated
    StarRating.objects.filter(pk=w.rating_b1.pk).update(score=None, tier=0, no_tier_reason="missing_component")
    assert score_terms(StarRating.objects.select_related("period__policy").get(pk=w.rating_b1.pk)) is None


def test_plaque_token_names_one_rating_and_cannot_be_forged(rated):
    w = rated
    token = plaque_token(w.rating_a1.pk)
    assert rating_for_plaque(w.rating_a1.pk, token) == w.rating_a1
    assert rating_for_plaque(w.rating_b1.pk, token) is None  # another rating's token
    assert rating_for_plaque(w.rating_a1.pk, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert rating_for_plaque(w.rating_a1.pk, "") is None
    assert w.period.status == PeriodStatus.ANNOUNCED  # the token alone says nothing about publication


def test_participating_estates_are_the_accepted_ones_in_scope(rating_world):
    w = rating_world
    accept(w, w.estate_a1)
    accept(w, w.estate_b1)
    accept(w, w.estate_a2, year=2024, firm=w.firm1)
    assert [e.name for e in participating_estates(w.users["street_staff"], 2025)] == ["梅花园"]
    assert [e.name for e in participating_estates(w.users["district_admin"], 2025)] == ["北庄花园", "梅花园"]
    assert list(participating_estates(w.users["firm_user"], 2025)) == []
    assert list(participating_estates(w.users["district_staff"], 2025)) == []
