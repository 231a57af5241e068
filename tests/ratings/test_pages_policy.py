"""The rating policy pages: versions per district, and a new version prefilled from the current one."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from ratings.models import RatingPolicy

from ._pages import at

pytestmark = pytest.mark.django_db

GOOD = {"effective_from": "2026-01-01", "weight_inspection": "60", "weight_opinion": "15",
        "weight_satisfaction": "25", "threshold_5": "90", "threshold_4": "85", "threshold_3": "80",
        "threshold_2": "75", "threshold_1": "70", "application_start": "01-15", "application_end": "02-28",
        "appeal_days": "10", "run_day": "7", "disqualifying_reasons": "小区内新增违法建设\n\n  小区内出现群租房  \n"}


def test_new_version_form_is_prefilled_from_the_policy_in_force(rating_world, login):
    w = rating_world
    with at(datetime.date(2025, 5, 10)):
        form = login("district_admin").get(reverse("ratings:policy_create", args=[w.shanting.pk])).context["form"]
    assert form["weight_inspection"].value() == Decimal("70")
    assert form["threshold_3"].value() == Decimal("75")
    assert form["application_end"].value() == "03-31"
    assert form["effective_from"].value() == datetime.date(2025, 7, 1)  # the next quarter
    assert form["disqualifying_reasons"].value().splitlines()[0] == "小区内新增违法建设"


def test_new_version_is_saved_with_reasons_one_per_line(rating_world, login):
    w = rating_world
    response = login("district_admin").post(reverse("ratings:policy_create", args=[w.shanting.pk]), GOOD,
                                            follow=True)
    assert "已保存山亭区星级评定政策新版本" in response.content.decode()
    p = RatingPolicy.objects.get(district=w.shanting, effective_from=datetime.date(2026, 1, 1))
    assert (p.weight_inspection, p.threshold_5, p.appeal_days, p.run_day) == (Decimal("60"), Decimal("90"), 10, 7)
    assert p.disqualifying_reasons == ["小区内新增违法建设", "小区内出现群租房"]
    assert p.created_by == w.users["district_admin"]
    listing = login("district_admin").get(reverse("ratings:policy_list"), {"district": w.shanting.pk})
    assert [x.effective_from for x in listing.context["object_list"]] == [
        datetime.date(2026, 1, 1), datetime.date(2000, 1, 1)]


@pytest.mark.parametrize("change, field, message", [
    ({"weight_satisfaction": "30"}, "weight_inspection", "三项权重之和必须为 100，目前为 105"),
    ({"threshold_4": "95"}, "threshold_5", "严格递减"),
    ({"application_start": "13-01"}, "application_start", "月-日"),
    ({"application_end": "01-01"}, "application_end", "不能早于开始日期"),
    ({"effective_from": "2000-01-01"}, "effective_from", "该日期已有一个政策版本"),
    ({"weight_opinion": "101"}, "weight_opinion", "100"),
])
def test_bad_policy_errors_are_shown_on_the_field_and_nothing_saved(rating_world, login, change, field, message):
    w = rating_world
    before = RatingPolicy.objects.count()
    response = login("district_admin").post(reverse("ratings:policy_create", args=[w.shanting.pk]),
                                            {**GOOD, **change})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert RatingPolicy.objects.count() == before


def test_other_districts_admin_cannot_post_a_version(rating_world, login):
    w = rating_world
    response = login("district_admin_gc").post(reverse("ratings:policy_create", args=[w.shanting.pk]), GOOD)
    assert response.status_code == 404
    assert not RatingPolicy.objects.filter(effective_from=datetime.date(2026, 1, 1)).exists()


def test_list_marks_the_version_in_force(rating_world, login):
    w = rating_world
    RatingPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2025, 1, 1))
    RatingPolicy.objects.create(district=w.shanting, effective_from=datetime.date(2027, 1, 1))
    with at(datetime.date(2025, 6, 1)):
        response = login("district_admin").get(reverse("ratings:policy_list"))
    in_force = response.context["in_force"]
    assert {p.effective_from for p in response.context["object_list"] if p.pk in in_force} == {
        datetime.date(2025, 1, 1)}
