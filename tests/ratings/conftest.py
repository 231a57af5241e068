import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from inspections.models import Inspection, InspectionStatus
from inspections.services.rubrics import ensure_default_rubric
from ratings.models import Application, ApplicationStatus, ComponentKind, ComponentScore
from ratings.services.policy import ensure_default_policy


def moment(day: datetime.date, hour: int = 10) -> datetime.datetime:
    """`hour`:00 in Asia/Shanghai on `day`: the moment a test's service call happens (the services take
    `now=` and never read the clock)."""
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def rating_world(world):
    ensure_default_policy(world.shanting)
    ensure_default_policy(world.guancheng)
    world.rubric_2025 = ensure_default_rubric(district=world.shanting, year=2025, now=timezone.now())
    return world


def accept(world, estate, year=2025, firm=None):
    return Application.objects.create(firm=firm or estate.firm, estate=estate, year=year,
                                      status=ApplicationStatus.ACCEPTED, submitted_by=world.users["firm_user"])


def inspected(world, estate, totals, day=datetime.date(2025, 2, 10)):
    """Submitted inspections with the given totals (written directly: the totals are the input here)."""
    for t in totals:
        Inspection.objects.create(estate=estate, rubric=world.rubric_2025, date=day, inspectors="检查组",
                                  created_by=world.users["street_staff"], status=InspectionStatus.SUBMITTED,
                                  total=Decimal(t), submitted_at=datetime.datetime(2025, 2, 10, tzinfo=datetime.UTC))


def components(world, estate, opinion, satisfaction, year=2025, quarter=1):
    for kind, score in ((ComponentKind.OPINION, opinion), (ComponentKind.SATISFACTION, satisfaction)):
        ComponentScore.objects.create(estate=estate, year=year, quarter=quarter, kind=kind, score=Decimal(score),
                                      entered_by=world.users["street_staff"])
