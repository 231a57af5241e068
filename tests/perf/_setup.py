"""Shared set-up for the benchmarks: Django on the given PostgreSQL database, a clean schema, 12,000 estates."""
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

ESTATES = int(os.environ.get("BENCH_ESTATES", "12000"))


def fresh_database():
    if connection.vendor != "postgresql":
        sys.exit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://…")
    with connection.cursor() as cur:
        cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)


def build_places(estates=ESTATES):
    """One district, 40 streets, 400 communities, `estates` estates each served by one of 200 firms."""
    from communities.models import District, DistrictPolicy
    from enterprises.validators import generate_credit_code
    import random

    district = District.objects.create(name="基准区")
    DistrictPolicy.objects.create(district=district, effective_from="2000-01-01")
    rnd = random.Random(7)
    codes = [generate_credit_code(rnd) for _ in range(200)]
    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO communities_street (district_id, name, kind)
            SELECT %s, '街道' || g, 'street' FROM generate_series(1, 40) g""", [district.pk])
        cur.execute("""
            INSERT INTO communities_community (street_id, name)
            SELECT s.id, s.name || '社区' || g FROM communities_street s, generate_series(1, 10) g""")
        cur.execute("""
            INSERT INTO enterprises_firm (name, credit_code, legal_representative, contact_name, contact_phone,
                address, is_filed, is_street_run, in_public_benefit_pool, created_at, registered_district_id)
            SELECT '企业' || i, c, '法人', '', '', '', false, false, false, now(), %s
            FROM unnest(%s::text[]) WITH ORDINALITY AS t(c, i)""", [district.pk, codes])
        cur.execute("""
            WITH c AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM communities_community),
                 f AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM enterprises_firm)
            INSERT INTO communities_estate (name, address, completion_year, total_area, building_count,
                household_count, has_lift, estate_type, management_mode, category, in_renovation_programme,
                renovation_accepted, firm_since, service_content, contact_name, contact_phone, notes,
                created_at, updated_at, community_id, firm_id)
            SELECT '小区' || g, '', 1990 + g %% 30, round((2000 + (g * 7919) %% 178000)::numeric
                   + (g %% 100) / 100.0, 2), 10, 300, false, 'commercial', 'market', 1 + g %% 3, false, false,
                   '2020-01-01', '', '', '', '', now(), now(),
                   (SELECT id FROM c WHERE n = g %% 400), (SELECT id FROM f WHERE n = g %% 200)
            FROM generate_series(1, %s) g""", [estates])
    return district


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
