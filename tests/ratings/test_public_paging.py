"""/ratings/public/: the latest published quarter by default (the 评定期 selector offers the others and
全部), read period by period and tier by tier (accounts.pagination.GroupedPaginator): the same pages as a
plain ORDER BY … LIMIT/OFFSET."""
import pytest
from django.urls import reverse
from django.utils import timezone

from ratings.models import RatingPeriod, StarRating
from ratings.selectors import public_ratings
from ratings.services.policy import ensure_default_policy
from ratings.views.public import PublicRatingListView
from tests.factories import EstateFactory

from ._pages import media, publish, rated  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
PUBLIC = reverse("ratings:public_list")


@pytest.fixture
def quarters(rated):
    """2025Q1 published (山亭区: 梅花园 5★, 北庄花园 3★) and two more published quarters with 20 starred
    ratings each: 2024Q4 of 山亭区 and 2025Q1 of 管城回族区 (a second district in the latest quarter)."""
    w = rated
    publish(w)
    now = timezone.now()
    w.q4 = RatingPeriod.objects.create(district=w.shanting, year=2024, quarter=4, status="published",
                                       policy=ensure_default_policy(w.shanting), published_at=now)
    RatingPeriod.objects.filter(pk=w.period_gc.pk).update(status="published", published_at=now)
    for i in range(20):
        for period, community in ((w.q4, w.meiyuan), (w.period_gc, w.zidong)):
            estate = EstateFactory(community=community, name=f"{period.district.name}小区{19 - i:02d}")
            StarRating.objects.create(period=period, estate=estate, tier=1 + i % 5, score=60 + i,
                                      computed_at=now)
    return w


def _walk(client, **query):
    pks, page = [], 1
    while True:
        response = client.get(PUBLIC, {**query, "page": page})
        assert response.status_code == 200
        pks += [r.pk for r in response.context["object_list"]]
        if not response.context["page_obj"].has_next():
            return pks, response
        page += 1


def test_the_latest_published_quarter_is_shown_by_default(quarters, client):
    w = quarters
    response = client.get(PUBLIC)
    periods = {r.period_id for r in response.context["object_list"]}
    assert periods == {w.period.pk, w.period_gc.pk}  # both districts' 2025Q1, not 2024Q4
    assert response.context["filter"].form["period"].value() == "2025Q1"
    html = response.content.decode()
    assert '<option value="2025Q1" selected>' in html and '<option value="2024Q4">' in html
    older = client.get(PUBLIC, {"period": "2024Q4"}).context["paginator"].count
    assert older == 20
    assert client.get(PUBLIC, {"period": ""}).context["paginator"].count == 42  # 全部: every quarter


@pytest.mark.parametrize("per_page", [1, 7, 30])
@pytest.mark.parametrize("query", [{}, {"period": ""}, {"tier": "5"}, {"q": "小区"}, {"district": "guancheng"}])
def test_public_pages_are_those_of_a_plain_sort(quarters, client, monkeypatch, per_page, query):
    w = quarters
    if query.get("district"):
        query = {"district": w.guancheng.pk}
    monkeypatch.setattr(PublicRatingListView, "paginate_by", per_page)
    got, response = _walk(client, **query)
    expected = response.context["filter"].qs  # the filtered rows, in public_ratings()'s order
    assert list(expected.order_by(*public_ratings().query.order_by).values_list("pk", flat=True)) == got
    assert got and len(got) == response.context["paginator"].count


def test_the_default_order_is_district_then_stars_then_estate(quarters, client):
    rows = _walk(client)[1].context["filter"].qs
    keys = [(r.period.district.name, -r.tier, r.estate_id) for r in rows]
    assert keys == sorted(keys)


def test_a_column_sort_pages_every_row(quarters, client, monkeypatch):
    monkeypatch.setattr(PublicRatingListView, "paginate_by", 4)
    got, _response = _walk(client, sort="estate")
    rows = StarRating.objects.filter(pk__in=got)
    assert got == list(rows.order_by("estate__name", "pk").values_list("pk", flat=True))
    assert len(got) == 22


def test_public_page_queries_do_not_grow_with_pages(quarters, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):  # 7 + the shown quarter's 公示期 per district (one query)
        assert client.get(PUBLIC).status_code == 200
    with django_assert_max_num_queries(7):  # every quarter: no 公示期 list
        assert client.get(PUBLIC, {"period": "", "page": 2}).status_code == 200
