"""The quarterly plan pages and the frequency service behind /inspections/frequencies/."""
import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from inspections.models import Inspection, InspectionFrequency, InspectionStatus
from inspections.selectors import FrequencyRules, quarter_of
from inspections.services.plan import frequency_delete, frequency_set

from .test_pages_permissions import submitted

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def this_quarter():
    start, _end = quarter_of(TODAY)
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


# --- service --------------------------------------------------------------------------------------

def test_frequency_set_creates_then_changes_one_rule_per_combination(world):
    admin = world.users["district_admin"]
    rule = frequency_set(actor=admin, district=world.shanting, street=world.shancheng, category=2, per_quarter=3)
    again = frequency_set(actor=admin, district=world.shanting, street=world.shancheng, category=2, per_quarter="4")
    assert again.pk == rule.pk and again.per_quarter == 4
    frequency_set(actor=admin, district=world.shanting, per_quarter=2)
    rules = FrequencyRules([world.shanting.pk])
    assert rules.required(world.shanting.pk, world.shancheng.pk, 2) == 4
    assert rules.required(world.shanting.pk, world.beizhuang.pk, 2) == 2
    assert InspectionFrequency.objects.count() == 2


@pytest.mark.parametrize("value", [0, 32, "x", "", None, "1.5"])
def test_frequency_outside_1_to_31_is_refused(world, value):
    with pytest.raises(ValidationError, match="1 到 31 之间的整数"):
        frequency_set(actor=world.users["district_admin"], district=world.shanting, per_quarter=value)
    assert not InspectionFrequency.objects.exists()


def test_frequency_for_a_street_of_another_district_is_refused(world):
    with pytest.raises(ValidationError, match="不属于山亭区"):
        frequency_set(actor=world.users["district_admin"], district=world.shanting, street=world.zijingshan,
                      per_quarter=2)


@pytest.mark.parametrize("persona", ["street_staff", "district_staff", "district_admin_gc", "firm_user"])
def test_only_the_districts_admin_sets_frequencies(world, persona):
    with pytest.raises(ValidationError, match="只有本区管理员"):
        frequency_set(actor=world.users[persona], district=world.shanting, per_quarter=2)


def test_frequency_delete_falls_back_to_the_next_rule(world):
    admin = world.users["district_admin"]
    frequency_set(actor=admin, district=world.shanting, per_quarter=2)
    street_rule = frequency_set(actor=admin, district=world.shanting, street=world.shancheng, per_quarter=5)
    with pytest.raises(ValidationError):
        frequency_delete(actor=world.users["district_admin_gc"], rule=street_rule)
    frequency_delete(actor=admin, rule=street_rule)
    assert FrequencyRules([world.shanting.pk]).required(world.shanting.pk, world.shancheng.pk, 1) == 2


# --- pages ----------------------------------------------------------------------------------------

def test_progress_defaults_to_the_current_quarter_with_drilldown_and_create_links(world, rubric, login):
    submitted(world, world.estate_a1)
    response = login("street_staff").get(reverse("inspections:progress"))
    assert response.context["quarter"] == this_quarter()
    [street] = response.context["streets"]
    states = {p.estate.name: p.state for p in street.estates}
    assert states["梅花园"] == "done" and states["锦绣花园"] in ("due", "overdue")
    html = response.content.decode()
    assert reverse("inspections:inspection_create", args=[world.estate_a2.pk]) in html
    assert reverse("inspections:inspection_create", args=[world.estate_a1.pk]) not in html  # done already


def test_progress_for_firm_users_has_no_create_links(world, rubric, login):
    html = login("firm_user").get(reverse("inspections:progress")).content.decode()
    assert "梅花园" in html and "/inspections/new/" not in html


