"""A district with many served and rated estates whose March 2025 batch settles January to March (3 lines each).

Built with a few INSERT … SELECT statements (as tests/perf does) so that thousands of estates take a second;
the monthly payout job then runs for a few seconds, long enough to be interrupted mid-transaction.
"""
import datetime
import random
from decimal import Decimal

from django.db import connection

MONTH = datetime.date(2025, 3, 1)
LINE_FIELDS = ("estate_id", "month", "firm_id", "kind", "area", "tier", "rate", "amount", "reason", "rating_id",
               "days", "month_days")


def build_district(name: str, estates: int):
    from communities.models import District, DistrictPolicy
    from enterprises.validators import generate_credit_code
    from ratings.models import RatingPeriod
    from ratings.services.policy import ensure_default_policy
    from subsidies.models import SubsidyPolicy

    district = District.objects.create(name=name)
    DistrictPolicy.objects.create(district=district, effective_from="2000-01-01")
    rnd = random.Random(name)
    codes = [generate_credit_code(rnd) for _ in range(50)]
    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO communities_street (district_id, name, kind)
            SELECT %s, %s || '街道' || g, 'street' FROM generate_series(1, 10) g""", [district.pk, name])
        cur.execute("""
            INSERT INTO communities_community (street_id, name)
            SELECT s.id, s.name || '社区' || g FROM communities_street s, generate_series(1, 10) g
            WHERE s.district_id = %s""", [district.pk])
        cur.execute("""
            INSERT INTO enterprises_firm (name, credit_code, legal_representative, contact_name, contact_phone,
                address, is_filed, is_street_run, in_public_benefit_pool, created_at, registered_district_id)
            SELECT %s || '企业' || i, c, '法人', '', '', '', false, false, false, now(), %s
            FROM unnest(%s::text[]) WITH ORDINALITY AS t(c, i)""", [name, district.pk, codes])
        cur.execute("""
            WITH c AS (SELECT c.id, row_number() OVER (ORDER BY c.id) - 1 AS n FROM communities_community c
                       JOIN communities_street s ON s.id = c.street_id WHERE s.district_id = %(d)s),
                 f AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM enterprises_firm
                       WHERE registered_district_id = %(d)s)
            INSERT INTO communities_estate (name, address, completion_year, total_area, building_count,
                household_count, has_lift, estate_type, management_mode, category, in_renovation_programme,
                renovation_accepted, firm_since, service_content, contact_name, contact_phone, notes,
                created_at, updated_at, community_id, firm_id)
            SELECT %(name)s || '小区' || g, '', 1990 + g %% 30, round((2000 + (g * 7919) %% 178000)::numeric
                   + (g %% 100) / 100.0, 2), 10, 300, false, 'commercial', 'market', 1 + g %% 3, false, false,
                   '2020-01-01', '', '', '', '', now(), now(),
                   (SELECT id FROM c WHERE n = g %% 100), (SELECT id FROM f WHERE n = g %% 50)
            FROM generate_series(1, %(n)s) g""", {"d": district.pk, "name": name, "n": estates})
        cur.execute("""
            INSERT INTO enterprises_servicecontract (estate_id, firm_id, start_date, end_date, fee_standard, bond,
                status, handover_note, handover_received_by, created_at)
            SELECT e.id, e.firm_id, '2020-01-01', '2027-12-31', 1.20, 50000, 'active', '', '', now()
            FROM communities_estate e JOIN communities_community c ON c.id = e.community_id
            JOIN communities_street s ON s.id = c.street_id WHERE s.district_id = %s""", [district.pk])
    policy = ensure_default_policy(district)
    SubsidyPolicy.objects.create(district=district, effective_from=datetime.date(2022, 1, 1),
                                 programme_start=datetime.date(2025, 1, 1), programme_months=36,
                                 yearly_budget=Decimal("500000000.00"))
    period = RatingPeriod.objects.create(district=district, year=2025, quarter=1, policy=policy,
                                         status="published",
                                         computed_at=datetime.datetime(2025, 4, 5, tzinfo=datetime.UTC))
    with connection.cursor() as cur:
        # 9 in 10 estates rated, tiers 0–5 (0 = no star, with its reason); the rest did not take part.
        cur.execute("""
            INSERT INTO ratings_starrating (period_id, estate_id, firm_id, inspection_count, score, tier,
                no_tier_reason, computed_at, version, correction_reason)
            SELECT %s, e.id, e.firm_id, 4, 60 + e.id %% 30, (e.id %% 6),
                   CASE WHEN e.id %% 6 = 0 THEN 'below' ELSE '' END, now(), 1, ''
            FROM communities_estate e JOIN communities_community c ON c.id = e.community_id
            JOIN communities_street s ON s.id = c.street_id
            WHERE s.district_id = %s AND e.id %% 10 <> 0""", [period.pk, district.pk])
    return district


def batch_rows(district):
    """The district's March 2025 batch as comparable data: (lines sorted, line count, total, settled months)."""
    from subsidies.models import BatchMonth, Payout, PayoutBatch

    batch = PayoutBatch.objects.filter(district=district, month=MONTH).first()
    if batch is None:
        return None
    lines = sorted(Payout.objects.filter(batch=batch).values_list(*LINE_FIELDS))
    months = sorted(BatchMonth.objects.filter(batch=batch).values_list("month", "settled"))
    return {"lines": lines, "line_count": batch.line_count, "total": batch.total, "months": months,
            "status": batch.status}


def drop_batch(district):
    from subsidies.models import BatchMonth, Payout, PayoutBatch

    Payout.objects.filter(batch__district=district).delete()
    BatchMonth.objects.filter(district=district).delete()
    PayoutBatch.objects.filter(district=district).delete()
