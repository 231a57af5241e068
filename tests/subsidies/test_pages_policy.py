"""Subsidy policy pages: versions per district, 新版本 prefilled from the current one, errors on fields."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from subsidies.models import SubsidyPolicy

pytestmark = pytest.mark.django_db


def form_data(w, **changes):
    data = {
        "effective_from": "2026-01-01", "rate_5": "0.30", "rate_4": "0.25", "rate_3": "0.20", "rate_2": "0.15",
        "rate_1": "0.10", "cap": "0.30", "programme_start": "2022-02", "programme_months": "48",
        "pilot_start": "2021-06", "pilot_estates": [w.estate_a1.pk], "yearly_budget": "1200000.00",
    }
    data.update(changes)
    return data


def test_new_version_form_is_prefilled_from_the_current_one(sub_world, login):
    w = sub_world
    w.policy.pilot_estates.add(w.estate_b1)
    w.policy.pilot_start = datetime.date(2021, 6, 1)
    w.policy.save()
    response = login("district_admin").get(reverse("subsidies:policy_create", args=[w.shanting.pk]))
    form = response.context["form"]
    assert form.initial["rate_5"] == Decimal("0.30") and form.initial["cap"] == Decimal("0.30")
    assert form.initial["programme_start"] == datetime.date(2025, 3, 1)
    assert form.initial["pilot_estates"] == [w.estate_b1.pk]
    html = response.content.decode()
    assert 'type="month" name="programme_start" value="2025-03"' in html
    assert 'name="pilot_start" value="2021-06"' in html
    # Only the district's estates can be pilots.
    assert "北庄花园" in html and "紫荆小区" not in html


def test_a_rate_above_the_cap_is_an_error_on_the_field(sub_world, login):
    w = sub_world
    response = login("district_admin").post(reverse("subsidies:policy_create", args=[w.shanting.pk]),
                                            form_data(w, rate_5="0.35"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "超过上限" in errors["rate_5"][0] and "0.35" in errors["rate_5"][0]
    assert SubsidyPolicy.objects.count() == 1


def test_a_new_version_is_saved_with_months_as_first_days_and_pilots(sub_world, login):
    w = sub_world
    response = login("district_admin").post(reverse("subsidies:policy_create", args=[w.shanting.pk]),
                                            form_data(w, rate_5="0.28", cap="0.28"))
    assert response.status_code == 302
    policy = SubsidyPolicy.objects.get(effective_from=datetime.date(2026, 1, 1))
    assert (policy.rate_5, policy.cap, policy.programme_start, policy.pilot_start, policy.yearly_budget) == (
        Decimal("0.28"), Decimal("0.28"), datetime.date(2022, 2, 1), datetime.date(2021, 6, 1),
        Decimal("1200000.00"))
    assert list(policy.pilot_estates.all()) == [w.estate_a1]
    assert policy.created_by == w.users["district_admin"]
    page = login("district_admin").get(response.url)
    assert [p.effective_from for p in page.context["object_list"]] == [datetime.date(2026, 1, 1),
                                                                       datetime.date(2021, 1, 1)]
    assert "1,200,000.00" in page.content.decode()


def test_bad_input_stays_on_the_form(sub_world, login):
    w = sub_world
    client = login("district_admin")
    url = reverse("subsidies:policy_create", args=[w.shanting.pk])
    errors = client.post(url, form_data(w, programme_start="2022/02")).context["form"].errors
    assert errors["programme_start"] == ["请按“2025-03”的格式填写月份。"]
    errors = client.post(url, form_data(w, pilot_estates=[w.estate_c1.pk])).context["form"].errors
    assert "pilot_estates" in errors  # another district's estate is not a choice
    errors = client.post(url, form_data(w, effective_from="2021-01-01")).context["form"].errors
    assert errors["effective_from"] == ["该日期已有一个政策版本。"]
    errors = client.post(url, form_data(w, pilot_start="2022-03")).context["form"].errors
    assert errors["pilot_start"] == ["试点起始月不能晚于补贴起始月。"]
    assert SubsidyPolicy.objects.count() == 1


def test_other_districts_admin_and_staff_cannot_create(sub_world, login):
    w = sub_world
    url = reverse("subsidies:policy_create", args=[w.shanting.pk])
    for persona in ("district_admin_gc", "district_staff", "street_staff", "firm_user"):
        assert login(persona).post(url, form_data(w)).status_code == 404
    assert SubsidyPolicy.objects.count() == 1


def test_policy_list_is_scoped_and_offers_new_version_to_admins(sub_world, login):
    w = sub_world
    SubsidyPolicy.objects.create(district=w.guancheng, effective_from=datetime.date(2022, 1, 1),
                                 programme_start=datetime.date(2022, 2, 1))
    admin = login("district_admin").get(reverse("subsidies:policy_list"))
    assert {p.district.name for p in admin.context["object_list"]} == {"山亭区"}
    assert reverse("subsidies:policy_create", args=[w.shanting.pk]) in admin.content.decode()
    street = login("street_staff").get(reverse("subsidies:policy_list"))
    assert {p.district.name for p in street.context["object_list"]} == {"山亭区"}
    assert "/subsidies/policies/new/" not in street.content.decode()
    city = login("city_admin").get(reverse("subsidies:policy_list"))
    assert {p.district.name for p in city.context["object_list"]} == {"山亭区", "管城回族区"}
