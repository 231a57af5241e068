"""Quarterly rating job vs one hand-written SQL aggregate, 12,000 estates (issue 5).

Data: 12,000 accepted estates, 4 submitted inspections each in 2025Q1 with 40
item scores per inspection (1.92 million item rows), opinion and
satisfaction scores. The job (`run_period`) computes and stores every
estate's score and provisional tier; the SQL computes the same scores and
tiers in one SELECT. The script checks they agree and prints both times.
"""
import datetime
import os
from decimal import Decimal

from _setup import ESTATES, Timer, build_places, connection, fresh_database
from django.db import transaction


def build():
    from inspections.models import Rubric, RubricCategory, RubricItem
    from ratings.services.policy import ensure_default_policy

    district = build_places()
    ensure_default_policy(district)
    rubric = Rubric.objects.create(district=district, year=2025, version=1, name="基准", status="active")
    cat = RubricCategory.objects.create(rubric=rubric, name="基础管理", order=1)
    RubricItem.objects.bulk_create([RubricItem(rubric=rubric, category=cat, code=f"1.{i}", title=f"项目{i}",
                                               max_points=Decimal("2.5"), order=i) for i in range(1, 41)])
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM accounts_user LIMIT 1")
        cur.execute("""INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined, full_name, phone)
                       VALUES ('!', false, 'bench', '', '', '', false, true, now(), '', '') RETURNING id""")
        user_id = cur.fetchone()[0]
        cur.execute("""
            INSERT INTO ratings_application (firm_id, estate_id, year, status, statement, submitted_by_id, submitted_at)
            SELECT firm_id, id, 2025, 'accepted', '', %s, now() FROM communities_estate""", [user_id])
        # 4 inspections per estate in 2025Q1, each with 40 item scores of 0..2.5 in steps of 0.5.
        cur.execute("""
            INSERT INTO inspections_inspection (estate_id, rubric_id, kind, date, inspectors, status, total,
                overall_comment, correction_reason, created_by_id, created_at, updated_at, submitted_at)
            SELECT e.id, %s, 'regular', DATE '2025-01-05' + (k * 20), '检查组', 'submitted', 0, '', '', %s,
                   now(), now(), now()
            FROM communities_estate e, generate_series(0, 3) k""", [rubric.pk, user_id])
        cur.execute("""
            INSERT INTO inspections_itemscore (inspection_id, item_id, score, note)
            SELECT i.id, it.id, ((i.id * 31 + it.id * 17) % 6) * 0.5, ''
            FROM inspections_inspection i, inspections_rubricitem it""")
        cur.execute("""
            UPDATE inspections_inspection i SET total = s.t
            FROM (SELECT inspection_id, sum(score) t FROM inspections_itemscore GROUP BY inspection_id) s
            WHERE s.inspection_id = i.id""")
        cur.execute("""
            INSERT INTO ratings_componentscore (estate_id, year, quarter, kind, score, entered_by_id, entered_at)
            SELECT id, 2025, 1, k, 60 + (id * 13 + length(k)) %% 41, %s, now()
            FROM communities_estate, unnest(ARRAY['opinion', 'satisfaction']) k""", [user_id])
        cur.execute("ANALYZE")
    return district


