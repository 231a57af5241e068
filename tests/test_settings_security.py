"""Login security and deployment settings (DOMAIN.md §1; ARCHITECTURE.md)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from .factories import PASSWORD, UserFactory

BASE_DIR = Path(settings.BASE_DIR)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_login_locks_out_after_five_failures_even_with_the_right_password(client):
    UserFactory(username="clerk_wang")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/accounts/login/", {"username": "clerk_wang", "password": "wrong-password-1"})
        assert not _logged_in(client)
    assert settings.AXES_FAILURE_LIMIT == 5
    response = client.post("/accounts/login/", {"username": "clerk_wang", "password": PASSWORD})
    assert response.status_code in (403, 429)
    assert not _logged_in(client)


@pytest.mark.django_db
def test_right_password_logs_in_before_any_lockout(client):
    UserFactory(username="clerk_li")
    client.post("/accounts/login/", {"username": "clerk_li", "password": "wrong-password-1"})
    response = client.post("/accounts/login/", {"username": "clerk_li", "password": PASSWORD})
    assert response.status_code == 302
    assert _logged_in(client)


def test_sessions_expire_after_thirty_idle_minutes():
    assert settings.SESSION_COOKIE_AGE == 1800
    # The idle timeout is kept by accounts.middleware.IdleTimeoutMiddleware (tests/accounts/test_middleware.py).
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert "accounts.middleware.IdleTimeoutMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_COOKIE_HTTPONLY is True


@pytest.mark.parametrize("password, code", [
    ("Ab1-xyz", "password_too_short"),
    ("qwertyuiop", "password_too_common"),
    ("3141592653589", "password_entirely_numeric"),
])
def test_password_validators_reject_weak_passwords(password, code):
    with pytest.raises(ValidationError) as excinfo:
        validate_password(password)
    assert code in [e.code for e in excinfo.value.error_list]


def test_password_validators_accept_the_demo_password():
    validate_password("Demo-2026-portal")


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update({
        "DEBUG": "0",
        "HTTPS": "1",
        "SECRET_KEY": "prod-like-" + "k3y-" * 16,
        "ALLOWED_HOSTS": "portal.example.gov.cn",
        "CSRF_TRUSTED_ORIGINS": "https://portal.example.gov.cn",
        "STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    })
    env.pop("SECURE_HSTS_SECONDS", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS:" not in output
    assert "System check identified no issues" in output


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused():
    UserFactory(username="clerk_zhao")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "clerk_zhao", "password": PASSWORD})
    assert response.status_code == 403
    assert not _logged_in(client)
