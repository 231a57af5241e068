"""Rate limits of the public complaint form (django-ratelimit): a flood gets HTTP 429 in Chinese and exactly the
allowed complaints are saved; the counters' cache counts atomically whatever the backend."""
import os
import subprocess
import sys
import threading
import uuid

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import checks
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django_ratelimit.core import get_usage

from complaints.models import Complaint

from ._public import form_data, jpeg, media, plaque, public_cache  # noqa: F401 (fixtures)
from .conftest import at

pytestmark = pytest.mark.django_db


def _phone(i: int) -> str:
    return f"1390000{i:04d}"


def test_fifty_posts_in_a_minute_save_five_and_get_429_after(plaque, client, settings):
    settings.COMPLAINT_PUBLIC_RATE_IP = "5/10m"
    settings.COMPLAINT_PUBLIC_RATE_IP_POSTS = "20/10m"
    settings.COMPLAINT_PUBLIC_RATE_PHONE = "3/d"
    statuses = []
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        for i in range(50):
            response = client.post(plaque.form_url, form_data(phone=_phone(i)))
            statuses.append(response.status_code)
            if response.status_code == 429:
                last = response
    assert statuses == [302] * 5 + [429] * 45
    assert Complaint.objects.count() == 5
    assert sorted(Complaint.objects.values_list("complainant_phone", flat=True)) == [_phone(i) for i in range(5)]
    html = last.content.decode()
    assert "操作过于频繁" in html and "提交次数过多，请 10 分钟后再试" in html
    assert last["Retry-After"] == "600"


def test_a_flood_of_invalid_posts_is_stopped_by_the_post_guard(plaque, client, settings):
    settings.COMPLAINT_PUBLIC_RATE_IP_POSTS = "20/10m"
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        statuses = [client.post(plaque.form_url, form_data(phone="12345")).status_code for _ in range(30)]
        # The guard counts every post before reading it: a valid one is refused as well now.
        assert client.post(plaque.form_url, form_data()).status_code == 429
    assert statuses == [200] * 20 + [429] * 10
    assert Complaint.objects.count() == 0
    with time_machine.travel(at(2026, 12, 1, 10, 21), tick=False):  # two windows later
        assert client.post(plaque.form_url, form_data()).status_code == 302


def test_a_resident_correcting_mistakes_is_not_locked_out(plaque, client, settings):
    settings.COMPLAINT_PUBLIC_RATE_IP = "5/10m"
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        for bad in (dict(phone="12345"), dict(description=""), dict(consent=""), dict(photos=[jpeg()] * 4),
                    dict(phone="0371-123"), dict(name="")):
            assert client.post(plaque.form_url, form_data(**bad)).status_code == 200
        assert client.post(plaque.form_url, form_data()).status_code == 302
    assert Complaint.objects.count() == 1


def test_three_complaints_a_day_per_phone_number_from_any_address(plaque, settings):
    settings.COMPLAINT_PUBLIC_RATE_PHONE = "3/d"
    typed = ["138 1234 5678", "+8613812345678", "13812345678", "0086 138-1234-5678"]
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        responses = [Client(REMOTE_ADDR=f"10.1.1.{i}").post(plaque.form_url, form_data(phone=p))
                     for i, p in enumerate(typed)]
        assert Client(REMOTE_ADDR="10.1.1.9").post(plaque.form_url, form_data(phone=_phone(1))).status_code == 302
    assert [r.status_code for r in responses] == [302, 302, 302, 429]
    assert "同一联系电话今天提交的投诉已达上限" in responses[-1].content.decode()
    assert Complaint.objects.filter(complainant_phone="13812345678").count() == 3
    with time_machine.travel(at(2026, 12, 3, 10, 0), tick=False):
        assert Client(REMOTE_ADDR="10.1.1.1").post(plaque.form_url, form_data()).status_code == 302


def test_behind_the_proxy_the_client_is_the_address_the_proxy_appended(plaque, settings):
    settings.RATELIMIT_CLIENT_IP_FROM_PROXY = True
    settings.COMPLAINT_PUBLIC_RATE_IP = "2/10m"
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        # A client inventing X-Forwarded-For entries stays one client (the proxy's entry is the last).
        spoofed = [Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 203.0.113.7")
                   .post(plaque.form_url, form_data(phone=_phone(i))).status_code for i in range(3)]
        # Two residents behind the same proxy are two clients.
        other = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.20").post(
            plaque.form_url, form_data(phone=_phone(9))).status_code
    assert spoofed == [302, 302, 429] and other == 302


