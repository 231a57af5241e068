"""A city-sized data set for the page benchmarks (issue 10): one command, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city .venv/bin/python tests/perf/build_city.py
    make bench-data                      # the same, into portal_city (created if missing)

Drops and rebuilds the schema of the database it is given (never point it at one you care about), then:

  5 districts, 100 streets (20 each), 1,000 communities (10 each), 12,000 estates (12 each) with
  per-district old-estate cut-offs; 3,000 firms; a service contract for each estate with a firm (9 in 10);
  owner committees for about half the estates; 2025 applications; a 28-item rubric per district;
  36,000 submitted inspections in 2025Q1 (3 per estate) with 1,008,000 item scores; opinion and
  satisfaction scores; 2024Q4 published (rows written by SQL) and 2025Q1 computed by the quarterly job
  (run_period), announced and published through the services; 6,000 rectification orders; a subsidy
  programme from 2024-11 and the April 2025 payout batch of every district from generate_batch
  (Nov 2024 – Mar 2025 settled: 2,400 estates × 5 months = 12,000 lines per batch, 60,000 in all); demo
  users per persona with the demo password. Bulk rows go in by SQL (INSERT … SELECT); the jobs run as they run in production.
"""
import datetime
import os
import sys
import time

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_city")

from _setup import Timer, connection, fresh_database  # noqa: E402

DISTRICTS = ["城东区", "城西区", "城南区", "城北区", "高新区"]
STREETS_PER_DISTRICT = 20
COMMUNITIES_PER_STREET = 10
ESTATES_PER_COMMUNITY = 12
ESTATES = len(DISTRICTS) * STREETS_PER_DISTRICT * COMMUNITIES_PER_STREET * ESTATES_PER_COMMUNITY  # 12,000
FIRMS = 3000
ITEMS = 28
RUN_DAY, ANNOUNCE_DAY, PUBLISH_DAY = datetime.date(2025, 4, 6), datetime.date(2025, 4, 8), datetime.date(2025, 4, 20)
BATCH_MONTH = datetime.date(2025, 4, 1)

# Demo users: username -> (role, target). Targets: the first district/street/community/firm built.
PERSONAS = {
    "city_admin": ("city_admin", None),
    "district_admin": ("district_admin", "district"),
    "district_staff": ("district_staff", "district"),
    "street_staff": ("street_staff", "street"),
    "community_clerk": ("community_clerk", "community"),
    "firm_user": ("firm_user", "firm"),
}


def step(label):
    print(f"  {label} …", end="", flush=True)
    return Timer()


def build_places(cur):
    from communities.models import District, DistrictPolicy

    for i, name in enumerate(DISTRICTS):
        district = District.objects.create(name=name, code=f"4101{i:02d}")
        # Each district its own old-estate cut-off, so the per-district rule matters on the lists.
        DistrictPolicy.objects.create(district=district, effective_from="2000-01-01",
                                      old_estate_cutoff_year=2000 + 2 * i)
    cur.execute("""
        INSERT INTO communities_street (district_id, name, kind)
        SELECT d.id, d.name || '第' || lpad(g::text, 2, '0') || '街道', CASE WHEN g %% 5 = 0 THEN 'town' ELSE 'street' END
        FROM communities_district d, generate_series(1, %s) g""", [STREETS_PER_DISTRICT])
    cur.execute("""
        INSERT INTO communities_community (street_id, name)
        SELECT s.id, (ARRAY['和平','幸福','光明','友谊','团结','建设','民主','新华','长青','振兴'])[g] || '社区'
        FROM communities_street s, generate_series(1, %s) g""", [COMMUNITIES_PER_STREET])


def build_firms(cur):
    import random

    from enterprises.validators import generate_credit_code

    rnd = random.Random(10)
    codes = sorted({generate_credit_code(rnd) for _ in range(FIRMS * 2)})[:FIRMS]
    rnd.shuffle(codes)
    cur.execute("""
        INSERT INTO enterprises_firm (name, credit_code, legal_representative, contact_name, contact_phone, address,
            is_filed, filed_on, is_street_run, in_public_benefit_pool, created_at, registered_district_id)
        SELECT (ARRAY['安居','恒信','德润','嘉禾','瑞丰','华信','金盾','绿城','悦家','万和'])[1 + i %% 10]
               || '物业服务有限公司' || lpad(i::text, 4, '0'), c, '法人' || i, '联系人', '0371-6' || lpad(i::text, 7, '0'),
               '', true, DATE '2020-01-01', false, i %% 17 = 0, now(),
               (SELECT id FROM communities_district ORDER BY id OFFSET (i - 1) %% 5 LIMIT 1)
        FROM unnest(%s::text[]) WITH ORDINALITY AS t(c, i)""", [codes])


