"""Passwords in the browser: change one's own, reset by e-mail (rate-limited, revealing nothing), and the
forced change after someone else chose the password."""
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail

from accounts.models import User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Qing-Shan-Lu-77"


def _log_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


# --- change ---------------------------------------------------------------------------------------------

def test_header_user_menu_links_to_password_change(login):
    page = login("firm_user").get("/accounts/notifications/").content.decode()
    assert 'data-testid="password-change-link"' in page
    assert 'href="/accounts/password/"' in page


def test_anonymous_visitor_is_sent_to_login_from_password_change(client):
    response = client.get("/accounts/password/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_user_changes_password_and_stays_logged_in(client, world):
    _log_in(client, "street_staff", world.password)
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    response = client.post("/accounts/password/", {
        "old_password": world.password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })
    assert response.status_code == 302 and response["Location"] == "/"
    assert "密码已修改" in client.get("/accounts/notifications/").content.decode()
    assert SESSION_KEY in client.session  # the session survives its own password change
    user = User.objects.get(username="street_staff")
    assert user.check_password(NEW_PASSWORD) and not user.check_password(world.password)
    client.post("/accounts/logout/")
    assert _log_in(client, "street_staff", world.password).status_code == 200  # the old one is refused
    assert _log_in(client, "street_staff", NEW_PASSWORD)["Location"] == "/"


@pytest.mark.parametrize("old, new1, new2, message", [
    ("wrong-old-password", NEW_PASSWORD, NEW_PASSWORD, "你的旧密码不正确"),
    (None, NEW_PASSWORD, "Qing-Shan-Lu-78", "输入的两个密码不一致"),
    (None, "Ab-3", "Ab-3", "密码长度太短，至少需要 10 个字符"),
    (None, "8317502946153", "8317502946153", "密码只包含数字"),
    (None, "password123", "password123", "这个密码太常见了"),
])
def test_password_change_refusals_are_in_chinese(login, world, old, new1, new2, message):
    client = login("community_clerk")
    response = client.post("/accounts/password/", {
        "old_password": old or world.password, "new_password1": new1, "new_password2": new2,
    })
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.get(username="community_clerk").check_password(world.password)


# --- reset by e-mail --------------------------------------------------------------------------------------

def _reset_link(message):
    match = re.search(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_login_page_links_to_password_reset(client):
    page = client.get("/accounts/login/").content.decode()
    assert "忘记密码？" in page and 'href="/accounts/password/reset/"' in page


def test_password_reset_by_email_sets_a_new_password_through_the_link(client, world):
    user = world.users["firm_user"]
    user.email = "firm.user@example.com"
    user.save(update_fields=["email"])
    response = client.post("/accounts/password/reset/", {"email": "Firm.User@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["firm.user@example.com"]
    assert "重设密码" in message.subject and "firm_user" in message.body
    link = _reset_link(message)

    form_page = client.get(link, follow=True)
    assert "设置新密码" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]  # Django moves the token out of the address
    refused = client.post(set_url, {"new_password1": "short", "new_password2": "short"})
    assert "密码长度太短" in refused.content.decode()
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    assert "新密码已保存" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _log_in(client, "firm_user", NEW_PASSWORD)["Location"] == "/"

    client.post("/accounts/logout/")
    again = client.get(link, follow=True)  # a link works once
    assert 'data-testid="reset-invalid"' in again.content.decode()


def test_password_reset_answers_the_same_for_an_unknown_address(client, world):
    world.users["firm_user"].email = "known@example.com"
    world.users["firm_user"].save(update_fields=["email"])
    known = client.post("/accounts/password/reset/", {"email": "known@example.com"}, follow=True)
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [("/accounts/password/reset/sent/", 302)]
    csrf = re.compile(rb'"X-CSRFToken": "[^"]*"')
    assert csrf.sub(b"", known.content) == csrf.sub(b"", unknown.content)
    assert [m.to for m in mail.outbox] == [["known@example.com"]]


def test_inactive_account_gets_no_reset_mail(client, world):
    user = world.users["street_staff2"]
    user.email, user.is_active = "gone@example.com", False
    user.save(update_fields=["email", "is_active"])
    client.post("/accounts/password/reset/", {"email": "gone@example.com"})
    assert mail.outbox == []


def test_password_reset_is_rate_limited_per_email_without_revealing_it(client, world, settings):
    settings.PASSWORD_RESET_RATE_EMAIL = "2/h"
    world.users["firm_user"].email = "known@example.com"
    world.users["firm_user"].save(update_fields=["email"])
    answers = [client.post("/accounts/password/reset/", {"email": "known@example.com"}) for _ in range(4)]
    assert [(r.status_code, r["Location"]) for r in answers] == [(302, "/accounts/password/reset/sent/")] * 4
    assert len(mail.outbox) == 2  # the third and fourth asked for nothing


def test_password_reset_is_rate_limited_per_client_address(client, world, settings):
    settings.PASSWORD_RESET_RATE_IP = "3/h"
    codes = [client.post("/accounts/password/reset/", {"email": f"n{i}@example.com"}).status_code
             for i in range(4)]
    assert codes == [302, 302, 302, 429]
    other = client.post("/accounts/password/reset/", {"email": "x@example.com"}, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 302
    limited = client.post("/accounts/password/reset/", {"email": "y@example.com"})
    assert "找回密码的申请次数过多" in limited.content.decode()


# --- forced change after someone else chose the password -------------------------------------------------

def _admin_creates(client, username):
    return client.post("/admin/accounts/user/add/", {
        "username": username, "usable_password": "true",
        "password1": "Chu-Shi-Mi-Ma-2026", "password2": "Chu-Shi-Mi-Ma-2026",
        "roles-TOTAL_FORMS": "0", "roles-INITIAL_FORMS": "0",
    })


def test_account_created_by_an_admin_must_change_password_on_first_login(client, world):
    admin = world.users["city_admin"]
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    client.force_login(admin)
    assert _admin_creates(client, "new_clerk").status_code == 302
    new = User.objects.get(username="new_clerk")
    assert new.must_change_password
    assert not User.objects.get(pk=admin.pk).must_change_password
    client.post("/accounts/logout/")

    assert _log_in(client, "new_clerk", "Chu-Shi-Mi-Ma-2026").status_code == 302
    for path in ("/", "/accounts/notifications/", "/estates/", "/admin/", "/accounts/password/reset/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/password/", path
    api = client.get("/api/estates/")
    assert api.status_code == 403 and "请先修改密码" in api.json()["error"]
    page = client.get("/accounts/password/").content.decode()
    assert 'data-testid="must-change"' in page and "请先设置一个只有您自己知道的新密码" in page

    response = client.post("/accounts/password/", {
        "old_password": "Chu-Shi-Mi-Ma-2026", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })
    assert response["Location"] == "/"
    new.refresh_from_db()
    assert not new.must_change_password and new.check_password(NEW_PASSWORD)
    assert client.get("/accounts/notifications/").status_code == 200


def test_forced_user_may_still_log_out_and_load_static_files(client, world, settings, rf):
    from django.http import HttpResponse

    from accounts.middleware import ForcePasswordChangeMiddleware

    user = world.users["street_staff"]
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    middleware = ForcePasswordChangeMiddleware(lambda request: HttpResponse("passed through"))
    for path, passes in ((f"{settings.STATIC_URL}js/portal.js", True), ("/accounts/password/", True),
                         ("/estates/", False), ("/staticky/", False)):
        request = rf.get(path)
        request.user = user
        assert (middleware(request).status_code == 200) is passes, path

    client.force_login(user)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_admin_resetting_someone_elses_password_forces_a_change(client, world):
    admin = world.users["city_admin"]
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    client.force_login(admin)
    target = world.users["firm_user"]
    form = {"usable_password": "true", "password1": "Chong-She-Mi-Ma-9", "password2": "Chong-She-Mi-Ma-9"}
    response = client.post(f"/admin/accounts/user/{target.pk}/password/", form)
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password("Chong-She-Mi-Ma-9") and target.must_change_password

    # An admin setting their own password there chose it themselves.
    client.post(f"/admin/accounts/user/{admin.pk}/password/", form)
    admin.refresh_from_db()
    assert admin.check_password("Chong-She-Mi-Ma-9") and not admin.must_change_password


def test_refused_admin_password_form_forces_nothing(client, world):
    admin = world.users["city_admin"]
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    client.force_login(admin)
    target = world.users["firm_user"]
    client.post(f"/admin/accounts/user/{target.pk}/password/",
                {"usable_password": "true", "password1": "short", "password2": "short"})
    target.refresh_from_db()
    assert not target.must_change_password and target.check_password(world.password)
