"""The menu each role sees (accounts/menu.py), its 待办 counts, and what it costs.

The expected menus are written out by hand from issue 15 ("Navigation by role"), not read from the
declaration; the declaration's own consistency is checked separately, parametrised over it.
"""
import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import menu
from accounts.models import Notification, Role, RoleAssignment
from accounts.services import notify
from complaints.models import Status
from inspections.services.orders import order_answer, order_issue, order_reject
from ratings.models import Application, ApplicationStatus
from subsidies.models import BatchStatus
from subsidies.services import approvals as ap
from tests.complaints.conftest import category, make_complaint  # noqa: F401  (fixtures)
from tests.conftest import PERSONAS
from tests.factories import user_with_role
from tests.subsidies._pages import build_batches
from tests.subsidies.conftest import sub_world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

# Top-level labels, left to right, as issue 15 asks for each role, with 待办 first for everyone. 用户 holds
# the portal's user management; the Django admin's user page only for a superuser (the test world's city
# administrator is staff but not a superuser and would get a 403 there).
EXPECTED = {
    "city_admin": ["待办", "全市", "信用", "用户", "日历"],
    "district_admin": ["待办", "统计", "评定", "补贴", "政策"],
    "district_staff": ["待办", "统计", "评定", "补贴", "政策"],
    "district_admin_gc": ["待办", "统计", "评定", "补贴", "政策"],
    "street_staff": ["待办", "小区", "检查", "整改", "投诉", "评定意见"],
    "street_staff2": ["待办", "小区", "检查", "整改", "投诉", "评定意见"],
    "community_clerk": ["待办", "小区", "检查", "整改", "投诉", "我的补贴"],
    "firm_user": ["待办", "本企业", "我的小区", "整改", "星级申报", "我的星级", "我的补贴"],
    "firm_user2": ["待办", "本企业", "我的小区", "整改", "星级申报", "我的星级", "我的补贴"],
}


def nav_of(html: str) -> str:
    """The main menu's <ul> (the header's menu, not the page's own links)."""
    start = html.index('data-testid="main-menu"')
    return html[start:html.index("portal-nav-user", start)]


def top_labels(html: str) -> list[str]:
    return re.findall(r"data-menu-label>([^<]+)<", nav_of(html))


def menu_hrefs(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"#][^"]*)"', nav_of(html))]


def entry_html(html: str, key: str) -> str:
    nav = nav_of(html)
    start = nav.index(f'data-menu-entry="{key}"')
    end = nav.find("data-menu-entry=", start + 1)
    return nav[start:end if end != -1 else len(nav)]


def badge(html: str, testid: str) -> int | None:
    match = re.search(rf'data-testid="{testid}">(\d+)<', html)
    return int(match.group(1)) if match else None


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_sees_the_menu_of_its_work(login, persona):
    html = login(persona).get(reverse("home")).content.decode()
    assert top_labels(html) == EXPECTED[persona]


def test_a_superuser_city_admin_also_gets_the_user_admin(client, world):
    root = user_with_role("root_city", Role.CITY_ADMIN)
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    html = client.get(reverse("home")).content.decode()
    assert top_labels(html) == ["待办", "全市", "信用", "用户", "日历"]
    users = reverse("admin:accounts_user_changelist")
    assert users in menu_hrefs(html)
    assert client.get(users).status_code == 200


def test_the_user_admin_is_not_offered_where_it_would_refuse(login):
    client = login("city_admin")
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert reverse("admin:accounts_user_changelist") not in menu_hrefs(client.get(reverse("home")).content.decode())


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_link_of_the_menu_opens_for_its_persona(login, persona):
    """The menu never offers a page that refuses the role (404/403) or does not exist."""
    client = login(persona)
    hrefs = menu_hrefs(client.get(reverse("home")).content.decode())
    assert hrefs, persona
    for href in hrefs:
        assert client.get(href).status_code == 200, (persona, href)


