"""EXPLAIN checks (issue 10): the main lists' queries never read a city-sized table whole.

PostgreSQL only (skipped on SQLite):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_sqlcheck .venv/bin/python -m pytest -q tests/test_explain_plans.py

A small city is built once for the module inside one transaction (rolled back at the end): 3 districts,
30 streets, 300 communities, 3,600 estates, 10,800 inspections with 54,000 item scores, 1,800 orders, two
published quarters (one computed by the quarterly job), and a payout batch from generate_batch
(3 months × 1,200 estates); then ANALYZE. Each main list is requested as each persona would, in its
default order, on its first and a deep page, through the Django test client with the portal's own
connection settings (jit off, random_page_cost 1.1; enable_seqscan left at its default). Every query the
page runs on the list's table to fetch its rows (the page's ids, then its rows with their joins) is
explained (EXPLAIN (FORMAT JSON)), and none may hold a Seq Scan on a city-sized table: estates,
inspections, item scores, payout lines, star ratings.

The page's counts (the paginator's COUNT(*), or GroupedPaginator's COUNT … GROUP BY) are left out of the
check: they count the whole list by nature, and whether PostgreSQL reads it by an index-only scan
(after VACUUM, as on the city data set) or a Seq Scan (here, inside one uncommitted transaction) is the
planner's choice between two equally linear reads. The check asserts they are counts, nothing wider.
"""
import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

CITY_TABLES = {"communities_estate", "inspections_inspection", "inspections_itemscore", "subsidies_payout",
               "ratings_starrating"}
DISTRICTS, STREETS, COMMUNITIES, ESTATES_PER_COMMUNITY = 3, 10, 10, 12  # 3 × 10 × 10 × 12 = 3,600 estates

pytestmark = [pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN checks run on PostgreSQL"),
              pytest.mark.django_db]


