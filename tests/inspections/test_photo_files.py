"""Photo files are served only to those who may see the inspection or order."""
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from inspections.services import orders as svc
from inspections.services.inspections import inspection_add_photos, inspection_start

pytestmark = pytest.mark.django_db


def png():
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buf, "PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_inspection_photo_is_served_in_scope_and_404_outside(world, rubric, login, media):
    insp = inspection_start(actor=world.users["street_staff"], estate=world.estate_a1, kind="regular",
                            date=timezone.localdate(), inspectors="张三", today=timezone.localdate())
    [photo] = inspection_add_photos(actor=world.users["street_staff"], inspection=insp, images=[png()])
    url = photo.get_absolute_url()
    response = login("street_staff").get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    for persona in ("street_staff2", "firm_user", "firm_user2", "district_admin_gc"):
        assert login(persona).get(url).status_code == 404  # a draft: not even the estate's firm


def test_order_photo_follows_order_scope(world, login, media):
    order = svc.order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="杂物",
                            photos=[png()], now=timezone.now())
    url = order.photos.get().get_absolute_url()
    assert login("firm_user").get(url).status_code == 200
    assert login("firm_user2").get(url).status_code == 404
    assert login("street_staff2").get(url).status_code == 404


def test_anonymous_is_sent_to_login(client, world, media):
    order = svc.order_issue(actor=world.users["street_staff"], estate=world.estate_a1, problem="杂物",
                            photos=[png()], now=timezone.now())
    response = client.get(order.photos.get().get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
