"""Named personas and a small world of places, built once per test.

World (place names from the seeds, people from Faker zh_CN):

  山亭区 ── 山城街道 ── 梅园社区 ── 梅花园 (served by firm 甲, contract active)
         │           └─ 紫薇社区 ── 锦绣花园 (no firm, mode "none")
         └─ 北庄街道 ── 北庄社区 ── 北庄花园 (served by firm 乙)
  管城回族区 ── 紫荆山街道 ── 紫东社区 ── 紫荆小区 (no firm)

Personas: city_admin, district_admin (山亭区), district_staff (山亭区),
district_admin_gc (管城回族区), street_staff (山城街道), street_staff2
(北庄街道), community_clerk (梅园社区), firm_user (firm 甲), firm_user2
(firm 乙), and the anonymous visitor (the plain `client`).
"""
import datetime
import os
import subprocess
import sys
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import Role
from communities.models import ManagementMode

from .factories import (
    PASSWORD,
    CommunityFactory,
    DistrictFactory,
    EstateFactory,
    FirmFactory,
    ServiceContractFactory,
    StreetFactory,
    user_with_role,
)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _rows_seeded_by_migrations(request):
    """The data migrations' rows (the working-day calendar 2004–2026, the complaint categories) are gone on a
    worker once a transactional test has flushed the tables: put them back, inside this test's transaction,
    for every test that uses the database (two cheap queries when they are there)."""
    names = set(request.fixturenames)
    if not names & {"db", "transactional_db", "django_db_setup"} and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    import importlib

    from django.apps import apps as django_apps
    from django.utils import timezone

    from complaints.models import Category
    from workdays.models import CalendarDay, CalendarYear
    from workdays.seeding import seed_from_library

    # A flush also recreates the content types under new ids: forget the ids this process cached
    # (the credit records point at their source through a content type).
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    if not CalendarYear.objects.filter(pk=2026).exists():
        seed_from_library(year_model=CalendarYear, day_model=CalendarDay, now=timezone.now())
    if not Category.objects.exists():
        importlib.import_module("complaints.migrations.0002_default_categories").seed(django_apps, None)
    from reports.models import Target

    if not Target.objects.exists():
        importlib.import_module("reports.migrations.0002_seed_targets").seed(django_apps, None)
        # ...and, as the next migration does, move the committee-formation target to its one place
        # (communities.CommitteeTarget).
        importlib.import_module("reports.migrations.0003_committee_targets_to_communities").to_communities(
            django_apps, None)


@pytest.fixture
def world(db):
    w = SimpleNamespace()
    w.shanting = DistrictFactory(name="山亭区")
    w.guancheng = DistrictFactory(name="管城回族区")
    w.shancheng = StreetFactory(district=w.shanting, name="山城街道")
    w.beizhuang = StreetFactory(district=w.shanting, name="北庄街道")
    w.zijingshan = StreetFactory(district=w.guancheng, name="紫荆山街道")
    w.meiyuan = CommunityFactory(street=w.shancheng, name="梅园社区")
    w.ziwei = CommunityFactory(street=w.shancheng, name="紫薇社区")
    w.beizhuang_c = CommunityFactory(street=w.beizhuang, name="北庄社区")
    w.zidong = CommunityFactory(street=w.zijingshan, name="紫东社区")

    w.firm1 = FirmFactory(name="山亭甲物业服务有限公司", registered_district=w.shanting,
                          is_filed=True, filed_on=datetime.date(2020, 5, 1))
    w.firm2 = FirmFactory(name="山亭乙物业服务有限公司", registered_district=w.shanting)

    w.estate_a1 = EstateFactory(community=w.meiyuan, name="梅花园", completion_year=2001,
                                total_area=Decimal("36000.50"), management_mode=ManagementMode.MARKET,
                                category=1)
    w.estate_a2 = EstateFactory(community=w.ziwei, name="锦绣花园", completion_year=2012,
                                total_area=Decimal("52000.00"), management_mode=ManagementMode.NONE,
                                category=2)
    w.estate_b1 = EstateFactory(community=w.beizhuang_c, name="北庄花园", completion_year=2008,
                                total_area=Decimal("41000.00"), management_mode=ManagementMode.MARKET)
    w.estate_c1 = EstateFactory(community=w.zidong, name="紫荆小区", completion_year=1998,
                                total_area=Decimal("28000.00"))
    w.contract_a1 = ServiceContractFactory(estate=w.estate_a1, firm=w.firm1)
    w.contract_b1 = ServiceContractFactory(estate=w.estate_b1, firm=w.firm2)
    for estate, contract in ((w.estate_a1, w.contract_a1), (w.estate_b1, w.contract_b1)):
        estate.firm = contract.firm
        estate.firm_since = contract.start_date
        estate.save(update_fields=["firm", "firm_since"])

    w.users = {
        "city_admin": user_with_role("city_admin", Role.CITY_ADMIN),
        "district_admin": user_with_role("district_admin", Role.DISTRICT_ADMIN, district=w.shanting),
        "district_staff": user_with_role("district_staff", Role.DISTRICT_STAFF, district=w.shanting),
        "district_admin_gc": user_with_role("district_admin_gc", Role.DISTRICT_ADMIN, district=w.guancheng),
        "street_staff": user_with_role("street_staff", Role.STREET_STAFF, street=w.shancheng),
        "street_staff2": user_with_role("street_staff2", Role.STREET_STAFF, street=w.beizhuang),
        "community_clerk": user_with_role("community_clerk", Role.COMMUNITY_CLERK, community=w.meiyuan),
        "firm_user": user_with_role("firm_user", Role.FIRM_USER, firm=w.firm1),
        "firm_user2": user_with_role("firm_user2", Role.FIRM_USER, firm=w.firm2),
    }
    w.users["city_admin"].is_staff = True
    w.users["city_admin"].save(update_fields=["is_staff"])
    w.password = PASSWORD
    return w


PERSONAS = ["city_admin", "district_admin", "district_staff", "district_admin_gc", "street_staff",
            "street_staff2", "community_clerk", "firm_user", "firm_user2"]


@pytest.fixture
def login(client, world):
    """login("street_staff") -> the test client, logged in as that persona."""

    def _login(persona):
        client.force_login(world.users[persona])
        return client

    return _login


@pytest.fixture
def worker_queue(tmp_path):
    """A real `celery worker` process on a queue of its own, sharing the test database.

    Runs only where CELERY_BROKER_URL is a Redis URL and CELERY_RESULT_BACKEND is
    set (CI: `.ci/run`); the embedded filesystem broker of `make run` is skipped.
    Tests that need the worker to see their rows use a transactional database.
    """
    if not str(settings.CELERY_BROKER_URL).startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://… (a real broker); the embedded filesystem broker is in use")
    if not settings.CELERY_RESULT_BACKEND:
        pytest.skip("needs CELERY_RESULT_BACKEND to read the task's result")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ)
    db = connection.settings_dict
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-l", "info",
             "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        yield queue
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
        print(log.read_text(errors="replace")[-3000:])