def _build():
    from accounts.models import Role, RoleAssignment, User
    from communities.models import District, DistrictPolicy
    from inspections.models import Rubric, RubricCategory, RubricItem
    from ratings.models import RatingPeriod
    from ratings.services.periods import period_announce, period_publish, run_period
    from ratings.services.policy import ensure_default_policy
    from subsidies.models import SubsidyPolicy
    from subsidies.services.generation import generate_batch
    from tests.factories import make_credit_code

    users = {}
    for i in range(DISTRICTS):
        district = District.objects.create(name=f"检查{i}区")
        DistrictPolicy.objects.create(district=district, effective_from="2000-01-01", old_estate_cutoff_year=2000 + i)
        ensure_default_policy(district)
        SubsidyPolicy.objects.create(district=district, effective_from=datetime.date(2024, 1, 1),
                                     programme_start=datetime.date(2025, 1, 1), programme_months=36,
                                     yearly_budget=Decimal("900000000"))
        rubric = Rubric.objects.create(district=district, year=2025, version=1, name="细则", status="active")
        cat = RubricCategory.objects.create(rubric=rubric, name="基础管理", order=1)
        RubricItem.objects.bulk_create([RubricItem(rubric=rubric, category=cat, code=f"1.{n}", title=f"项目{n}",
                                                   max_points=Decimal("20"), order=n) for n in range(1, 6)])
    inspector = User.objects.create(username="explain_inspector")
    with connection.cursor() as cur:
        cur.execute("""INSERT INTO communities_street (district_id, name, kind)
                       SELECT d.id, d.name || g || '街道', 'street' FROM communities_district d,
                       generate_series(1, %s) g""", [STREETS])
        cur.execute("""INSERT INTO communities_community (street_id, name)
                       SELECT s.id, s.name || g || '社区' FROM communities_street s, generate_series(1, %s) g""",
                    [COMMUNITIES])
        codes = [make_credit_code(n) for n in range(900)]
        cur.execute("""INSERT INTO enterprises_firm (name, credit_code, legal_representative, contact_name,
                           contact_phone, address, is_filed, is_street_run, in_public_benefit_pool, created_at)
                       SELECT '检查物业' || i, c, '法人', '', '', '', false, false, false, now()
                       FROM unnest(%s::text[]) WITH ORDINALITY AS t(c, i)""", [codes])
        cur.execute("""
            WITH c AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM communities_community),
                 f AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM enterprises_firm)
            INSERT INTO communities_estate (name, address, completion_year, total_area, building_count,
                household_count, has_lift, estate_type, management_mode, category, in_renovation_programme,
                renovation_accepted, firm_id, firm_since, service_content, contact_name, contact_phone, notes,
                created_at, updated_at, community_id)
            SELECT '小区' || g, '', 1980 + g %% 40, 1000 + g, 3, 100, false, 'commercial', 'market', 1, false,
                   false, f.id, DATE '2020-01-01', '', '', '', '', now(), now(), c.id
            FROM generate_series(1, %s) g JOIN c ON c.n = (g - 1) / %s + 1 JOIN f ON f.n = ((g - 1) / 4) %% 900""",
                    [DISTRICTS * STREETS * COMMUNITIES * ESTATES_PER_COMMUNITY, ESTATES_PER_COMMUNITY])
        cur.execute("""INSERT INTO enterprises_servicecontract (estate_id, firm_id, start_date, end_date,
                           fee_standard, bond, status, handover_note, handover_received_by, created_at)
                       SELECT id, firm_id, '2020-01-01', '2027-12-31', 1.2, 50000, 'active', '', '', now()
                       FROM communities_estate""")
        cur.execute("""
            INSERT INTO inspections_inspection (estate_id, rubric_id, kind, date, inspectors, status, total,
                overall_comment, correction_reason, created_by_id, created_at, updated_at, submitted_at)
            SELECT e.id, r.id, 'regular', DATE '2025-01-06' + k * 28 + (e.id %% 20)::int, '检查组', 'submitted',
                   60 + (e.id * 7 + k) %% 40, '', '', %s, now(), now(), now()
            FROM communities_estate e JOIN communities_community c ON c.id = e.community_id
            JOIN communities_street s ON s.id = c.street_id JOIN inspections_rubric r ON r.district_id = s.district_id,
            generate_series(0, 2) k ORDER BY 4, 1""", [inspector.pk])
        cur.execute("""INSERT INTO inspections_itemscore (inspection_id, item_id, score, note)
                       SELECT i.id, it.id, 12, '' FROM inspections_inspection i
                       JOIN inspections_rubricitem it ON it.rubric_id = i.rubric_id""")
        cur.execute("""
            INSERT INTO inspections_rectificationorder (number, estate_id, firm_id, inspection_id, problem,
                requirement, deadline, status, answer, issued_by_id, issued_at)
            SELECT 'JC-' || i.id, i.estate_id, e.firm_id, i.id, '问题', '', i.date + 7, 'issued', '', %s,
                   i.date + TIME '16:00'
            FROM inspections_inspection i JOIN communities_estate e ON e.id = i.estate_id WHERE i.id %% 6 = 0""",
                    [inspector.pk])
        cur.execute("""INSERT INTO ratings_application (firm_id, estate_id, year, status, statement,
                           submitted_by_id, submitted_at)
                       SELECT firm_id, id, y, 'accepted', '', %s, now()
                       FROM communities_estate, unnest(ARRAY[2024, 2025]) y""", [inspector.pk])
        cur.execute("""INSERT INTO ratings_componentscore (estate_id, year, quarter, kind, score, entered_by_id,
                           entered_at)
                       SELECT id, 2025, 1, k, 80, %s, now() FROM communities_estate,
                       unnest(ARRAY['opinion', 'satisfaction']) k""", [inspector.pk])
    now = datetime.datetime(2025, 1, 20, tzinfo=datetime.UTC)
    for district in District.objects.order_by("pk"):
        admin = User.objects.create(username=f"explain_admin_{district.pk}")
        RoleAssignment.objects.create(user=admin, role=Role.DISTRICT_ADMIN, district=district)
        users.setdefault("district_admin", admin)
        q4 = RatingPeriod.objects.create(district=district, year=2024, quarter=4, status="published",
                                         policy=ensure_default_policy(district), computed_at=now, published_at=now)
        with connection.cursor() as cur:
            cur.execute("""INSERT INTO ratings_starrating (period_id, estate_id, firm_id, inspection_count, score,
                               tier, no_tier_reason, computed_at, version, correction_reason)
                           SELECT %s, e.id, e.firm_id, 3, 70 + e.id %% 30, 1 + e.id %% 5, '', now(), 1, ''
                           FROM communities_estate e JOIN communities_community c ON c.id = e.community_id
                           JOIN communities_street s ON s.id = c.street_id WHERE s.district_id = %s""",
                        [q4.pk, district.pk])
        period = run_period(district=district, year=2025, quarter=1, today=datetime.date(2025, 4, 6),
                            now=datetime.datetime(2025, 4, 6, 2, tzinfo=datetime.UTC))
        period = period_announce(actor=admin, period=period, today=datetime.date(2025, 4, 8),
                                 now=datetime.datetime(2025, 4, 8, 2, tzinfo=datetime.UTC))
        period_publish(actor=admin, period=period, today=datetime.date(2025, 4, 20),
                       now=datetime.datetime(2025, 4, 20, 2, tzinfo=datetime.UTC))
        generate_batch(district=district, month=datetime.date(2025, 4, 1))
    first = District.objects.order_by("pk").first()
    street = first.streets.order_by("pk").first()
    for username, role, target in (("city_admin", Role.CITY_ADMIN, {}),
                                   ("street_staff", Role.STREET_STAFF, {"street": street}),
                                   ("community_clerk", Role.COMMUNITY_CLERK,
                                    {"community": street.communities.order_by("pk").first()})):
        user = User.objects.create(username=f"explain_{username}")
        RoleAssignment.objects.create(user=user, role=role, **target)
        users[username] = user
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return users


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    """The small city, inside one transaction that is rolled back after the module's tests."""
    from communities.models import District
    from ratings.models import RatingPeriod
    from subsidies.models import PayoutBatch

    with django_db_blocker.unblock():
        with transaction.atomic():
            users = _build()
            first = District.objects.order_by("pk").first()
            ids = {"period": RatingPeriod.objects.get(district=first, year=2025, quarter=1).pk,
                   "batch": PayoutBatch.objects.get(district=first).pk}
            yield users, ids
            transaction.set_rollback(True)


