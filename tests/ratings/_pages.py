"""Set-up shared by the ratings page tests (tests/ratings/test_pages_*.py).

`rated` builds on `rating_world`: 梅花园 (firm 甲, 山城街道) applied through the service with one
evidence file, reported and accepted; 北庄花园 (firm 乙, 北庄街道) accepted; both inspected and scored
for 2025Q1, which is computed and announced (公示) on 2025-04-06 (appeal window to 2025-04-13):

  梅花园:   mean(90.5, 88.0, 87.5) = 88.67; 88.67×0.7 + 90×0.1 + 90×0.2 = 62.069 + 9 + 18 = 89.07 -> 5★
  北庄花园: 78.0×0.7 + 80×0.1 + 80×0.2 = 54.6 + 8 + 16 = 78.60 -> 3★

管城回族区 has a computed 2025Q1 too (no participants, not announced).
"""
import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from ratings.models import RatingPeriod, StarRating
from ratings.services.applications import application_submit, application_transition
from ratings.services.periods import period_announce, period_publish, run_period

from .conftest import accept, components, inspected, moment

RUN_DAY = datetime.date(2025, 4, 6)
DEADLINE = datetime.date(2025, 4, 13)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: datetime.date, hour: int = 10):
    """Freeze the clock on `day` (Asia/Shanghai) for the views, which read timezone.localdate()."""
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def rated(rating_world, media):
    w = rating_world
    pdf = SimpleUploadedFile("物业服务方案.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    [w.app_a1] = application_submit(actor=w.users["firm_user"], firm=w.firm1, estates=[w.estate_a1], year=2025,
                                    statement="申报五星", files=[pdf], today=datetime.date(2025, 2, 1))
    application_transition(actor=w.users["street_staff"], application=w.app_a1, action="report", comment="材料齐全")
    application_transition(actor=w.users["district_admin"], application=w.app_a1, action="accept")
    w.attachment = w.app_a1.attachments.get()
    w.app_b1 = accept(w, w.estate_b1)
    inspected(w, w.estate_a1, ["90.5", "88.0", "87.5"])
    components(w, w.estate_a1, "90", "90")
    inspected(w, w.estate_b1, ["78.0"])
    components(w, w.estate_b1, "80", "80")
    with at(RUN_DAY):
        run_period(district=w.shanting, year=2025, quarter=1, today=RUN_DAY, now=moment(RUN_DAY))
        w.period = period_announce(actor=w.users["district_admin"], period=RatingPeriod.objects.get(
            district=w.shanting, year=2025, quarter=1), today=RUN_DAY, now=moment(RUN_DAY))
        w.period_gc = run_period(district=w.guancheng, year=2025, quarter=1, today=RUN_DAY, now=moment(RUN_DAY))
    w.rating_a1 = StarRating.objects.get(period=w.period, estate=w.estate_a1)
    w.rating_b1 = StarRating.objects.get(period=w.period, estate=w.estate_b1)
    return w


def publish(w):
    after = DEADLINE + datetime.timedelta(days=1)
    return period_publish(actor=w.users["district_admin"], period=w.period, today=after, now=moment(after))


__all__ = ["at", "media", "rated", "publish", "RUN_DAY", "DEADLINE"]
