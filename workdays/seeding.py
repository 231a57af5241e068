"""Seed the calendar from the `chinesecalendar` library for the years it knows (2004–2026).

Called by the data migration (with the historical models) and by `manage.py calendar_seed` (with
the real ones), so the model classes are passed in and nothing here imports models.
"""
from __future__ import annotations

import datetime

import chinese_calendar

# chinesecalendar's English holiday names -> the names the calendar stores.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def library_years() -> list[int]:
    """The years the library knows."""
    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return sorted(years)


def library_days(year: int) -> list[tuple[datetime.date, str, str]]:
    """(date, kind, name) of the year's holidays and make-up working days, as the library lists them."""
    rows = [(d, "holiday", HOLIDAY_NAMES.get(n, n)) for d, n in chinese_calendar.holidays.items() if d.year == year]
    rows += [(d, "workday", f"{HOLIDAY_NAMES.get(n, n)}调休")
             for d, n in chinese_calendar.workdays.items() if d.year == year]
    return sorted(rows)


def seed_from_library(*, year_model, day_model, now: datetime.datetime, years=None) -> list[int]:
    """Create each library year (source "library") that has no row yet, with its days.

    Years already in the table, entered or corrected by hand, are left alone. Returns the years created.
    """
    created = []
    known = set(year_model.objects.values_list("year", flat=True))
    for year in years if years is not None else library_years():
        if year in known:
            continue
        days = library_days(year)
        if not days:
            continue
        row = year_model.objects.create(year=year, entered_at=now, source="library",
                                        note="根据 chinesecalendar 程序库自动导入")
        day_model.objects.bulk_create(day_model(date=d, kind=k, name=n, year_id=row.pk) for d, k, n in days)
        created.append(year)
    return created
