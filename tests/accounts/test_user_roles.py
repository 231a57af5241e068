"""Changing an existing account's roles and state in the browser (issue 15): a district administrator adds
and removes roles of their own district's accounts only, never above their level; the last role is never
removed (the account is deactivated instead); a deactivated account is enabled again. Every change is kept
in the account's history with the editor and the reason."""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ApiToken, Role, RoleAssignment, User
from accounts.services import (
    user_create,
    user_deactivate,
    user_reactivate,
    user_reset_password,
    user_role_add,
    user_role_remove,
)

from ..factories import FirmFactory, user_with_role

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
INITIAL = "Chu-Shi-Mi-Ma-2026"
REFUSED_ROLE = "您无权在这个范围授予这个角色"
OUT_OF_SCOPE = "这个账号不在您的管理范围内"


@pytest.fixture
def gc_firm(world):
    return FirmFactory(name="管城丙物业服务有限公司", registered_district=world.guancheng)


def _target(world, gc_firm, name):
    return {None: None, "shanting": world.shanting, "guancheng": world.guancheng, "shancheng": world.shancheng,
            "beizhuang": world.beizhuang, "zijingshan": world.zijingshan, "meiyuan": world.meiyuan,
            "zidong": world.zidong, "firm1": world.firm1, "firm2": world.firm2, "gc_firm": gc_firm}[name]


def _roles(user):
    return sorted((ra.role, str(ra.district or ra.street or ra.community or ra.firm or ""))
                  for ra in RoleAssignment.objects.filter(user=user))


def _history_counts(user):
    return user.history.count(), RoleAssignment.history.filter(user_id=user.pk).count()


# (role, target) a district administrator of 山亭区 may never add to an account of their district.
REFUSED = [
    (Role.CITY_ADMIN, None),  # above their level
    (Role.DISTRICT_ADMIN, "shanting"),  # an administrator's role, even in their own district
    (Role.DISTRICT_ADMIN, "guancheng"),
    (Role.DISTRICT_STAFF, "guancheng"),  # outside their district
    (Role.STREET_STAFF, "zijingshan"),
    (Role.COMMUNITY_CLERK, "zidong"),
    (Role.FIRM_USER, "gc_firm"),  # a firm neither filed with nor serving 山亭区
    (Role.STREET_STAFF, "meiyuan"),  # a role naming the wrong kind of unit
    (Role.COMMUNITY_CLERK, None),
]
GRANTED = [
    (Role.DISTRICT_STAFF, "shanting"),
    (Role.STREET_STAFF, "beizhuang"),
    (Role.COMMUNITY_CLERK, "meiyuan"),
    (Role.FIRM_USER, "firm2"),
]


@pytest.mark.parametrize("role, target", REFUSED)
def test_district_admin_cannot_add_a_role_outside_their_scope_or_above_their_level(world, gc_firm, role, target):
    clerk = world.users["street_staff"]
    before, history = _roles(clerk), _history_counts(clerk)
    with pytest.raises(ValidationError) as exc:
        user_role_add(actor=world.users["district_admin"], user=clerk, role=role,
                      target=_target(world, gc_firm, target), now=NOW)
    assert REFUSED_ROLE in exc.value.message_dict["role"][0]
    assert _roles(clerk) == before and _history_counts(clerk) == history


@pytest.mark.parametrize("role, target", GRANTED)
def test_district_admin_adds_a_role_inside_their_district_and_it_is_recorded(world, gc_firm, role, target):
    clerk, actor = world.users["street_staff"], world.users["district_admin"]
    unit = _target(world, gc_firm, target)
    assignment = user_role_add(actor=actor, user=clerk, role=role, target=unit, now=NOW)
    assert (Role.STREET_STAFF, "山城街道") in _roles(clerk) and (role, str(unit)) in _roles(clerk)
    record = RoleAssignment.history.get(id=assignment.pk)
    assert (record.history_type, record.history_user, record.history_change_reason) == ("+", actor, "添加角色")


