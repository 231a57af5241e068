"""Rectification deadlines on the working-day calendar, and the seeding command."""
import datetime

import pytest
from django.core.management import call_command

from communities.models import DistrictPolicy
from inspections.services.orders import default_deadline
from workdays.models import CalendarDay, CalendarFallback, CalendarYear, TimeUnit

pytestmark = pytest.mark.django_db


def policy(world, **kw):
    return DistrictPolicy.objects.create(district=world.shanting, effective_from=datetime.date(2025, 1, 1), **kw)


def test_rectification_deadline_counts_calendar_days_by_default(world):
    p = policy(world, rectification_deadline_days=5)
    assert p.rectification_deadline_unit == TimeUnit.CALENDAR_DAYS
    # 09-30 + 5 calendar days = 10-05, holidays or not.
    assert default_deadline(world.estate_a1, today=datetime.date(2025, 9, 30)) == datetime.date(2025, 10, 5)


def test_rectification_deadline_in_working_days_follows_the_calendar(world):
    policy(world, rectification_deadline_days=5, rectification_deadline_unit=TimeUnit.WORKING_DAYS)
    # From 09-30: 10-09, 10-10, 10-11 (Sat, make-up), 10-13, 10-14 -> the 5th working day is 10-14.
    assert default_deadline(world.estate_a1, today=datetime.date(2025, 9, 30)) == datetime.date(2025, 10, 14)
    # From Saturday 09-27: 09-28 (Sun, make-up) = 1st, 09-29 (Mon) = 2nd, 09-30 = 3rd,
    # 10-09 = 4th, 10-10 = 5th.
    assert default_deadline(world.estate_a1, today=datetime.date(2025, 9, 27)) == datetime.date(2025, 10, 10)


def test_rectification_deadline_into_an_unknown_year_records_the_fallback(world):
    policy(world, rectification_deadline_days=3, rectification_deadline_unit=TimeUnit.WORKING_DAYS)
    # From Wed 2026-12-30: 12-31 = 1st, 2027-01-01 (Fri, fallback) = 2nd, 01-04 (Mon) = 3rd.
    assert default_deadline(world.estate_a1, today=datetime.date(2026, 12, 30)) == datetime.date(2027, 1, 4)
    assert list(CalendarFallback.objects.values_list("year", flat=True)) == [2027]


def test_policy_unit_offers_calendar_and_working_days_only():
    field = DistrictPolicy._meta.get_field("rectification_deadline_unit")
    assert [c[0] for c in field.choices] == ["calendar_days", "working_days"]


def test_calendar_seed_restores_missing_library_years_and_leaves_entered_ones(capsys):
    CalendarDay.objects.filter(year_id=2024).delete()
    CalendarYear.objects.filter(year=2024).delete()
    CalendarDay.objects.filter(date=datetime.date(2025, 10, 8)).delete()  # a hand correction
    call_command("calendar_seed")
    assert "Seeded 1 year(s): 2024" in capsys.readouterr().out
    assert CalendarYear.objects.get(year=2024).source == "library"
    assert CalendarDay.objects.filter(year_id=2024).count() == 28 + 8
    assert not CalendarDay.objects.filter(date=datetime.date(2025, 10, 8)).exists()
    call_command("calendar_seed", "--year", "2027")
    assert "no data for 2027" in capsys.readouterr().err
    assert not CalendarYear.objects.filter(year=2027).exists()
