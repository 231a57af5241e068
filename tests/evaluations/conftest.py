"""The evaluation world: the test world (tests/conftest.py) and 山亭区's 2025 campaign, its window written out:

  山亭区, 2025: filled in from 2025-11-01 to 2025-11-30 (both days included)
    山城街道 (street_staff) · 梅园社区 (community_clerk): 梅花园, served by firm 甲 (firm_user) since 2025-01-01,
        with an owners' committee (业主委员会); 紫薇社区: 锦绣花园, no firm
    北庄街道 (street_staff2) · 北庄社区: 北庄花园, served by firm 乙 (firm_user2)
  管城回族区 (district_admin_gc): no campaign

So 山城街道 and 梅园社区 evaluate firm 甲; 北庄街道 firm 乙; firm 甲 evaluates 山城街道 and 梅园社区, and so does
梅花园's committee (entered on paper by the street or community clerk).
"""
import datetime

import pytest

from communities.models import CommitteeKind, FilingStatus
from evaluations import services as svc
from evaluations.models import Direction, UnitKind
from tests.factories import OwnerCommitteeFactory

OPENS, CLOSES = datetime.date(2025, 11, 1), datetime.date(2025, 11, 30)
INSIDE = datetime.date(2025, 11, 10)
AFTER = datetime.date(2025, 12, 1)


@pytest.fixture
def ew(world):
    w = world
    w.committee = OwnerCommitteeFactory(estate=w.estate_a1, kind=CommitteeKind.OWNERS,
                                        filing_status=FilingStatus.FILED, filed_on=datetime.date(2024, 3, 20))
    w.campaign = svc.campaign_create(actor=w.users["district_admin"], district=w.shanting, year=2025,
                                     opens_on=OPENS, closes_on=CLOSES)
    w.campaign = svc.campaign_publish(actor=w.users["district_admin"], campaign=w.campaign,
                                      today=datetime.date(2025, 10, 20))
    w.of_firm = list(w.campaign.questions.filter(direction=Direction.OF_FIRM).order_by("order"))
    w.of_office = list(w.campaign.questions.filter(direction=Direction.OF_OFFICE).order_by("order"))
    return w


def answers(questions, values):
    """values: one per question, 1–5 or True/False."""
    assert len(questions) == len(values)
    return {q.pk: {"value": ("yes" if v else "no") if isinstance(v, bool) else str(v), "comment": ""}
            for q, v in zip(questions, values)}


def submit(w, actor, evaluator, target, values, *, today=INSIDE, campaign=None, **extra):
    """evaluator / target: (kind, row)."""
    campaign = campaign or w.campaign
    questions = w.of_firm if target[0] == UnitKind.FIRM else w.of_office
    if campaign != w.campaign:
        direction = Direction.OF_FIRM if target[0] == UnitKind.FIRM else Direction.OF_OFFICE
        questions = list(campaign.questions.filter(direction=direction).order_by("order"))
    return svc.response_submit(actor=w.users[actor], campaign=campaign, evaluator_kind=evaluator[0],
                               evaluator_id=evaluator[1].pk, target_kind=target[0], target_id=target[1].pk,
                               answers=answers(questions, values), today=today, **extra)
