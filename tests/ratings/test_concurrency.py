"""Two workers computing the same period at once produce one set of rows (PostgreSQL)."""
import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from ratings.models import RatingPeriod, StarRating
from ratings.services.periods import run_period

from .conftest import accept, components, inspected, moment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrent upserts need PostgreSQL")
def test_two_concurrent_runs_give_the_same_rows_as_one(rating_world):
    w = rating_world
    for e in (w.estate_a1, w.estate_b1):
        accept(w, e)
        inspected(w, e, ["88.0", "91.5"])
        components(w, e, "80", "90")
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            run_period(district=w.shanting, year=2025, quarter=1, today=datetime.date(2025, 4, 6),
                       now=moment(datetime.date(2025, 4, 6)))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert RatingPeriod.objects.count() == 1
    rows = list(StarRating.objects.order_by("estate_id").values_list("estate_id", "score", "tier"))
    # mean(88.0, 91.5) = 89.75; 89.75×0.7 = 62.825; + 8 + 18 = 88.825 -> 88.83
    assert [(r[1], r[2]) for r in rows] == [(Decimal("88.83"), 5)] * 2
    run_period(district=w.shanting, year=2025, quarter=1, today=datetime.date(2025, 4, 6),
               now=moment(datetime.date(2025, 4, 6)))
    assert list(StarRating.objects.order_by("estate_id").values_list("estate_id", "score", "tier")) == rows