@pytest.mark.parametrize("role, target", REFUSED[:7] + GRANTED)
def test_city_admin_adds_every_role_anywhere(world, gc_firm, role, target):
    clerk = world.users["street_staff"]
    user_role_add(actor=world.users["city_admin"], user=clerk, role=role, target=_target(world, gc_firm, target),
                  now=NOW)
    assert len(_roles(clerk)) == 2


@pytest.mark.parametrize("persona", ["district_staff", "street_staff", "community_clerk", "firm_user"])
def test_roles_without_user_management_change_no_roles(world, persona):
    clerk = user_with_role("another_clerk", Role.COMMUNITY_CLERK, community=world.meiyuan)
    second = user_with_role("second_clerk", Role.COMMUNITY_CLERK, community=world.ziwei)
    RoleAssignment.objects.create(user=second, role=Role.COMMUNITY_CLERK, community=world.meiyuan)
    actor = world.users[persona]
    with pytest.raises(ValidationError):
        user_role_add(actor=actor, user=clerk, role=Role.COMMUNITY_CLERK, target=world.ziwei, now=NOW)
    with pytest.raises(ValidationError):
        user_role_remove(actor=actor, assignment=second.roles.first())
    assert len(_roles(clerk)) == 1 and len(_roles(second)) == 2


def _shared_clerk(world):
    """A clerk of 山城街道 (山亭区) who also works for 紫荆山街道 (管城回族区)."""
    shared = user_with_role("shared_clerk", Role.STREET_STAFF, street=world.shancheng)
    RoleAssignment.objects.create(user=shared, role=Role.STREET_STAFF, street=world.zijingshan)
    return shared


@pytest.mark.parametrize("who", ["self", "peer_admin", "other_district_admin", "city_admin", "shared_clerk"])
def test_accounts_beyond_the_district_admins_scope_stay_untouched(world, who):
    actor = world.users["district_admin"]
    user = {"self": lambda: actor,
            "peer_admin": lambda: user_with_role("second_admin", Role.DISTRICT_ADMIN, district=world.shanting),
            "other_district_admin": lambda: world.users["district_admin_gc"],
            "city_admin": lambda: world.users["city_admin"],
            "shared_clerk": lambda: _shared_clerk(world)}[who]()
    if len(_roles(user)) < 2:
        RoleAssignment.objects.create(user=user, role=Role.STREET_STAFF, street=world.beizhuang)
    before, history = _roles(user), _history_counts(user)
    expected = "不能停用或重设自己的账号，也不能修改自己的角色" if who == "self" else OUT_OF_SCOPE
    with pytest.raises(ValidationError, match=expected):
        user_role_add(actor=actor, user=user, role=Role.COMMUNITY_CLERK, target=world.meiyuan, now=NOW)
    mine = RoleAssignment.objects.filter(user=user, street=world.shancheng).first() or \
        RoleAssignment.objects.filter(user=user, street=world.beizhuang).first()
    with pytest.raises(ValidationError, match=expected):
        user_role_remove(actor=actor, assignment=mine)
    assert _roles(user) == before and _history_counts(user) == history


def test_the_last_role_is_never_removed_and_the_message_says_to_deactivate(world):
    clerk = world.users["street_staff"]
    with pytest.raises(ValidationError, match="不能撤销账号的最后一个角色.*请停用账号"):
        user_role_remove(actor=world.users["district_admin"], assignment=clerk.roles.get())
    assert _roles(clerk) == [(Role.STREET_STAFF, "山城街道")]


def test_removing_a_role_is_recorded_with_the_editor(world):
    actor, clerk = world.users["district_admin"], world.users["street_staff"]
    second = user_role_add(actor=actor, user=clerk, role=Role.STREET_STAFF, target=world.beizhuang, now=NOW)
    user_role_remove(actor=actor, assignment=second)
    assert _roles(clerk) == [(Role.STREET_STAFF, "山城街道")]
    gone = RoleAssignment.history.filter(id=second.pk).order_by("history_id").last()
    assert (gone.history_type, gone.history_user, gone.history_change_reason, gone.street_id) == (
        "-", actor, "撤销角色", world.beizhuang.pk)


