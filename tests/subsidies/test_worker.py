"""The monthly payout task run by a real Celery worker over Redis, twice: one batch."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection

from subsidies.models import Payout, PayoutBatch

from .conftest import participating, published

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker process shares the PostgreSQL test database")
def test_real_worker_generates_the_month_once(sub_world, worker_queue):
    from subsidies.tasks import generate_monthly_payouts_task

    w = sub_world
    participating(w, w.estate_a1, 2025, 0, area="10.02")
    published(w, w.estate_a1, 2025, 1, 4)
    for _ in range(2):
        result = generate_monthly_payouts_task.apply_async(args=["2025-03-01"], queue=worker_queue)
        assert result.get(timeout=90) == ["山亭区 2025-03"]
    assert PayoutBatch.objects.count() == 1
    assert Payout.objects.count() == 3
    assert Payout.objects.get(estate=w.estate_a1).amount == Decimal("2.51")  # 10.02 × 0.25 = 2.505 -> 2.51
