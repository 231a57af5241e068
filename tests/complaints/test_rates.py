"""The rates against 20 orders counted by hand.

Orders received in November 2026 (no holidays; the default policy: sign within 1 working day, answer within
5). `steps` is the time between two steps of the flow (assign, sign, answer, callback, close):
1 minute = everything on time; 2 days from Monday 11-02 09:00 = signed late (assigned Wed 11-04, due 24:00
Thu 11-05, signed Fri 11-06), answered on time (Sun 11-08, due 24:00 Fri 11-13); 8 days = both late (assigned
Tue 11-10, sign due 24:00 11-11, signed 11-18; answer due 5 working days after 11-18 = 24:00 Wed 11-25,
answered 11-26).

 #   estate   status       steps   callback                       notes
 1   梅花园   closed       1 min   contacted, solved, 满意
 2   梅花园   closed       1 min   contacted, solved, 基本满意
 3   梅花园   closed       1 min   contacted, not solved, 不满意
 4   梅花园   closed       2 days  contacted, solved, 满意         sign late
 5   梅花园   closed       8 days  contacted, solved, 满意         sign and answer late
 6   梅花园   closed       1 min   not contacted
 7   梅花园   called back  1 min   contacted, solved, 满意
 8   梅花园   answered     1 min
 9   梅花园   signed       1 min
10   梅花园   assigned     1 min
11   梅花园   received
12   梅花园   merged into 11                                      not counted (a report of case 11)
13   梅花园   closed       1 min   满意                             excluded (不合理诉求): counted apart
14   梅花园   closed       1 min   不满意 -> reopened -> 满意        reopened once, 9 minutes to close
15   北庄花园 closed       1 min   contacted, solved, 满意
16   北庄花园 closed       1 min   contacted, solved, 基本满意
17   北庄花园 answered     1 min
18   北庄花园 received
19   锦绣花园 closed straight from the queue (no firm), 1 minute after receipt
20   (triage, 山城街道) received

Counted: 18 (20 − #12 merged − #13 excluded). Closed: 1 2 3 4 5 6 14 15 16 19 = 10. Signed: 1–9, 14–17 = 13,
on time 11 (4, 5 late). Closed on time (answer not late): 10 − #5 = 9. Contacted: 1 2 3 4 5 7 14 15 16 = 9;
solved 8 (not #3); 满意 1 4 5 7 14 15 = 6, 基本满意 2 16 = 2.
Days to close: #4 10 days, #5 40 days, #14 9 min, #19 1 min, six more of 5 min: 50 days 40 min / 10
= 5.0028 -> 5.0.
"""
import datetime
from decimal import Decimal

import pytest

from complaints import services as svc
from complaints.models import Complaint, Satisfaction, Status
from complaints.selectors import RATES, rates_by, rates_for

from .conftest import at

pytestmark = pytest.mark.django_db
D = Decimal
MIN = 1
TWO_DAYS = 2 * 24 * 60
EIGHT_DAYS = 8 * 24 * 60


