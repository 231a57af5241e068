"""The estate list: filters (page and API share one FilterSet), sorting, paging, export, query count."""
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from communities.models import DistrictPolicy, EstateType, ManagementMode
from tests.factories import EstateFactory, OwnerCommitteeFactory

pytestmark = pytest.mark.django_db

LIST = "/estates/"


def shown(response):
    return sorted(e.name for e in response.context["object_list"])


def export_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    headers = rows[0]
    return [dict(zip(headers, row)) for row in rows[1:]]


def api_names(client, params):
    response = client.get("/api/estates/", params)
    assert response.status_code == 200
    return sorted(r["name"] for r in response.json()["results"])


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ["北庄花园", "梅花园", "锦绣花园"]),
        ({"q": "梅花"}, ["梅花园"]),
        ({"q": "花园"}, ["北庄花园", "梅花园", "锦绣花园"]),
        ({"street": "beizhuang"}, ["北庄花园"]),
        ({"community": "ziwei"}, ["锦绣花园"]),
        ({"district": "shanting"}, ["北庄花园", "梅花园", "锦绣花园"]),
        ({"management_mode": "none"}, ["锦绣花园"]),
        ({"management_mode": "market"}, ["北庄花园", "梅花园"]),
        ({"category": "2"}, ["锦绣花园"]),
        ({"firm": "firm1"}, ["梅花园"]),
        ({"old": "true"}, ["梅花园"]),
        ({"old": "false"}, ["北庄花园", "锦绣花园"]),
        ({"street": "shancheng", "management_mode": "market"}, ["梅花园"]),
    ],
)
def test_each_filter_narrows_page_and_api_alike(world, login, params, expected):
    resolved = {}
    for key, value in params.items():
        obj = getattr(world, value, None) if key in ("street", "community", "district", "firm") else None
        if key == "community" and value == "beizhuang":
            obj = world.beizhuang_c
        resolved[key] = obj.pk if obj is not None else value
    client = login("district_admin")
    assert shown(client.get(LIST, resolved)) == expected
    assert api_names(client, resolved) == expected


def test_search_matches_the_address_too(world, login):
    world.estate_a2.address = "人民路 88 号"
    world.estate_a2.save()
    assert shown(login("street_staff").get(LIST, {"q": "人民路"})) == ["锦绣花园"]


def test_estate_type_filter(world, login):
    world.estate_a2.estate_type = EstateType.RESETTLEMENT
    world.estate_a2.save()
    assert shown(login("street_staff").get(LIST, {"estate_type": "resettlement"})) == ["锦绣花园"]


def test_renovation_programme_filter(world, login):
    world.estate_a1.in_renovation_programme = True
    world.estate_a1.save()
    client = login("street_staff")
    assert shown(client.get(LIST, {"in_renovation_programme": "true"})) == ["梅花园"]
    assert shown(client.get(LIST, {"in_renovation_programme": "false"})) == ["锦绣花园"]


def test_has_committee_filter_counts_only_active_committees(world, login):
    OwnerCommitteeFactory(estate=world.estate_a1, is_active=True)
    OwnerCommitteeFactory(estate=world.estate_a2, is_active=False)
    client = login("street_staff")
    assert shown(client.get(LIST, {"has_committee": "true"})) == ["梅花园"]
    assert shown(client.get(LIST, {"has_committee": "false"})) == ["锦绣花园"]
    assert api_names(client, {"has_committee": "true"}) == ["梅花园"]


def test_old_estate_filter_follows_the_district_cutoff_year(world, login):
    # 北庄花园 was completed in 2008: old once 山亭区 moves its cut-off to 2010.
    DistrictPolicy.objects.create(district=world.shanting, effective_from=datetime.date(2020, 1, 1),
                                  old_estate_cutoff_year=2010)
    client = login("district_admin")
    assert shown(client.get(LIST, {"old": "true"})) == ["北庄花园", "梅花园"]
    assert api_names(client, {"old": "true"}) == ["北庄花园", "梅花园"]


def test_filter_choices_offer_only_places_in_scope(world, login):
    form = login("street_staff").get(LIST).context["filter"].form
    assert {s.name for s in form.fields["street"].queryset} == {"山城街道"}
    assert {c.name for c in form.fields["community"].queryset} == {"梅园社区", "紫薇社区"}
    assert {d.name for d in form.fields["district"].queryset} == {"山亭区"}
    assert {f.name for f in form.fields["firm"].queryset} == {"山亭甲物业服务有限公司"}


def test_filtering_by_a_street_outside_scope_shows_nothing(world, login):
    response = login("street_staff").get(LIST, {"street": world.beizhuang.pk})
    assert response.status_code == 200
    assert shown(response) == []
    assert login("street_staff").get("/api/estates/", {"street": world.beizhuang.pk}).status_code == 400


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("name", ["北庄花园", "梅花园", "锦绣花园"]),
        ("year", ["梅花园", "北庄花园", "锦绣花园"]),
        ("-year", ["锦绣花园", "北庄花园", "梅花园"]),
        ("area", ["梅花园", "北庄花园", "锦绣花园"]),
        ("-area", ["锦绣花园", "北庄花园", "梅花园"]),
        ("category", ["梅花园", "北庄花园", "锦绣花园"]),
    ],
)
def test_sorting_by_column(world, login, sort, expected):
    response = login("district_admin").get(LIST, {"sort": sort})
    names = [e.name for e in response.context["object_list"]]
    if sort == "category":  # 梅花园 and 北庄花园 are both category 1, tie broken by pk
        assert names[-1] == expected[-1]
    elif sort == "name":
        assert sorted(names) == names
    else:
        assert names == expected


