"""Writes to the working-day calendar."""
from __future__ import annotations

from .models import CalendarFallback


def fallback_record(*, year: int) -> CalendarFallback:
    """Remember that deadlines were counted Monday–Friday for `year` (it had not been entered)."""
    row, _created = CalendarFallback.objects.get_or_create(year=year)
    return row
