import datetime

import pytest
from django.utils import timezone

from inspections.services.rubrics import ensure_default_rubric


@pytest.fixture
def rubric(world):
    """The default rubric, active for 山亭区 this year (and last year)."""
    year = datetime.date.today().year
    ensure_default_rubric(district=world.shanting, year=year - 1, now=timezone.now())
    return ensure_default_rubric(district=world.shanting, year=year, now=timezone.now())


def score_all(rubric, full_except: dict | None = None):
    """{item_id: (score, note)}: full marks except the given {item code: score}."""
    full_except = full_except or {}
    return {i.pk: (full_except.get(i.code, i.max_points), "") for i in rubric.items.all()}