@pytest.mark.parametrize("persona", ["firm_user", "firm_user2"])
def test_a_firm_sees_no_street_community_rubric_or_subsidy_policy_entries(login, persona):
    client = login(persona)
    html = client.get(reverse("home")).content.decode()
    nav = nav_of(html)
    for url_name, label in (("communities:street_list", "街道"), ("communities:community_list", "社区"),
                            ("inspections:rubric_list", "评分细则"), ("subsidies:policy_list", "补贴政策"),
                            ("ratings:policy_list", "评定政策")):
        assert f'href="{reverse(url_name)}"' not in nav, url_name
        assert f">{label}<" not in nav, label
    # The menu only hides: the pages keep their own checks and still answer a firm inside its scope.
    assert client.get(reverse("communities:street_list")).status_code == 200


def test_the_firm_menu_leads_to_its_own_firm(login, world):
    html = login("firm_user").get(reverse("home")).content.decode()
    firm = entry_html(html, "firm")
    assert f'href="{reverse("enterprises:firm_detail", args=[world.firm1.pk])}"' in firm
    assert f'href="{reverse("enterprises:credit_file", args=[world.firm1.pk])}"' in firm
    assert f"/firms/{world.firm2.pk}/" not in firm


def test_the_page_shown_marks_its_entry(login):
    html = login("street_staff").get(reverse("communities:estate_list")).content.decode()
    estates = entry_html(html, "estates")
    assert 'dropdown-toggle active' in estates
    assert f'class="dropdown-item d-flex align-items-center active" href="{reverse("communities:estate_list")}"' \
           f' aria-current="page"' in estates
    assert "active" not in entry_html(html, "inspections")


def test_several_roles_see_the_union_in_declaration_order_once(client, world):
    user = user_with_role("street_and_firm", Role.STREET_STAFF, street=world.shancheng)
    RoleAssignment.objects.create(user=user, role=Role.FIRM_USER, firm=world.firm1)
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    assert top_labels(html) == ["待办", "本企业", "我的小区", "小区", "检查", "整改", "投诉", "评定意见",
                                "星级申报", "我的星级", "我的补贴"]
    orders = entry_html(html, "orders")  # the street's 整改通知, then the firm's other two, each once
    assert re.findall(r'<span class="flex-grow-1">([^<]+)<', orders) == ["整改通知", "检查记录", "投诉工单"]
    todo = entry_html(html, "todo")
    assert re.findall(r'<span class="flex-grow-1">([^<]+)<', todo) == [
        "投诉待办", "待整改", "退回重改", "整改已逾期", "整改待验收", "申报待审核上报", "补贴待拨付企业", "信用待办",
        "待填双向评价", "维修资金申请被退回"]


# --- 待办 -------------------------------------------------------------------------------------------------

@pytest.fixture
def orders(world):
    """Orders of 梅花园 (firm 甲): two issued, one returned for rework, one answered and waiting for the
    street; one of 北庄花园 (firm 乙) issued."""
    street, firm = world.users["street_staff"], world.users["firm_user"]

    def issue(estate=world.estate_a1, actor=street):
        return order_issue(actor=actor, estate=estate, problem="消防通道堆放杂物", now=timezone.now())

    issue(), issue()
    returned = issue()
    order_answer(actor=firm, order=returned, answer="已清理", now=timezone.now())
    order_reject(actor=street, order=returned, reason="仍有杂物")
    order_answer(actor=firm, order=issue(), answer="已清理完毕", now=timezone.now())
    issue(world.estate_b1, world.users["street_staff2"])


