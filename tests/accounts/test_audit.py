"""The audit page /accounts/audit/ (issue 15): every change to an account and its roles with who, when and
what, newest first, paginated, filtered by account, editor and dates; a city administrator sees all, a
district administrator the changes of their district's accounts and roles only."""
import datetime
import importlib
import re

import pytest
import time_machine
from django.apps import apps as django_apps

from accounts.audit import BASELINE_REASON, audit_entries
from accounts.models import Role, RoleAssignment, User
from accounts.services import user_create, user_deactivate, user_reset_password, user_role_add, user_role_remove

from ..factories import user_with_role

pytestmark = pytest.mark.django_db

TZ = datetime.timezone(datetime.timedelta(hours=8))
INITIAL = "Chu-Shi-Mi-Ma-2026"
MIGRATION = importlib.import_module("accounts.migrations.0008_user_history")
NOW = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def at(day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, tzinfo=TZ)


def _rows(page: str) -> list[str]:
    """The audit table's rows as plain text, in page order."""
    body = page[page.index('data-testid="audit-table"'):]
    rows = re.findall(r'<tr class="audit-row".*?</tr>', body, flags=re.S)
    return [re.sub(r"\s*：\s*", "：", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r))).strip() for r in rows]


def _forget_the_worlds_history():
    """The personas were made by factories a moment ago (today); the changes under test happen on fixed days."""
    User.history.all().delete()
    RoleAssignment.history.all().delete()


@pytest.fixture
def changes(world):
    """Changes in both districts, one day apart, by their own administrators and by the city."""
    _forget_the_worlds_history()
    st, gc, city = world.users["district_admin"], world.users["district_admin_gc"], world.users["city_admin"]
    with time_machine.travel(at(2), tick=False):
        st_new = user_create(actor=st, username="st_new_clerk", password=INITIAL, role=Role.STREET_STAFF,
                             target=world.shancheng, full_name="山亭新人")
    with time_machine.travel(at(3), tick=False):
        gc_new = user_create(actor=gc, username="gc_new_clerk", password=INITIAL, role=Role.STREET_STAFF,
                             target=world.zijingshan, full_name="管城新人")
    with time_machine.travel(at(4), tick=False):
        user_role_add(actor=st, user=st_new, role=Role.STREET_STAFF, target=world.beizhuang, now=at(4))
    with time_machine.travel(at(5), tick=False):
        user_deactivate(actor=gc, user=gc_new, now=NOW)
    with time_machine.travel(at(6), tick=False):
        user_reset_password(actor=city, user=world.users["firm_user"], password=INITIAL)
    return st_new, gc_new


def test_district_admin_sees_the_changes_of_their_districts_accounts_only(login, world, changes):
    page = login("district_admin").get("/accounts/audit/").content.decode()
    rows = _rows(page)
    text = "\n".join(rows)
    assert "st_new_clerk" in text and "firm_user" in text
    assert "gc_new_clerk" not in text and "管城新人" not in text and "紫荆山街道" not in text
    # newest first: the city's password reset, the added role, the new account (its role, then itself)
    assert rows[0].startswith("2026-11-06") and "管理员重设密码" in rows[0] and "city_admin" in rows[0]
    assert "添加角色" in rows[1] and "角色：— → 街道工作人员 · 北庄街道" in rows[1]


def test_city_admin_sees_every_change(login, world, changes):
    text = "\n".join(_rows(login("city_admin").get("/accounts/audit/").content.decode()))
    assert "st_new_clerk" in text and "gc_new_clerk" in text and "账号状态：正常 → 已停用" in text


def test_other_district_admin_does_not_see_shantings_changes(login, world, changes):
    text = "\n".join(_rows(login("district_admin_gc").get("/accounts/audit/").content.decode()))
    assert "gc_new_clerk" in text and "st_new_clerk" not in text and "北庄街道" not in text


def test_a_shared_clerks_role_in_another_district_stays_hidden(login, world):
    shared = user_with_role("shared_clerk", Role.STREET_STAFF, street=world.shancheng)
    user_role_add(actor=world.users["city_admin"], user=shared, role=Role.STREET_STAFF, target=world.zijingshan,
                  now=at(2))
    text = "\n".join(_rows(login("district_admin").get("/accounts/audit/?account=shared_clerk").content.decode()))
    assert "shared_clerk" in text and "紫荆山街道" not in text
    text = "\n".join(_rows(login("district_admin_gc").get("/accounts/audit/?account=shared_clerk").content.decode()))
    assert "紫荆山街道" in text


