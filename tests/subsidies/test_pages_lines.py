"""The reconciliation view, the batch list and 我的补贴: filters, sorting, the rating link, query counts pinned."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from communities.models import ManagementMode
from subsidies.models import Payout
from subsidies.services import generation as gen
from tests.factories import EstateFactory

from ._pages import MARCH, build_batches
from .conftest import participating, published, same_tiers

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw(sub_world):
    return build_batches(sub_world)


def lines_url(w, **query):
    from urllib.parse import urlencode

    return reverse("subsidies:batch_lines", args=[w.batch.pk]) + ("?" + urlencode(query) if query else "")


def shown(response):
    return [line.estate.name for line in response.context["object_list"]]


def test_filters_street_firm_tier_and_zero_only(pw, login):
    client = login("district_admin")
    assert sorted(shown(client.get(lines_url(pw, street=pw.beizhuang.pk)))) == ["北庄花园"]
    assert sorted(shown(client.get(lines_url(pw, firm=pw.firm1.pk)))) == ["桂花苑", "梅花园"]
    assert shown(client.get(lines_url(pw, tier=4))) == ["桂花苑"]
    assert shown(client.get(lines_url(pw, tier=0))) == ["锦绣花园"]
    assert shown(client.get(lines_url(pw, zero_only="true"))) == ["锦绣花园"]
    assert shown(client.get(lines_url(pw, q="北庄"))) == ["北庄花园"]


def test_sorting_by_amount_both_ways(pw, login):
    client = login("district_admin")
    assert shown(client.get(lines_url(pw, sort="amount"))) == ["锦绣花园", "北庄花园", "桂花苑", "梅花园"]
    assert shown(client.get(lines_url(pw, sort="-amount"))) == ["梅花园", "桂花苑", "北庄花园", "锦绣花园"]


def test_line_row_shows_where_the_amount_came_from(pw, login):
    html = login("district_admin").get(lines_url(pw, q="梅花园")).content.decode()
    assert "12,345.67" in html and "3,703.70" in html and "0.30" in html and "★★★★★" in html
    rating = pw.line_a1.rating
    assert "2025Q1" in html
    # The rating link goes to the ratings page when it exists.
    from subsidies.templatetags.subsidy_tags import rating_url

    url = rating_url(rating)
    assert url and f'href="{url}"' in html
    zero = login("district_admin").get(lines_url(pw, zero_only="true")).content.decode()
    assert "未参加星级评定" in zero


def test_rating_link_falls_back_to_the_label_without_the_ratings_pages(pw, monkeypatch):
    from django.urls import NoReverseMatch

    from subsidies.templatetags import subsidy_tags

    def no_pages(name, args=None):
        raise NoReverseMatch(name)

    monkeypatch.setattr(subsidy_tags, "reverse", no_pages)
    assert subsidy_tags.rating_url(pw.line_a1.rating) is None
    assert subsidy_tags.rating_url(None) is None


def test_money_filter_is_exact():
    from subsidies.templatetags.subsidy_tags import money

    assert money(Decimal("1234567.005")) == "1,234,567.01"  # half-up, never a float
    assert money(Decimal("-150")) == "-150.00"
    assert money(Decimal("5925.92000000000")) == "5,925.92"
    assert money(None) == "—"


# --- query counts -----------------------------------------------------------------------------------------------

@pytest.fixture
def big(pw):
    """Twenty more paying estates (with firms and published ratings) in both streets, and a second month."""
    w = pw
    for i in range(20):
        community = w.meiyuan if i % 2 else w.beizhuang_c
        firm = w.firm1 if i % 2 else w.firm2
        estate = EstateFactory(community=community, name=f"新村{i:02d}", total_area=Decimal("1000.00") + i,
                               firm=firm, firm_since=datetime.date(2024, 1, 1),
                               management_mode=ManagementMode.MARKET)
        participating(w, estate, 2025, 0)
        published(w, estate, 2025, 1, 1 + i % 5)
    w.batch = gen.generate_batch(district=w.shanting, month=MARCH, recompute=True)
    same_tiers(w, 2025, 2)  # April is paid on 2025Q2
    w.april = gen.generate_batch(district=w.shanting, month=datetime.date(2025, 4, 1))
    assert Payout.objects.filter(batch=w.batch).count() == 24
    return w


@pytest.mark.parametrize("persona", ["district_admin", "street_staff", "firm_user"])
def test_lines_page_query_count_is_pinned(big, login, django_assert_max_num_queries, persona):
    client = login(persona)
    with django_assert_max_num_queries(14):
        response = client.get(lines_url(big))
    assert response.status_code == 200 and len(response.context["object_list"]) >= 10


@pytest.mark.parametrize("persona", ["city_admin", "district_admin", "street_staff2", "firm_user"])
def test_batch_list_query_count_is_pinned(big, login, django_assert_max_num_queries, persona):
    client = login(persona)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("subsidies:batch_list"))
    assert response.status_code == 200 and len(response.context["object_list"]) >= 2


@pytest.mark.parametrize("persona", ["district_admin", "street_staff"])
def test_batch_detail_query_count_is_pinned(big, login, django_assert_max_num_queries, persona):
    client = login(persona)
    # 18 before service months: + the batch's months (1) + the budget per service year (2: this batch's
    # and earlier batches' sums by year; the policy of the year is the batch's).
    with django_assert_max_num_queries(21):
        response = client.get(reverse("subsidies:batch_detail", args=[big.batch.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("persona, queries", [("firm_user", 12), ("street_staff", 12),
                                               # + the whole (street, firm) sums its parts are compared with
                                               ("community_clerk", 13)])
def test_mine_query_count_is_pinned(big, login, django_assert_max_num_queries, persona, queries):
    client = login(persona)
    with django_assert_max_num_queries(queries):
        response = client.get(reverse("subsidies:mine"))
    assert response.status_code == 200 and len(response.context["lines"]) >= 10


def test_policy_list_query_count_is_pinned(big, login, django_assert_max_num_queries):
    client = login("city_admin")
    # 12 + the working-day calendar's warning for city administrators (workdays.context_processors: one query)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("subsidies:policy_list"))
    assert len(response.context["object_list"]) == 2


# --- the batch list's filters --------------------------------------------------------------------------------------

def test_batch_list_filters_by_district_month_range_status_and_budget(big, login):
    client = login("city_admin")
    url = reverse("subsidies:batch_list")

    def months(**q):
        return sorted((b.district.name, f"{b.month:%Y-%m}") for b in client.get(url, q).context["object_list"])

    assert months() == [("山亭区", "2025-03"), ("山亭区", "2025-04"), ("管城回族区", "2025-03")]
    assert months(district=big.shanting.pk) == [("山亭区", "2025-03"), ("山亭区", "2025-04")]
    assert months(month_from="2025-04") == [("山亭区", "2025-04")]
    assert months(month_from="2025-03", month_to="2025-03") == [("山亭区", "2025-03"), ("管城回族区", "2025-03")]
    assert months(status="checked") == []
    assert months(over_budget="true") == []
    bad = client.get(url, {"month_from": "2025/03"})
    assert list(bad.context["object_list"]) == []
    assert "请按“2025-03”的格式填写月份。" in bad.content.decode()


# --- 我的补贴 -----------------------------------------------------------------------------------------------------------

def test_mine_shows_a_firms_own_lines_with_totals_per_month_and_estate(big, login):
    response = login("firm_user2").get(reverse("subsidies:mine"))
    ctx = response.context
    lines = list(ctx["lines"])
    assert {line.firm_id for line in lines} == {big.firm2.pk}
    by_month = {f"{m['batch__month']:%Y-%m}": m["total"] for m in ctx["by_month"]}
    march = sum((p.amount for p in Payout.objects.filter(batch=big.batch, firm=big.firm2)), Decimal("0"))
    assert by_month["2025-03"] == march
    by_estate = {e["estate__name"]: (e["months"], e["total"]) for e in ctx["by_estate"]}
    # 北庄花园: 10,000.05 × 0.20 = 2,000.01 in March and again in April.
    assert by_estate["北庄花园"] == (2, Decimal("4000.02"))
    assert "梅花园" not in response.content.decode()


def test_mine_counts_service_months_not_batches(big, login):
    """A batch made after a quarter is published pays its deferred months at once: one batch, three months."""
    line = Payout.objects.filter(batch=big.batch, firm=big.firm2, estate__name="北庄花园").get()
    for back in (1, 2):  # January and February 2025, paid in the March batch
        Payout.objects.create(batch=big.batch, estate=line.estate, month=line.month.replace(month=line.month.month - back),
                              street=line.street, firm=line.firm, area=line.area, tier=line.tier, rate=line.rate,
                              rating=line.rating, amount=line.amount)
    response = login("firm_user2").get(reverse("subsidies:mine"))
    by_estate = {e["estate__name"]: (e["months"], e["total"]) for e in response.context["by_estate"]}
    assert by_estate["北庄花园"] == (4, Decimal("8000.04"))  # 2025-01..04, 2,000.01 each
    html = response.content.decode()
    for month in ("2025-01", "2025-02", "2025-03", "2025-04"):
        assert f'data-testid="my-line-month">{month}<' in html


def test_mine_for_a_street_shows_its_streets_lines(big, login):
    response = login("street_staff").get(reverse("subsidies:mine"))
    assert {line.street_id for line in response.context["lines"]} == {big.shancheng.pk}
    assert "北庄花园" not in response.content.decode()
