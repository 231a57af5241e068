"""The quarterly inspection plan: done / due / behind, by hand."""
import datetime

import pytest

from inspections.models import InspectionFrequency, InspectionStatus
from inspections.selectors import inspection_progress, parse_quarter, planned_dates, quarter_of
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

    # Planned dates (the middle of each of n equal slots of the 92 days, worked out by hand):
    #   twice:       10-01 + floor(1×92/4)=23 -> 10-24,  + floor(3×92/4)=69 -> 12-09
    #   three times: 10-01 + floor(1×92/6)=15 -> 10-16,  + 46 -> 11-16,  + floor(5×92/6)=76 -> 12-16
    # On 11-26: 梅园新村 (twice) has passed 10-24 with 0 done -> behind; 锦绣花园 (three times) has passed
    # 10-16 and 11-16 with 1 done -> behind; 梅花园 has its 2 -> done.
    rows = inspection_progress(user=clerk, start=start, end=end, today=datetime.date(2026, 11, 26))
    assert [(r.street, r.done, r.due, r.overdue) for r in rows] == [("山城街道", 1, 0, 2)]
    states = {p.estate.name: (p.required, p.done, p.planned, p.state) for p in rows[0].estates}
    d = datetime.date
    assert states == {"梅花园": (2, 2, [d(2026, 10, 24), d(2026, 12, 9)], "done"),
                      "锦绣花园": (3, 1, [d(2026, 10, 16), d(2026, 11, 16), d(2026, 12, 16)], "overdue"),
                      "梅园新村": (2, 0, [d(2026, 10, 24), d(2026, 12, 9)], "overdue")}
    assert {p.estate.name: p.next_planned for p in rows[0].estates} == {
        "梅花园": None, "锦绣花园": d(2026, 11, 16), "梅园新村": d(2026, 10, 24)}

    # On 10-24 itself nothing is behind yet (a planned date is late from the next day); on 10-25 梅园新村 is.
    # 锦绣花园 already has its first (10-20) and its second is planned for 11-16.
    rows = inspection_progress(user=clerk, start=start, end=end, today=datetime.date(2026, 10, 24))
    assert [(r.done, r.due, r.overdue) for r in rows] == [(1, 2, 0)]
    rows = inspection_progress(user=clerk, start=start, end=end, today=datetime.date(2026, 10, 25))
    assert {p.estate.name: p.state for p in rows[0].estates}["梅园新村"] == "overdue"

    # After the quarter, everything short of its count is behind.
    rows = inspection_progress(user=clerk, start=start, end=end, today=datetime.date(2027, 1, 5))
    assert [(r.done, r.due, r.overdue) for r in rows] == [(1, 0, 2)]


@pytest.mark.parametrize("required, planned", [
    (1, ["2026-08-16"]),                                  # Q3: 92 days, 07-01 + 46
    (2, ["2026-07-24", "2026-09-08"]),                    # + 23, + 69
    (4, ["2026-07-12", "2026-08-04", "2026-08-27", "2026-09-19"]),  # + 11, + 34, + 57, + 80
])
def test_planned_dates_are_the_middles_of_equal_slots(required, planned):
    start, end = quarter_of(datetime.date(2026, 8, 1))
    assert [f"{day:%Y-%m-%d}" for day in planned_dates(start, end, required)] == planned


def test_once_a_quarter_is_behind_plan_after_the_quarters_middle(world, rubric):
    """The issue's case: a month before the quarter ends, uninspected estates are behind plan (not 0)."""
    start, end = datetime.date(2026, 10, 1), datetime.date(2026, 12, 31)
    clerk = world.users["street_staff"]
    _submitted(world.estate_a1, datetime.date(2026, 10, 8), rubric, clerk)
    # Q4's planned day for once a quarter: 10-01 + 46 = 11-16.
    on_16th = inspection_progress(user=clerk, start=start, end=end, today=datetime.date(2026, 11, 16))
    assert [(r.done, r.due, r.overdue) for r in on_16th] == [(1, 1, 0)]
    a_month_before_the_end = inspection_progress(user=clerk, start=start, end=end, today=datetime.date(2026, 12, 1))
    assert [(r.done, r.due, r.overdue) for r in a_month_before_the_end] == [(1, 0, 1)]


def test_progress_default_is_once_a_quarter_and_follows_scope(world, rubric):
    start, end = datetime.date(2026, 10, 1), datetime.date(2026, 12, 31)
    rows = inspection_progress(user=world.users["street_staff2"], start=start, end=end,
                               today=datetime.date(2026, 11, 16))
    assert [(r.street, r.done, r.due, r.overdue) for r in rows] == [("北庄街道", 0, 1, 0)]
    assert rows[0].estates[0].required == 1
    rows = inspection_progress(user=world.users["street_staff2"], start=start, end=end,
                               today=datetime.date(2026, 11, 26))
    assert [(r.street, r.done, r.due, r.overdue) for r in rows] == [("北庄街道", 0, 0, 1)]
