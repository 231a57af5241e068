"""Monthly payout generation vs one hand-written INSERT … SELECT, 12,000 rated estates (issue 6).

Data: 12,000 estates with accepted 2025 applications and published 2024Q4
ratings (tiers 0–5), a programme window covering 2025-03. The job
(`generate_batch`) writes one line per estate; the SQL writes the same lines
into the same table (after the job's lines are removed), so both pay for the
same indexes and foreign-key checks. The script checks the lines agree, that a
second run adds nothing, and prints both times and the ratio.
"""
import datetime
import os
from decimal import Decimal

from _setup import ESTATES, Timer, build_places, connection, fresh_database
from django.db import transaction

MONTH = datetime.date(2025, 3, 1)


def build():
    from ratings.models import RatingPeriod
    from ratings.services.policy import ensure_default_policy
    from subsidies.models import SubsidyPolicy

    district = build_places()
    policy = ensure_default_policy(district)
    SubsidyPolicy.objects.create(district=district, effective_from=datetime.date(2022, 1, 1),
                                 programme_start=datetime.date(2022, 2, 1), programme_months=48,
                                 yearly_budget=Decimal("500000000.00"))
    period = RatingPeriod.objects.create(district=district, year=2024, quarter=4, policy=policy,
                                         status="published", computed_at=datetime.datetime(2025, 1, 5, tzinfo=datetime.UTC))
    with connection.cursor() as cur:
        cur.execute("""INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined, full_name, phone)
                       VALUES ('!', false, 'bench', '', '', '', false, true, now(), '', '') RETURNING id""")
        user_id = cur.fetchone()[0]
        cur.execute("""
            INSERT INTO ratings_application (firm_id, estate_id, year, status, statement, submitted_by_id, submitted_at)
            SELECT firm_id, id, 2025, 'accepted', '', %s, now() FROM communities_estate WHERE id %% 10 <> 0""",
                    [user_id])
        cur.execute("""
            INSERT INTO ratings_starrating (period_id, estate_id, firm_id, inspection_count, score, tier,
                no_tier_reason, computed_at)
            SELECT %s, id, firm_id, 4, 60 + id %% 30, (id %% 6),
                   CASE WHEN id %% 6 = 0 THEN 'below' ELSE '' END, now()
            FROM communities_estate""", [period.pk])
        cur.execute("ANALYZE")
    return district


SQL = """
INSERT INTO subsidies_payout (batch_id, kind, estate_id, month, street_id, firm_id, area, tier, rate, rating_id,
                          amount, reason)
SELECT %(b)s, 'regular', e.id, %(m)s, c.street_id, e.firm_id, e.total_area, coalesce(r.tier, 0) * ok::int,
       CASE WHEN ok THEN rate ELSE 0 END, CASE WHEN a.id IS NOT NULL THEN r.id END,
       CASE WHEN ok THEN round(e.total_area * rate, 2) ELSE 0 END,
       CASE WHEN a.id IS NULL THEN '未参加星级评定' WHEN r.id IS NULL THEN '无已公布的星级评定结果'
            WHEN r.tier = 0 THEN '未评上星级' ELSE '' END
FROM communities_estate e
JOIN communities_community c ON c.id = e.community_id
JOIN communities_street s ON s.id = c.street_id
LEFT JOIN ratings_application a ON a.estate_id = e.id AND a.year = 2025 AND a.status = 'accepted'
LEFT JOIN LATERAL (
    SELECT sr.id, sr.tier FROM ratings_starrating sr JOIN ratings_ratingperiod p ON p.id = sr.period_id
    WHERE sr.estate_id = e.id AND p.status = 'published' AND p.year * 4 + p.quarter <= 2025 * 4
    ORDER BY p.year * 4 + p.quarter DESC LIMIT 1) r ON true
CROSS JOIN (SELECT * FROM subsidies_subsidypolicy WHERE district_id = %(d)s ORDER BY effective_from DESC LIMIT 1) pol
CROSS JOIN LATERAL (SELECT a.id IS NOT NULL AND r.tier > 0 AS ok,
    CASE r.tier WHEN 5 THEN pol.rate_5 WHEN 4 THEN pol.rate_4 WHEN 3 THEN pol.rate_3 WHEN 2 THEN pol.rate_2
                WHEN 1 THEN pol.rate_1 ELSE 0 END AS rate) x
WHERE s.district_id = %(d)s
"""


def main():
    from communities.models import District
    from subsidies.models import Payout, PayoutBatch
    from subsidies.services.generation import generate_batch

    district = District.objects.filter(name="基准区").first() if os.environ.get("BENCH_REUSE") else None
    if district is None or not PayoutBatch._meta.db_table:
        print(f"building {ESTATES} rated estates …", flush=True)
        fresh_database()
        with Timer() as t:
            district = build()
        print(f"  built in {t.seconds:.1f} s")
    job_times, rerun_times, sql_times = [], [], []
    for _ in range(3):
        Payout.objects.all().delete()
        PayoutBatch.objects.all().delete()
        with Timer() as t:
            batch = generate_batch(district=district, month=MONTH)
        job_times.append(t.seconds)
        before = Payout.objects.count()
        with Timer() as t:
            generate_batch(district=district, month=MONTH)
        rerun_times.append(t.seconds)
        assert Payout.objects.count() == before == ESTATES, "a second run must add nothing"
        fields = ["estate_id", "tier", "rate", "amount", "reason", "rating_id"]
        job = sorted(Payout.objects.values_list(*fields))
        Payout.objects.all().delete()
        with Timer() as t, transaction.atomic(), connection.cursor() as cur:  # commit included: FK checks
            cur.execute(SQL, {"b": batch.pk, "m": MONTH, "d": district.pk})
        sql_times.append(t.seconds)
        sql = sorted(Payout.objects.values_list(*fields))
    assert job == sql, "the job and the SQL disagree"
    total = sum(r[3] for r in job)
    best_job, best_rerun, best_sql = min(job_times), min(rerun_times), min(sql_times)
    print(f"lines: {len(job)} (identical in both), total {total:,} yuan")
    print(f"generate_payouts, first run (best of 3):        {best_job:.3f} s")
    print(f"generate_payouts, second run (adds nothing):    {best_rerun:.3f} s")
    print(f"hand-written INSERT … SELECT (best of 3):       {best_sql:.3f} s")
    print(f"ratio first run / SQL: {best_job / best_sql:.2f} (goal ≤ 2)")


if __name__ == "__main__":
    main()