def _scans(plan) -> list[tuple[str, str]]:
    """(node type, relation) of every scan node in a JSON plan."""
    out = []
    if "Relation Name" in plan:
        out.append((plan["Node Type"], plan["Relation Name"]))
    for child in plan.get("Plans", ()):
        out.extend(_scans(child))
    return out


def _explain(sql, params):
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cur.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return _scans(plan[0]["Plan"])


def _list_queries(client, url, table):
    """The SELECTs on `table` that the page runs (its counts and its rows), with their parameters."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q for q in ctx.captured_queries
            if q["sql"].lstrip().upper().startswith("SELECT") and f'FROM "{table}"' in q["sql"]]


PAGES = [
    # (persona, url, the list's table)
    ("city_admin", "/estates/", "communities_estate"),
    ("city_admin", "/estates/?page=100", "communities_estate"),
    ("district_admin", "/estates/?page=40", "communities_estate"),
    ("street_staff", "/estates/", "communities_estate"),
    ("city_admin", "/inspections/", "inspections_inspection"),
    ("city_admin", "/inspections/?page=300", "inspections_inspection"),
    ("district_admin", "/inspections/?page=20", "inspections_inspection"),
    ("street_staff", "/inspections/", "inspections_inspection"),
    ("city_admin", "/orders/", "inspections_rectificationorder"),
    ("district_admin", "/orders/?page=10", "inspections_rectificationorder"),
    ("district_admin", "/subsidies/batches/{batch}/lines/", "subsidies_payout"),
    ("district_admin", "/subsidies/batches/{batch}/lines/?page=50", "subsidies_payout"),
    ("street_staff", "/subsidies/batches/{batch}/lines/", "subsidies_payout"),
    ("district_admin", "/ratings/periods/{period}/", "ratings_starrating"),
    ("street_staff", "/ratings/periods/{period}/", "ratings_starrating"),
    ("anonymous", "/ratings/public/", "ratings_starrating"),
    ("anonymous", "/ratings/public/?page=60", "ratings_starrating"),
    ("anonymous", "/ratings/public/?period=", "ratings_starrating"),
]


@pytest.mark.parametrize("persona, url, table", PAGES)
def test_list_queries_read_no_city_table_whole(city, persona, url, table):
    users, ids = city
    client = Client()
    if persona != "anonymous":
        client.force_login(users[persona])
    queries = _list_queries(client, url.format(**ids), table)
    rows = [q for q in queries if "COUNT(" not in q["sql"]]
    assert rows, f"{url}: no query fetched rows of {table}"
    for q in queries:
        if q in rows:
            continue
        select = q["sql"].split(" FROM ", 1)[0]
        assert "COUNT(" in select and '"' + table + '"."name"' not in select, q["sql"]  # a count, not rows
    for q in rows:
        # The captured SQL has its parameters inlined by psycopg2's mogrify-like formatting: explain it as is.
        scans = _explain(q["sql"], None)
        seq = sorted({rel for node, rel in scans if node == "Seq Scan" and rel in CITY_TABLES})
        assert not seq, f"{persona} {url}: Seq Scan on {', '.join(seq)} in\n{q['sql']}"


def test_the_check_sees_a_seq_scan_when_there_is_one(city):
    """The checker itself: a query that must read every estate shows its Seq Scan."""
    scans = _explain("SELECT * FROM communities_estate WHERE address LIKE %s", ["%路%"])
    assert ("Seq Scan", "communities_estate") in scans
