"""User management in the browser: a city administrator manages every account; a district administrator
opens, deactivates and resets accounts of their own district's staff, streets, communities and firms only,
with one role each, never an administrator's role and never outside the district."""
import pytest
from django.utils import timezone
from django.core.exceptions import ValidationError

from accounts.models import Role, RoleAssignment, User
from accounts.services import role_grantable, user_create, user_deactivate, user_reset_password

from ..factories import FirmFactory, user_with_role

pytestmark = pytest.mark.django_db

INITIAL = "Chu-Shi-Mi-Ma-2026"
REFUSED_ROLE = "您无权在这个范围授予这个角色"


@pytest.fixture
def gc_firm(world):
    return FirmFactory(name="管城丙物业服务有限公司", registered_district=world.guancheng)


def _target(world, gc_firm, name):
    return {None: None, "shanting": world.shanting, "guancheng": world.guancheng, "shancheng": world.shancheng,
            "zijingshan": world.zijingshan, "meiyuan": world.meiyuan, "zidong": world.zidong,
            "firm1": world.firm1, "firm2": world.firm2, "gc_firm": gc_firm}[name]


# (role, target): what the district administrator of 山亭区 may never grant.
DISTRICT_ADMIN_REFUSED = [
    (Role.CITY_ADMIN, None),  # above their level
    (Role.DISTRICT_ADMIN, "shanting"),  # an administrator's role, even in their own district
    (Role.DISTRICT_ADMIN, "guancheng"),
    (Role.DISTRICT_STAFF, "guancheng"),  # outside their district
    (Role.STREET_STAFF, "zijingshan"),
    (Role.COMMUNITY_CLERK, "zidong"),
    (Role.FIRM_USER, "gc_firm"),  # a firm neither filed with nor serving 山亭区
    (Role.STREET_STAFF, "meiyuan"),  # a role naming the wrong kind of unit
    (Role.FIRM_USER, None),
]
DISTRICT_ADMIN_GRANTED = [
    (Role.DISTRICT_STAFF, "shanting"),
    (Role.STREET_STAFF, "shancheng"),
    (Role.COMMUNITY_CLERK, "meiyuan"),
    (Role.FIRM_USER, "firm1"),  # serves 梅花园
    (Role.FIRM_USER, "firm2"),
]


@pytest.mark.parametrize("role, target", DISTRICT_ADMIN_REFUSED)
def test_district_admin_cannot_grant_a_role_outside_their_scope_or_above_their_level(world, gc_firm, role, target):
    actor = world.users["district_admin"]
    target = _target(world, gc_firm, target)
    assert not role_grantable(actor=actor, role=role, target=target)
    with pytest.raises(ValidationError) as exc:
        user_create(actor=actor, username="new_account", password=INITIAL, role=role, target=target)
    assert REFUSED_ROLE in exc.value.message_dict["role"][0]
    assert not User.objects.filter(username="new_account").exists()


@pytest.mark.parametrize("role, target", DISTRICT_ADMIN_GRANTED)
def test_district_admin_opens_accounts_with_one_role_in_their_district(world, gc_firm, role, target):
    actor = world.users["district_admin"]
    target = _target(world, gc_firm, target)
    user = user_create(actor=actor, username="new_account", password=INITIAL, role=role, target=target,
                       full_name="测试用户")
    assert user.must_change_password and user.check_password(INITIAL)
    (assignment,) = RoleAssignment.objects.filter(user=user)
    assert assignment.role == role
    assert target in (assignment.district, assignment.street, assignment.community, assignment.firm)


@pytest.mark.parametrize("role, target", DISTRICT_ADMIN_REFUSED[:7] + DISTRICT_ADMIN_GRANTED)
def test_city_admin_may_grant_every_role_anywhere(world, gc_firm, role, target):
    target = _target(world, gc_firm, target)
    user = user_create(actor=world.users["city_admin"], username="new_account", password=INITIAL, role=role,
                       target=target)
    assert user.roles.get().role == role


