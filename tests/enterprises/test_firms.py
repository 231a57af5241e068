"""Firm pages and services: scope for every persona, credit-code and filing rules with
Chinese messages (database unchanged), who may edit what, history and query counts."""
import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from inspections.models import RectificationOrder

from enterprises.models import Firm
from enterprises.services import firm_update
from tests.conftest import PERSONAS
from tests.factories import EstateFactory, FirmFactory, make_credit_code

pytestmark = pytest.mark.django_db

LISTED = {
    "city_admin": ["山亭乙物业服务有限公司", "山亭甲物业服务有限公司"],
    "district_admin": ["山亭乙物业服务有限公司", "山亭甲物业服务有限公司"],
    "district_staff": ["山亭乙物业服务有限公司", "山亭甲物业服务有限公司"],
    "district_admin_gc": [],
    "street_staff": ["山亭甲物业服务有限公司"],
    "street_staff2": ["山亭乙物业服务有限公司"],
    "community_clerk": ["山亭甲物业服务有限公司"],
    "firm_user": ["山亭甲物业服务有限公司"],
    "firm_user2": ["山亭乙物业服务有限公司"],
}
SEES_FIRM1 = {p for p, names in LISTED.items() if "山亭甲物业服务有限公司" in names}
EDITS_FIRM1 = {"city_admin", "district_admin", "firm_user"}
CREATORS = {"city_admin", "district_admin", "district_admin_gc"}


def wrong_check_char(code):
    return code[:-1] + ("1" if code[-1] != "1" else "2")


def firm_data(world, **overrides):
    data = {
        "name": "山亭丙物业服务有限公司", "credit_code": make_credit_code(9001), "legal_representative": "周明",
        "contact_name": "吴芳", "contact_phone": "0632-1234567", "address": "山亭区府前路 1 号",
        "registered_district": world.shanting.pk, "is_filed": "on", "filed_on": "2025-03-01",
        "street": "", "in_public_benefit_pool": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v not in (None, "")}


def field_errors(response, field):
    return [str(e) for e in response.context["form"].errors.get(field, [])]


# ----------------------------------------------------------------- permissions