def test_firm_todo_counts_the_orders_and_complaints_waiting_on_it(login, world, orders, make_complaint):
    make_complaint(to=Status.ASSIGNED)  # 梅花园: firm 甲 must sign for it
    make_complaint(to=Status.RECEIVED)  # the street must send it on: not the firm's
    client = login("firm_user")
    html = client.get(reverse("home")).content.decode()
    assert badge(html, "todo-count-complaint_tasks") == 1
    assert badge(html, "todo-count-orders_issued") == 2
    assert badge(html, "todo-count-orders_returned") == 1
    assert badge(html, "todo-count-orders_overdue") == 0
    assert badge(html, "todo-count") == 4
    # Each count is the number of rows of the page it links to.
    for testid, expected in (("orders_issued", 2), ("orders_returned", 1)):
        href = re.search(rf'href="([^"]+)"><span class="flex-grow-1">[^<]+</span><span class="[^"]+" '
                         rf'data-testid="todo-count-{testid}"', html).group(1).replace("&amp;", "&")
        assert client.get(href).context["total_count"] == expected, href
    tasks = client.get(reverse("complaints:tasks"))
    assert len(tasks.context["rows"]) == 1

    other = login("firm_user2").get(reverse("home")).content.decode()
    assert badge(other, "todo-count-orders_issued") == 1
    assert badge(other, "todo-count") == 1


def test_street_and_community_todo_counts_what_waits_on_them(login, world, orders, make_complaint):
    make_complaint(to=Status.RECEIVED)  # 梅花园, placed on the estate: 山城街道 must send it to the firm
    Application.objects.create(firm=world.firm1, estate=world.estate_a1, year=2026,
                               status=ApplicationStatus.SUBMITTED, submitted_by=world.users["firm_user"])
    Application.objects.create(firm=world.firm2, estate=world.estate_b1, year=2026,
                               status=ApplicationStatus.REPORTED, submitted_by=world.users["firm_user2"])
    html = login("street_staff").get(reverse("home")).content.decode()
    assert badge(html, "todo-count-complaint_tasks") == 1
    assert badge(html, "todo-count-orders_to_accept") == 1
    assert badge(html, "todo-count-applications_to_report") == 1
    assert badge(html, "todo-count-batches_to_pass_on") == 0
    assert badge(html, "todo-count") == 3

    clerk = login("community_clerk").get(reverse("home")).content.decode()
    todo = entry_html(clerk, "todo")  # one queue: 待办 is the link itself
    assert f'href="{reverse("inspections:order_list")}?status=answered"' in todo
    assert badge(todo, "todo-count") == 1

    district = login("district_admin").get(reverse("home")).content.decode()
    assert badge(district, "todo-count-applications_to_accept") == 1
    assert badge(district, "todo-count") == 1
    staff = login("district_staff").get(reverse("home")).content.decode()
    assert "todo-count-applications_to_accept" not in staff  # accepting is the administrators' step

    nothing = login("street_staff2").get(reverse("home")).content.decode()
    assert badge(nothing, "todo-count") is None  # no badge when nothing waits
    assert badge(nothing, "todo-count-orders_to_accept") == 0


def test_batch_todo_follows_the_approval_chain_and_each_streets_pass_on(login, sub_world):
    w = build_batches(sub_world)

    def counts(persona):
        html = login(persona).get(reverse("home")).content.decode()
        return {key: badge(html, f"todo-count-{key}") for key in
                ("batches_to_check", "batches_to_approve", "batches_to_disburse", "batches_to_pass_on")}

    assert counts("district_admin") == {"batches_to_check": 1, "batches_to_approve": 0, "batches_to_disburse": 0,
                                        "batches_to_pass_on": None}
    assert counts("district_staff")["batches_to_check"] == 1
    assert counts("district_admin_gc")["batches_to_check"] == 1  # 管城回族区's own batch
    ap.batch_transition(actor=w.users["district_staff"], batch=w.batch, action="check")
    assert counts("district_admin")["batches_to_approve"] == 1
    assert counts("district_staff")["batches_to_approve"] is None  # approval is the administrators' step
    ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="approve")
    assert counts("district_staff")["batches_to_disburse"] == 1
    assert counts("street_staff")["batches_to_pass_on"] == 0
    ap.batch_transition(actor=w.users["district_admin"], batch=w.batch, action="disburse",
                        disbursed_on=datetime.date(2025, 4, 10), voucher="SG-2025-0410")
    assert counts("district_admin")["batches_to_disburse"] == 0
    assert counts("street_staff")["batches_to_pass_on"] == 1
    assert counts("street_staff2")["batches_to_pass_on"] == 1
    # 山城街道 pays firm 甲 (its only firm with money in the batch): nothing left for it, 北庄街道 still owes.
    ap.pass_on_record(actor=w.users["street_staff"], batch=w.batch, street_id=w.shancheng.pk, firm_id=w.firm1.pk,
                      paid_on=datetime.date(2025, 4, 12), voucher="SC-1")
    w.batch.refresh_from_db()
    assert w.batch.status == BatchStatus.DISBURSED
    assert counts("street_staff")["batches_to_pass_on"] == 0
    assert counts("street_staff2")["batches_to_pass_on"] == 1


