"""Service contract pages and services: scope for every persona, bond and date rules,
one active contract per estate, the estate following sign and end, history, query counts."""
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from communities.models import Estate, ManagementMode
from enterprises import services as enterprise_services
from enterprises.models import ContractStatus, ServiceContract
from enterprises.services import contract_create, contract_end
from tests.conftest import PERSONAS
from tests.factories import EstateFactory, FirmFactory, ServiceContractFactory

pytestmark = pytest.mark.django_db

LISTED = {
    "city_admin": ["北庄花园", "梅花园"],
    "district_admin": ["北庄花园", "梅花园"],
    "district_staff": ["北庄花园", "梅花园"],
    "district_admin_gc": [],
    "street_staff": ["梅花园"],
    "street_staff2": ["北庄花园"],
    "community_clerk": ["梅花园"],
    "firm_user": ["梅花园"],
    "firm_user2": ["北庄花园"],
}
SEES_A1 = {p for p, names in LISTED.items() if "梅花园" in names}
# Street staff of 山城街道 and the admins of 山亭区 sign and end contracts for its estates.
EDITS_SHANCHENG = {"city_admin", "district_admin", "street_staff"}
BOND_MESSAGE = "履约保证金应在 20,000 至 100,000 元/年之间。"


def contract_data(world, **overrides):
    data = {"firm": world.firm1.pk, "start_date": "2026-01-01", "end_date": "2028-12-31",
            "fee_standard": "1.50", "bond": "50000.00"}
    data.update(overrides)
    return data


