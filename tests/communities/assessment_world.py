"""The owner-committee assessment world: the test world (tests/conftest.py) plus 山亭区's assessment policy and
two committees, with their figures written out here.

  山亭区 policy from 2024-01-01: pass mark 60, 300 yuan per member and month, the portal's default criteria
  (five scored items of 20 points and one pass/fail item 无违法违规行为).
  梅花园 (山城街道, street_staff): owners' committee elected 2023-06-01, term to 2028-05-31, 12 members.
  北庄花园 (北庄街道, street_staff2): owners' committee elected 2024-03-01, term to 2029-02-28, 5 members.
  紫荆小区 (管城回族区): a committee too, but its district has no policy.
"""
import datetime
from decimal import Decimal

import pytest
from faker import Faker

from communities.models import CommitteeMember, CriterionKind
from communities.services import assessments as svc
from tests.factories import OwnerCommitteeFactory

TODAY = datetime.date(2025, 12, 20)
YEAR = 2025
fake = Faker("zh_CN")
Faker.seed(20251220)


def _members(committee, n):
    for i in range(n):
        CommitteeMember.objects.create(committee=committee, name=fake.name(),
                                       position="chair" if i == 0 else ("vice" if i == 1 else "member"))


@pytest.fixture
def aw(world):
    w = world
    w.policy = svc.policy_create(actor=w.users["district_admin"], district=w.shanting,
                                 effective_from=datetime.date(2024, 1, 1), pass_mark="60",
                                 allowance_per_member="300", criteria=svc.DEFAULT_CRITERIA)
    w.c_mei = OwnerCommitteeFactory(estate=w.estate_a1, elected_on=datetime.date(2023, 6, 1),
                                    term_end=datetime.date(2028, 5, 31))
    _members(w.c_mei, 12)
    w.c_bz = OwnerCommitteeFactory(estate=w.estate_b1)
    _members(w.c_bz, 5)
    w.c_zj = OwnerCommitteeFactory(estate=w.estate_c1)
    _members(w.c_zj, 3)
    w.today = TODAY
    return w


def scores(policy, *, points=Decimal("16"), passed=True):
    """Every scored item at `points` (16 × 5 = 80 by default), every pass/fail item `passed`."""
    return {c.pk: ({"points": points} if c.kind == CriterionKind.POINTS else {"passed": passed})
            for c in policy.criteria.all()}


def submit(w, committee, *, actor="street_staff", year=YEAR, points=Decimal("16"), passed=True, roster=None,
           today=TODAY):
    return svc.assessment_submit(actor=w.users[actor], committee=committee, year=year,
                                 scores=scores(w.policy, points=points, passed=passed),
                                 roster=svc.default_roster(committee, year) if roster is None else roster,
                                 comment="按期召开会议，公示收支", today=today)


def confirm(w, assessment, actor="district_admin", today=TODAY):
    return svc.assessment_transition(actor=w.users[actor], assessment=assessment, action="confirm", today=today)
