"""A batch's lines read street by street (accounts.pagination.GroupedPaginator): the same pages as a plain
ORDER BY street, community, estate, month … with LIMIT/OFFSET, in every persona's scope."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from subsidies.models import Payout
from subsidies.views.lines import BatchLinesView
from tests.factories import CommunityFactory, EstateFactory, StreetFactory

from ._pages import build_batches

pytestmark = pytest.mark.django_db
ORDER = ("street__name", "estate__community__name", "estate__name", "month", "kind", "pk")


@pytest.fixture
def pw(sub_world):
    """The hand-worked batch plus 24 lines on three more streets and communities (one street sorts first)."""
    w = build_batches(sub_world)
    first = StreetFactory(district=w.shanting, name="东风街道")
    places = [CommunityFactory(street=first, name="安康社区"), CommunityFactory(street=first, name="东风社区"),
              w.meiyuan, w.beizhuang_c]
    for i in range(12):
        community = places[i % 4]
        estate = EstateFactory(community=community, name=f"{'乙甲'[i % 2]}小区{i:02d}")
        for month in (datetime.date(2025, 2, 1), datetime.date(2025, 1, 1)):
            Payout.objects.create(batch=w.batch, estate=estate, month=month, street=community.street,
                                  area=Decimal("100.00"), amount=Decimal("0"), reason="未参加星级评定",
                                  month_days=28)
    return w


def _walk(client, url, **query):
    pks, page = [], 1
    while True:
        response = client.get(url, {**query, "page": page})
        assert response.status_code == 200
        pks += [line.pk for line in response.context["object_list"]]
        if not response.context["page_obj"].has_next():
            return pks, response.context["paginator"].count
        page += 1


@pytest.mark.parametrize("per_page", [1, 5, 50])
@pytest.mark.parametrize("persona", ["district_admin", "street_staff", "firm_user"])
def test_line_pages_are_those_of_a_plain_sort(pw, login, monkeypatch, persona, per_page):
    monkeypatch.setattr(BatchLinesView, "paginate_by", per_page)
    got, count = _walk(login(persona), reverse("subsidies:batch_lines", args=[pw.batch.pk]))
    expected = list(Payout.objects.visible_to(pw.users[persona]).filter(batch=pw.batch).order_by(*ORDER)
                    .values_list("pk", flat=True))
    assert got == expected and count == len(expected) > 0


def test_filtered_and_sorted_line_pages(pw, login, monkeypatch):
    monkeypatch.setattr(BatchLinesView, "paginate_by", 4)
    client = login("district_admin")
    url = reverse("subsidies:batch_lines", args=[pw.batch.pk])
    got, _count = _walk(client, url, q="小区")
    assert got == list(Payout.objects.filter(batch=pw.batch, estate__name__contains="小区").order_by(*ORDER)
                       .values_list("pk", flat=True))
    got, _count = _walk(client, url, sort="-amount")
    assert got == list(Payout.objects.filter(batch=pw.batch).order_by("-amount", "pk").values_list("pk", flat=True))