# --- the cache holding the counters ---------------------------------------------------------------------

def _live_messages():
    return [m for m in checks.run_checks(tags=[checks.Tags.caches]) if not m.is_silenced()]


def test_the_default_cache_passes_django_ratelimits_checks_and_a_local_one_would_not(settings):
    assert django_settings.CACHES["default"]["BACKEND"] in (
        "config.cache.AtomicDatabaseCache", "django.core.cache.backends.redis.RedisCache")
    assert _live_messages() == []
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [m.id for m in _live_messages()] == ["django_ratelimit.E003"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "x"}}
    assert [m.id for m in _live_messages()] == ["django_ratelimit.E003"]


@pytest.mark.parametrize("env, backend", [
    ({}, "config.cache.AtomicDatabaseCache"),
    ({"CACHE_URL": "redis://127.0.0.1:6379/6"}, "django.core.cache.backends.redis.RedisCache"),
    ({"REDIS_URL": "redis://127.0.0.1:6379/6"}, "django.core.cache.backends.redis.RedisCache"),
])
def test_cache_url_chooses_redis_else_the_database(env, backend):
    base = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "REDIS_URL")}
    code = "from django.conf import settings; import django; django.setup(); print(settings.CACHES['default']['BACKEND'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=django_settings.BASE_DIR, capture_output=True, text=True,
                         env={**base, **env, "DJANGO_SETTINGS_MODULE": "config.settings"}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == backend


@pytest.fixture
def db_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "config.cache.AtomicDatabaseCache", "LOCATION": "portal_cache"}}
    cache = caches["default"]
    yield cache
    cache.clear()


def test_database_cache_incr_keeps_the_value_and_the_expiry(db_cache):
    assert db_cache.add("counter", 0, 60) is True
    assert db_cache.add("counter", 0, 60) is False
    assert [db_cache.incr("counter") for _ in range(3)] == [1, 2, 3]
    assert db_cache.incr("counter", 10) == 13 and db_cache.get("counter") == 13
    with pytest.raises(ValueError):
        db_cache.incr("never-added")
    with time_machine.travel(at(2040, 1, 1, 0, 0)):  # long after the 60 s
        with pytest.raises(ValueError):
            db_cache.incr("counter")
        assert db_cache.get("counter") is None


def test_django_ratelimit_counts_in_the_database_cache(db_cache, rf):
    request = rf.post("/", REMOTE_ADDR="192.0.2.1")
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        counts = [get_usage(request, group="t", key="ip", rate="3/m", increment=True) for _ in range(5)]
    assert [u["count"] for u in counts] == [1, 2, 3, 4, 5]
    assert [u["should_limit"] for u in counts] == [False, False, False, True, True]


@pytest.mark.django_db(transaction=True)
def test_database_cache_counts_every_increment_of_parallel_requests(settings):
    """Eight threads × 25 increments = 200 with the atomic incr (Django's own loses some: get, then set).
    PostgreSQL only: the in-memory SQLite test database is one connection's, not a server's."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (CI)")
    settings.CACHES = {"default": {"BACKEND": "config.cache.AtomicDatabaseCache", "LOCATION": "portal_cache"}}
    key = f"parallel-{uuid.uuid4().hex}"
    caches["default"].add(key, 0, 600)
    barrier = threading.Barrier(8)
    errors = []

    def work():
        from django.db import connections

        try:
            barrier.wait()
            for _ in range(25):
                caches["default"].incr(key)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert caches["default"].get(key) == 200


def test_django_ratelimit_counts_in_the_redis_cache(settings, rf):
    """Production's backend (CACHE_URL): Django's RedisCache, add then INCR. Skipped without a Redis server."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/15", "KEY_PREFIX": prefix}}
    request = rf.post("/", REMOTE_ADDR="192.0.2.2")
    try:
        with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
            counts = [get_usage(request, group="t", key="ip", rate="3/m", increment=True)["count"] for _ in range(5)]
        assert counts == [1, 2, 3, 4, 5]
    finally:
        client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
        for k in client.scan_iter(f"{prefix}:*"):
            client.delete(k)
