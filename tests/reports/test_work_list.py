"""The home page's 待办 card (reports' `{% work_list %}`): each queue of accounts/menu.py with the menu's count
and its oldest rows, each a link; rows come and go with the state of the object; a firm sees only its own;
the cost does not grow with the rows."""
import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import menu
from accounts.models import Notification
from complaints.models import Status
from inspections.models import RectificationOrder
from inspections.services.orders import order_accept, order_answer, order_issue
from ratings.models import Application, ApplicationStatus
from subsidies.services import approvals as ap
from tests.complaints.conftest import category, make_complaint  # noqa: F401  (fixtures)
from tests.subsidies._pages import build_batches
from tests.subsidies.conftest import sub_world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def card(html: str) -> str:
    match = re.search(r'<div class="card mb-3" data-testid="work-list">(.*?)\n</div>', html, re.S)
    assert match, "no 待办 card on the page"
    return match.group(1)


def queues(html: str) -> dict[str, dict]:
    """queue key -> {"count": n, "items": [(href, text)]} as the card shows them."""
    out = {}
    body = card(html)
    for key, block in re.findall(r'data-testid="work-queue-([a-z_]+)">(.*?)\n    </div>', body, re.S):
        count = int(re.search(r'data-testid="work-count">(\d+)<', block).group(1))
        items = re.findall(r'data-testid="work-item">\s*<a class="text-break" href="([^"]+)">([^<]+)</a>', block)
        out[key] = {"count": count, "items": items}
    return out


def menu_badge(html: str, key: str) -> int | None:
    testid = f"todo-count-{key}" if key else "todo-count"
    match = re.search(rf'data-testid="{testid}">(\d+)<', html)
    return int(match.group(1)) if match else None


