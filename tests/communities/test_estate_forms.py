"""Creating and editing an estate: happy paths, every rule's Chinese message, nothing saved on error, history."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from communities.models import Estate
from communities.services.estates import estate_create, estate_update

pytestmark = pytest.mark.django_db

CREATE = reverse("communities:estate_create")


def form_data(world, **overrides):
    data = {
        "community": world.meiyuan.pk, "name": "幸福家园", "address": "幸福路 18 号", "completion_year": 2003,
        "total_area": "36000.50", "building_count": 12, "household_count": 480, "estate_type": "old",
        "management_mode": "market", "category": 2, "service_content": "保洁、秩序维护",
        "contact_name": "张经理", "contact_phone": "0632-1234567", "notes": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def edit_url(estate):
    return reverse("communities:estate_update", args=[estate.pk])


def test_street_staff_creates_an_estate_in_their_street(world, login):
    response = login("street_staff").post(CREATE, form_data(world, in_renovation_programme="on",
                                                                   renovation_accepted="on"))
    estate = Estate.objects.get(name="幸福家园")
    assert response.status_code == 302
    assert response.url == reverse("communities:estate_detail", args=[estate.pk])
    assert estate.community == world.meiyuan
    assert estate.total_area == Decimal("36000.50")
    assert estate.in_renovation_programme and estate.renovation_accepted
    assert estate.firm is None
    record = estate.history.get()
    assert record.history_user == world.users["street_staff"]
    assert record.history_change_reason == "新增小区"


def test_district_admin_creates_an_estate_in_any_street_of_the_district(world, login):
    response = login("district_admin").post(CREATE, form_data(world, community=world.beizhuang_c.pk))
    assert response.status_code == 302
    assert Estate.objects.get(name="幸福家园").community == world.beizhuang_c


def test_create_form_offers_only_editable_communities(world, login):
    form = login("street_staff").get(CREATE).context["form"]
    assert {c.name for c in form.fields["community"].queryset} == {"梅园社区", "紫薇社区"}
    assert "firm" not in form.fields and "firm_since" not in form.fields


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"total_area": "0"}, "total_area", "总建筑面积必须大于 0"),
        ({"total_area": "-5"}, "total_area", "总建筑面积必须大于 0"),
        ({"total_area": "abc"}, "total_area", "总建筑面积必须是数字"),
        ({"completion_year": 1948}, "completion_year", "建成年份不能早于 1949 年"),
        ({"completion_year": timezone.localdate().year + 1}, "completion_year", "建成年份不能晚于今年"),
        ({"completion_year": None}, "completion_year", "请填写建成年份"),
        ({"renovation_accepted": "on"}, "renovation_accepted", "只有纳入老旧小区改造的小区才能标记为改造达标"),
        ({"name": "梅花园"}, "name", "“梅园社区”已有名为“梅花园”的小区"),
        ({"name": "  "}, "name", "请填写小区名称"),
        ({"community": None}, "community", "请选择社区"),
        ({"contact_phone": "call me"}, "contact_phone", "联系电话格式不正确"),
    ],
)
def test_bad_input_is_refused_with_a_chinese_message_and_nothing_is_saved(world, login, overrides, field,
                                                                         message):
    before = Estate.objects.count()
    response = login("street_staff").post(CREATE, form_data(world, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert any(message in e for e in errors[field])
    assert message in response.content.decode()
    assert Estate.objects.count() == before


def test_the_same_estate_name_is_allowed_in_another_community(world, login):
    response = login("street_staff").post(CREATE, form_data(world, community=world.ziwei.pk, name="梅花园"))
    assert response.status_code == 302
    assert Estate.objects.filter(name="梅花园").count() == 2


def test_street_staff_edits_an_estate_and_history_shows_who_changed_what(world, login):
    client = login("street_staff")
    estate = world.estate_a2
    data = form_data(world, community=world.ziwei.pk, name="锦绣花园", total_area="52500.00", management_mode="self")
    # The area is the subsidy base: a change without the date it holds from is refused on the form.
    refused = client.post(edit_url(estate), data)
    assert refused.status_code == 200 and "修改总建筑面积时请填写面积生效日期" in refused.content.decode()
    estate.refresh_from_db()
    assert estate.total_area == Decimal("52000.00")
    response = client.post(edit_url(estate), {**data, "area_effective_from": "2025-07-01"})
    assert response.status_code == 302
    estate.refresh_from_db()
    assert estate.total_area == Decimal("52500.00")
    assert [(f"{a.effective_from}", a.area) for a in estate.areas.order_by("effective_from")] == [
        ("2012-01-01", Decimal("52000.00")), ("2025-07-01", Decimal("52500.00"))]
    assert estate.management_mode == "self"
    latest = estate.history.latest()
    assert latest.history_user == world.users["street_staff"]

    html = client.get(reverse("communities:estate_detail", args=[estate.pk])).content.decode()
    assert "变更历史" in html
    assert "总建筑面积（㎡）" in html and "52000.00 → 52500.00" in html
    assert "物业管理性质" in html and "无人管理 → 业主自行管理" in html
    assert str(world.users["street_staff"]) in html


def test_edit_keeps_the_serving_firm_set_by_the_contract(world, login):
    estate = world.estate_a1
    response = login("street_staff").post(edit_url(estate), form_data(
        world, name="梅花园", firm=world.firm2.pk, firm_since="2030-01-01"))
    assert response.status_code == 302
    estate.refresh_from_db()
    assert estate.firm == world.firm1
    assert estate.firm_since == world.contract_a1.start_date


def test_edit_with_bad_area_leaves_the_estate_unchanged(world, login):
    estate = world.estate_a1
    response = login("street_staff").post(edit_url(estate), form_data(world, name="梅花园", total_area="0"))
    assert response.status_code == 200
    assert "总建筑面积必须大于 0" in response.content.decode()
    estate.refresh_from_db()
    assert estate.total_area == Decimal("36000.50")
    assert estate.history.count() == 2  # created, then the firm set by the world fixture


def test_edit_cannot_rename_onto_another_estate_of_the_community(world, login):
    other = Estate.objects.create(community=world.meiyuan, name="桃源居", completion_year=2015,
                                  total_area=Decimal("1000"))
    response = login("street_staff").post(edit_url(other), form_data(world, name="梅花园"))
    assert response.status_code == 200
    assert "“梅园社区”已有名为“梅花园”的小区" in response.content.decode()
    other.refresh_from_db()
    assert other.name == "桃源居"


def test_edit_cannot_move_an_estate_to_a_community_outside_scope(world, login):
    response = login("street_staff").post(edit_url(world.estate_a1),
                                          form_data(world, name="梅花园", community=world.beizhuang_c.pk))
    assert response.status_code == 200
    assert "该社区不在您的管辖范围内" in response.content.decode()
    world.estate_a1.refresh_from_db()
    assert world.estate_a1.community == world.meiyuan


def test_editing_an_estate_keeps_its_own_name_valid(world, login):
    response = login("street_staff").post(edit_url(world.estate_a1), form_data(world, name="梅花园"))
    assert response.status_code == 302


# --- the service functions themselves (what the API, admin and import also call) ---

def service_data(world, **overrides):
    data = {"community": world.meiyuan, "name": "服务层小区", "completion_year": 2010,
            "total_area": Decimal("100.00")}
    data.update(overrides)
    return data


def test_service_refuses_a_community_outside_the_actors_scope(world):
    with pytest.raises(ValidationError) as exc:
        estate_create(actor=world.users["street_staff2"], data=service_data(world))
    assert exc.value.message_dict["community"] == ["该社区不在您的管辖范围内"]
    assert not Estate.objects.filter(name="服务层小区").exists()


@pytest.mark.parametrize("persona", ["community_clerk", "firm_user", "district_staff"])
def test_service_refuses_users_who_may_only_view(world, persona):
    with pytest.raises(ValidationError):
        estate_create(actor=world.users[persona], data=service_data(world))
    with pytest.raises(ValidationError):
        estate_update(actor=world.users[persona], estate=world.estate_a1, data={"notes": "x"})
    world.estate_a1.refresh_from_db()
    assert world.estate_a1.notes == ""


def test_service_update_ignores_the_firm_fields(world):
    estate = estate_update(actor=world.users["street_staff"], estate=world.estate_a1,
                           data={"firm": world.firm2, "firm_since": datetime.date(2030, 1, 1), "notes": "已核实"})
    assert estate.firm == world.firm1
    assert estate.notes == "已核实"
    record = estate.history.latest()
    assert record.history_user == world.users["street_staff"]
    assert record.history_change_reason == "修改小区信息"


def test_service_update_applies_the_rules_to_the_merged_values(world):
    # renovation_accepted alone is refused while the estate is not in the programme.
    with pytest.raises(ValidationError) as exc:
        estate_update(actor=world.users["street_staff"], estate=world.estate_a1, data={"renovation_accepted": True})
    assert "renovation_accepted" in exc.value.message_dict
