"""Quarterly rating job vs one hand-written SQL aggregate, 12,000 estates (issues 5 and 10).

Data: 12,000 accepted estates, 4 submitted inspections each in 2025Q1 with 40
item scores per inspection (1.92 million item rows), opinion and
satisfaction scores. The job (`run_period`, first run: nothing stored yet)
computes and stores every estate's score and provisional tier; the SQL
computes the same scores and tiers in one SELECT. Each run times the job and
then the SQL right after it, checks they agree, and the script prints one
ratio, first run / SQL aggregate, as min / median / max over the runs
(BENCH_RUNS, default 7; goal ≤ 3).
"""
import datetime
import os
import statistics
from decimal import Decimal

from _setup import ESTATES, Timer, build_places, connection, fresh_database

RUNS = int(os.environ.get("BENCH_RUNS", "7"))


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
    from communities.models import District
    from ratings.models import RatingPeriod, StarRating
    from ratings.services.periods import run_period

    district = District.objects.filter(name="基准区").first() if os.environ.get("BENCH_REUSE") else None
    if district is None:
        print(f"building {ESTATES} estates × 4 inspections × 40 items …", flush=True)
        fresh_database()
        with Timer() as t:
            district = build()
        print(f"  built in {t.seconds:.1f} s")
    today = datetime.date(2025, 4, 6)
    now = datetime.datetime(2025, 4, 6, 2, tzinfo=datetime.UTC)  # the job's night run on that day
    ratios, job_times, sql_times = [], [], []
    for _ in range(RUNS):
        StarRating.objects.all().delete()
        RatingPeriod.objects.all().delete()
        with Timer() as t:  # first run: computes and inserts every row, in its transaction (commit included)
            run_period(district=district, year=2025, quarter=1, today=today, now=now)
        job_times.append(t.seconds)
        with Timer() as t, connection.cursor() as cur:  # right after it, on the same warm cache
            cur.execute(SQL, {"d": district.pk})
            sql_rows = cur.fetchall()
        sql_times.append(t.seconds)
        ratios.append(job_times[-1] / sql_times[-1])  # each run against the SQL run right after it
        job = {r.estate_id: (r.score, r.tier) for r in StarRating.objects.only("estate_id", "score", "tier")}
        sql = {e: (score, tier) for e, score, tier in sql_rows}
        assert len(job) == len(sql) == ESTATES, (len(job), len(sql))
        assert job == sql, "the job and the SQL disagree"
    print(f"rows: {len(job)} (identical in both); first run {statistics.median(job_times):.3f} s, "
          f"SQL aggregate {statistics.median(sql_times):.3f} s (medians of {RUNS} runs)")
    print(f"quarterly job, first run / SQL aggregate: min {min(ratios):.2f}  median {statistics.median(ratios):.2f}  "
          f"max {max(ratios):.2f}  (goal ≤ 3, {RUNS} runs)")


if __name__ == "__main__":
    main()
