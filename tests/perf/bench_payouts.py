"""Monthly payout generation vs one hand-written INSERT … SELECT, 12,000 rated estates (issues 6 and 9).

Data: 12,000 estates, each served under one contract since 2020; 10,800 with
accepted 2025 applications and published 2025Q1 results (tiers 0–5); a
programme from 2025-01. 先考核后拨付: the March 2025 batch settles January,
February and March on 2025Q1, so the job writes 36,000 lines (estate ×
service month, split by the days each firm served: here one firm all month).
The SQL writes the same lines into the same table (after the job's lines are
removed), so both pay for the same indexes and foreign-key checks. The script
checks the lines agree and that a second run adds nothing, then prints the
ratio the issue names, job / SQL, with min / median / max over the runs.
"""
import datetime
import os
import statistics
from decimal import Decimal

from _setup import ESTATES, Timer, build_places, connection, fresh_database
from django.db import transaction

MONTH = datetime.date(2025, 3, 1)
RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def build():
    from ratings.models import RatingPeriod
    from ratings.services.policy import ensure_default_policy
    from subsidies.models import SubsidyPolicy

    district = build_places()
    policy = ensure_default_policy(district)
    SubsidyPolicy.objects.create(district=district, effective_from=datetime.date(2022, 1, 1),
                                 programme_start=datetime.date(2025, 1, 1), programme_months=36,
                                 yearly_budget=Decimal("500000000.00"))
    period = RatingPeriod.objects.create(district=district, year=2025, quarter=1, policy=policy,
                                         status="published", computed_at=datetime.datetime(2025, 4, 5, tzinfo=datetime.UTC))
    with connection.cursor() as cur:
        cur.execute("""INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined, full_name, phone)
                       VALUES ('!', false, 'bench', '', '', '', false, true, now(), '', '') RETURNING id""")
        user_id = cur.fetchone()[0]
        cur.execute("""
            INSERT INTO enterprises_servicecontract (estate_id, firm_id, start_date, end_date, fee_standard, bond,
                status, handover_note, handover_received_by, created_at)
            SELECT id, firm_id, '2020-01-01', '2027-12-31', 1.20, 50000, 'active', '', '', now()
            FROM communities_estate""")
        cur.execute("""
            INSERT INTO ratings_application (firm_id, estate_id, year, status, statement, submitted_by_id, submitted_at)
            SELECT firm_id, id, 2025, 'accepted', '', %s, now() FROM communities_estate WHERE id %% 10 <> 0""",
                    [user_id])
        cur.execute("""
            INSERT INTO ratings_starrating (period_id, estate_id, firm_id, inspection_count, score, tier,
                no_tier_reason, computed_at, version, correction_reason)
            SELECT %s, id, firm_id, 4, 60 + id %% 30, (id %% 6),
                   CASE WHEN id %% 6 = 0 THEN 'below' ELSE '' END, now(), 1, ''
            FROM communities_estate WHERE id %% 10 <> 0""", [period.pk])
        cur.execute("ANALYZE")
    return district


SQL = """
INSERT INTO subsidies_payout (batch_id, kind, estate_id, month, street_id, firm_id, area, tier, rate, rating_id,
                          amount, reason, days, month_days)
SELECT %(b)s, 'regular', e.id, m.month, c.street_id, sc.firm_id, e.total_area, coalesce(r.tier, 0),
       CASE WHEN r.tier > 0 THEN x.rate ELSE 0 END, r.id,
       CASE WHEN r.tier > 0 THEN round(e.total_area * x.rate, 2) ELSE 0 END,
       CASE WHEN r.id IS NULL THEN '未参加星级评定' WHEN r.tier = 0 THEN '未评上星级' ELSE '' END,
       CASE WHEN r.tier > 0 THEN m.days END, m.days
FROM communities_estate e
JOIN communities_community c ON c.id = e.community_id
JOIN communities_street s ON s.id = c.street_id
CROSS JOIN (VALUES ('2025-01-01'::date, 31), ('2025-02-01'::date, 28), ('2025-03-01'::date, 31)) m(month, days)
JOIN enterprises_servicecontract sc ON sc.estate_id = e.id AND sc.status = 'active'
LEFT JOIN ratings_starrating r ON r.estate_id = e.id AND r.superseded_at IS NULL
     AND r.period_id = (SELECT id FROM ratings_ratingperiod WHERE district_id = %(d)s AND year = 2025
                        AND quarter = 1 AND status = 'published')
CROSS JOIN (SELECT * FROM subsidies_subsidypolicy WHERE district_id = %(d)s ORDER BY effective_from DESC LIMIT 1) pol
CROSS JOIN LATERAL (SELECT CASE r.tier WHEN 5 THEN pol.rate_5 WHEN 4 THEN pol.rate_4 WHEN 3 THEN pol.rate_3
    WHEN 2 THEN pol.rate_2 WHEN 1 THEN pol.rate_1 ELSE 0 END AS rate) x
WHERE s.district_id = %(d)s
"""


def main():
    from communities.models import District
    from subsidies.models import BatchMonth, Payout, PayoutBatch
    from subsidies.services.generation import generate_batch

    district = District.objects.filter(name="基准区").first() if os.environ.get("BENCH_REUSE") else None
    if district is None:
        print(f"building {ESTATES} estates …", flush=True)
        fresh_database()
        with Timer() as t:
            district = build()
        print(f"  built in {t.seconds:.1f} s")
    fields = ["estate_id", "month", "firm_id", "area", "tier", "rate", "amount", "reason", "rating_id", "days",
              "month_days"]
    ratios, job_times, sql_times = [], [], []
    for _ in range(RUNS):
        Payout.objects.all().delete()
        BatchMonth.objects.all().delete()
        PayoutBatch.objects.all().delete()
        with Timer() as t:
            batch = generate_batch(district=district, month=MONTH)
        job_times.append(t.seconds)
        before = Payout.objects.count()
        generate_batch(district=district, month=MONTH)
        assert Payout.objects.count() == before == 3 * ESTATES, "a second run must add nothing"
        job = sorted(Payout.objects.values_list(*fields))
        Payout.objects.all().delete()
        with Timer() as t, transaction.atomic(), connection.cursor() as cur:  # commit included: FK checks
            cur.execute(SQL, {"b": batch.pk, "d": district.pk})
        sql_times.append(t.seconds)
        ratios.append(job_times[-1] / sql_times[-1])  # each run's job against the SQL run right after it
        sql = sorted(Payout.objects.values_list(*fields))
        assert job == sql, "the job and the SQL disagree"
    print(f"lines: {len(job)} (identical in both); job {statistics.median(job_times):.3f} s, "
          f"SQL {statistics.median(sql_times):.3f} s (medians of {RUNS} runs)")
    print(f"generate_payouts / INSERT … SELECT: min {min(ratios):.2f}  median {statistics.median(ratios):.2f}  "
          f"max {max(ratios):.2f}  (goal ≤ 2, {RUNS} runs)")


if __name__ == "__main__":
    main()
