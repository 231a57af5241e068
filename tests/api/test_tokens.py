"""API tokens for machine clients: issued by a city or district administrator to an integration's own account,
shown once and stored hashed; the token reads exactly what its account may read; revoked, expired and wrong
tokens get a 401 in Chinese; each token is throttled on its own (429 with Retry-After)."""
import datetime
import hashlib

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role
from accounts.services import api_token_issue, api_token_revoke

from ..factories import user_with_role

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture(autouse=True)
def _empty_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def hotline(world):
    """The 12345 hotline platform's account for 山城街道: one role, one street."""
    return user_with_role("hotline_shancheng", Role.STREET_STAFF, street=world.shancheng)


def issue(world, user, *, actor="city_admin", days=30, now=None):
    now = now or timezone.now()
    return api_token_issue(actor=world.users[actor], user=user, name="12345 热线平台 · 山亭区", now=now,
                           expires_at=now + datetime.timedelta(days=days))


def token_client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_reads_exactly_the_scope_of_its_account(world, hotline):
    _, key = issue(world, hotline)
    client = token_client(key)
    for base in ("/api/v1/", "/api/"):
        response = client.get(f"{base}estates/")
        assert response.status_code == 200
        assert sorted(r["name"] for r in response.json()["results"]) == ["梅花园", "锦绣花园"]
    assert client.get(f"/api/v1/estates/{world.estate_b1.pk}/").status_code == 404  # another street
    assert client.get(f"/api/v1/estates/{world.estate_c1.pk}/").status_code == 404  # another district
    assert client.get(f"/api/v1/estates/{world.estate_a1.pk}/").status_code == 200


def test_the_stored_row_holds_no_secret(world, hotline):
    token, key = issue(world, hotline)
    prefix, secret = key.split(".", 1)
    row = ApiToken.objects.values().get(pk=token.pk)
    assert row["prefix"] == prefix
    assert row["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(secret in str(value) for value in row.values())


def test_a_revoked_token_gets_401_in_chinese(world, hotline):
    token, key = issue(world, hotline)
    client = token_client(key)
    assert client.get("/api/v1/estates/").status_code == 200
    api_token_revoke(actor=world.users["city_admin"], token=token, now=timezone.now())
    response = client.get("/api/v1/estates/")
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌已被吊销，请联系管理员重新签发。"
    assert response["WWW-Authenticate"] == "Token"
    token.refresh_from_db()
    assert token.revoked_by == world.users["city_admin"]


def test_an_expired_token_gets_401(world, hotline):
    _, key = issue(world, hotline, days=1, now=NOW)
    with time_machine.travel(NOW + datetime.timedelta(hours=23), tick=False):
        assert token_client(key).get("/api/v1/estates/").status_code == 200
    with time_machine.travel(NOW + datetime.timedelta(days=1, seconds=1), tick=False):
        response = token_client(key).get("/api/v1/estates/")
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌已过期，请联系管理员重新签发。"


@pytest.mark.parametrize("header", ["Token nosuchprefix.secret", "Token garbage", "Token a b"])
def test_a_wrong_token_gets_401(world, hotline, header):
    issue(world, hotline)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/estates/")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("令牌")


def test_a_right_prefix_with_a_wrong_secret_gets_401(world, hotline):
    _, key = issue(world, hotline)
    assert token_client(key.split(".")[0] + ".not-the-secret").get("/api/v1/estates/").status_code == 401


def test_a_browser_without_credentials_still_gets_403(client, world):
    assert client.get("/api/v1/estates/").status_code == 403


def test_last_used_is_written_at_most_once_a_minute(world, hotline):
    token, key = issue(world, hotline, now=NOW)
    client = token_client(key)
    with time_machine.travel(NOW + datetime.timedelta(minutes=5), tick=False):
        client.get("/api/v1/estates/")
    token.refresh_from_db()
    assert token.last_used_at == NOW + datetime.timedelta(minutes=5)
    with time_machine.travel(NOW + datetime.timedelta(minutes=5, seconds=50), tick=False):
        client.get("/api/v1/estates/")
    token.refresh_from_db()
    assert token.last_used_at == NOW + datetime.timedelta(minutes=5)  # not rewritten within the minute
    with time_machine.travel(NOW + datetime.timedelta(minutes=6, seconds=1), tick=False):
        client.get("/api/v1/estates/")
    token.refresh_from_db()
    assert token.last_used_at == NOW + datetime.timedelta(minutes=6, seconds=1)


def test_a_district_admin_issues_only_inside_their_district(world, hotline):
    token, _ = issue(world, hotline, actor="district_admin")  # 山城街道 lies in 山亭区
    assert token.created_by == world.users["district_admin"]
    outsider = user_with_role("hotline_zijingshan", Role.STREET_STAFF, street=world.zijingshan)
    with pytest.raises(ValidationError) as exc:
        issue(world, outsider, actor="district_admin")
    assert "不在您的管理范围内" in str(exc.value)
    assert not ApiToken.objects.filter(user=outsider).exists()
    # The other district's administrator may neither issue for 山亭区's account nor revoke its token.
    with pytest.raises(ValidationError):
        issue(world, hotline, actor="district_admin_gc")
    with pytest.raises(ValidationError):
        api_token_revoke(actor=world.users["district_admin_gc"], token=token, now=timezone.now())


def test_a_token_acts_as_an_account_with_exactly_one_role(world, hotline):
    from accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=hotline, role=Role.STREET_STAFF, street=world.beizhuang)
    with pytest.raises(ValidationError) as exc:
        issue(world, hotline)
    assert "只有一个角色" in str(exc.value)