def test_a_role_the_account_already_holds_is_refused(world):
    with pytest.raises(ValidationError, match="这个账号已有这个角色"):
        user_role_add(actor=world.users["district_admin"], user=world.users["street_staff"],
                      role=Role.STREET_STAFF, target=world.shancheng, now=NOW)


def test_an_account_with_a_usable_api_token_keeps_its_one_role(world):
    clerk, actor = world.users["street_staff"], world.users["district_admin"]
    ApiToken.objects.create(name="12345 热线平台", user=clerk, prefix="abc123", key_hash="0" * 64, created_at=NOW,
                            created_by=actor, expires_at=NOW + datetime.timedelta(days=30))
    with pytest.raises(ValidationError, match="有效的接口令牌"):
        user_role_add(actor=actor, user=clerk, role=Role.STREET_STAFF, target=world.beizhuang, now=NOW)
    # once expired it no longer stands in the way
    user_role_add(actor=actor, user=clerk, role=Role.STREET_STAFF, target=world.beizhuang,
                  now=NOW + datetime.timedelta(days=31))
    assert len(_roles(clerk)) == 2


def test_deactivated_account_is_enabled_again_with_its_roles_and_both_steps_are_recorded(world):
    actor, clerk = world.users["district_admin"], world.users["street_staff"]
    user_deactivate(actor=actor, user=clerk, now=NOW)
    with pytest.raises(ValidationError, match="已经停用"):
        user_deactivate(actor=actor, user=clerk, now=NOW)
    user_reactivate(actor=actor, user=clerk)
    with pytest.raises(ValidationError, match="没有停用"):
        user_reactivate(actor=actor, user=clerk)
    clerk.refresh_from_db()
    assert clerk.is_active and _roles(clerk) == [(Role.STREET_STAFF, "山城街道")]
    steps = list(clerk.history.order_by("history_id").values_list("is_active", "history_user_id",
                                                                  "history_change_reason"))[-2:]
    assert steps == [(False, actor.pk, "停用账号"), (True, actor.pk, "重新启用账号")]


def test_reactivating_an_account_beyond_the_scope_is_refused(world):
    other = world.users["district_admin_gc"]
    User.objects.filter(pk=other.pk).update(is_active=False)
    with pytest.raises(ValidationError, match=OUT_OF_SCOPE):
        user_reactivate(actor=world.users["district_admin"], user=other)
    other.refresh_from_db()
    assert not other.is_active


# --- history of the other changes -------------------------------------------------------------------------

def test_opening_an_account_records_the_account_and_its_role_with_the_editor(world):
    actor = world.users["district_admin"]
    new = user_create(actor=actor, username="new_clerk", password=INITIAL, role=Role.STREET_STAFF,
                      target=world.shancheng, full_name="测试用户")
    (row,) = new.history.all()
    assert (row.history_type, row.history_user, row.history_change_reason, row.must_change_password) == (
        "+", actor, "开设账号", True)
    (role_row,) = RoleAssignment.history.filter(user_id=new.pk)
    assert (role_row.history_type, role_row.history_user, role_row.street_id) == ("+", actor, world.shancheng.pk)


def test_history_keeps_neither_the_password_hash_nor_the_last_login(world):
    fields = {f.name for f in User.history.model._meta.get_fields()}
    assert "password" not in fields and "last_login" not in fields and "must_change_password" in fields


def test_password_reset_by_an_admin_is_recorded_with_the_admin(world):
    actor, firm_user = world.users["district_admin"], world.users["firm_user"]
    user_reset_password(actor=actor, user=firm_user, password=INITIAL)
    row = firm_user.history.order_by("history_id").last()
    assert (row.history_user, row.history_change_reason, row.must_change_password) == (actor, "管理员重设密码", True)


