"""The quarterly inspection plan: done / due / behind, by hand."""
import datetime

import pytest

from inspections.models import InspectionFrequency, InspectionStatus
from inspections.selectors import inspection_progress, parse_quarter, quarter_of
from tests.factories import EstateFactory

pytestmark = pytest.mark.django_db


def test_quarter_bounds():
    assert quarter_of(datetime.date(2026, 11, 26)) == (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    assert quarter_of(datetime.date(2026, 2, 28)) == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    assert parse_quarter("2025q2") == (datetime.date(2025, 4, 1), datetime.date(2025, 6, 30))
    with pytest.raises(ValueError, match="季度格式"):
        parse_quarter("2025Q5")


def _submitted(estate, day, rubric, user):
    from inspections.models import Inspection

    return Inspection.objects.create(estate=estate, rubric=rubric, date=day, inspectors="x", created_by=user,
                                     status=InspectionStatus.SUBMITTED, total=90,
                                     submitted_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))


def test_progress_counts_with_street_and_category_rules(world, rubric):
    clerk = world.users["street_staff"]
    start, end = datetime.date(2026, 10, 1), datetime.date(2026, 12, 31)
    # 山城街道 needs 2 per quarter, category-2 estates there 3.
    InspectionFrequency.objects.create(district=world.shanting, street=world.shancheng, per_quarter=2)
    InspectionFrequency.objects.create(district=world.shanting, street=world.shancheng, category=2, per_quarter=3)
    extra = EstateFactory(community=world.meiyuan, name="梅园新村", category=1)
    # 梅花园 (cat 1 -> 2 needed): 2 done -> done.  锦绣花园 (cat 2 -> 3 needed): 1 done.
    # 梅园新村 (cat 1 -> 2 needed): 0 done.  A draft and an out-of-quarter one do not count.
    _submitted(world.estate_a1, datetime.date(2026, 10, 8), rubric, clerk)
    _submitted(world.estate_a1, datetime.date(2026, 11, 3), rubric, clerk)
    _submitted(world.estate_a2, datetime.date(2026, 10, 20), rubric, clerk)
    _submitted(extra, datetime.date(2026, 9, 30), rubric, clerk)

    # On 11-26, day 57 of 92: 梅园新村 expects floor(2*57/92)=1 -> behind;
    # 锦绣花园 expects floor(3*57/92)=1 and has 1 -> due.
    rows = inspection_progress(user=clerk, start=start, end=end, today=datetime.date(2026, 11, 26))
    assert [(r.street, r.done, r.due, r.overdue) for r in rows] == [("山城街道", 1, 1, 1)]
    states = {p.estate.name: (p.required, p.done, p.state) for p in rows[0].estates}
    assert states == {"梅花园": (2, 2, "done"), "锦绣花园": (3, 1, "due"), "梅园新村": (2, 0, "overdue")}

    # After the quarter, everything short of its count is behind.
    rows = inspection_progress(user=clerk, start=start, end=end, today=datetime.date(2027, 1, 5))
    assert [(r.done, r.due, r.overdue) for r in rows] == [(1, 0, 2)]


def test_progress_default_is_once_a_quarter_and_follows_scope(world, rubric):
    start, end = datetime.date(2026, 10, 1), datetime.date(2026, 12, 31)
    rows = inspection_progress(user=world.users["street_staff2"], start=start, end=end,
                               today=datetime.date(2026, 11, 26))
    assert [(r.street, r.done, r.due, r.overdue) for r in rows] == [("北庄街道", 0, 1, 0)]
    assert rows[0].estates[0].required == 1
