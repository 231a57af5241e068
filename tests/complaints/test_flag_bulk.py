"""Flagging repeated complaints in bulk (what an import of thousands of orders calls once at its end).

The sliding window of `_window_picks` is checked against a direct reading of the rule on random data; the bulk
call writes one event per flagged case and tells the district once, with a summary, when it flags several.
"""
import datetime
import random
from types import SimpleNamespace

import pytest

from accounts.models import Notification
from complaints import services as svc
from complaints.models import Action, Complaint, ComplaintEvent
from complaints.services.marks import _window_picks

from .conftest import at

T0 = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)


def rule_read_directly(orders, policy, open_cases):
    """The rule as written: for each report, the window of the reports received less than D days before it;
    with N or more reports and no case of the window flagged (or picked), pick the newest open case."""
    span = datetime.timedelta(days=policy.supervision_days)
    picked = []
    for end in range(len(orders)):
        window = [o for o in orders[:end + 1] if orders[end][0] - o[0] < span]
        if len(window) < policy.supervision_reports:
            continue
        latest = {}
        for received, case in window:
            if case in open_cases:
                latest[case] = max(received, latest.get(case, received))
        if not latest or any(open_cases[c] or c in picked for c in latest):
            continue
        picked.append(max(latest, key=lambda c: (latest[c], c)))
    return picked


@pytest.mark.parametrize("seed", range(40))
def test_the_sliding_window_picks_what_the_rule_read_directly_picks(seed):
    rng = random.Random(seed)
    policy = SimpleNamespace(supervision_days=rng.choice([1, 3, 7]), supervision_reports=rng.choice([2, 3, 5]))
    orders, case_ids = [], []
    moment = T0
    for pk in range(1, rng.randint(5, 80)):
        moment += datetime.timedelta(hours=rng.choice([0, 0, 1, 5, 13, 30, 70]))  # equal times happen
        # Some reports were merged into an earlier case; they count for that case.
        case = rng.choice(case_ids) if case_ids and rng.random() < 0.2 else pk
        case_ids.append(pk)
        orders.append((moment, case))
    orders.sort(key=lambda o: o[0])
    open_cases = {c: rng.random() < 0.1 for c in {c for _m, c in orders} if rng.random() < 0.7}  # c -> flagged
    expected = rule_read_directly(orders, policy, open_cases)
    assert list(_window_picks(orders, policy, open_cases, {})) == expected


@pytest.mark.django_db
def test_one_call_flagging_several_cases_writes_each_event_and_tells_the_district_once(world, make_complaint):
    made = [make_complaint(at=at(2026, 12, 1, 9 + i, 0), estate=estate)
            for estate in (world.estate_a1, world.estate_a2) for i in range(3)]
    # As an import leaves them: written, not yet flagged (the import flags once, at its end).
    Complaint.objects.filter(pk__in=[c.pk for c in made]).update(supervision_flagged=False)
    ComplaintEvent.objects.filter(action=Action.FLAG_REPEATED).delete()
    Notification.objects.filter(key__startswith="complaint.flagged").delete()

    assert svc.complaints_flag_repeated(estate_ids=[world.estate_a1.pk, world.estate_a2.pk],
                                        now=at(2026, 12, 1, 15)) == 2
    flagged = set(Complaint.objects.filter(supervision_flagged=True).values_list("pk", flat=True))
    assert flagged == {made[2].pk, made[5].pk}  # the newest of each estate's three
    events = ComplaintEvent.objects.filter(action=Action.FLAG_REPEATED)
    assert sorted(events.values_list("complaint_id", flat=True)) == sorted(flagged)
    assert {e.comment for e in events} == {"同一小区在 3 天内收到 3 次以上投诉，提请区督办。"}
    told = Notification.objects.filter(key__startswith="complaint.flagged_many:")
    assert sorted(told.values_list("user__username", flat=True)) == sorted(
        [world.users["district_admin"].username, world.users["district_staff"].username])
    assert told.first().title == "2 件投诉工单提请区督办（2 个小区多次投诉）"
    assert told.first().url == "/complaints/tasks/"
    # Idempotent: a second call finds them flagged.
    assert svc.complaints_flag_repeated(estate_ids=[world.estate_a1.pk, world.estate_a2.pk],
                                        now=at(2026, 12, 1, 16)) == 0
    assert ComplaintEvent.objects.filter(action=Action.FLAG_REPEATED).count() == 2
