"""Working-day arithmetic over the calendar kept as data (DOMAIN.md §7).

Pure reads that never look at the clock: every function takes the moment it counts from.

- A *known* year (one with a `CalendarYear` row) has Monday–Friday as working days, except its
  listed holidays, plus its listed make-up working days (调休上班).
- An *unknown* year falls back to Monday–Friday.

"N working days from a moment" ends at 24:00 of the Nth working day after the day of that moment
(the day itself never counts, whether or not it is a working day). It is returned as an aware
datetime in settings.TIME_ZONE at 00:00 of the following day, so `now >= due` means late.

The days are read per call through a `WorkCalendar` (two small queries per span of years, loaded
lazily as the count crosses into another year); a caller computing many deadlines at once can
build one `WorkCalendar()` and pass it as `calendar=` so the years are read once. Nothing is
cached across calls, so an entry made on another worker counts at once.
"""
from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, IntegerField, Q, Value

from .models import CalendarDay, CalendarFallback, CalendarYear, DayKind, TimeUnit

ONE_DAY = datetime.timedelta(days=1)


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


class WorkCalendar:
    """The calendar's days for the years asked about, read from the database once per year."""

    def __init__(self):
        # year -> (holidays, make-up working days), only for known years
        self._known: dict[int, tuple[frozenset, frozenset]] = {}
        self._loaded: set[int] = set()
        # Unknown years this calendar answered with Monday–Friday, and those already recorded.
        self.fallback_years: set[int] = set()
        self.recorded_fallbacks: set[int] = set()

    def load(self, first_year: int, last_year: int) -> None:
        """Read the years first_year..last_year that are not read yet (two queries)."""
        wanted = [y for y in range(first_year, last_year + 1) if y not in self._loaded]
        if not wanted:
            return
        lo, hi = min(wanted), max(wanted)
        known = set(CalendarYear.objects.filter(year__gte=lo, year__lte=hi).values_list("year", flat=True))
        days: dict[int, tuple[set, set]] = {y: (set(), set()) for y in known}
        if known:
            for day, kind, year in (CalendarDay.objects.filter(year_id__gte=lo, year_id__lte=hi)
                                    .values_list("date", "kind", "year_id")):
                days[year][0 if kind == DayKind.HOLIDAY else 1].add(day)
        for y in range(lo, hi + 1):
            self._loaded.add(y)
            if y in days:
                self._known[y] = (frozenset(days[y][0]), frozenset(days[y][1]))

    def is_known(self, year: int) -> bool:
        self.load(year, year)
        return year in self._known

    def is_working_day(self, day: datetime.date) -> bool:
        self.load(day.year, day.year)
        listed = self._known.get(day.year)
        if listed is None:
            self.fallback_years.add(day.year)
            return day.weekday() < 5
        holidays, workdays = listed
        if day in workdays:
            return True
        return day.weekday() < 5 and day not in holidays


def _local_date(moment: datetime.datetime) -> datetime.date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("deadline arithmetic needs an aware datetime")
    return moment.astimezone(local_zone()).date()


def _end_of(day: datetime.date) -> datetime.datetime:
    """24:00 of `day`, i.e. 00:00 of the next day, aware in settings.TIME_ZONE."""
    following = day + ONE_DAY
    return datetime.datetime(following.year, following.month, following.day, tzinfo=local_zone())


def is_working_day(day: datetime.date, *, calendar: WorkCalendar | None = None) -> bool:
    """Known year: Monday–Friday and not a holiday, or a listed make-up working day; else Monday–Friday."""
    return (calendar or WorkCalendar()).is_working_day(day)


def nth_working_day_after(day: datetime.date, n: int, *, calendar: WorkCalendar | None = None) -> datetime.date:
    """The Nth working day after `day` (`day` itself never counts); n=0 is `day` itself."""
    if n < 0:
        raise ValueError("n must not be negative")
    calendar = calendar or WorkCalendar()
    # Read the years the count will most likely cover at once: n working days rarely take more
    # than 2n calendar days plus a long holiday.
    calendar.load(day.year, (day + datetime.timedelta(days=2 * n + 40)).year)
    current = day
    counted = 0
    while counted < n:
        current += ONE_DAY
        if calendar.is_working_day(current):
            counted += 1
    return current