def test_progress_of_a_named_quarter(world, rubric, login):
    response = login("district_admin").get(reverse("inspections:progress"), {"quarter": "2025q2"})
    assert (response.context["start"], response.context["end"]) == (datetime.date(2025, 4, 1),
                                                                    datetime.date(2025, 6, 30))
    assert response.context["prev_quarter"] == "2025Q1" and response.context["next_quarter"] == "2025Q3"
    # A past quarter with no inspections: every estate is behind plan.
    assert response.context["totals"] == {"done": 0, "due": 0, "overdue": 3}


def test_a_malformed_quarter_is_explained_in_chinese(world, login):
    response = login("street_staff").get(reverse("inspections:progress"), {"quarter": "2026Q5"})
    assert response.status_code == 200
    assert "季度格式应为“2026Q3”，收到“2026Q5”。" in response.content.decode()
    assert response.context["quarter"] == this_quarter()


def test_frequency_page_sets_and_deletes_rules(world, login):
    client = login("district_admin")
    response = client.post(reverse("inspections:frequencies"), {
        "district": world.shanting.pk, "street": world.shancheng.pk, "category": "2", "per_quarter": "3"})
    assert response.status_code == 302
    rule = InspectionFrequency.objects.get()
    assert (rule.street, rule.category, rule.per_quarter) == (world.shancheng, 2, 3)
    html = client.get(reverse("inspections:frequencies")).content.decode()
    assert "山城街道" in html and "二类" in html
    client.post(reverse("inspections:frequencies"), {"delete": rule.pk})
    assert not InspectionFrequency.objects.exists()


@pytest.mark.parametrize("value", ["0", "32", "abc"])
def test_frequency_page_shows_the_range_message(world, login, value):
    response = login("district_admin").post(reverse("inspections:frequencies"),
                                            {"district": world.shanting.pk, "per_quarter": value})
    assert response.status_code == 200
    assert "每季度检查次数须为 1 到 31 之间的整数。" in response.content.decode()
    assert not InspectionFrequency.objects.exists()


def test_frequency_page_offers_only_the_admins_district(world, login):
    client = login("district_admin")
    form = client.get(reverse("inspections:frequencies")).context["form"]
    assert list(form.fields["district"].queryset) == [world.shanting]
    assert set(form.fields["street"].queryset) == {world.shancheng, world.beizhuang}
    response = client.post(reverse("inspections:frequencies"), {"district": world.guancheng.pk, "per_quarter": "2"})
    assert response.status_code == 200 and not InspectionFrequency.objects.exists()


def test_another_districts_rule_cannot_be_deleted(world, login):
    rule = frequency_set(actor=world.users["district_admin_gc"], district=world.guancheng, per_quarter=2)
    response = login("district_admin").post(reverse("inspections:frequencies"), {"delete": rule.pk})
    assert response.status_code == 404
    assert InspectionFrequency.objects.filter(pk=rule.pk).exists()


def test_plan_page_counts_estates_behind_plan_a_month_before_the_quarter_ends(world, rubric, login):
    """The issue's case: on 1 December one of 山亭区's three estates was inspected in Q4; the two others'
    planned date (once a quarter: 10-01 + 46 days = 11-16) has passed, so both are behind plan, not 0."""
    Inspection.objects.create(estate=world.estate_a1, rubric=rubric, date=datetime.date(2026, 10, 8),
                              inspectors="x", created_by=world.users["street_staff"],
                              status=InspectionStatus.SUBMITTED, total=90,
                              submitted_at=datetime.datetime(2026, 10, 8, 3, tzinfo=datetime.UTC))
    client = login("district_admin")
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        response = client.get(reverse("inspections:progress"))
    assert response.context["quarter"] == "2026Q4"
    assert response.context["totals"] == {"done": 1, "due": 0, "overdue": 2}
    html = response.content.decode()
    assert html.count("2026-11-16") == 2  # the two estates' missed planned date, shown beside them
    # On 16 November itself the planned day has not passed: nobody is behind yet.
    with time_machine.travel(datetime.datetime(2026, 11, 16, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        response = client.get(reverse("inspections:progress"))
    assert response.context["totals"] == {"done": 1, "due": 2, "overdue": 0}