def test_own_password_change_is_recorded_as_the_users_own(client, world):
    user = world.users["street_staff"]
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    client.force_login(user)
    response = client.post("/accounts/password/", {"old_password": world.password,
                                                    "new_password1": "Wo-De-Xin-Mi-Ma-2026",
                                                    "new_password2": "Wo-De-Xin-Mi-Ma-2026"})
    assert response.status_code == 302
    row = user.history.order_by("history_id").last()
    assert (row.history_user, row.history_change_reason, row.must_change_password) == (user, "本人修改密码", False)


def test_logging_in_writes_no_history(client, world):
    user = world.users["street_staff"]
    before = user.history.count()
    response = client.post("/accounts/login/", {"username": "street_staff", "password": world.password})
    assert response.status_code == 302 and response["Location"] == "/"
    user.refresh_from_db()
    assert user.last_login is not None and user.history.count() == before


def test_admin_site_password_change_records_the_forced_change(client, world):
    target = world.users["firm_user"]
    client.force_login(world.users["city_admin"])
    world.users["city_admin"].is_superuser = True
    world.users["city_admin"].save(update_fields=["is_superuser"])
    client.post(f"/admin/accounts/user/{target.pk}/password/",
                {"password1": INITIAL, "password2": INITIAL, "usable_password": "true"})
    row = target.history.order_by("history_id").last()
    assert (row.history_user, row.must_change_password) == (world.users["city_admin"], True)
    assert row.history_change_reason == "管理员设置密码，要求下次登录修改"


# --- the pages -------------------------------------------------------------------------------------------

def test_user_page_offers_roles_of_the_district_only_and_adds_one(login, world):
    client = login("district_admin")
    clerk = world.users["street_staff"]
    page = client.get(f"/accounts/users/{clerk.pk}/").content.decode()
    assert "添加角色" in page and "北庄街道" in page and "紫荆山街道" not in page and "市级管理员" not in page
    assert f'href="/accounts/audit/?account=street_staff"' in page
    response = client.post(f"/accounts/users/{clerk.pk}/", {"role": "street_staff", "street": world.beizhuang.pk})
    assert response.status_code == 302 and response["Location"] == f"/accounts/users/{clerk.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "已为 street_staff 添加角色：街道工作人员 · 北庄街道" in page
    assert _roles(clerk) == [(Role.STREET_STAFF, "北庄街道"), (Role.STREET_STAFF, "山城街道")]


@pytest.mark.parametrize("data, message", [
    ({"role": "street_staff", "street": "zijingshan"}, "选择一个有效的选项"),  # a street of another district
    ({"role": "district_admin", "district": "shanting"}, "选择一个有效的选项"),  # not offered
    ({"role": "street_staff"}, "这个角色须选择所属的街道"),
    ({"role": "street_staff", "street": "shancheng"}, "这个账号已有这个角色"),
])
def test_refused_role_forms_say_why_in_chinese(login, world, gc_firm, data, message):
    clerk = world.users["street_staff"]
    post = dict(data)
    for key in ("district", "street"):
        if key in post:
            post[key] = _target(world, gc_firm, post[key]).pk
    response = login("district_admin").post(f"/accounts/users/{clerk.pk}/", post)
    assert response.status_code == 400 and message in response.content.decode()
    assert _roles(clerk) == [(Role.STREET_STAFF, "山城街道")]


