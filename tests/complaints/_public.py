"""Set-up shared by the public complaint page tests (tests/complaints/test_public_*.py).

`plaque`: a star rating of 梅花园 (山城街道, served by firm 甲), whose signed plaque token opens the form, as
the QR code on the plaque does. `public_cache`: the rate-limit counters in a local-memory cache of the test's
own (settings.CACHES; a fresh one per test, so no test counts another's posts). `media`: uploads in tmp.
"""
import datetime
import io
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from ratings.models import RatingPeriod, StarRating
from ratings.selectors import plaque_token
from ratings.services.policy import ensure_default_policy


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def public_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"public-{uuid.uuid4().hex}"}}
    return settings.CACHES


@pytest.fixture
def plaque(world, media, public_cache):
    w = world
    period = RatingPeriod.objects.create(district=w.shanting, year=2026, quarter=3,
                                         policy=ensure_default_policy(w.shanting))
    w.rating = StarRating.objects.create(period=period, estate=w.estate_a1, firm=w.firm1, tier=4,
                                         computed_at=timezone.now())
    w.form_url = reverse("complaints:public_new", args=[w.rating.pk, plaque_token(w.rating.pk)])
    return w


def jpeg(name="现场.jpg", size=(40, 30), color=(200, 60, 60)) -> io.BytesIO:
    """A real, small JPEG photo as the browser sends it (a named file object for the test client)."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    buf.seek(0)
    buf.name = name
    return buf


def uploaded_jpeg(name="现场.jpg"):
    """The same photo as Django hands it to a service (an UploadedFile)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, jpeg(name).read(), content_type="image/jpeg")


def blob(name: str, data: bytes) -> io.BytesIO:
    buf = io.BytesIO(data)
    buf.name = name
    return buf


def form_data(**overrides) -> dict:
    """A valid post of the public form (category 环境卫生), without photos."""
    from complaints.models import Category

    data = {"category": Category.objects.get(code="sanitation").pk,
            "description": "3号楼2单元楼道内堆放垃圾一周无人清理，气味很大。",
            "name": "业主甲", "phone": "138 1234 5678", "consent": "on", "website": ""}
    data.update(overrides)
    return data


__all__ = ["media", "public_cache", "plaque", "jpeg", "uploaded_jpeg", "blob", "form_data"]
