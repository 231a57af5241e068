"""The complaint list: filters (status, overdue, street, firm, category, period, search …), sort, pinned query
count, and my tasks ordered by the nearest deadline.

The clock is frozen at Friday 2026-12-04 10:00. Orders are received on Tuesday 12-01 unless said otherwise;
an order assigned then has its sign-for limit (1 working day) end at 24:00 Wednesday 12-02, so at the
frozen time it is late though the hourly job has not marked it.
"""
import datetime

import pytest
from django.urls import reverse

from complaints.models import Category, Complaint, Status, Urgency
from complaints.services import complaints_mark_overdue

from .conftest import at

pytestmark = pytest.mark.django_db

T0 = at(2026, 12, 1, 9, 0)
NOW = at(2026, 12, 4, 10, 0)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def orders(world, make_complaint, frozen):
    """o_late: 梅花园, assigned Tuesday, not signed (sign clock late now, not yet marked by the job);
    o_signed: 梅花园, signed at once (answer due 24:00 Tuesday 12-08); o_closed: 梅花园, closed;
    o_b1: 北庄花园 (firm 乙), received; o_fee: 梅花园, category 物业收费, urgent, received in November."""
    fees = Category.objects.get(code="fees")
    return {
        "late": make_complaint(to=Status.ASSIGNED, at=T0, title="电梯停运"),
        "signed": make_complaint(to=Status.SIGNED, at=T0, title="绿化带垃圾"),
        "closed": make_complaint(to=Status.CLOSED, at=T0, title="楼道照明"),
        "b1": make_complaint(at=T0, estate=world.estate_b1, clerk="street_staff2", title="北庄停车"),
        "fee": make_complaint(at=at(2026, 11, 20, 9, 0), category=fees, urgency=Urgency.URGENT, title="物业费收费不透明",
                              external_no="GD2026112000007", source="hotline"),
    }


def listed(client, params=None):
    response = client.get(reverse("complaints:list"), params or {})
    assert response.status_code == 200
    return {c.title for c in response.context["object_list"]}


ALL = {"电梯停运", "绿化带垃圾", "楼道照明", "北庄停车", "物业费收费不透明"}


def test_filters(world, orders, login):
    client = login("district_admin")
    assert listed(client) == ALL
    assert listed(client, {"status": Status.SIGNED}) == {"绿化带垃圾"}
    assert listed(client, {"status": Status.RECEIVED}) == {"北庄停车", "物业费收费不透明"}
    assert listed(client, {"street": world.beizhuang.pk}) == {"北庄停车"}
    assert listed(client, {"street": world.shancheng.pk}) == ALL - {"北庄停车"}
    assert listed(client, {"firm": world.firm2.pk}) == {"北庄停车"}
    assert listed(client, {"firm": world.firm1.pk}) == ALL - {"北庄停车"}
    assert listed(client, {"category": Category.objects.get(code="fees").pk}) == {"物业费收费不透明"}
    assert listed(client, {"urgency": Urgency.URGENT}) == {"物业费收费不透明"}
    assert listed(client, {"source": "hotline"}) == {"物业费收费不透明"}
    assert listed(client, {"estate": world.estate_b1.pk}) == {"北庄停车"}
    assert listed(client, {"community": world.meiyuan.pk}) == ALL - {"北庄停车"}
    assert listed(client, {"received_from": "2026-12-01", "received_to": "2026-12-31"}) == ALL - {"物业费收费不透明"}
    assert listed(client, {"period": "month"}) == ALL - {"物业费收费不透明"}
    assert listed(client, {"period": "quarter"}) == ALL
    assert listed(client, {"q": "GD20261120"}) == {"物业费收费不透明"}
    assert listed(client, {"q": orders["late"].number}) == {"电梯停运"}
    assert listed(client, {"q": "北庄"}) == {"北庄停车"}


def test_overdue_filter_counts_a_running_late_clock_and_a_marked_one(world, orders, login):
    client = login("district_admin")
    # Not marked yet: the sign clock of "电梯停运" ran out at 24:00 Wednesday, and it is Friday.
    assert not Complaint.objects.filter(sign_overdue=True).exists()
    assert listed(client, {"overdue": "true"}) == {"电梯停运"}
    assert listed(client, {"overdue": "false"}) == ALL - {"电梯停运"}
    # The job marks it; once signed the clock no longer runs, the mark keeps it in the filter.
    complaints_mark_overdue(now=NOW)
    from complaints.services import complaint_sign

    complaint_sign(actor=world.users["firm_user"], complaint=orders["late"], now=NOW)
    assert listed(client, {"overdue": "true"}) == {"电梯停运"}


def test_the_list_marks_late_clocks(world, orders, login):
    response = login("street_staff").get(reverse("complaints:list"))
    rows = {c.title: c for c in response.context["object_list"]}
    assert rows["电梯停运"].sign_late and not rows["电梯停运"].answer_late
    assert not rows["绿化带垃圾"].sign_late and not rows["绿化带垃圾"].answer_late
    assert rows["绿化带垃圾"].answer_running
    html = response.content.decode()
    assert "2026-12-02 24:00" in html  # the late sign-for due time, as the due filter writes it
    assert "2026-12-08 24:00" in html  # the running answer due time


def test_a_bad_filter_value_lists_nothing_and_says_so(orders, login):
    response = login("district_admin").get(reverse("complaints:list"), {"received_from": "2026-02-30"})
    assert list(response.context["object_list"]) == []
    assert "筛选条件有误" in response.content.decode()


