"""The street's "two stations and one centre" (两站一中心, 驻马店 实施意见 五(二)): kept by the street's staff (their
own street) and the district's administrators (their streets'); the mediation and repair stations shown on the
estate's public complaint page; complaints taken at the mediation station registered with its own source."""
import datetime
from zoneinfo import ZoneInfo

import pytest
from faker import Faker
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from communities.models import StationKind, StreetStation
from communities.services.stations import station_create, station_update
from complaints.models import Category, Complaint, Source

from ..complaints._public import media, plaque, public_cache  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def station_data(**over):
    data = {"kind": StationKind.MEDIATION, "name": "山城街道物业纠纷调解站", "address": "山城路 18 号一楼",
            "phone": "0396-3812345", "opening_hours": "工作日 8:30—17:30", "is_active": True}
    data.update(over)
    return data


@pytest.fixture
def stations(world):
    s = world
    s.mediation = StreetStation.objects.create(street=s.shancheng, **station_data())
    s.repair = StreetStation.objects.create(street=s.shancheng, **station_data(
        kind=StationKind.REPAIR, name="山城街道应急维修站", address="山城路 20 号", phone="0396-3818888",
        opening_hours="全天 24 小时"))
    s.centre = StreetStation.objects.create(street=s.shancheng, **station_data(
        kind=StationKind.SERVICE_CENTRE, name="山城街道物业服务中心", address="山城路 22 号", phone="0396-3810000"))
    s.beizhuang_mediation = StreetStation.objects.create(street=s.beizhuang, **station_data(
        name="北庄街道调解站", address="北庄路 1 号", phone="0396-3700001"))
    return s


# --- the public estate page ---------------------------------------------------------------------------------

def test_the_public_complaint_page_shows_the_streets_mediation_and_repair_stations(stations, plaque, client):
    html = client.get(plaque.form_url).content.decode()
    assert 'data-testid="street-stations"' in html
    assert "物业管理矛盾投诉调解站" in html and "山城路 18 号一楼" in html and "0396-3812345" in html
    assert "工作日 8:30—17:30" in html
    assert "物业应急维修服务站" in html and "0396-3818888" in html and "全天 24 小时" in html
    # Only those two: not the service centre, and not another street's station.
    assert "0396-3810000" not in html and "北庄街道调解站" not in html


def test_a_station_out_of_use_is_not_shown_and_no_section_without_stations(stations, plaque, client):
    StreetStation.objects.filter(street=stations.shancheng).update(is_active=False)
    html = client.get(plaque.form_url).content.decode()
    assert 'data-testid="street-stations"' not in html and "0396-3812345" not in html


# --- who keeps them ---------------------------------------------------------------------------------------

def test_street_staff_add_a_station_to_their_own_street(world, login):
    client = login("street_staff")
    response = client.post(reverse("communities:station_create", args=[world.shancheng.pk]), station_data())
    assert response.status_code == 302
    station = StreetStation.objects.get()
    assert (station.street, station.kind, station.phone) == (world.shancheng, StationKind.MEDIATION, "0396-3812345")
    assert "0396-3812345" in client.get(reverse("communities:station_list")).content.decode()


@pytest.mark.parametrize("persona, street, allowed", [
    ("street_staff", "shancheng", True),
    ("street_staff", "beizhuang", False),  # another street of the same district
    ("district_admin", "beizhuang", True),  # 山亭区's streets
    ("district_admin", "zijingshan", False),  # 管城回族区's
    ("district_staff", "shancheng", False),  # reads, does not keep records
    ("community_clerk", "shancheng", False),
    ("firm_user", "shancheng", False),
    ("city_admin", "zijingshan", True),
])
def test_who_may_add_a_station(world, login, persona, street, allowed):
    client = login(persona)
    url = reverse("communities:station_create", args=[getattr(world, street).pk])
    assert client.get(url).status_code == (200 if allowed else 404)
    response = client.post(url, station_data())
    assert response.status_code == (302 if allowed else 404)
    assert StreetStation.objects.count() == (1 if allowed else 0)