@pytest.mark.parametrize("persona", ["district_staff", "street_staff", "community_clerk", "firm_user"])
def test_audit_page_is_not_found_for_roles_without_user_management(login, world, persona):
    assert login(persona).get("/accounts/audit/").status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, world):
    response = client.get("/accounts/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_filters_by_account_editor_and_dates(login, world, changes):
    client = login("city_admin")
    by_account = _rows(client.get("/accounts/audit/?account=ST_NEW_CLERK").content.decode())
    assert len(by_account) == 3 and all("st_new_clerk" in r for r in by_account)
    by_editor = _rows(client.get("/accounts/audit/?editor=district_admin_gc").content.decode())
    assert len(by_editor) == 3 and all("district_admin_gc" in r for r in by_editor)
    assert not any("st_new_clerk" in r for r in by_editor)
    window = _rows(client.get("/accounts/audit/?date_from=2026-11-03&date_to=2026-11-05").content.decode())
    assert [r[:10] for r in window] == ["2026-11-05", "2026-11-04", "2026-11-03", "2026-11-03"]


@pytest.mark.parametrize("query, message", [
    ("account=no_such_user", "没有用户名为“no_such_user”的账号"),
    ("date_from=2026-11-05&date_to=2026-11-03", "截止日期不能早于起始日期"),
])
def test_a_bad_filter_says_why_and_lists_nothing(login, world, changes, query, message):
    page = login("city_admin").get(f"/accounts/audit/?{query}").content.decode()
    assert message in page and _rows(page) == []


def test_field_level_changes_are_shown_in_chinese(login, world, changes):
    st_new, gc_new = changes
    text = "\n".join(_rows(login("city_admin").get("/accounts/audit/").content.decode()))
    assert "账号状态：正常 → 已停用" in text
    assert "下次登录须修改密码：— → 是" in text and "姓名：— → 山亭新人" in text
    assert "角色：— → 街道工作人员 · 山城街道" in text


def test_removed_role_is_shown_with_its_unit(login, world):
    actor, clerk = world.users["district_admin"], world.users["street_staff"]
    second = user_role_add(actor=actor, user=clerk, role=Role.COMMUNITY_CLERK, target=world.meiyuan, now=at(2))
    user_role_remove(actor=actor, assignment=second)
    rows = _rows(login("district_admin").get("/accounts/audit/?account=street_staff").content.decode())
    assert "撤销角色" in rows[0] and "角色：社区工作人员 · 梅园社区 → —" in rows[0] and "district_admin" in rows[0]


def test_accounts_from_before_the_history_get_a_baseline_that_is_not_listed(login, world):
    """The migration's baseline rows (accounts that existed before their history was kept) are the state the
    first change is compared with, and are not changes themselves."""
    assert MIGRATION.BASELINE_REASON == BASELINE_REASON
    User.history.all().delete()
    RoleAssignment.history.all().delete()
    MIGRATION.baseline(django_apps, None)
    clerk = world.users["street_staff"]
    assert clerk.history.get().history_change_reason == BASELINE_REASON
    client = login("city_admin")
    assert _rows(client.get("/accounts/audit/").content.decode()) == []
    user_deactivate(actor=world.users["district_admin"], user=clerk, now=NOW)
    (row,) = _rows(client.get("/accounts/audit/").content.decode())
    assert "street_staff" in row and "账号状态：正常 → 已停用" in row and "停用账号" in row


def test_pages_hold_fifty_changes_newest_first(login, world):
    _forget_the_worlds_history()
    actor = world.users["district_admin"]
    clerk = world.users["street_staff"]
    for i in range(30):
        with time_machine.travel(at(1) + datetime.timedelta(minutes=i), tick=False):
            ra = user_role_add(actor=actor, user=clerk, role=Role.STREET_STAFF, target=world.beizhuang, now=at(1))
        with time_machine.travel(at(1) + datetime.timedelta(minutes=i, seconds=30), tick=False):
            user_role_remove(actor=actor, assignment=ra)
    client = login("district_admin")
    first = client.get("/accounts/audit/?account=street_staff").content.decode()
    second = client.get("/accounts/audit/?account=street_staff&page=2").content.decode()
    assert "共 60 条" in first and len(_rows(first)) == 50 and len(_rows(second)) == 10
    assert "10:29" in _rows(first)[0] and "撤销角色" in _rows(first)[0]
    assert "10:00" in _rows(second)[-1] and "添加角色" in _rows(second)[-1]


@pytest.mark.parametrize("persona", ["city_admin", "district_admin"])
def test_audit_page_runs_a_fixed_number_of_queries(login, world, persona, django_assert_max_num_queries):
    actor = world.users["district_admin"]
    client = login(persona)
    client.get("/accounts/audit/")  # warm the session

    def count(n):
        for i in range(n):
            user = user_create(actor=actor, username=f"clerk_{count.made}", password=INITIAL,
                               role=Role.COMMUNITY_CLERK, target=world.meiyuan)
            count.made += 1
            user_deactivate(actor=actor, user=user, now=NOW)
            second = user_role_add(actor=actor, user=user, role=Role.COMMUNITY_CLERK, target=world.ziwei, now=at(2))
            user_role_remove(actor=actor, assignment=second)
    count.made = 0
    count(2)
    with django_assert_max_num_queries(20) as few:
        client.get("/accounts/audit/")
    count(12)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        page = client.get("/accounts/audit/").content.decode()
    assert len(_rows(page)) == 50 and len(many.captured_queries) == len(few.captured_queries)


def test_audit_entries_of_someone_without_user_management_are_empty(world, changes):
    assert list(audit_entries(world.users["street_staff"])) == []