def end_data(**overrides):
    data = {"ended_on": "2026-06-30", "handover_date": "2026-07-01",
            "handover_note": "移交图纸资料 12 册、设施设备清单及预收物业费账目。", "handover_received_by": "山城街道物业服务中心"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def create_url(estate):
    return reverse("enterprises:contract_create", kwargs={"estate_pk": estate.pk})


def end_url(contract):
    return reverse("enterprises:contract_end", args=[contract.pk])


def field_errors(response, field):
    return [str(e) for e in response.context["form"].errors.get(field, [])]


# ----------------------------------------------------------------- permissions


@pytest.mark.parametrize("persona", PERSONAS)
def test_contract_list_shows_exactly_the_personas_contracts(login, persona):
    response = login(persona).get(reverse("enterprises:contract_list"))
    assert response.status_code == 200
    assert sorted(c.estate.name for c in response.context["object_list"]) == LISTED[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_contract_export_holds_only_the_personas_contracts(login, persona):
    response = login(persona).get(reverse("enterprises:contract_list") + "?export=xlsx")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert sorted(r[2] for r in rows[1:]) == LISTED[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_contract_detail_is_found_only_inside_scope(world, login, persona):
    response = login(persona).get(reverse("enterprises:contract_detail", args=[world.contract_a1.pk]))
    assert response.status_code == (200 if persona in SEES_A1 else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_contract_create_page_only_for_the_estates_street_and_district(world, login, persona):
    response = login(persona).get(create_url(world.estate_a2))
    assert response.status_code == (200 if persona in EDITS_SHANCHENG else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_contract_end_page_only_for_the_estates_street_and_district(world, login, persona):
    response = login(persona).get(end_url(world.contract_a1))
    assert response.status_code == (200 if persona in EDITS_SHANCHENG else 404)


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - EDITS_SHANCHENG))
def test_posting_outside_scope_is_404_and_changes_nothing(world, login, persona):
    client = login(persona)
    assert client.post(create_url(world.estate_a2), contract_data(world)).status_code == 404
    assert client.post(end_url(world.contract_a1), end_data()).status_code == 404
    assert ServiceContract.objects.count() == 2
    assert ServiceContract.objects.get(pk=world.contract_a1.pk).status == ContractStatus.ACTIVE


@pytest.mark.parametrize("name, kwargs", [
    ("contract_list", {}), ("contract_detail", {"pk": 1}), ("contract_end", {"pk": 1}),
    ("contract_create", {"estate_pk": 1}),
])
def test_anonymous_visitor_is_sent_to_login_from_contract_pages(client, world, name, kwargs):
    response = client.get(reverse(f"enterprises:{name}", kwargs=kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_anonymous_visitor_cannot_export_contracts(client, world):
    assert client.get(reverse("enterprises:contract_list") + "?export=xlsx").status_code == 302


def test_contract_list_filters_by_status_firm_and_street(world, login):
    client = login("district_admin")
    estates = lambda r: sorted(c.estate.name for c in r.context["object_list"])  # noqa: E731
    assert estates(client.get(reverse("enterprises:contract_list"), {"firm": world.firm2.pk})) == ["北庄花园"]
    assert estates(client.get(reverse("enterprises:contract_list"), {"street": world.shancheng.pk})) == ["梅花园"]
    assert estates(client.get(reverse("enterprises:contract_list"), {"status": "ended"})) == []


def test_firm_choices_are_the_filed_firms_of_the_estates_district(world, login):
    FirmFactory(name="管城已备案物业", registered_district=world.guancheng, is_filed=True,
                filed_on=datetime.date(2024, 1, 1))
    response = login("street_staff").get(create_url(world.estate_a2))
    # firm2 is not filed; the 管城 firm belongs to another district.
    assert [f.name for f in response.context["form"].fields["firm"].queryset] == ["山亭甲物业服务有限公司"]


# ------------------------------------------------------------------------ create


def test_signing_a_contract_updates_the_estate(world, login):
    response = login("street_staff").post(create_url(world.estate_a2), contract_data(world))
    contract = ServiceContract.objects.get(estate=world.estate_a2)
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:contract_detail", args=[contract.pk])
    assert (contract.fee_standard, contract.bond) == (Decimal("1.50"), Decimal("50000.00"))
    estate = Estate.objects.get(pk=world.estate_a2.pk)
    assert estate.firm == world.firm1
    assert estate.firm_since == datetime.date(2026, 1, 1)
    assert estate.management_mode == ManagementMode.MARKET
    assert estate.history.first().history_change_reason == "签订物业服务合同"


def test_signing_with_a_street_run_firm_sets_the_street_centre_mode(world, login):
    centre = FirmFactory(name="山城街道物业服务中心有限公司", registered_district=world.shanting, is_filed=True,
                         filed_on=datetime.date(2023, 1, 1), is_street_run=True, street=world.shancheng)
    response = login("district_admin").post(create_url(world.estate_a2), contract_data(world, firm=centre.pk))
    assert response.status_code == 302
    estate = Estate.objects.get(pk=world.estate_a2.pk)
    assert (estate.firm, estate.management_mode) == (centre, ManagementMode.STREET_CENTRE)


@pytest.mark.parametrize("bond", ["20000.00", "100000.00"])
def test_bond_at_the_limits_is_accepted(world, login, bond):
    response = login("street_staff").post(create_url(world.estate_a2), contract_data(world, bond=bond))
    assert response.status_code == 302


@pytest.mark.parametrize("bond", ["19999.99", "100000.01"])
def test_bond_outside_the_limits_is_refused_and_saves_nothing(world, login, bond):
    response = login("street_staff").post(create_url(world.estate_a2), contract_data(world, bond=bond))
    assert response.status_code == 200
    assert field_errors(response, "bond") == [BOND_MESSAGE]
    assert BOND_MESSAGE in response.content.decode()
    assert not ServiceContract.objects.filter(estate=world.estate_a2).exists()
    estate = Estate.objects.get(pk=world.estate_a2.pk)
    assert (estate.firm, estate.management_mode) == (None, ManagementMode.NONE)


@pytest.mark.parametrize("overrides, field, message", [
    ({"end_date": "2025-12-31"}, "end_date", "到期日期须晚于开始日期。"),
    ({"end_date": "2026-01-01"}, "end_date", "到期日期须晚于开始日期。"),
    ({"fee_standard": "-0.01"}, "fee_standard", "收费标准不能为负数。"),
])
def test_bad_dates_and_fees_are_refused(world, login, overrides, field, message):
    response = login("street_staff").post(create_url(world.estate_a2), contract_data(world, **overrides))
    assert field_errors(response, field) == [message]
    assert not ServiceContract.objects.filter(estate=world.estate_a2).exists()


def test_a_second_active_contract_is_a_clear_form_error(world, login):
    response = login("street_staff").post(create_url(world.estate_a1), contract_data(world))
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert any("该小区已有履行中的物业服务合同" in e for e in errors)
    assert ServiceContract.objects.filter(estate=world.estate_a1).count() == 1
    assert Estate.objects.get(pk=world.estate_a1.pk).firm_since == world.contract_a1.start_date


def test_the_database_constraint_on_active_contracts_is_caught(world, monkeypatch):
    # A race past the service's own check still ends in a message, not a 500.
    monkeypatch.setattr(enterprise_services, "_check_no_active_contract", lambda estate: None)
    with pytest.raises(ValidationError) as exc:
        contract_create(actor=world.users["street_staff"], estate=world.estate_a1, data={
            "firm": world.firm1, "start_date": datetime.date(2026, 1, 1), "end_date": datetime.date(2027, 1, 1),
            "fee_standard": Decimal("1.00"), "bond": Decimal("30000.00")})
    assert "该小区已有履行中的物业服务合同" in exc.value.messages[0]
    assert ServiceContract.objects.filter(estate=world.estate_a1).count() == 1


def test_contract_service_refuses_unfiled_firms_and_rechecks_scope(world):
    data = {"firm": world.firm2, "start_date": datetime.date(2026, 1, 1), "end_date": datetime.date(2027, 1, 1),
            "fee_standard": Decimal("1.00"), "bond": Decimal("30000.00")}
    with pytest.raises(ValidationError) as exc:
        contract_create(actor=world.users["street_staff"], estate=world.estate_a2, data=data)
    assert exc.value.message_dict["firm"] == ["请选择已在区备案的物业企业。"]
    with pytest.raises(PermissionDenied):
        contract_create(actor=world.users["street_staff2"], estate=world.estate_a2, data={**data, "firm": world.firm1})
    with pytest.raises(PermissionDenied):
        contract_end(actor=world.users["community_clerk"], contract=world.contract_a1, data={
            "ended_on": datetime.date(2026, 1, 1), "handover_date": datetime.date(2026, 1, 1),
            "handover_note": "x", "handover_received_by": "y"})
    assert ServiceContract.objects.count() == 2


# --------------------------------------------------------------------------- end


def test_ending_a_contract_records_the_handover_and_clears_the_estates_firm(world, login):
    client = login("street_staff")
    response = client.post(end_url(world.contract_a1), end_data())
    assert response.status_code == 302
    contract = ServiceContract.objects.get(pk=world.contract_a1.pk)
    assert contract.status == ContractStatus.ENDED
    assert (contract.ended_on, contract.handover_date) == (datetime.date(2026, 6, 30), datetime.date(2026, 7, 1))
    assert contract.handover_received_by == "山城街道物业服务中心"
    estate = Estate.objects.get(pk=world.estate_a1.pk)
    assert estate.firm is None and estate.firm_since is None
    assert estate.management_mode == ManagementMode.MARKET  # the clerk updates it on the estate page
    page = client.get(reverse("enterprises:contract_detail", args=[contract.pk])).content.decode()
    assert "变更历史" in page and "已终止" in page and "退出交接" in page


def test_after_ending_a_new_contract_can_be_signed(world, login):
    client = login("street_staff")
    client.post(end_url(world.contract_a1), end_data())
    response = client.post(create_url(world.estate_a1), contract_data(world, start_date="2026-07-01"))
    assert response.status_code == 302
    assert Estate.objects.get(pk=world.estate_a1.pk).firm_since == datetime.date(2026, 7, 1)


@pytest.mark.parametrize("missing", ["ended_on", "handover_date", "handover_note", "handover_received_by"])
def test_every_handover_field_is_required(world, login, missing):
    response = login("street_staff").post(end_url(world.contract_a1), end_data(**{missing: None}))
    assert response.status_code == 200
    assert field_errors(response, missing)
    assert ServiceContract.objects.get(pk=world.contract_a1.pk).status == ContractStatus.ACTIVE


def test_blank_handover_note_is_refused(world, login):
    response = login("street_staff").post(end_url(world.contract_a1), end_data(handover_note="   "))
    assert field_errors(response, "handover_note")
    assert ServiceContract.objects.get(pk=world.contract_a1.pk).status == ContractStatus.ACTIVE


def test_exit_date_before_the_contract_start_is_refused(world, login):
    response = login("street_staff").post(end_url(world.contract_a1), end_data(ended_on="2024-12-31"))
    assert field_errors(response, "ended_on") == ["退出日期不能早于合同开始日期（2025-01-01）。"]
    assert Estate.objects.get(pk=world.estate_a1.pk).firm == world.firm1


def test_an_ended_contract_cannot_be_ended_again(world, login):
    client = login("street_staff")
    client.post(end_url(world.contract_a1), end_data())
    response = client.get(end_url(world.contract_a1))
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:contract_detail", args=[world.contract_a1.pk])


def test_end_button_only_for_active_contracts_the_user_may_end(world, login):
    detail = reverse("enterprises:contract_detail", args=[world.contract_a1.pk])
    assert end_url(world.contract_a1) in login("street_staff").get(detail).content.decode()
    assert end_url(world.contract_a1) not in login("firm_user").get(detail).content.decode()


# ---------------------------------------------------------------- query counts


def test_contract_list_runs_a_fixed_number_of_queries(world, login, django_assert_max_num_queries):
    for i in range(20):
        ServiceContractFactory(estate=EstateFactory(community=world.ziwei, name=f"新小区{i}"),
                               firm=FirmFactory(name=f"新物业{i}"))
    client = login("street_staff")
    with django_assert_max_num_queries(11):
        response = client.get(reverse("enterprises:contract_list"))
    assert len(response.context["object_list"]) == 21
    with django_assert_max_num_queries(7):
        client.get(reverse("enterprises:contract_list") + "?export=xlsx")