def test_sort_links_toggle_direction_and_keep_filters(world, login):
    html = login("district_admin").get(LIST, {"management_mode": "market", "sort": "year"}).content.decode()
    assert "management_mode=market&amp;sort=-year" in html


def test_pagination_keeps_filters_and_shows_total(world, login):
    for i in range(30):
        EstateFactory(community=world.meiyuan, name=f"分页小区{i:02d}", management_mode=ManagementMode.MARKET)
    response = login("street_staff").get(LIST, {"management_mode": "market"})
    assert response.context["total"] == 31
    assert len(response.context["object_list"]) == 25
    html = response.content.decode()
    assert "共 31 个" in html
    assert "management_mode=market&amp;page=2" in html
    page2 = login("street_staff").get(LIST, {"management_mode": "market", "page": 2})
    assert len(page2.context["object_list"]) == 6


def test_export_respects_filters_and_has_the_progress_report_columns(world, login):
    world.estate_a1.service_content = "保洁、秩序维护"
    world.estate_a1.contact_name = "王经理"
    world.estate_a1.contact_phone = "0632-8888888"
    world.estate_a1.save()
    rows = export_rows(login("district_admin").get(LIST, {"management_mode": "market", "export": "xlsx"}))
    assert sorted(r["小区名称"] for r in rows) == ["北庄花园", "梅花园"]
    row = next(r for r in rows if r["小区名称"] == "梅花园")
    assert row["街道"] == "山城街道"
    assert row["社区"] == "梅园社区"
    assert row["入驻物业企业"] == "山亭甲物业服务有限公司"
    assert row["物业管理性质"] == "市场化物业服务企业"
    assert row["类别"].startswith("一类")
    assert row["服务内容"] == "保洁、秩序维护"
    assert row["物业负责人"] == "王经理"
    assert row["联系电话"] == "0632-8888888"
    assert row["总建筑面积（㎡）"] == pytest.approx(36000.50)
    assert row["建成年份"] == 2001
    assert row["老旧小区"] == "是"
    assert row["入驻时间"].date() == world.contract_a1.start_date
    for header in ("街道", "社区", "小区名称", "类别", "入驻物业企业", "物业管理性质", "入驻时间", "服务内容",
                   "物业负责人", "联系电话", "备注"):
        assert header in row


def test_export_link_carries_the_current_filters(world, login):
    html = login("street_staff").get(LIST, {"q": "梅", "page": 1}).content.decode()
    assert "?q=%E6%A2%85&amp;export=xlsx" in html


def _many_estates(world, n=30):
    firms = [world.firm1, world.firm2]
    for i in range(n):
        community = [world.meiyuan, world.ziwei, world.beizhuang_c][i % 3]
        firm = firms[i % 2] if i % 3 else None
        EstateFactory(community=community, name=f"批量小区{i:02d}", firm=firm,
                      firm_since=datetime.date(2024, 1, 1) if firm else None,
                      total_area=Decimal("1000.00") + i, management_mode=ManagementMode.MARKET)


def test_list_page_query_count_does_not_grow_with_estates(world, login, django_assert_max_num_queries):
    _many_estates(world)
    client = login("district_admin")
    # Session, user, roles, navbar; rows per community, the communities in order, one page of rows, the
    # districts' cut-off years; filter choice lists; the edit check. 30 estates with firms: one query per
    # row would add 25.
    with django_assert_max_num_queries(14):
        response = client.get(LIST, {"page": 1})
    assert response.status_code == 200
    assert len(response.context["object_list"]) == 25


def test_export_query_count_does_not_grow_with_estates(world, login, django_assert_max_num_queries):
    _many_estates(world)
    client = login("district_admin")
    with django_assert_max_num_queries(8):
        rows = export_rows(client.get(LIST, {"export": "xlsx"}))
    assert len(rows) == 33


def test_api_list_query_count_does_not_grow_with_estates(world, login, django_assert_max_num_queries):
    _many_estates(world)
    client = login("district_admin")
    # Session, user, roles, the cut-off years, count, one page of rows (+ the first view's session stamp);
    # one per row would add 33.
    with django_assert_max_num_queries(9):
        response = client.get("/api/estates/")
    assert response.status_code == 200
    assert response.json()["count"] == 33


def test_api_detail_has_place_names_and_flags(world, login):
    data = login("street_staff").get(f"/api/estates/{world.estate_a1.pk}/").json()
    assert data["name"] == "梅花园"
    assert data["street_name"] == "山城街道"
    assert data["community_name"] == "梅园社区"
    assert data["district_name"] == "山亭区"
    assert data["firm_name"] == "山亭甲物业服务有限公司"
    assert data["is_old"] is True
    assert data["total_area"] == "36000.50"
    assert data["management_mode_display"] == "市场化物业服务企业"


def test_api_is_read_only(world, login):
    client = login("city_admin")
    assert client.post("/api/estates/", {"name": "x"}).status_code == 405
    assert client.delete(f"/api/estates/{world.estate_a1.pk}/").status_code == 405