def build_estates(cur):
    # Estate g (1..12,000) lies in community ceil(g / 12); 9 in 10 are served by a firm (firm (g-1)//4 % 3000,
    # so each firm serves about 4 estates in one community), the tenth is unmanaged.
    cur.execute("""
        WITH c AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM communities_community),
             f AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM enterprises_firm)
        INSERT INTO communities_estate (name, address, completion_year, total_area, building_count, household_count,
            has_lift, estate_type, management_mode, category, in_renovation_programme, renovation_accepted, firm_id,
            firm_since, service_content, contact_name, contact_phone, notes, created_at, updated_at, community_id)
        SELECT (ARRAY['锦绣','翠湖','金水','阳光','紫荆','梅园','桂花','书香','滨河','天明','康桥','百合'])[1 + g %% 12]
                   || (ARRAY['花园','小区','家园','苑','新村','公寓'])[1 + (g / 12) %% 6] || g,
               '建设路 ' || g || ' 号', 1980 + (g * 7) %% 44, round((2000 + (g * 7919) %% 178000)::numeric
                   + (g %% 100) / 100.0, 2), 2 + g %% 30, 100 + g %% 900, g %% 3 = 0,
               (ARRAY['commercial','old','resettlement','affordable'])[1 + g %% 4],
               CASE WHEN g %% 10 = 0 THEN 'none' ELSE 'market' END, 1 + g %% 3, g %% 13 = 0, false,
               CASE WHEN g %% 10 = 0 THEN NULL ELSE f.id END, CASE WHEN g %% 10 = 0 THEN NULL ELSE DATE '2020-01-01' END,
               '', '', '', '', now(), now(), c.id
        FROM generate_series(1, %s) g
        JOIN c ON c.n = (g - 1) / %s + 1
        JOIN f ON f.n = ((g - 1) / 4) %% %s""", [ESTATES, ESTATES_PER_COMMUNITY, FIRMS])
    cur.execute("""
        INSERT INTO enterprises_servicecontract (estate_id, firm_id, start_date, end_date, fee_standard, bond, status,
            handover_note, handover_received_by, created_at)
        SELECT id, firm_id, '2020-01-01', '2027-12-31', 1.20, 50000, 'active', '', '', now()
        FROM communities_estate WHERE firm_id IS NOT NULL""")
    cur.execute("""
        INSERT INTO communities_ownercommittee (estate_id, kind, elected_on, term_end, filing_status, filed_on,
            is_active, notes)
        SELECT id, CASE WHEN id % 10 = 3 THEN 'standin' ELSE 'owners' END, DATE '2023-03-01', DATE '2028-02-28',
               CASE WHEN id % 10 IN (1, 2, 5, 7) THEN 'filed' ELSE 'pending' END,
               CASE WHEN id % 10 IN (1, 2, 5, 7) THEN DATE '2023-04-01' END, true, ''
        FROM communities_estate WHERE id % 10 IN (1, 2, 3, 5, 7, 9)""")


def build_users(cur):
    from accounts.models import Role, RoleAssignment, User
    from demo.world import DEMO_PASSWORD
    from communities.models import Community, District, Street
    from enterprises.models import Firm

    first = {"district": District.objects.order_by("pk").first(), "street": Street.objects.order_by("pk").first(),
             "community": Community.objects.order_by("pk").first(),
             "firm": Firm.objects.filter(estates__isnull=False).order_by("pk").first()}
    users = {}
    for username, (role, target) in PERSONAS.items():
        user = User(username=username, full_name=username, is_staff=role == Role.CITY_ADMIN,
                    is_superuser=role == Role.CITY_ADMIN)
        user.set_password(DEMO_PASSWORD)
        user.save()
        RoleAssignment.objects.create(user=user, role=role, **({target: first[target]} if target else {}))
        users[username] = user
    # One administrator per district: the lifecycle services are theirs to call.
    for district in District.objects.order_by("pk")[1:]:
        user = User.objects.create(username=f"district_admin_{district.pk}", full_name=district.name + "管理员")
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        RoleAssignment.objects.create(user=user, role=Role.DISTRICT_ADMIN, district=district)
    return users


