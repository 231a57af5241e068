"""User management in a real browser (issue 15): 山亭区's district administrator opens an account for a new
street clerk, gives the clerk a second street, and finds both changes on the audit page with their name as
the editor. Screenshots: test-results/user-admin-*.png."""
import pytest
from playwright.sync_api import expect

from accounts.models import Role, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INITIAL = "Chu-Shi-Mi-Ma-2026"


def test_district_admin_opens_an_account_adds_a_street_and_sees_it_audited(page, live_server, world, log_in, shot):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "district_admin", world.password)

    page.goto(f"{live_server.url}/accounts/users/")
    page.get_by_test_id("user-create").click()
    page.wait_for_url(f"{live_server.url}/accounts/users/new/")
    page.fill("#id_username", "new_street_clerk")
    page.fill("#id_full_name", "测试街道")
    page.select_option("#id_role", "street_staff")
    page.select_option("#id_street", label="山城街道")
    page.fill("#id_password1", INITIAL)
    page.fill("#id_password2", INITIAL)
    page.get_by_role("button", name="开设").click()
    page.wait_for_url(f"{live_server.url}/accounts/users/")
    expect(page.get_by_text("已开设账号 new_street_clerk")).to_be_visible()

    page.locator('tr[data-username="new_street_clerk"]').get_by_role("link", name="new_street_clerk").click()
    clerk = User.objects.get(username="new_street_clerk")
    page.wait_for_url(f"{live_server.url}/accounts/users/{clerk.pk}/")
    # the unit lists hold the district's own units only
    streets = page.locator("#id_street option").all_inner_texts()
    assert "北庄街道" in streets and "紫荆山街道" not in streets
    page.select_option("#id_role", "street_staff")
    page.select_option("#id_street", label="北庄街道")
    page.get_by_test_id("add-role").click()
    page.wait_for_url(f"{live_server.url}/accounts/users/{clerk.pk}/")
    expect(page.get_by_text("已为 new_street_clerk 添加角色：街道工作人员 · 北庄街道")).to_be_visible()
    expect(page.get_by_test_id("roles").locator(".role-row")).to_have_count(2)
    assert sorted(r.street.name for r in clerk.roles.filter(role=Role.STREET_STAFF).select_related("street")) == [
        "北庄街道", "山城街道"]
    shot(page, "user-admin-user-page")

    page.get_by_test_id("user-history").click()
    page.wait_for_url(f"{live_server.url}/accounts/audit/?account=new_street_clerk")
    rows = page.locator("tr.audit-row")
    expect(rows).to_have_count(3)  # the account, its first role, the added role: newest first
    newest = rows.first.inner_text()
    assert "添加角色" in newest and "街道工作人员 · 北庄街道" in newest and "district_admin" in newest
    assert "开设账号" in rows.nth(2).inner_text()
    shot(page, "user-admin-audit")
