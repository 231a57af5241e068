"""The Django admin's login-security section (django-axes) reads in Chinese for the city administrator."""
import re

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(login, world):
    """The city administrator as seed_demo makes it: staff and superuser (the admin asks for model
    permissions after accounts/admin_site.py lets city administrators in)."""
    user = world.users["city_admin"]
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return login("city_admin")


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_admin_index_names_the_login_security_section_in_chinese(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    html = response.content.decode()
    page = text(html)
    axes = next(app for app in response.context["app_list"] if app["app_label"] == "axes")
    assert axes["name"] == "登录安全"
    assert sorted(m["name"] for m in axes["models"]) == ["登录失败计数", "登录失败记录", "登录日志"]
    assert "登录安全" in page and "登录失败计数" in page and "登录日志" in page
    for english in ("Axes", "Access attempts", "Access logs", "Access failures"):
        assert english not in page


def test_attempt_list_columns_and_status_are_chinese(admin_client):
    AccessAttempt.objects.create(user_agent="Mozilla/5.0", ip_address="10.0.0.8", username="street_staff",
                                 http_accept="text/html", path_info="/accounts/login/", get_data="", post_data="",
                                 failures_since_start=2)
    AccessAttempt.objects.create(user_agent="Mozilla/5.0", ip_address="10.0.0.9", username="firm_user",
                                 http_accept="text/html", path_info="/accounts/login/", get_data="", post_data="",
                                 failures_since_start=5)
    response = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 200
    page = text(response.content.decode())
    for label in ("尝试时间", "IP 地址", "用户名", "访问路径", "失败次数", "状态"):
        assert label in page, label
    # AXES_FAILURE_LIMIT is 5: two failures leave three tries; five lock the account.
    assert "还可尝试 3 次" in page and "已锁定" in page
    assert "Attempt Remaining" not in page and "Locked Out" not in page and "Failed Logins" not in page
    assert "登录安全" in page  # the breadcrumbs name the section too


def test_no_migration_is_detected_for_axes(capsys):
    """The Chinese names are translations and the app's label, not changed model options."""
    call_command("makemigrations", "axes", "--check", "--dry-run")
    assert "No changes detected" in capsys.readouterr().out
