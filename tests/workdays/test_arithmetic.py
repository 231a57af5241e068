"""Working-day arithmetic, with every expected value worked out by hand on the calendar.

2025 National Day (国务院办公厅): 10-01 (Wed) … 10-08 (Wed) off; Sunday 09-28 and Saturday 10-11
are working days. September/October 2025:

    Mo Tu We Th Fr Sa Su
    22 23 24 25 26 27 28*     * 09-28 Sunday, make-up working day
    29 30 [1  2  3  4  5]
   [6  7  8] 9 10 11* 12     [..] holidays; * 10-11 Saturday, make-up working day
    13 14 15 16 17 18 19

The rule (DOMAIN.md §7): N working days from a moment end at 24:00 of the Nth working day after
the day of the moment; the day itself never counts. 24:00 of day D is returned as 00:00 of D+1.
"""
import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from workdays import selectors
from workdays.models import CalendarFallback, CalendarYear, TimeUnit
from workdays.selectors import add_working_days, deadline_after, is_working_day, unknown_years

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.mark.parametrize("day, working", [
    (datetime.date(2025, 9, 26), True),    # Friday
    (datetime.date(2025, 9, 27), False),   # Saturday
    (datetime.date(2025, 9, 28), True),    # Sunday, make-up working day
    (datetime.date(2025, 9, 30), True),    # Tuesday
    (datetime.date(2025, 10, 1), False),   # National Day
    (datetime.date(2025, 10, 6), False),   # Mid-autumn (Monday)
    (datetime.date(2025, 10, 8), False),   # last day off (Wednesday)
    (datetime.date(2025, 10, 9), True),    # Thursday
    (datetime.date(2025, 10, 11), True),   # Saturday, make-up working day
    (datetime.date(2025, 10, 12), False),  # Sunday
])
def test_national_day_2025(day, working):
    assert is_working_day(day) is working


def test_one_working_day_from_the_eve_of_national_day_ends_on_october_9():
    # Day of the moment 09-30 never counts; 10-01..08 off; 10-09 (Thu) is the 1st -> 24:00 of 10-09.
    due = add_working_days(at(2025, 9, 30, 10), 1)
    assert due == at(2025, 10, 10)
    assert due.tzinfo is not None and due.utcoffset() == datetime.timedelta(hours=8)


def test_one_working_day_from_saturday_ends_on_the_make_up_sunday():
    # 09-27 (Sat) never counts; 09-28 (Sun) is a make-up working day -> 24:00 of 09-28.
    assert add_working_days(at(2025, 9, 27, 15), 1) == at(2025, 9, 29)


def test_five_working_days_from_monday_before_national_day():
    # From 09-29 (Mon): 09-30 = 1st, 10-09 = 2nd, 10-10 = 3rd, 10-11 (Sat, make-up) = 4th,
    # 10-12 Sunday off, 10-13 (Mon) = 5th -> 24:00 of 10-13.
    assert add_working_days(at(2025, 9, 29, 9), 5) == at(2025, 10, 14)


def test_the_day_itself_never_counts_even_late_at_night_or_on_a_holiday():
    # 23:59 on Tuesday 09-30: still the 1st working day is 10-09.
    assert add_working_days(at(2025, 9, 30, 23, 59), 1) == at(2025, 10, 10)
    # From a holiday (10-03): 10-09 = 1st, 10-10 = 2nd.
    assert add_working_days(at(2025, 10, 3, 8), 2) == at(2025, 10, 11)


def test_a_moment_in_another_time_zone_counts_from_its_local_day():
    # 2025-09-29 17:00 UTC is 2025-09-30 01:00 in Shanghai: the day is 09-30, 1st working day 10-09.
    moment = datetime.datetime(2025, 9, 29, 17, 0, tzinfo=datetime.UTC)
    assert add_working_days(moment, 1) == at(2025, 10, 10)


def test_naive_moments_are_refused():
    with pytest.raises(ValueError):
        add_working_days(datetime.datetime(2025, 9, 30, 10), 1)


def test_minutes_and_hours_run_around_the_clock_across_midnight():
    assert deadline_after(at(2025, 9, 30, 23, 50), 15, TimeUnit.MINUTES) == at(2025, 10, 1, 0, 5)
    assert deadline_after(at(2025, 9, 30, 23, 50), 30, TimeUnit.MINUTES) == at(2025, 10, 1, 0, 20)
    # Holidays do not stop the clock: 22:00 on 09-30 plus 24 hours is 22:00 on the holiday 10-01.
    assert deadline_after(at(2025, 9, 30, 22), 24, TimeUnit.HOURS) == at(2025, 10, 1, 22)
    assert deadline_after(at(2025, 9, 30, 22), 3, TimeUnit.HOURS) == at(2025, 10, 1, 1)


def test_calendar_days_end_at_24_00_of_the_nth_day_after():
    # 2 calendar days from 09-30 10:00 -> 24:00 of 10-02.
    assert deadline_after(at(2025, 9, 30, 10), 2, TimeUnit.CALENDAR_DAYS) == at(2025, 10, 3)
    # Across the year end: 3 days from 2025-12-30 -> 24:00 of 2026-01-02.
    assert deadline_after(at(2025, 12, 30, 10), 3, TimeUnit.CALENDAR_DAYS) == at(2026, 1, 3)


def test_working_days_unit_is_add_working_days():
    # From 09-30: 10-09 = 1st, 10-10 = 2nd, 10-11 (Sat, make-up) = 3rd, 10-13 = 4th, 10-14 = 5th
    # -> 24:00 of 10-14.
    assert deadline_after(at(2025, 9, 30, 10), 5, TimeUnit.WORKING_DAYS) == at(2025, 10, 15)