@pytest.mark.parametrize("persona", ["street_staff", "district_staff", "firm_user"])
def test_others_may_not_issue_tokens(world, hotline, persona):
    with pytest.raises(ValidationError):
        issue(world, hotline, actor=persona)


def test_throttling_answers_429_with_retry_after_per_token(world, hotline, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"api_token": "3/min"}}
    _, key = issue(world, hotline)
    _, other_key = issue(world, hotline)
    client = token_client(key)
    assert [client.get("/api/v1/estates/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/estates/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert token_client(other_key).get("/api/v1/estates/").status_code == 200  # counted per token


# --- the page ------------------------------------------------------------------------------------------------

def test_the_page_shows_the_key_once_and_revokes(world, login, hotline):
    client = login("district_admin")
    page = client.get("/accounts/tokens/")
    assert page.status_code == 200
    assert "hotline_shancheng" in page.content.decode()  # offered as an account to act as
    response = client.post("/accounts/tokens/", {"name": "12345 热线平台 · 山亭区", "user": hotline.pk, "days": 90})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = response.context["key"]
    assert key in response.content.decode()
    token = ApiToken.objects.get(user=hotline)
    assert key.startswith(token.prefix + ".")
    listing = client.get("/accounts/tokens/").content.decode()
    assert token.prefix in listing and key not in listing  # never shown again
    assert token_client(key).get("/api/v1/estates/").status_code == 200
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_client(key).get("/api/v1/estates/").status_code == 401


def test_the_page_refuses_an_account_outside_the_district(world, login):
    outsider = user_with_role("hotline_zijingshan", Role.STREET_STAFF, street=world.zijingshan)
    client = login("district_admin")
    response = client.post("/accounts/tokens/", {"name": "x", "user": outsider.pk, "days": 30})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("persona", ["street_staff", "firm_user", "district_staff"])
def test_the_page_is_not_found_for_others(login, persona):
    assert login(persona).get("/accounts/tokens/").status_code == 404


def test_another_districts_token_is_not_found_on_the_page(world, login, hotline):
    token, _ = issue(world, hotline)
    client = login("district_admin_gc")
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_deactivating_an_account_revokes_its_tokens_and_reactivating_does_not_revive_them(world, hotline):
    from accounts.services import user_deactivate, user_reactivate

    token, key = issue(world, hotline)
    client = token_client(key)
    assert client.get("/api/v1/estates/").status_code == 200
    user_deactivate(actor=world.users["district_admin"], user=hotline, now=NOW)
    token.refresh_from_db()
    assert token.revoked_at == NOW and token.revoked_by == world.users["district_admin"]
    user_reactivate(actor=world.users["district_admin"], user=hotline)
    cache.clear()
    response = client.get("/api/v1/estates/")
    assert response.status_code == 401  # the old credential stays dead; a new token must be issued