def add_working_days(moment: datetime.datetime, n: int, *, calendar: WorkCalendar | None = None) -> datetime.datetime:
    """24:00 of the Nth working day after the day of `moment`, as 00:00 of the day after it.

    The day of the moment never counts. n=0 gives 24:00 of the moment's own day.

    Departure from "selectors do not write": when the count crossed a year that has not been
    entered, the year is recorded (`services.fallback_record`, one get_or_create per such year) so
    the administrators' banner names it. Only this happens, and only when a fallback was used.
    """
    calendar = calendar or WorkCalendar()
    last = nth_working_day_after(_local_date(moment), n, calendar=calendar)
    new_fallbacks = calendar.fallback_years - calendar.recorded_fallbacks
    if new_fallbacks:
        from .services import fallback_record  # services import selectors: import here, not at the top

        for year in sorted(new_fallbacks):
            fallback_record(year=year)
        calendar.recorded_fallbacks |= new_fallbacks
    return _end_of(last)


def deadline_after(moment: datetime.datetime, amount: int, unit: str, *,
                   calendar: WorkCalendar | None = None) -> datetime.datetime:
    """The moment a time limit of `amount` `unit`s that starts at `moment` runs out.

    minutes, hours: around the clock from the moment; working_days: see add_working_days;
    calendar_days: 24:00 of the Nth calendar day after the day of the moment.
    """
    if amount < 0:
        raise ValueError("amount must not be negative")
    if unit == TimeUnit.MINUTES:
        _local_date(moment)
        return (moment + datetime.timedelta(minutes=amount)).astimezone(local_zone())
    if unit == TimeUnit.HOURS:
        _local_date(moment)
        return (moment + datetime.timedelta(hours=amount)).astimezone(local_zone())
    if unit == TimeUnit.WORKING_DAYS:
        return add_working_days(moment, amount, calendar=calendar)
    if unit == TimeUnit.CALENDAR_DAYS:
        return _end_of(_local_date(moment) + datetime.timedelta(days=amount))
    raise ValueError(f"unknown time unit: {unit!r}")


def unknown_years(first: datetime.date, last: datetime.date) -> list[int]:
    """The years from first's to last's (both included) that have not been entered."""
    known = set(CalendarYear.objects.filter(year__gte=first.year, year__lte=last.year)
                .values_list("year", flat=True))
    return [y for y in range(first.year, last.year + 1) if y not in known]


# --- pages and the administrators' warning ---------------------------------------------------------

WARN_AHEAD_DAYS = 31


def missing_calendar_years(*, today: datetime.date, ahead_days: int = WARN_AHEAD_DAYS) -> list[int]:
    """Years an administrator should enter now, in one query: the year of today + `ahead_days` if it
    has not been entered, and every year the arithmetic counted Monday–Friday that is still not entered.
    """
    target = (today + datetime.timedelta(days=ahead_days)).year
    # One UNION: (fallback years not entered, marker 0) + (the target year if entered, marker 1).
    fallbacks = (CalendarFallback.objects.exclude(year__in=CalendarYear.objects.values("year")).order_by()
                 .annotate(marker=Value(0, output_field=IntegerField())).values_list("year", "marker"))
    target_known = (CalendarYear.objects.filter(year=target).order_by()
                    .annotate(marker=Value(1, output_field=IntegerField())).values_list("year", "marker"))
    rows = list(fallbacks.union(target_known, all=True))
    missing = {year for year, marker in rows if marker == 0}
    if not any(marker == 1 for _year, marker in rows):
        missing.add(target)
    return sorted(missing)


def calendar_year_rows():
    """Entered years, newest first, with their numbers of holidays and make-up working days."""
    return (CalendarYear.objects.select_related("entered_by")
            .annotate(holiday_count=Count("days", filter=Q(days__kind=DayKind.HOLIDAY)),
                      workday_count=Count("days", filter=Q(days__kind=DayKind.WORKDAY)))
            .order_by("-year"))


def calendar_year_days(year: int):
    return CalendarDay.objects.filter(year_id=year).order_by("date")