# --- cost --------------------------------------------------------------------------------------------------

def test_the_bell_and_every_queue_are_counted_in_one_query(world, orders, django_assert_num_queries):
    from django.utils import timezone

    from accounts.scope import scope_of

    user = world.users["street_staff"]
    notify(users=[user], key="menu-test", title="一条通知")
    unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    assert unread >= 1
    scope_of(user)  # the roles, read once per request
    assert len(menu.queues_for(user)) == 7
    with django_assert_num_queries(1):
        counts = menu.header_counts(user, timezone.now())
    assert counts.unread == unread
    assert counts.queues == {"complaint_tasks": 0, "orders_to_accept": 1, "applications_to_report": 0,
                             "batches_to_pass_on": 0, "credit_queue": 0, "evaluations_to_fill": 0,
                             "fund_returned": 0}


def _home_queries(client) -> list[str]:
    client.get(reverse("home"))  # the session is stamped once (accounts.middleware)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("persona,role", [("district_admin", Role.DISTRICT_ADMIN), ("street_staff", Role.STREET_STAFF),
                                          ("firm_user", Role.FIRM_USER)])
def test_home_queries_do_not_grow_with_the_menu(login, persona, role, monkeypatch):
    client = login(persona)
    before = _home_queries(client)
    # Give the role every entry holding every link and every queue (the pages themselves would refuse some:
    # this is about the cost of the menu only).
    everything = tuple((entry.key, tuple(menu.LINKS)) for entry in menu.ENTRIES if entry.key != menu.TODO_KEY)
    monkeypatch.setitem(menu.MENUS, role, everything)
    monkeypatch.setitem(menu.TODO, role, tuple(menu.QUEUES))
    after = _home_queries(client)
    html = client.get(reverse("home")).content.decode()
    assert top_labels(html) == [str(e.label) for e in menu.ENTRIES]
    assert badge(html, f"todo-count-{list(menu.QUEUES)[-1]}") == 0
    assert len(after) == len(before), "\n".join(after)
    assert sum("accounts_notification" in sql for sql in after) == 1


# --- the declaration --------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", list(menu.LINKS))
def test_every_declared_link_names_an_existing_page(key):
    assert reverse(menu.LINKS[key].url_name)


@pytest.mark.parametrize("key", list(menu.QUEUES))
def test_every_queue_names_an_existing_page_and_a_selector(key, world):
    from django.utils import timezone

    queue = menu.QUEUES[key]
    assert reverse(queue.url_name)
    rows = queue.rows(world.users["city_admin"], timezone.now())
    assert all(hasattr(qs, "query") for qs in (rows if isinstance(rows, tuple) else (rows,)))


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_a_menu_and_a_todo(role):
    entries = {e.key for e in menu.ENTRIES}
    assert menu.MENUS[role] and menu.TODO[role]
    for entry, links in menu.MENUS[role]:
        assert entry in entries and entry != menu.TODO_KEY
        assert links and set(links) <= set(menu.LINKS)
        assert len(links) == len(set(links))
    assert set(menu.TODO[role]) <= set(menu.QUEUES)