@pytest.mark.parametrize("persona, station, allowed", [
    ("street_staff", "mediation", True),
    ("street_staff2", "mediation", False),
    ("street_staff2", "beizhuang_mediation", True),
    ("district_admin", "mediation", True),
    ("district_admin_gc", "mediation", False),
])
def test_who_may_edit_a_station(stations, login, persona, station, allowed):
    target = getattr(stations, station)
    response = login(persona).post(reverse("communities:station_update", args=[target.pk]),
                                   station_data(name=target.name, phone="0396-3899999"))
    assert response.status_code == (302 if allowed else 404)
    target.refresh_from_db()
    assert (target.phone == "0396-3899999") is allowed


def test_the_service_checks_scope_again(stations):
    with pytest.raises(PermissionDenied):
        station_update(actor=stations.users["street_staff2"], station=stations.mediation,
                       data=station_data(phone="1"))
    with pytest.raises(PermissionDenied):
        station_create(actor=stations.users["district_admin_gc"], street=stations.shancheng, data=station_data())
    stations.mediation.refresh_from_db()
    assert stations.mediation.phone == "0396-3812345"


def test_the_list_shows_what_the_user_sees(stations, login):
    html = login("street_staff2").get(reverse("communities:station_list")).content.decode()
    assert "北庄街道调解站" in html and "山城路 18 号一楼" not in html
    html = login("district_admin").get(reverse("communities:station_list")).content.decode()
    assert "北庄街道调解站" in html and "山城路 18 号一楼" in html


def test_one_station_in_use_per_kind_and_street_with_a_chinese_message(stations, login):
    response = login("street_staff").post(reverse("communities:station_create", args=[stations.shancheng.pk]),
                                          station_data(name="第二个调解站"))
    assert response.status_code == 200
    assert "山城街道已有在用的物业管理矛盾投诉调解站" in response.content.decode()
    assert StreetStation.objects.filter(street=stations.shancheng, kind=StationKind.MEDIATION).count() == 1
    # An old one put out of use makes room for the new one.
    station_update(actor=stations.users["street_staff"], station=stations.mediation,
                   data=station_data(is_active=False))
    new = station_create(actor=stations.users["street_staff"], street=stations.shancheng,
                         data=station_data(name="第二个调解站"))
    assert new.is_active and new.history.count() == 1


def test_a_station_needs_address_and_phone(world):
    with pytest.raises(ValidationError) as caught:
        station_create(actor=world.users["street_staff"], street=world.shancheng,
                       data=station_data(address="", phone=""))
    assert {"address", "phone"} <= set(caught.value.message_dict)
    assert not StreetStation.objects.exists()


# --- complaints taken at the mediation station ----------------------------------------------------------

def test_the_intake_form_registers_a_complaint_from_the_mediation_station(world, login, time_machine):
    time_machine.move_to(NOW, tick=False)
    assert Source.MEDIATION.label == "街道物业管理矛盾投诉调解站"
    client = login("street_staff")
    form = client.get(reverse("complaints:new")).content.decode()
    assert "街道物业管理矛盾投诉调解站" in form
    response = client.post(reverse("complaints:new"), {
        "source": Source.MEDIATION, "external_no": "", "received_at": "2026-12-01T09:00",
        "matter_type": "complaint", "category": Category.objects.get(code="sanitation").pk, "urgency": "normal",
        "title": "楼道垃圾无人清运", "content": "3 号楼楼道垃圾堆放一周无人清运。", "address": "梅花园 3 号楼",
        "estate": world.estate_a1.pk, "street": "", "complainant_name": Faker("zh_CN").name(),
        "complainant_phone": "13800002222"})
    assert response.status_code == 302, response.content.decode()[:2000]
    complaint = Complaint.objects.get()
    assert (complaint.source, complaint.street) == (Source.MEDIATION, world.shancheng)
    assert complaint.get_source_display() == "街道物业管理矛盾投诉调解站"
