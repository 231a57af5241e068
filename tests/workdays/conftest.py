import pytest
from django.utils import timezone

from workdays.models import CalendarDay, CalendarYear
from workdays.seeding import seed_from_library


@pytest.fixture(autouse=True)
def _seeded_calendar(db):
    """The migration seeds 2004–2026; a transactional test elsewhere may have flushed the table on
    this worker, so seed again (inside this test's transaction) if the rows are gone."""
    seed_from_library(year_model=CalendarYear, day_model=CalendarDay, now=timezone.now())
