"""Pages without login: published ratings, the blacklist, plaque verification; and the plaque itself."""
import datetime
import re

import pytest
from django.urls import reverse

from enterprises.models import BlacklistEntry
from ratings.models import StarRating
from ratings.selectors import plaque_token

from ._pages import media, publish, rated  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
PUBLIC = reverse("ratings:public_list")


def _names(response):
    return sorted(r.estate.name for r in response.context["object_list"])


def test_public_page_answers_anonymously_and_hides_provisional_results(rated, client):
    response = client.get(PUBLIC)
    assert response.status_code == 200
    assert _names(response) == []
    html = response.content.decode()
    assert "梅花园" not in html and "北庄花园" not in html


def test_public_page_shows_published_starred_results_with_filters(rated, client, login):
    w = rated
    publish(w)
    StarRating.objects.filter(pk=w.rating_b1.pk).update(tier=0, no_tier_reason="below")
    response = client.get(PUBLIC)
    assert _names(response) == ["梅花园"]  # a published result without a star is not listed
    html = response.content.decode()
    assert "★★★★★" in html and "山亭甲物业服务有限公司" in html and "2025 年第 1 季度" in html
    # Nothing personal: no contact people, phones or who entered the data.
    for secret in (w.firm1.contact_phone, w.estate_a1.contact_phone, w.users["district_admin"].display_name):
        if secret:
            assert secret not in html
    assert _names(client.get(PUBLIC, {"q": "梅花"})) == ["梅花园"]
    assert _names(client.get(PUBLIC, {"q": "北庄"})) == []
    assert _names(client.get(PUBLIC, {"tier": 5})) == ["梅花园"]
    assert _names(client.get(PUBLIC, {"tier": 3})) == []
    assert _names(client.get(PUBLIC, {"district": w.guancheng.pk})) == []
    assert _names(client.get(PUBLIC, {"street": w.shancheng.pk})) == ["梅花园"]
    assert _names(client.get(PUBLIC, {"period": "2025Q1"})) == ["梅花园"]
    assert client.get(PUBLIC, {"period": "2024Q4"}).context["filter"].errors  # not a published period


def test_public_page_query_count_is_fixed(rated, client, django_assert_max_num_queries):
    publish(rated)
    with django_assert_max_num_queries(8):  # 7 + the shown quarter's 公示期 per district (one query)
        assert client.get(PUBLIC).status_code == 200


def test_blacklist_is_public_and_shows_only_entries_in_force(rating_world, client):
    w = rating_world
    BlacklistEntry.objects.create(firm=w.firm1, district=w.shanting, reason="连续两年信用分低于 70",
                                  starts_on=datetime.date(2024, 12, 1))
    BlacklistEntry.objects.create(firm=w.firm2, district=w.shanting, reason="已移出的记录",
                                  starts_on=datetime.date(2023, 1, 1), ends_on=datetime.date(2023, 12, 31))
    response = client.get(reverse("ratings:public_blacklist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert w.firm1.name in html and w.firm1.credit_code in html and "连续两年信用分低于 70" in html
    assert "2024-12-01" in html
    assert w.firm2.name not in html and "已移出的记录" not in html
    assert w.firm2.name not in client.get(reverse("ratings:public_blacklist"), {"q": "乙"}).content.decode()
    assert client.get(reverse("ratings:public_blacklist"), {"q": "乙"}).context["object_list"].count() == 0


def test_plaque_for_a_published_rating_with_qr_code_of_the_verify_url(rated, login):
    w = rated
    publish(w)
    response = login("firm_user").get(reverse("ratings:plaque", args=[w.rating_a1.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "山亭区住宅小区管理星级标牌" in html and "山亭区住房保障服务中心" in html
    assert "梅花园" in html and "五星级住宅小区" in html and "2025 年第 1 季度" in html
    assert "<svg" in html and "@media print" in html and "size: A4" in html
    assert response.context["verify_url"] == (
        f"http://testserver/ratings/verify/{w.rating_a1.pk}/{plaque_token(w.rating_a1.pk)}/")
    # Everything comes from this server: no CDN.
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_no_plaque_below_three_stars_or_before_publication(rated, login):
    w = rated
    url = reverse("ratings:plaque", args=[w.rating_a1.pk])
    assert login("district_admin").get(url).status_code == 404  # provisional
    StarRating.objects.filter(pk=w.rating_b1.pk).update(tier=2)
    publish(w)
    assert login("district_admin").get(url).status_code == 200
    assert login("district_admin").get(reverse("ratings:plaque", args=[w.rating_b1.pk])).status_code == 404
    assert login("firm_user2").get(reverse("ratings:plaque", args=[w.rating_b1.pk])).status_code == 404


def test_verify_page_needs_no_login_and_says_whether_the_plaque_is_genuine(rated, client):
    w = rated
    url = reverse("ratings:verify", args=[w.rating_a1.pk, plaque_token(w.rating_a1.pk)])
    html = client.get(url).content.decode()
    assert "尚未公布" in html and "验证通过" not in html  # a provisional result is not a plaque
    publish(w)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "验证通过" in html and "梅花园" in html and "★★★★★" in html and "山亭区住房保障服务中心" in html


def test_verify_page_with_a_tampered_token_says_invalid(rated, client):
    w = rated
    publish(w)
    token = plaque_token(w.rating_a1.pk)
    for bad in (token[:-2] + "xx", plaque_token(w.rating_b1.pk)):
        response = client.get(reverse("ratings:verify", args=[w.rating_a1.pk, bad]))
        assert response.status_code == 200
        html = response.content.decode()
        assert "无效" in html and "验证通过" not in html and "梅花园" not in html
    # A genuine token of another rating does not vouch for a guessed id either.
    response = client.get(reverse("ratings:verify", args=[w.rating_b1.pk + 100, token]))
    assert "无效" in response.content.decode()