@pytest.fixture
def twenty(world, make_complaint):
    u = world.users
    base = at(2026, 11, 2, 9, 0)

    def mk(n, **kw):
        return make_complaint(at=base + datetime.timedelta(minutes=n), **kw)

    S, B, U = Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.UNSATISFIED
    o = {}
    o[1] = mk(1, to=Status.CLOSED, satisfaction=S)
    o[2] = mk(2, to=Status.CLOSED, satisfaction=B)
    o[3] = mk(3, to=Status.CLOSED, satisfaction=U, solved=False)
    o[4] = make_complaint(at=base, to=Status.CLOSED, satisfaction=S, step_minutes=TWO_DAYS)
    o[5] = make_complaint(at=base, to=Status.CLOSED, satisfaction=S, step_minutes=EIGHT_DAYS)
    o[6] = mk(6, to=Status.CLOSED, contacted=False)
    o[7] = mk(7, to=Status.CALLED_BACK, satisfaction=S)
    o[8] = mk(8, to=Status.ANSWERED)
    o[9] = mk(9, to=Status.SIGNED)
    o[10] = mk(10, to=Status.ASSIGNED)
    o[11] = mk(11)
    o[12] = mk(12)
    svc.complaint_merge(actor=u["street_staff"], case=o[11], reports=[o[12]], comment="同一事项",
                        now=base + datetime.timedelta(minutes=30))
    o[12].refresh_from_db()
    o[13] = mk(13, to=Status.CLOSED, satisfaction=S)
    o[13] = svc.complaint_exclude(actor=u["district_admin"], complaint=o[13], kind="unreasonable", reason="诉求不合理",
                          now=base + datetime.timedelta(minutes=40))
    # 14: received at t, assign +1, sign +2, answer +3, callback 不满意 +4, reopen +5, sign +6, answer +7,
    # callback 满意 +8, close +9.
    t = base + datetime.timedelta(hours=2)
    c = make_complaint(at=t, to=Status.CALLED_BACK, satisfaction=U, solved=False)

    def m(k):
        return t + datetime.timedelta(minutes=k)

    c = svc.complaint_reopen(actor=u["street_staff"], complaint=c, reason="不满意", now=m(5))
    c = svc.complaint_sign(actor=u["firm_user"], complaint=c, now=m(6))
    c = svc.complaint_answer(actor=u["firm_user"], complaint=c, answer="再次清理", now=m(7))
    c = svc.complaint_callback(actor=u["street_staff"], complaint=c, contacted=True, solved=True, satisfaction=S,
                               comment="", now=m(8))
    o[14] = svc.complaint_close(actor=u["street_staff"], complaint=c, now=m(9))
    o[15] = mk(15, to=Status.CLOSED, satisfaction=S, estate=world.estate_b1)
    o[16] = mk(16, to=Status.CLOSED, satisfaction=B, estate=world.estate_b1)
    o[17] = mk(17, to=Status.ANSWERED, estate=world.estate_b1)
    o[18] = mk(18, estate=world.estate_b1)
    o[19] = mk(19, estate=world.estate_a2)
    o[19] = svc.complaint_close(actor=u["street_staff"], complaint=o[19], comment="非物业服务事项，已转相关部门",
                                now=base + datetime.timedelta(minutes=20))
    o[20] = mk(20, estate=None, street=world.shancheng)
    return o


def test_the_twenty_orders_are_what_the_table_says(twenty):
    o = twenty
    assert [o[n].status for n in (4, 5)] == [Status.CLOSED, Status.CLOSED]
    assert (o[4].sign_overdue, o[4].answer_overdue) == (True, False)
    assert (o[5].sign_overdue, o[5].answer_overdue) == (True, True)
    assert o[14].reopened_count == 1 and o[14].closed_at - o[14].received_at == datetime.timedelta(minutes=9)
    assert o[12].status == Status.MERGED and o[13].excluded == "unreasonable"
    assert o[19].firm is None and o[20].estate is None


def test_overall_rates_counted_by_hand(twenty, django_assert_num_queries):
    with django_assert_num_queries(1):
        r = rates_for(Complaint.objects.all())
    counts = {k: r[k] for k in ("received", "closed", "signed", "signed_on_time", "closed_on_time", "contacted",
                                "solved", "satisfied", "basic", "excluded")}
    assert counts == {"received": 18, "closed": 10, "signed": 13, "signed_on_time": 11, "closed_on_time": 9,
                      "contacted": 9, "solved": 8, "satisfied": 6, "basic": 2, "excluded": 1}
    assert r["handling_rate"] == D("55.6")     # 10 / 18 = 55.55…
    assert r["sign_rate"] == D("84.6")         # 11 / 13 = 84.61…
    assert r["on_time_rate"] == D("90.0")      # 9 / 10
    assert r["solved_rate"] == D("88.9")       # 8 / 9 = 88.88…
    assert r["satisfaction_rate"] == D("88.9")  # (6 + 1 × 2) / 9
    assert r["reopened"] == 1
    assert r["average_days"] == D("5.0")       # 50 days 40 min / 10


@pytest.mark.parametrize(("weight", "expected"), [
    (D("1"), D("88.9")),    # (6 + 2) / 9
    (D("0.5"), D("77.8")),  # (6 + 1) / 9 = 77.77…
    (D("0"), D("66.7")),    # 6 / 9 = 66.66…
])
def test_satisfaction_weight_of_basic_satisfied(twenty, weight, expected):
    assert rates_for(Complaint.objects.all(), weight)["satisfaction_rate"] == expected