def test_removing_a_role_in_the_browser_and_the_last_one_refused(login, world):
    client = login("district_admin")
    clerk = world.users["street_staff"]
    second = RoleAssignment.objects.create(user=clerk, role=Role.STREET_STAFF, street=world.beizhuang)
    response = client.post(f"/accounts/users/{clerk.pk}/roles/{second.pk}/remove/", follow=True)
    assert "已撤销 street_staff 的角色：街道工作人员 · 北庄街道" in response.content.decode()
    last = clerk.roles.get()
    page = client.get(f"/accounts/users/{clerk.pk}/").content.decode()
    assert "最后一个角色不能撤销" in page and 'data-testid="remove-role"' not in page
    response = client.post(f"/accounts/users/{clerk.pk}/roles/{last.pk}/remove/", follow=True)
    assert "不能撤销账号的最后一个角色" in response.content.decode()
    assert clerk.roles.count() == 1


def test_a_shared_clerk_is_shown_view_only_and_its_forms_are_refused(login, world):
    shared = _shared_clerk(world)
    client = login("district_admin")
    page = client.get(f"/accounts/users/{shared.pk}/").content.decode()
    assert 'data-testid="view-only"' in page and 'data-testid="add-role"' not in page
    assert 'data-testid="remove-role"' not in page and 'data-testid="deactivate"' not in page
    response = client.post(f"/accounts/users/{shared.pk}/", {"role": "street_staff", "street": world.beizhuang.pk})
    assert response.status_code == 400 and OUT_OF_SCOPE in response.content.decode()
    mine = shared.roles.get(street=world.shancheng)
    response = client.post(f"/accounts/users/{shared.pk}/roles/{mine.pk}/remove/", follow=True)
    assert OUT_OF_SCOPE in response.content.decode()
    assert shared.roles.count() == 2


@pytest.mark.parametrize("persona", ["city_admin", "district_admin_gc"])
def test_user_pages_of_accounts_outside_the_district_are_not_found(login, world, persona):
    client = login("district_admin")
    target = world.users[persona]
    assert client.get(f"/accounts/users/{target.pk}/").status_code == 404
    assert client.post(f"/accounts/users/{target.pk}/reactivate/").status_code == 404
    role = target.roles.first()
    assert client.post(f"/accounts/users/{target.pk}/roles/{role.pk}/remove/").status_code == 404
    assert target.roles.count() == 1


@pytest.mark.parametrize("persona", ["district_staff", "street_staff", "community_clerk", "firm_user"])
def test_user_page_is_not_found_for_roles_without_user_management(login, world, persona):
    clerk = world.users["street_staff"]
    assert login(persona).get(f"/accounts/users/{clerk.pk}/").status_code == 404


def test_deactivate_and_reactivate_from_the_user_page_return_to_it(login, world):
    client = login("district_admin")
    clerk = world.users["street_staff"]
    here = f"/accounts/users/{clerk.pk}/"
    response = client.post(f"/accounts/users/{clerk.pk}/deactivate/", {"next": here})
    assert response["Location"] == here
    page = client.get(here).content.decode()
    assert "已停用账号 street_staff" in page and 'data-testid="reactivate"' in page
    assert client.post(f"/accounts/users/{clerk.pk}/reactivate/", {"next": "https://example.com/"})[
        "Location"] == "/accounts/users/"  # never to another site
    clerk.refresh_from_db()
    assert clerk.is_active
    listing = client.get("/accounts/users/").content.decode()
    assert "已重新启用账号 street_staff" in listing


def test_user_list_offers_reactivation_of_a_deactivated_account(login, world):
    clerk = world.users["street_staff"]
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    page = login("district_admin").get("/accounts/users/").content.decode()
    row = page[page.index('data-username="street_staff"'):]
    assert 'data-testid="reactivate"' in row[:row.index("</tr>")]


def test_user_page_shows_the_latest_changes(login, world):
    actor, clerk = world.users["district_admin"], world.users["street_staff"]
    user_deactivate(actor=actor, user=clerk, now=NOW)
    page = login("district_admin").get(f"/accounts/users/{clerk.pk}/").content.decode()
    assert "账号状态</strong>：正常 → 已停用" in page and "停用账号" in page
    assert timezone.localtime().strftime("%Y-%m-%d") in page