SQL = """
WITH policy AS (
    SELECT * FROM ratings_ratingpolicy WHERE district_id = %(d)s AND effective_from <= DATE '2025-03-31'
    ORDER BY effective_from DESC LIMIT 1),
insp AS (
    SELECT i.estate_id, count(*) n, round(avg(i.total), 2) mean
    FROM inspections_inspection i
    JOIN communities_estate e ON e.id = i.estate_id JOIN communities_community c ON c.id = e.community_id
    JOIN communities_street s ON s.id = c.street_id
    WHERE s.district_id = %(d)s AND i.status = 'submitted' AND i.date BETWEEN '2025-01-01' AND '2025-03-31'
    GROUP BY i.estate_id),
comp AS (
    SELECT estate_id, max(score) FILTER (WHERE kind = 'opinion') op,
           max(score) FILTER (WHERE kind = 'satisfaction') sat
    FROM ratings_componentscore WHERE year = 2025 AND quarter = 1 GROUP BY estate_id),
scored AS (
    SELECT a.estate_id, round(insp.mean * p.weight_inspection / 100 + comp.op * p.weight_opinion / 100
                              + comp.sat * p.weight_satisfaction / 100, 2) score, p.*
    FROM ratings_application a
    JOIN insp ON insp.estate_id = a.estate_id JOIN comp ON comp.estate_id = a.estate_id CROSS JOIN policy p
    WHERE a.year = 2025 AND a.status = 'accepted')
SELECT estate_id, score, CASE WHEN score >= threshold_5 THEN 5 WHEN score >= threshold_4 THEN 4
       WHEN score >= threshold_3 THEN 3 WHEN score >= threshold_2 THEN 2 WHEN score >= threshold_1 THEN 1
       ELSE 0 END tier
FROM scored
"""


def main():
    from ratings.models import StarRating
    from ratings.services.periods import run_period

    from communities.models import District
    from ratings.models import RatingPeriod

    district = District.objects.filter(name="基准区").first() if os.environ.get("BENCH_REUSE") else None
    if district is None:
        print(f"building {ESTATES} estates × 4 inspections × 40 items …", flush=True)
        fresh_database()
        with Timer() as t:
            district = build()
        print(f"  built in {t.seconds:.1f} s")
    today = datetime.date(2025, 4, 6)
    job_times, rerun_times, sql_times, insert_times = [], [], [], []
    for _ in range(3):
        StarRating.objects.all().delete()
        RatingPeriod.objects.all().delete()
        with Timer() as t:  # first run: computes and inserts every row
            run_period(district=district, year=2025, quarter=1, today=today)
        job_times.append(t.seconds)
        with Timer() as t:  # rerun: recomputes, finds nothing changed, writes nothing
            run_period(district=district, year=2025, quarter=1, today=today)
        rerun_times.append(t.seconds)
        with Timer() as t, connection.cursor() as cur:
            cur.execute(SQL, {"d": district.pk})
            sql_rows = cur.fetchall()
        sql_times.append(t.seconds)
        # The fair twin of a first run: the same SELECT written into the same table (indexes and
        # foreign-key checks included, commit included), after the job's rows are removed.
        job = {r.estate_id: (r.score, r.tier) for r in StarRating.objects.only("estate_id", "score", "tier")}
        StarRating.objects.all().delete()
        with Timer() as t, transaction.atomic(), connection.cursor() as cur:
            cur.execute("INSERT INTO ratings_starrating (period_id, estate_id, score, tier, inspection_count, "
                        "no_tier_reason, computed_at) SELECT %(p)s, estate_id, score, tier, 4, '', now() FROM ("
                        + SQL + ") x", {"d": district.pk, "p": RatingPeriod.objects.get().pk})
        insert_times.append(t.seconds)
    sql = {e: (s, tier) for e, s, tier in sql_rows}
    assert len(job) == len(sql) == ESTATES, (len(job), len(sql))
    assert job == sql, "the job and the SQL disagree"
    best_job, best_rerun, best_sql = min(job_times), min(rerun_times), min(sql_times)
    print(f"rows: {len(job)} (identical in both)")
    print(f"quarterly job, first run (compute + insert, best of 3): {best_job:.3f} s")
    print(f"quarterly job, rerun (compute, nothing to write):        {best_rerun:.3f} s")
    print(f"hand-written SQL aggregate (select only, best of 3):     {best_sql:.3f} s")
    best_insert = min(insert_times)
    print(f"hand-written INSERT … SELECT of the same rows:           {best_insert:.3f} s")
    print(f"ratio first run / SQL: {best_job / best_sql:.2f}   rerun / SQL: {best_rerun / best_sql:.2f}   "
          f"first run / INSERT…SELECT: {best_job / best_insert:.2f}   (goal ≤ 3)")


if __name__ == "__main__":
    main()