def test_rates_per_street_counted_by_hand(world, twenty, django_assert_num_queries):
    with django_assert_num_queries(2):  # the aggregate per street id, then the streets' names
        rows = rates_by(Complaint.objects.all(), "street")
    by = {r["label"]: r for r in rows}
    assert set(by) == {"山城街道", "北庄街道"}
    sc, bz = by["山城街道"], by["北庄街道"]
    # 山城街道: 1–11, 14, 19, 20 = 14 counted; closed 1–6, 14, 19 = 8; signed 1–9, 14 = 10 (4, 5 late);
    # closed on time 7 of 8; contacted 1 2 3 4 5 7 14 = 7, solved 6, 满意 5 + 基本满意 1.
    # Days: 10 d + 40 d + 4 × 5 min + 9 min + 1 min = 50 d 30 min / 8 = 6.2526 -> 6.3.
    assert (sc["received"], sc["closed"], sc["excluded"]) == (14, 8, 1)
    assert (sc["handling_rate"], sc["sign_rate"], sc["on_time_rate"]) == (D("57.1"), D("80.0"), D("87.5"))
    assert (sc["solved_rate"], sc["satisfaction_rate"]) == (D("85.7"), D("85.7"))
    assert (sc["reopened"], sc["average_days"]) == (1, D("6.3"))
    # 北庄街道: 15–18 = 4; closed 15, 16; signed 15 16 17 on time; contacted 2, solved 2, 满意 1 + 基本满意 1.
    assert (bz["received"], bz["closed"], bz["excluded"]) == (4, 2, 0)
    assert (bz["handling_rate"], bz["sign_rate"], bz["on_time_rate"]) == (D("50.0"), D("100.0"), D("100.0"))
    assert (bz["solved_rate"], bz["satisfaction_rate"], bz["reopened"]) == (D("100.0"), D("100.0"), 0)
    assert bz["average_days"] == D("0.0")  # 5 minutes
    assert rates_by(Complaint.objects.all(), "street", D("0.5"))[0]["satisfaction_rate"] == D("75.0")  # 北庄: 1.5/2


def test_rates_per_firm_with_the_orders_no_firm_served(world, twenty):
    by = {r["key"]: r for r in rates_by(Complaint.objects.all(), "firm")}
    assert set(by) == {world.firm1.pk, world.firm2.pk, None}
    f1, none = by[world.firm1.pk], by[None]
    # 甲: 梅花园 1–11 and 14 = 12 counted (13 excluded, 12 merged); closed 1–6, 14 = 7.
    assert (f1["received"], f1["closed"], f1["handling_rate"], f1["excluded"]) == (12, 7, D("58.3"), 1)
    assert f1["on_time_rate"] == D("85.7")  # 6 / 7
    # No firm: 19 (closed from the queue) and 20 (triage).
    assert (none["received"], none["closed"], none["handling_rate"]) == (2, 1, D("50.0"))
    assert (none["sign_rate"], none["solved_rate"], none["satisfaction_rate"]) == (None, None, None)
    assert none["label"] == "（未确定）"


def test_rates_per_estate_one_query_and_an_empty_set(world, twenty, django_assert_num_queries):
    with django_assert_num_queries(2):
        rows = rates_by(Complaint.objects.filter(street=world.beizhuang), "estate")
    assert [(r["label"], r["received"]) for r in rows] == [("北庄花园", 4)]
    empty = rates_for(Complaint.objects.none())
    assert empty["received"] == 0 and empty["handling_rate"] is None and empty["average_days"] is None


def test_every_rate_is_declared_with_its_formula():
    assert [r.key for r in RATES] == ["handling_rate", "sign_rate", "on_time_rate", "solved_rate",
                                      "satisfaction_rate", "reopened", "average_days"]
    assert [str(r.label) for r in RATES] == ["处理率", "及时签收率", "按时办结率", "解决率", "满意率", "重办次数",
                                             "平均办结天数"]
    assert all(str(r.formula) for r in RATES)
