"""The inspection and order lists cut a page by id first (accounts.pagination.DeferredJoinPaginator): the
pages are the same as a plain ORDER BY … LIMIT/OFFSET, in every persona's scope."""
import datetime

import pytest
from django.urls import reverse

from inspections.models import Inspection, RectificationOrder
from inspections.views.inspections import InspectionListView
from inspections.views.orders import OrderListView

from .test_pages_lists import TODAY, make_inspection, many  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _walk(client, url, **query):
    pks, page = [], 1
    while True:
        response = client.get(url, {**query, "page": page})
        assert response.status_code == 200
        pks += [row.pk for row in response.context["object_list"]]
        if not response.context["page_obj"].has_next():
            return pks
        page += 1


@pytest.mark.parametrize("persona", ["city_admin", "district_admin", "street_staff", "firm_user"])
def test_inspection_pages_are_those_of_a_plain_sort(world, many, login, monkeypatch, persona):  # noqa: F811
    # Same dates on several rows: the order falls back to the id, newest first.
    for estate, _inspection, _order in many[:6]:
        make_inspection(world, estate, TODAY - datetime.timedelta(days=3), rubric=_inspection.rubric)
    monkeypatch.setattr(InspectionListView, "paginate_by", 4)
    user = world.users[persona]
    got = _walk(login(persona), reverse("inspections:inspection_list"))
    expected = list(Inspection.objects.visible_to(user).order_by("-date", "-pk").values_list("pk", flat=True))
    assert got == expected and len(expected) > 4


@pytest.mark.parametrize("persona", ["city_admin", "street_staff2", "firm_user"])
def test_order_pages_are_those_of_a_plain_sort(world, many, login, monkeypatch, persona):  # noqa: F811
    monkeypatch.setattr(OrderListView, "paginate_by", 3)
    user = world.users[persona]
    got = _walk(login(persona), reverse("inspections:order_list"))
    expected = list(RectificationOrder.objects.visible_to(user).order_by("-issued_at", "-pk")
                    .values_list("pk", flat=True))
    assert got == expected and len(expected) > 3