def test_unknown_unit_is_refused():
    with pytest.raises(ValueError):
        deadline_after(at(2025, 9, 30, 10), 1, "fortnights")


def test_spring_festival_2026_as_seeded():
    # Seeded from chinesecalendar: 02-15..02-23 off, Saturdays 02-14 and 02-28 working.
    for d in range(15, 24):
        assert not is_working_day(datetime.date(2026, 2, d)), d
    assert is_working_day(datetime.date(2026, 2, 14))  # Saturday
    assert is_working_day(datetime.date(2026, 2, 28))  # Saturday
    assert is_working_day(datetime.date(2026, 2, 24))  # Tuesday after
    year = CalendarYear.objects.get(year=2026)
    assert year.source == "library"
    assert set(year.days.filter(date__month=2, kind="holiday").values_list("name", flat=True)) == {"春节"}
    assert year.days.get(date=datetime.date(2026, 2, 14)).name == "春节调休"


def test_one_working_day_from_new_years_eve_of_the_festival():
    # From Friday 2026-02-13: 02-14 (Sat, make-up) is the 1st working day -> 24:00 of 02-14.
    assert add_working_days(at(2026, 2, 13, 17), 1) == at(2026, 2, 15)
    # 2 working days: 02-15..23 off, 02-24 (Tue) is the 2nd -> 24:00 of 02-24.
    assert add_working_days(at(2026, 2, 13, 17), 2) == at(2026, 2, 25)


def test_an_unknown_year_falls_back_to_monday_to_friday_and_is_recorded():
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarFallback.objects.exists()
    # 2027-01-01 is a Friday: counted as a working day by the fallback (no holiday known).
    assert is_working_day(datetime.date(2027, 1, 1))
    assert not is_working_day(datetime.date(2027, 1, 2))  # Saturday
    assert not CalendarFallback.objects.exists()  # reading one day records nothing
    # From Wednesday 2026-12-30: 12-31 (Thu, 2026 known) = 1st, 2027-01-01 (Fri) = 2nd,
    # 01-04 (Mon) = 3rd -> 24:00 of 2027-01-04.
    assert add_working_days(at(2026, 12, 30, 9), 3) == at(2027, 1, 5)
    assert list(CalendarFallback.objects.values_list("year", flat=True)) == [2027]
    # Counting again does not add a second row.
    add_working_days(at(2026, 12, 30, 9), 5)
    assert CalendarFallback.objects.count() == 1


def test_a_count_inside_known_years_records_no_fallback():
    add_working_days(at(2025, 9, 30, 10), 20)
    assert not CalendarFallback.objects.exists()


def test_an_entered_year_is_used_instead_of_the_fallback():
    year = CalendarYear.objects.create(year=2027, entered_at=at(2026, 11, 20), source="manual")
    year.days.create(date=datetime.date(2027, 1, 1), kind="holiday", name="元旦")
    # From 2026-12-31 (Thu): 2027-01-01 off, 01-02/03 weekend, 01-04 (Mon) = 1st -> 24:00 of 01-04.
    assert add_working_days(at(2026, 12, 31, 9), 1) == at(2027, 1, 5)
    assert not CalendarFallback.objects.exists()


def test_unknown_years_lists_the_years_without_a_row():
    assert unknown_years(datetime.date(2025, 6, 1), datetime.date(2028, 1, 1)) == [2027, 2028]
    assert unknown_years(datetime.date(2004, 1, 1), datetime.date(2026, 12, 31)) == []


def test_a_shared_calendar_reads_each_year_once(django_assert_num_queries):
    calendar = selectors.WorkCalendar()
    with django_assert_num_queries(2):
        for d in range(1, 32):
            calendar.is_working_day(datetime.date(2025, 10, d))
        add_working_days(at(2025, 9, 30, 10), 5, calendar=calendar)


@pytest.mark.parametrize("value, shown", [
    (at(2025, 10, 10), "2025-10-09 24:00"),
    (at(2025, 10, 1, 0, 5), "2025-10-01 00:05"),
    (datetime.datetime(2025, 10, 9, 16, 0, tzinfo=datetime.UTC), "2025-10-09 24:00"),
    (datetime.datetime(2025, 10, 9, 2, 30, tzinfo=datetime.UTC), "2025-10-09 10:30"),
    (datetime.date(2025, 10, 9), "2025-10-09"),
    (None, ""),
])
def test_due_filter(value, shown):
    assert Template("{% load workdays %}{{ v|due }}").render(Context({"v": value})) == shown


def test_the_seeded_calendar_agrees_with_chinesecalendar_on_every_day_2004_to_2026():
    import chinese_calendar

    calendar = selectors.WorkCalendar()
    day = datetime.date(2004, 1, 1)
    while day.year <= 2026:
        assert calendar.is_working_day(day) is chinese_calendar.is_workday(day), day
        day += datetime.timedelta(days=1)
    assert not calendar.fallback_years


def test_walking_2025_one_working_day_ends_at_the_next_working_day(django_assert_max_num_queries):
    # Every day of 2025 at 10:00: 1 working day ends at 24:00 of the first working day after it.
    calendar = selectors.WorkCalendar()
    with django_assert_max_num_queries(4):
        day = datetime.date(2025, 1, 1)
        while day.year == 2025:
            following = day + datetime.timedelta(days=1)
            while not calendar.is_working_day(following):
                following += datetime.timedelta(days=1)
            due = add_working_days(at(day.year, day.month, day.day, 10), 1, calendar=calendar)
            assert due == at(following.year, following.month, following.day) + datetime.timedelta(days=1), day
            day += datetime.timedelta(days=1)