@pytest.mark.parametrize("persona", PERSONAS)
def test_firm_list_shows_exactly_the_personas_firms(login, persona):
    response = login(persona).get(reverse("enterprises:firm_list"))
    assert response.status_code == 200
    assert sorted(f.name for f in response.context["object_list"]) == LISTED[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_firm_export_holds_only_the_personas_firms(login, persona):
    response = login(persona).get(reverse("enterprises:firm_list") + "?export=xlsx")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert sorted(r[0] for r in rows[1:]) == LISTED[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_firm_detail_is_found_only_inside_scope(world, login, persona):
    response = login(persona).get(reverse("enterprises:firm_detail", args=[world.firm1.pk]))
    assert response.status_code == (200 if persona in SEES_FIRM1 else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_firm_edit_page_only_for_its_district_admin_and_its_own_user(world, login, persona):
    response = login(persona).get(reverse("enterprises:firm_update", args=[world.firm1.pk]))
    assert response.status_code == (200 if persona in EDITS_FIRM1 else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_firm_create_page_only_for_district_admins(world, login, persona):
    response = login(persona).get(reverse("enterprises:firm_create"))
    assert response.status_code == (200 if persona in CREATORS else 404)


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - CREATORS))
def test_posting_a_firm_without_the_right_is_404_and_saves_nothing(world, login, persona):
    response = login(persona).post(reverse("enterprises:firm_create"), firm_data(world))
    assert response.status_code == 404
    assert Firm.objects.count() == 2


@pytest.mark.parametrize("name, args", [("firm_list", []), ("firm_create", []), ("firm_detail", [1]),
                                        ("firm_update", [1])])
def test_anonymous_visitor_is_sent_to_login_from_firm_pages(client, world, name, args):
    response = client.get(reverse(f"enterprises:{name}", args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_anonymous_visitor_cannot_export_firms(client, world):
    assert client.get(reverse("enterprises:firm_list") + "?export=xlsx").status_code == 302


def test_district_admin_cannot_edit_a_firm_registered_elsewhere_that_serves_their_estates(world, login):
    outsider = FirmFactory(name="管城物业", registered_district=world.guancheng)
    EstateFactory(community=world.ziwei, name="外来苑", firm=outsider, firm_since=datetime.date(2025, 1, 1))
    client = login("district_admin")
    assert client.get(reverse("enterprises:firm_detail", args=[outsider.pk])).status_code == 200
    assert client.get(reverse("enterprises:firm_update", args=[outsider.pk])).status_code == 404
    assert login("district_admin_gc").get(reverse("enterprises:firm_update", args=[outsider.pk])).status_code == 200


def test_firm_detail_lists_only_the_estates_the_viewer_may_see(world, login):
    EstateFactory(community=world.beizhuang_c, name="北庄二期", firm=world.firm1,
                  firm_since=datetime.date(2025, 1, 1))
    street_view = login("street_staff").get(reverse("enterprises:firm_detail", args=[world.firm1.pk]))
    assert [e.name for e in street_view.context["estates"]] == ["梅花园"]
    district_view = login("district_admin").get(reverse("enterprises:firm_detail", args=[world.firm1.pk]))
    assert sorted(e.name for e in district_view.context["estates"]) == ["北庄二期", "梅花园"]


def test_firm_list_filters_and_search(world, login):
    client = login("district_admin")
    names = lambda r: [f.name for f in r.context["object_list"]]  # noqa: E731
    assert names(client.get(reverse("enterprises:firm_list"), {"is_filed": "true"})) == ["山亭甲物业服务有限公司"]
    assert names(client.get(reverse("enterprises:firm_list"), {"is_filed": "false"})) == ["山亭乙物业服务有限公司"]
    assert names(client.get(reverse("enterprises:firm_list"), {"q": world.firm2.credit_code[2:10].lower()})) == \
        ["山亭乙物业服务有限公司"]
    assert names(client.get(reverse("enterprises:firm_list"), {"q": "甲"})) == ["山亭甲物业服务有限公司"]


# ------------------------------------------------------------------------ create


def test_district_admin_registers_a_firm_with_their_district(world, login):
    response = login("district_admin").post(reverse("enterprises:firm_create"), firm_data(world))
    firm = Firm.objects.get(name="山亭丙物业服务有限公司")
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:firm_detail", args=[firm.pk])
    assert firm.registered_district == world.shanting and firm.is_filed
    assert firm.filed_on == datetime.date(2025, 3, 1)


def test_district_admin_cannot_register_a_firm_in_another_district(world, login):
    response = login("district_admin").post(reverse("enterprises:firm_create"),
                                            firm_data(world, registered_district=world.guancheng.pk))
    assert response.status_code == 200
    assert field_errors(response, "registered_district")
    assert Firm.objects.count() == 2


def test_credit_code_with_a_wrong_check_character_is_refused(world, login):
    bad = wrong_check_char(make_credit_code(9001))
    response = login("district_admin").post(reverse("enterprises:firm_create"), firm_data(world, credit_code=bad))
    assert response.status_code == 200
    assert field_errors(response, "credit_code") == ["统一社会信用代码校验位错误，请核对最后一位。"]
    assert "统一社会信用代码校验位错误" in response.content.decode()
    assert Firm.objects.count() == 2


def test_credit_code_of_the_wrong_length_is_refused(world, login):
    response = login("district_admin").post(reverse("enterprises:firm_create"),
                                            firm_data(world, credit_code=make_credit_code(9001)[:17]))
    assert field_errors(response, "credit_code") == ["统一社会信用代码应为 18 位。"]
    assert Firm.objects.count() == 2


def test_duplicate_credit_code_is_refused_with_a_clear_message(world, login):
    # Typed in lower case: normalised before the duplicate check.
    response = login("district_admin").post(reverse("enterprises:firm_create"),
                                            firm_data(world, credit_code=world.firm1.credit_code.lower()))
    assert response.status_code == 200
    assert any("该统一社会信用代码已登记" in e for e in field_errors(response, "credit_code"))
    assert Firm.objects.count() == 2


def test_duplicate_firm_name_is_refused(world, login):
    response = login("district_admin").post(reverse("enterprises:firm_create"),
                                            firm_data(world, name=world.firm2.name))
    assert field_errors(response, "name") == ["该企业名称已登记，请勿重复录入。"]
    assert Firm.objects.count() == 2


@pytest.mark.parametrize("overrides, field, message", [
    ({"filed_on": None}, "filed_on", "已在区备案的企业须填写备案日期。"),
    ({"is_street_run": "on"}, "street", "街道物业公司须选择所属街道。"),
])
def test_filing_and_street_run_rules(world, login, overrides, field, message):
    response = login("district_admin").post(reverse("enterprises:firm_create"), firm_data(world, **overrides))
    assert field_errors(response, field) == [message]
    assert Firm.objects.count() == 2


def test_street_run_firm_needs_a_street_in_its_district(world, login):
    response = login("city_admin").post(reverse("enterprises:firm_create"), firm_data(
        world, is_street_run="on", street=world.zijingshan.pk))
    assert field_errors(response, "street") == ["所属街道须位于企业的备案区内。"]
    assert Firm.objects.count() == 2


def test_only_a_street_run_firm_names_a_street(world, login):
    response = login("district_admin").post(reverse("enterprises:firm_create"),
                                            firm_data(world, street=world.shancheng.pk))
    assert field_errors(response, "street") == ["仅街道物业公司可填写所属街道。"]


def test_street_run_firm_with_its_street_is_registered(world, login):
    response = login("district_admin").post(reverse("enterprises:firm_create"), firm_data(
        world, is_street_run="on", street=world.shancheng.pk))
    assert response.status_code == 302
    assert Firm.objects.get(name="山亭丙物业服务有限公司").street == world.shancheng


# -------------------------------------------------------------------------- edit


def test_firm_user_edits_only_the_contact_fields(world, login):
    client = login("firm_user")
    page = client.get(reverse("enterprises:firm_update", args=[world.firm1.pk]))
    assert set(page.context["form"].fields) == {"contact_name", "contact_phone", "address"}
    response = client.post(reverse("enterprises:firm_update", args=[world.firm1.pk]), {
        "contact_name": "新联系人", "contact_phone": "13700000000", "address": "新地址",
        "name": "改名物业", "credit_code": make_credit_code(77),
    })
    assert response.status_code == 302
    firm = Firm.objects.get(pk=world.firm1.pk)
    assert (firm.contact_name, firm.contact_phone, firm.address) == ("新联系人", "13700000000", "新地址")
    assert firm.name == "山亭甲物业服务有限公司" and firm.credit_code == world.firm1.credit_code


def test_firm_update_service_refuses_name_changes_by_the_firm_user(world):
    with pytest.raises(PermissionDenied):
        firm_update(actor=world.users["firm_user"], firm=world.firm1, data={"name": "改名物业"})
    with pytest.raises(PermissionDenied):
        firm_update(actor=world.users["firm_user2"], firm=world.firm1, data={"contact_name": "x"})
    assert Firm.objects.get(pk=world.firm1.pk).name == "山亭甲物业服务有限公司"


def test_district_admin_edit_shows_in_the_history(world, login):
    client = login("district_admin")
    data = firm_data(world, name=world.firm2.name, credit_code=world.firm2.credit_code,
                     legal_representative=world.firm2.legal_representative, contact_phone="0632-7654321",
                     is_filed="on", filed_on="2025-06-01")
    response = client.post(reverse("enterprises:firm_update", args=[world.firm2.pk]), data)
    assert response.status_code == 302
    page = client.get(reverse("enterprises:firm_detail", args=[world.firm2.pk])).content.decode()
    assert "变更历史" in page
    assert "已在区备案" in page and "0632-7654321" in page


def test_edit_to_a_duplicate_code_is_refused_and_changes_nothing(world, login):
    response = login("district_admin").post(reverse("enterprises:firm_update", args=[world.firm2.pk]), firm_data(
        world, name=world.firm2.name, credit_code=world.firm1.credit_code, is_filed=None, filed_on=None))
    assert any("该统一社会信用代码已登记" in e for e in field_errors(response, "credit_code"))
    assert Firm.objects.get(pk=world.firm2.pk).credit_code == world.firm2.credit_code


# ---------------------------------------------------------------- query counts


def test_firm_list_runs_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    for i in range(20):
        firm = FirmFactory(name=f"新物业{i}", registered_district=world.shanting, is_filed=True,
                           filed_on=datetime.date(2024, 1, 1))
        estate = EstateFactory(community=world.ziwei, name=f"新小区{i}", firm=firm,
                               firm_since=datetime.date(2025, 1, 1))  # the factory signs its contract
    client = login("district_admin")
    with django_assert_max_num_queries(11):
        response = client.get(reverse("enterprises:firm_list"))
    assert len(response.context["object_list"]) == 22
    assert {f.estate_count for f in response.context["object_list"]} == {1}
    with django_assert_max_num_queries(7):
        client.get(reverse("enterprises:firm_list") + "?export=xlsx")


def test_firm_detail_runs_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    for i in range(20):
        estate = EstateFactory(community=world.ziwei, name=f"新小区{i}", firm=world.firm1,
                               firm_since=datetime.date(2025, 1, 1))  # the factory signs its contract
        RectificationOrder.objects.create(number=f"ZG-T-{i}", estate=estate, firm=world.firm1, problem="x",
                                          deadline=datetime.date(2026, 1, 1), issued_by=world.users["street_staff"])
    client = login("district_admin")
    # 14 for the page + 2 for the rectification-order panel (counts by status, latest ten) + 3 for the
    # complaints panel (latest complaints, the districts' weight, the quarter's rates) + 3 for the sanction
    # panel (active sanctions, open street-run orders, the latest events), none of them per estate.
    with django_assert_max_num_queries(22):
        response = client.get(reverse("enterprises:firm_detail", args=[world.firm1.pk]))
    assert len(response.context["estates"]) == 21
