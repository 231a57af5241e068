"""A small world to count by hand, on top of tests/conftest.py's `world`.

Estates (world): 梅花园 (山城街道/梅园社区, 市场化, 甲物业), 锦绣花园 (山城街道/紫薇社区, 无人管理),
北庄花园 (北庄街道, 市场化, 乙物业), 紫荆小区 (管城回族区/紫荆山街道, 无人管理).

Committees added here:
  梅花园    filed owners' committee                          -> filed
  锦绣花园  stand-in 物业管理委员会                            -> stand-in
  北庄花园  owners' committee still pending filing             -> neither
  紫荆小区  filed owners' committee; its former stand-in (no longer active) -> filed

Inspections (2026Q4 unless said): 梅花园 90.0 (10-10) and 80.0 (11-05), a superseded 50.0 (11-01) and one of
2026Q3 (09-30, 60.0); 北庄花园 70.5 (11-20); 锦绣花园 a draft (not counted).

Complaints (cases, received 2026-12-01 unless said): 梅花园 closed, 梅花园 received only, 北庄花园 closed;
梅花园 closed but received 2026-09-15 (2026Q3).
"""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from communities.models import CommitteeKind, FilingStatus
from complaints.models import Status
from inspections.models import Inspection, InspectionStatus
from inspections.services.rubrics import ensure_default_rubric
from tests.complaints.conftest import at, category, make_complaint  # noqa: F401 (fixtures)
from tests.factories import OwnerCommitteeFactory

TODAY = datetime.date(2026, 12, 1)


@pytest.fixture
def committees(world):
    filed = {"filing_status": FilingStatus.FILED, "filed_on": datetime.date(2024, 4, 1)}
    OwnerCommitteeFactory(estate=world.estate_a1, **filed)
    OwnerCommitteeFactory(estate=world.estate_a2, kind=CommitteeKind.STANDIN)
    OwnerCommitteeFactory(estate=world.estate_b1, filing_status=FilingStatus.PENDING)
    OwnerCommitteeFactory(estate=world.estate_c1, **filed)
    OwnerCommitteeFactory(estate=world.estate_c1, kind=CommitteeKind.STANDIN, is_active=False)


@pytest.fixture
def inspections(world):
    rubric = ensure_default_rubric(district=world.shanting, year=2026, now=timezone.now())
    clerk = world.users["street_staff"]

    def make(estate, day, total, status=InspectionStatus.SUBMITTED):
        return Inspection.objects.create(
            estate=estate, rubric=rubric, date=day, inspectors="街道检查组", created_by=clerk, status=status,
            total=None if status == InspectionStatus.DRAFT else Decimal(total),
            submitted_at=None if status == InspectionStatus.DRAFT else timezone.now())

    make(world.estate_a1, datetime.date(2026, 10, 10), "90.0")
    make(world.estate_a1, datetime.date(2026, 11, 5), "80.0")
    make(world.estate_a1, datetime.date(2026, 11, 1), "50.0", status=InspectionStatus.SUPERSEDED)
    make(world.estate_a1, datetime.date(2026, 9, 30), "60.0")
    make(world.estate_b1, datetime.date(2026, 11, 20), "70.5")
    make(world.estate_a2, datetime.date(2026, 11, 21), None, status=InspectionStatus.DRAFT)


@pytest.fixture
def complaints(world, make_complaint):  # noqa: F811
    make_complaint(to=Status.CLOSED)
    make_complaint()
    make_complaint(to=Status.CLOSED, estate=world.estate_b1)
    make_complaint(to=Status.CLOSED, at=at(2026, 9, 15, 9, 0))