def home(client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def issue(world, estate=None, when=NOW, actor="street_staff"):
    return order_issue(actor=world.users[actor], estate=estate or world.estate_a1, problem="消防通道堆放杂物",
                       now=when)


def test_an_answered_order_waits_in_the_streets_list_until_accepted(login, world):
    order = issue(world)
    # Issued: the firm's 待整改, not yet the street's.
    firm = queues(home(login("firm_user")))
    assert firm["orders_issued"]["count"] == 1
    assert firm["orders_issued"]["items"] == [(reverse("inspections:order_detail", args=[order.pk]),
                                               f"{order.number} · 梅花园")]
    assert "orders_to_accept" not in queues(home(login("street_staff")))

    order_answer(actor=world.users["firm_user"], order=order, answer="已清理", now=NOW)
    street = queues(home(login("street_staff")))
    assert street["orders_to_accept"]["count"] == 1
    assert street["orders_to_accept"]["items"][0][0] == reverse("inspections:order_detail", args=[order.pk])
    assert "orders_issued" not in queues(home(login("firm_user")))  # answered: off the firm's list
    clerk = queues(home(login("community_clerk")))  # 梅园社区 accepts too
    assert clerk["orders_to_accept"]["count"] == 1

    order_accept(actor=world.users["street_staff"], order=order, now=NOW)
    assert "orders_to_accept" not in queues(home(login("street_staff")))
    assert 'data-testid="work-list-empty"' in home(login("community_clerk"))


def test_oldest_five_first_with_the_full_count(login, world):
    orders = []
    for day in (5, 1, 3, 7, 2, 6, 4):  # issued on these days of November, in this order
        orders.append(issue(world, when=datetime.datetime(2026, 11, day, 10, 0, tzinfo=SH)))
    for order in orders:
        order_answer(actor=world.users["firm_user"], order=order, answer="已整改", now=NOW)
    block = queues(home(login("street_staff")))["orders_to_accept"]
    assert block["count"] == 7
    by_day = {o.issued_at.day: o for o in orders}
    assert [href for href, _text in block["items"]] == [
        reverse("inspections:order_detail", args=[by_day[d].pk]) for d in (1, 2, 3, 4, 5)]
    assert "全部 7 项" in card(home(login("street_staff")))


def test_a_firm_sees_only_its_own_rows(login, world):
    mine = issue(world)
    theirs = issue(world, estate=world.estate_b1, actor="street_staff2")
    first = queues(home(login("firm_user")))["orders_issued"]
    second = queues(home(login("firm_user2")))["orders_issued"]
    assert [href for href, _t in first["items"]] == [reverse("inspections:order_detail", args=[mine.pk])]
    assert [href for href, _t in second["items"]] == [reverse("inspections:order_detail", args=[theirs.pk])]
    assert first["count"] == second["count"] == 1


def test_complaints_and_applications_come_and_go(login, world, make_complaint):
    complaint = make_complaint(to=Status.ASSIGNED)  # 梅花园: firm 甲 must sign for it
    firm = queues(home(login("firm_user")))["complaint_tasks"]
    assert firm["items"][0][0] == reverse("complaints:detail", args=[complaint.pk])
    assert complaint.number in firm["items"][0][1]
    assert "complaint_tasks" not in queues(home(login("firm_user2")))

    app = Application.objects.create(firm=world.firm1, estate=world.estate_a1, year=2026,
                                     status=ApplicationStatus.SUBMITTED, submitted_by=world.users["firm_user"])
    street = queues(home(login("street_staff")))["applications_to_report"]
    assert street["items"] == [(reverse("ratings:application_detail", args=[app.pk]), "梅花园 · 2026 年度 · "
                                                                                      "山亭甲物业服务有限公司")]
    Application.objects.filter(pk=app.pk).update(status=ApplicationStatus.REPORTED)
    assert "applications_to_report" not in queues(home(login("street_staff")))
    district = queues(home(login("district_admin")))["applications_to_accept"]
    assert district["items"][0][0] == reverse("ratings:application_detail", args=[app.pk])
    assert "applications_to_accept" not in queues(home(login("district_admin_gc")))


def test_a_batch_moves_from_list_to_list_along_the_approval_chain(login, sub_world):
    w = build_batches(sub_world)
    detail = reverse("subsidies:batch_detail", args=[w.batch.pk])
    staff = queues(home(login("district_staff")))
    assert staff["batches_to_check"]["items"] == [(detail, "山亭区 2025-03")]
    assert "batches_to_approve" not in queues(home(login("district_admin")))
    ap.batch_transition(actor=w.users["district_staff"], batch=w.batch, action="check")
    assert "batches_to_check" not in queues(home(login("district_staff")))
    assert queues(home(login("district_admin")))["batches_to_approve"]["items"] == [(detail, "山亭区 2025-03")]


def test_city_admin_is_asked_for_next_years_calendar_until_it_is_entered(login, world):
    client = login("city_admin")
    calendar = card(home(client))
    assert 'data-testid="work-queue-calendar"' in calendar
    assert reverse("workdays:year_detail", kwargs={"year": 2027}) in calendar
    assert "work-queue-calendar" not in card(home(login("street_staff")))
    client = login("city_admin")  # the one test client was logged in as the street clerk just above
    response = client.post(reverse("workdays:bulk_enter", kwargs={"year": 2027}), {"text": "2027-01-01 放假 元旦\n"})
    assert response.status_code == 302
    assert "work-queue-calendar" not in card(home(login("city_admin")))


PERSONA_DATA = ["city_admin", "district_admin", "district_staff", "street_staff", "community_clerk", "firm_user",
                "firm_user2"]


@pytest.fixture
def busy(world, make_complaint):
    """Something in most queues: orders issued, answered; complaints; applications."""
    for _ in range(2):
        issue(world)
    order_answer(actor=world.users["firm_user"], order=issue(world), answer="已清理", now=NOW)
    issue(world, estate=world.estate_b1, actor="street_staff2")
    make_complaint(to=Status.ASSIGNED)
    make_complaint(to=Status.RECEIVED)
    Application.objects.create(firm=world.firm1, estate=world.estate_a1, year=2026,
                               status=ApplicationStatus.SUBMITTED, submitted_by=world.users["firm_user"])
    Application.objects.create(firm=world.firm2, estate=world.estate_b1, year=2026,
                               status=ApplicationStatus.REPORTED, submitted_by=world.users["firm_user2"])


@pytest.mark.parametrize("persona", PERSONA_DATA)
def test_the_counts_are_the_menus_counts(login, world, busy, persona):
    html = home(login(persona))
    shown = {key: block["count"] for key, block in queues(html).items() if key != "calendar"}
    counted = menu.header_counts(world.users[persona], NOW).queues
    assert shown == {key: n for key, n in counted.items() if n}
    single = len(menu.queues_for(world.users[persona])) == 1  # one queue: 待办 is that queue's link itself
    for key, n in shown.items():
        assert menu_badge(html, "" if single else key) == n  # the header's badge for the same queue
        assert len(queues(html)[key]["items"]) == min(n, 5)
    if persona in ("street_staff", "firm_user"):
        assert shown  # the fixture gives these two something to do


def _home_queries(client) -> int:
    client.get(reverse("home"))  # the session is stamped once (accounts.middleware)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    return len(ctx.captured_queries)


# The whole home page, counted on 2026-12-01: session, user, roles, the header's one count query, the tiles;
# then one query per non-empty queue (street: 投诉待办, 整改待验收; firm: 投诉待办, 待整改) and, for the firm,
# its cards (estates 1, orders 1, complaints 1, subsidy 2, application windows 1).
HOME_QUERIES = {"street_staff": 15, "firm_user": 21}  # street: + the committee target (communities)


@pytest.mark.parametrize("persona", list(HOME_QUERIES))
def test_the_cost_does_not_grow_with_the_rows(login, world, make_complaint, persona,
                                              django_assert_max_num_queries):
    order = issue(world)
    order_answer(actor=world.users["firm_user"], order=order, answer="已清理", now=NOW)
    issue(world)
    make_complaint(to=Status.ASSIGNED)
    make_complaint(to=Status.RECEIVED)
    # The bell is not what is measured here: with nothing unread, no page marks a notification read.
    Notification.objects.update(read_at=NOW)
    client = login(persona)
    few = _home_queries(client)
    for day in range(1, 13):
        when = datetime.datetime(2026, 11, day, 10, 0, tzinfo=SH)
        issue(world, when=when)
        order_answer(actor=world.users["firm_user"], order=issue(world, when=when), answer="已清理", now=NOW)
        make_complaint(to=Status.ASSIGNED)
        make_complaint(to=Status.RECEIVED)
    assert RectificationOrder.objects.count() == 26
    Notification.objects.update(read_at=NOW)
    many = _home_queries(client)
    assert many == few
    client.get(reverse("home"))
    with django_assert_max_num_queries(HOME_QUERIES[persona]):
        html = home(client)
    assert sum(len(block["items"]) for block in queues(html).values()) >= 10