def test_an_out_of_scope_street_or_firm_is_an_invalid_choice(world, orders, login):
    client = login("street_staff")
    assert listed(client, {"street": world.beizhuang.pk}) == set()
    assert listed(client, {"firm": world.firm2.pk}) == set()


def test_sort_by_received_and_by_the_clocks(orders, login):
    client = login("district_admin")

    def titles(sort):
        return [c.title for c in client.get(reverse("complaints:list"), {"sort": sort}).context["object_list"]]

    assert titles("received")[0] == "物业费收费不透明"
    assert titles("-received")[-1] == "物业费收费不透明"
    # Orders without the clock sort last either way.
    assert titles("sign_due")[:3] == ["电梯停运", "绿化带垃圾", "楼道照明"]
    # Both answer clocks end at 24:00 Tuesday 12-08 (signed a minute apart on the same day): ties by id.
    assert titles("answer_due")[:2] == ["绿化带垃圾", "楼道照明"]
    assert titles("-answer_due")[:2] == ["绿化带垃圾", "楼道照明"]
    assert set(titles("-answer_due")[2:]) == {"电梯停运", "北庄停车", "物业费收费不透明"}


def test_answer_due_sort_puts_the_nearest_first(world, make_complaint, login, frozen):
    early = make_complaint(to=Status.SIGNED, at=at(2026, 12, 1, 9, 0), title="早")
    late = make_complaint(to=Status.SIGNED, at=at(2026, 12, 3, 9, 0), title="晚")
    client = login("street_staff")
    rows = [c.pk for c in client.get(reverse("complaints:list"), {"sort": "answer_due"}).context["object_list"]]
    assert rows == [early.pk, late.pk]
    rows = [c.pk for c in client.get(reverse("complaints:list"), {"sort": "-answer_due"}).context["object_list"]]
    assert rows == [late.pk, early.pk]


@pytest.mark.parametrize("persona", ["district_admin", "street_staff", "firm_user", "community_clerk", "city_admin"])
def test_list_query_count_does_not_grow_with_rows(world, make_complaint, login, frozen, persona,
                                                 django_assert_max_num_queries):
    for i in range(30):
        make_complaint(to=Status.ASSIGNED, at=T0 + datetime.timedelta(minutes=i), estate=world.estate_a1,
                       urgency=Urgency.URGENT if i % 3 else Urgency.NORMAL)
    client = login(persona)
    client.get(reverse("complaints:list"))  # warm the session
    # session, user, roles, notifications; count, page ids, page rows; the street and category choices;
    # the workdays banner (city administrators)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("complaints:list"), {"status": Status.ASSIGNED, "overdue": "true",
                                                           "sort": "-received"})
    assert len(response.context["object_list"]) == 25
    with django_assert_max_num_queries(11):
        response = client.get(reverse("complaints:list"), {"page": 2})
    assert len(response.context["object_list"]) == 5


def test_list_links_the_register_page_only_for_who_registers(orders, login):
    assert reverse("complaints:new") in login("street_staff").get(reverse("complaints:list")).content.decode()
    assert reverse("complaints:new") not in login("firm_user").get(reverse("complaints:list")).content.decode()


# --- my tasks ---------------------------------------------------------------------------------------------------

def test_firm_tasks_nearest_deadline_first_with_time_left(world, make_complaint, login, time_machine):
    time_machine.move_to(at(2026, 12, 2, 10, 0), tick=False)
    to_answer = make_complaint(to=Status.SIGNED, at=T0, title="待答复")                  # due 12-08 24:00
    to_sign = make_complaint(to=Status.ASSIGNED, at=at(2026, 12, 1, 15, 0), title="待签收")  # due 12-02 24:00
    make_complaint(to=Status.ANSWERED, at=T0, title="已答复")                             # waits on the street
    response = login("firm_user").get(reverse("complaints:tasks"))
    rows = response.context["rows"]
    assert [c.pk for c in rows] == [to_sign.pk, to_answer.pk]
    assert [c.task_label for c in rows] == ["待签收", "待答复"]
    assert rows[0].remaining == "剩余 14 小时 0 分钟"
    html = response.content.decode()
    assert "剩余 14 小时 0 分钟" in html and "2026-12-02 24:00" in html


def test_street_tasks(world, make_complaint, login, frozen):
    answered = make_complaint(to=Status.ANSWERED, at=T0, title="待回访")
    received = make_complaint(at=T0, title="待派单")
    make_complaint(to=Status.SIGNED, at=T0, title="企业办理中")
    rows = login("street_staff").get(reverse("complaints:tasks")).context["rows"]
    assert {c.pk: c.task_label for c in rows} == {answered.pk: "待回访", received.pk: "待派单"}
    assert login("street_staff2").get(reverse("complaints:tasks")).context["rows"] == []


@pytest.mark.parametrize("persona", ["firm_user", "street_staff", "community_clerk"])
def test_export_query_count_does_not_grow_with_rows(world, make_complaint, login, frozen, persona,
                                                   django_assert_max_num_queries):
    for i in range(12):
        make_complaint(to=Status.ASSIGNED, at=T0 + datetime.timedelta(minutes=i))
    client = login(persona)
    client.get(reverse("complaints:list"))
    with django_assert_max_num_queries(6):  # session, user, roles; the rows (one query, masking included)
        response = client.get(reverse("complaints:list") + "?export=xlsx")
    assert response.status_code == 200