@pytest.mark.parametrize("persona", ["district_staff", "street_staff", "community_clerk", "firm_user"])
def test_other_roles_grant_nothing_and_do_not_see_the_user_page(login, world, persona):
    actor = world.users[persona]
    assert not role_grantable(actor=actor, role=Role.STREET_STAFF, target=world.shancheng)
    with pytest.raises(ValidationError):
        user_create(actor=actor, username="new_account", password=INITIAL, role=Role.STREET_STAFF,
                    target=world.shancheng)
    client = login(persona)
    assert client.get("/accounts/users/").status_code == 404
    assert client.get("/accounts/users/new/").status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, world):
    response = client.get("/accounts/users/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_district_admin_lists_the_accounts_of_their_district_only(login, world, gc_firm):
    user_with_role("gc_firm_user", Role.FIRM_USER, firm=gc_firm)
    page = login("district_admin").get("/accounts/users/").content.decode()
    for username in ("district_admin", "district_staff", "street_staff", "street_staff2", "community_clerk",
                     "firm_user", "firm_user2"):
        assert f'data-username="{username}"' in page, username
    for username in ("city_admin", "district_admin_gc", "gc_firm_user"):
        assert f'data-username="{username}"' not in page, username


def test_city_admin_lists_every_account(login, world):
    client = login("city_admin")
    listing = client.get("/accounts/users/").content.decode()
    assert 'data-username="district_admin_gc"' in listing and 'data-username="firm_user"' in listing


def test_district_admin_opens_a_street_clerk_account_in_the_browser_who_must_change_password(client, world):
    client.force_login(world.users["district_admin"])
    form = client.get("/accounts/users/new/")
    options = form.content.decode()
    assert "山城街道" in options and "紫荆山街道" not in options and "市级管理员" not in options
    response = client.post("/accounts/users/new/", {
        "username": "new_street_clerk", "full_name": "测试街道", "role": "street_staff",
        "street": world.shancheng.pk, "password1": INITIAL, "password2": INITIAL,
    })
    assert response.status_code == 302 and response["Location"] == "/accounts/users/"
    assert "已开设账号 new_street_clerk" in client.get("/accounts/users/").content.decode()
    new = User.objects.get(username="new_street_clerk")
    assert new.must_change_password
    assert new.roles.get().street == world.shancheng

    client.force_login(new)
    assert client.get("/estates/")["Location"] == "/accounts/password/"


@pytest.mark.parametrize("data, field_message", [
    ({"role": "street_staff", "street": "zijingshan"}, "选择一个有效的选项"),  # a street of another district
    ({"role": "district_admin", "district": "shanting"}, "选择一个有效的选项"),  # not offered
    ({"role": "street_staff"}, "这个角色须选择所属的街道"),
    ({"role": "street_staff", "street": "shancheng", "password1": "Ab-3", "password2": "Ab-3"},
     "密码长度太短，至少需要 10 个字符"),
    ({"role": "street_staff", "street": "shancheng", "password2": "Another-One-2026"}, "两次输入的密码不一致"),
    ({"role": "street_staff", "street": "shancheng", "username": "street_staff"}, "这个用户名已被使用"),
])
def test_refused_account_forms_say_why_in_chinese(login, world, gc_firm, data, field_message):
    post = {"username": "new_account", "password1": INITIAL, "password2": INITIAL, **data}
    for key in ("district", "street", "community", "firm"):
        if key in post:
            post[key] = _target(world, gc_firm, post[key]).pk
    before = User.objects.count()
    response = login("district_admin").post("/accounts/users/new/", post)
    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert User.objects.count() == before


def test_district_admin_resets_a_firm_users_password_who_must_then_change_it(login, world):
    client = login("district_admin")
    target = world.users["firm_user"]
    refused = client.post(f"/accounts/users/{target.pk}/password/", {"password1": "short", "password2": "short"})
    assert "密码长度太短" in refused.content.decode()
    response = client.post(f"/accounts/users/{target.pk}/password/", {"password1": INITIAL, "password2": INITIAL})
    assert response["Location"] == "/accounts/users/"
    target.refresh_from_db()
    assert target.check_password(INITIAL) and target.must_change_password


def test_district_admin_deactivates_a_street_clerk(login, world):
    client = login("district_admin")
    target = world.users["street_staff"]
    assert client.post(f"/accounts/users/{target.pk}/deactivate/")["Location"] == "/accounts/users/"
    target.refresh_from_db()
    assert not target.is_active
    assert "已停用账号 street_staff" in client.get("/accounts/users/").content.decode()


@pytest.mark.parametrize("persona", ["city_admin", "district_admin_gc"])
def test_accounts_outside_the_district_are_not_found(login, world, persona):
    client = login("district_admin")
    target = world.users[persona]
    assert client.post(f"/accounts/users/{target.pk}/deactivate/").status_code == 404
    assert client.get(f"/accounts/users/{target.pk}/password/").status_code == 404
    target.refresh_from_db()
    assert target.is_active


def test_district_admin_cannot_touch_themselves_a_peer_or_a_clerk_who_also_works_elsewhere(world):
    actor = world.users["district_admin"]
    peer = user_with_role("second_district_admin", Role.DISTRICT_ADMIN, district=world.shanting)
    shared = user_with_role("shared_clerk", Role.STREET_STAFF, street=world.shancheng)
    RoleAssignment.objects.create(user=shared, role=Role.STREET_STAFF, street=world.zijingshan)
    for user, message in ((actor, "不能停用或重设自己的账号"), (peer, "这个账号不在您的管理范围内"),
                          (shared, "这个账号不在您的管理范围内")):
        with pytest.raises(ValidationError) as exc:
            user_deactivate(actor=actor, user=user, now=timezone.now())
        assert message in exc.value.messages[0]
        with pytest.raises(ValidationError):
            user_reset_password(actor=actor, user=user, password=INITIAL)
        user.refresh_from_db()
        assert user.is_active and not user.must_change_password


def test_refused_deactivation_in_the_browser_shows_the_reason(login, world):
    shared = user_with_role("shared_clerk", Role.STREET_STAFF, street=world.shancheng)
    RoleAssignment.objects.create(user=shared, role=Role.STREET_STAFF, street=world.zijingshan)
    client = login("district_admin")
    page = client.get("/accounts/users/").content.decode()
    row = page[page.index('data-username="shared_clerk"'):]
    assert "仅可查看" in row[:row.index("</tr>")]
    response = client.post(f"/accounts/users/{shared.pk}/deactivate/", follow=True)
    assert "这个账号不在您的管理范围内" in response.content.decode()
    shared.refresh_from_db()
    assert shared.is_active


@pytest.mark.parametrize("persona", ["city_admin", "district_admin"])
def test_user_list_runs_a_fixed_number_of_queries(login, world, persona, django_assert_max_num_queries):
    for i in range(30):
        user_with_role(f"extra_clerk_{i}", Role.COMMUNITY_CLERK, community=world.meiyuan)
    client = login(persona)
    client.get("/accounts/users/")  # warm the session
    with django_assert_max_num_queries(20):
        page = client.get("/accounts/users/").content.decode()
    assert page.count('data-username="extra_clerk_') == 30
