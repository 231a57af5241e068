"""Repeated complaints: likely duplicates suggested, explicit merging, and the flag for district supervision.

Default policy: duplicates within 7 days; 3 reports on one estate within 3 days flag the case.
"""
import pytest

from accounts.models import Notification
from complaints import services as svc
from complaints.models import Action, Category, Status
from complaints.selectors import duplicate_candidates

from .conftest import at

pytestmark = pytest.mark.django_db

GARBAGE = dict(title="楼道垃圾无人清理", content="单元楼道内堆放垃圾多日无人清理，气味很大。")
GARBAGE_AGAIN = dict(title="楼道垃圾没人管", content="3号楼楼道堆满垃圾好几天没人清理，很臭。")
LIFT = dict(title="电梯停运", content="3号楼电梯停运两天，老人无法上下楼。")


def test_duplicate_candidates_same_estate_category_window_and_similar_text(world, make_complaint):
    base = make_complaint(at=at(2026, 12, 10, 9, 0), **GARBAGE)
    similar = make_complaint(at=at(2026, 12, 8, 15, 0), **GARBAGE_AGAIN)
    same_text = make_complaint(at=at(2026, 12, 11, 9, 0), **GARBAGE)
    make_complaint(at=at(2026, 12, 9, 9, 0), **LIFT)                                   # other matter
    make_complaint(at=at(2026, 12, 9, 9, 0), estate=world.estate_a2, **GARBAGE)         # other estate
    make_complaint(at=at(2026, 12, 9, 9, 0), category=Category.objects.get(code="attitude"), **GARBAGE)
    make_complaint(at=at(2026, 12, 2, 9, 0), **GARBAGE)                                 # 8 days before
    make_complaint(to=Status.CLOSED, at=at(2026, 12, 9, 9, 0), **GARBAGE)               # closed
    found = duplicate_candidates(base)
    assert [c.pk for c in found] == [same_text.pk, similar.pk]
    assert found[0].similarity == 100 and 50 <= found[1].similarity < 100


def test_a_merged_report_is_no_candidate_and_an_order_without_estate_has_none(world, make_complaint):
    base = make_complaint(at=at(2026, 12, 10, 9, 0), **GARBAGE)
    case = make_complaint(at=at(2026, 12, 9, 9, 0), **GARBAGE)
    report = make_complaint(at=at(2026, 12, 9, 10, 0), **GARBAGE)
    svc.complaint_merge(actor=world.users["street_staff"], case=case, reports=[report], comment="", now=at(2026, 12, 10))
    assert [c.pk for c in duplicate_candidates(base)] == [case.pk]
    assert duplicate_candidates(make_complaint(at=at(2026, 12, 10, 9, 0), estate=None, **GARBAGE)) == []


def district_told(world, case):
    return [Notification.objects.filter(user=world.users[p], key=f"complaint.flagged:{case.pk}").count()
            for p in ("district_admin", "district_staff", "street_staff", "district_admin_gc")]


def test_three_reports_within_three_days_flag_the_newest_case_once(world, make_complaint):
    first = make_complaint(at=at(2026, 12, 1, 10, 0), **GARBAGE)
    second = make_complaint(at=at(2026, 12, 2, 10, 0), **LIFT)
    assert not first.supervision_flagged and not second.supervision_flagged
    third = make_complaint(at=at(2026, 12, 4, 9, 59), **GARBAGE_AGAIN)  # 71 h 59 min after the first
    assert third.supervision_flagged
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.supervision_flagged and not second.supervision_flagged
    event = third.events.get(action=Action.FLAG_REPEATED)
    assert event.actor is None and event.to_status == Status.RECEIVED
    assert district_told(world, third) == [1, 1, 0, 0]
    # Again (the import calls it after inserting): nothing new.
    assert svc.complaints_flag_repeated(estate_ids=[world.estate_a1.pk], now=at(2026, 12, 4, 11)) == 0
    assert district_told(world, third) == [1, 1, 0, 0]
    # A fourth report in the same run of reports does not ask the district again.
    fourth = make_complaint(at=at(2026, 12, 4, 10, 30), **LIFT)
    assert not fourth.supervision_flagged
    assert third.events.filter(action=Action.FLAG_REPEATED).count() == 1


def test_reports_spread_over_more_than_three_days_flag_nothing(world, make_complaint):
    make_complaint(at=at(2026, 12, 1, 10, 0), **GARBAGE)
    make_complaint(at=at(2026, 12, 2, 10, 0), **GARBAGE)
    third = make_complaint(at=at(2026, 12, 4, 10, 0), **GARBAGE)  # exactly 3 days after the first
    other_estate = make_complaint(at=at(2026, 12, 3, 10, 0), estate=world.estate_b1, **GARBAGE)
    assert not third.supervision_flagged and not other_estate.supervision_flagged


def test_merged_reports_count_for_their_case_and_excluded_ones_do_not(world, make_complaint):
    u = world.users
    excluded = make_complaint(at=at(2026, 12, 1, 9, 0), **LIFT)
    svc.complaint_exclude(actor=u["district_admin"], complaint=excluded, kind="unreasonable", reason="恶意投诉",
                          now=at(2026, 12, 1, 9, 30))
    case = make_complaint(at=at(2026, 12, 1, 10, 0), **GARBAGE)
    report = make_complaint(at=at(2026, 12, 1, 11, 0), **GARBAGE)  # the third order, but the excluded one is out
    assert not report.supervision_flagged
    svc.complaint_merge(actor=u["street_staff"], case=case, reports=[report], comment="同一事项",
                        now=at(2026, 12, 1, 12, 0))
    assert svc.complaints_flag_repeated(estate_ids=[world.estate_a1.pk], now=at(2026, 12, 1, 15)) == 0
    # A third countable report: the case and its merged report are two, this one three.
    newest = make_complaint(at=at(2026, 12, 2, 9, 0), **LIFT)
    assert newest.supervision_flagged
    case.refresh_from_db()
    excluded.refresh_from_db()
    assert not case.supervision_flagged and not excluded.supervision_flagged


def test_merging_a_flagged_report_into_its_case_keeps_it_in_the_districts_queue(world, make_complaint):
    from complaints.selectors import my_tasks

    case = make_complaint(at=at(2026, 12, 1, 10, 0), **GARBAGE)
    make_complaint(at=at(2026, 12, 2, 10, 0), **GARBAGE_AGAIN)
    flagged = make_complaint(at=at(2026, 12, 3, 10, 0), **GARBAGE)
    assert flagged.supervision_flagged and not case.supervision_flagged
    svc.complaint_merge(actor=world.users["street_staff"], case=case, reports=[flagged], comment="同一事项",
                        now=at(2026, 12, 3, 11))
    case.refresh_from_db()
    assert case.supervision_flagged
    assert case.pk in [c.pk for c in my_tasks(world.users["district_admin"], at(2026, 12, 3, 12))]
    assert flagged.pk not in [c.pk for c in my_tasks(world.users["district_admin"], at(2026, 12, 3, 12))]