def build_inspections(cur, user_id):
    from communities.models import District
    from inspections.models import Rubric, RubricCategory, RubricItem

    for district in District.objects.all():
        rubric = Rubric.objects.create(district=district, year=2025, version=1, name="物业服务质量检查评分细则",
                                       status="active", activated_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
        cats = [RubricCategory.objects.create(rubric=rubric, name=n, order=i)
                for i, n in enumerate(["基础管理", "房屋管理", "共用设施设备", "秩序维护", "环境卫生", "绿化养护", "消防安全"], 1)]
        # 27 items of 3.5 points and one of 5.5: 100 in all.
        RubricItem.objects.bulk_create([
            RubricItem(rubric=rubric, category=cats[(i - 1) // 4], code=f"{(i - 1) // 4 + 1}.{(i - 1) % 4 + 1}",
                       title=f"检查项目{i}", max_points="5.5" if i == ITEMS else "3.5", order=i)
            for i in range(1, ITEMS + 1)])
    cur.execute("""
        INSERT INTO inspections_inspection (estate_id, rubric_id, kind, date, inspectors, status, total, overall_comment,
            correction_reason, created_by_id, created_at, updated_at, submitted_at)
        SELECT e.id, r.id, 'regular', DATE '2025-01-06' + (k * 28) + (e.id %% 20)::int, '检查组', 'submitted', 0, '', '', %s,
               now(), now(), now()
        FROM communities_estate e
        JOIN communities_community c ON c.id = e.community_id JOIN communities_street s ON s.id = c.street_id
        JOIN inspections_rubric r ON r.district_id = s.district_id, generate_series(0, 2) k
        ORDER BY 4, 1""", [user_id])
    cur.execute("""
        INSERT INTO inspections_itemscore (inspection_id, item_id, score, note)
        SELECT i.id, it.id, least(it.max_points, ((i.id * 31 + it.id * 17) % 8) * 0.5 + 1), ''
        FROM inspections_inspection i JOIN inspections_rubricitem it ON it.rubric_id = i.rubric_id""")
    cur.execute("""
        UPDATE inspections_inspection i SET total = s.t
        FROM (SELECT inspection_id, sum(score) t FROM inspections_itemscore GROUP BY inspection_id) s
        WHERE s.inspection_id = i.id""")
    cur.execute("""
        INSERT INTO inspections_rectificationorder (number, estate_id, firm_id, inspection_id, item_id, problem,
            requirement, deadline, status, answer, answered_at, issued_by_id, issued_at, closed_at)
        SELECT 'ZG-2025-' || lpad(row_number() OVER (ORDER BY i.id)::text, 6, '0'), e.id, e.firm_id, i.id, NULL,
               '楼道堆放杂物，消防通道不畅', '限期清理', i.date + 7,
               (ARRAY['issued','answered','closed','returned'])[1 + i.id %% 4],
               CASE WHEN i.id %% 4 IN (1, 2) THEN '已清理' ELSE '' END,
               CASE WHEN i.id %% 4 IN (1, 2) THEN i.date + 3 + TIME '10:00' END, %s, i.date + TIME '16:00',
               CASE WHEN i.id %% 4 = 2 THEN i.date + 5 + TIME '10:00' END
        FROM inspections_inspection i JOIN communities_estate e ON e.id = i.estate_id
        WHERE e.firm_id IS NOT NULL AND i.id %% 6 = 0""", [user_id])


def build_rating_inputs(cur, user_id):
    from ratings.models import RatingPeriod
    from ratings.services.policy import ensure_default_policy
    from communities.models import District

    cur.execute("""
        INSERT INTO ratings_application (firm_id, estate_id, year, status, statement, submitted_by_id, submitted_at)
        SELECT firm_id, id, y, 'accepted', '', %s, make_date(y - 1, 12, 1)
        FROM communities_estate, unnest(ARRAY[2024, 2025]) y WHERE firm_id IS NOT NULL""", [user_id])
    cur.execute("""
        INSERT INTO ratings_componentscore (estate_id, year, quarter, kind, score, entered_by_id, entered_at)
        SELECT id, 2025, 1, k, 60 + (id * 13 + length(k)) %% 41, %s, now()
        FROM communities_estate, unnest(ARRAY['opinion', 'satisfaction']) k WHERE firm_id IS NOT NULL""", [user_id])
    # 2024Q4: published results written directly (the benchmark needs a second published quarter, not its inputs).
    published = datetime.datetime(2025, 1, 20, 9, tzinfo=datetime.UTC)
    for district in District.objects.all():
        policy = ensure_default_policy(district)
        period = RatingPeriod.objects.create(
            district=district, year=2024, quarter=4, policy=policy, status="published", computed_at=published,
            announced_at=published - datetime.timedelta(days=12), appeal_deadline=datetime.date(2025, 1, 15),
            published_at=published)
        cur.execute("""
            INSERT INTO ratings_starrating (period_id, estate_id, firm_id, inspection_count, inspection_score,
                opinion_score, satisfaction_score, score, tier, no_tier_reason, computed_at, version, correction_reason)
            SELECT %s, e.id, e.firm_id, 3, 70 + e.id %% 30, 80, 80, 72 + e.id %% 28,
                   CASE WHEN e.id %% 7 = 0 THEN 0 ELSE 1 + e.id %% 5 END,
                   CASE WHEN e.id %% 7 = 0 THEN 'below' ELSE '' END, now(), 1, ''
            FROM communities_estate e JOIN communities_community c ON c.id = e.community_id
            JOIN communities_street s ON s.id = c.street_id
            WHERE s.district_id = %s AND e.firm_id IS NOT NULL""", [period.pk, district.pk])


def _at(day: datetime.date) -> datetime.datetime:
    """02:00 UTC (10:00 in Shanghai) on `day`: the moment each step of the quarter is taken."""
    return datetime.datetime(day.year, day.month, day.day, 2, tzinfo=datetime.UTC)


def run_quarter(users):
    from accounts.models import Role, RoleAssignment
    from communities.models import District
    from ratings.services.periods import period_announce, period_publish, run_period

    admins = {ra.district_id: ra.user for ra in RoleAssignment.objects.filter(role=Role.DISTRICT_ADMIN)
              .select_related("user")}
    for district in District.objects.all():
        period = run_period(district=district, year=2025, quarter=1, today=RUN_DAY, now=_at(RUN_DAY))
        period = period_announce(actor=admins[district.pk], period=period, today=ANNOUNCE_DAY, now=_at(ANNOUNCE_DAY))
        period_publish(actor=admins[district.pk], period=period, today=PUBLISH_DAY, now=_at(PUBLISH_DAY))


def build_payouts():
    from decimal import Decimal

    from communities.models import District
    from subsidies.models import SubsidyPolicy
    from subsidies.services.generation import generate_batch

    lines = 0
    for district in District.objects.all():
        SubsidyPolicy.objects.create(district=district, effective_from=datetime.date(2024, 1, 1),
                                     programme_start=datetime.date(2024, 11, 1), programme_months=36,
                                     yearly_budget=Decimal("900000000.00"))
        batch = generate_batch(district=district, month=BATCH_MONTH)
        lines += batch.lines.count()
    return lines


def main():
    if connection.vendor != "postgresql":
        sys.exit("build_city.py builds on PostgreSQL: set DATABASE_URL=postgres://…")
    print(f"building the city in {connection.settings_dict['NAME']} (drops and rebuilds its schema) …", flush=True)
    started = time.perf_counter()
    fresh_database()
    from accounts.models import User

    with connection.cursor() as cur:
        with step("places") as t:
            build_places(cur)
        print(f" {t.seconds:.1f} s")
        with step("firms") as t:
            build_firms(cur)
        print(f" {t.seconds:.1f} s")
        with step("estates, contracts, committees") as t:
            build_estates(cur)
        print(f" {t.seconds:.1f} s")
        with step("users") as t:
            users = build_users(cur)
            inspector = User.objects.create(username="inspector", full_name="检查组")
        print(f" {t.seconds:.1f} s")
        with step("rubrics, inspections, item scores, orders") as t:
            build_inspections(cur, inspector.pk)
        print(f" {t.seconds:.1f} s")
        with step("applications, component scores, 2024Q4 results") as t:
            build_rating_inputs(cur, inspector.pk)
            cur.execute("VACUUM ANALYZE")
        print(f" {t.seconds:.1f} s")
    with step("2025Q1: run_period, announce, publish (5 districts)") as t:
        run_quarter(users)
    print(f" {t.seconds:.1f} s")
    with step("2025-04 payout batches (generate_batch, 5 districts)") as t:
        lines = build_payouts()
    print(f" {t.seconds:.1f} s")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
        counts = {}
        for table in ("communities_district", "communities_street", "communities_community", "communities_estate",
                      "enterprises_firm", "enterprises_servicecontract", "inspections_inspection",
                      "inspections_itemscore", "inspections_rectificationorder", "ratings_starrating",
                      "subsidies_payout"):
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
    print("rows: " + ", ".join(f"{t.split('_', 1)[1]} {n:,}" for t, n in counts.items()))
    print(f"payout lines in the 2025-04 batches: {lines:,}")
    print(f"demo users ({', '.join(PERSONAS)}) share the demo password; built in "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
