"""The public 我要投诉 form behind a plaque's QR code: no login, lands in the street's queue as 网上投诉, photos
checked, bad input refused in Chinese with nothing saved, a honeypot for bots."""
import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from complaints.models import Action, Attachment, AttachmentKind, Category, Complaint, Source, Status
from ratings.selectors import plaque_token

from ._public import blob, form_data, jpeg, media, plaque, public_cache  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def _saved_files(root):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _nothing_saved(w):
    assert Complaint.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert Notification.objects.count() == 0
    assert _saved_files(w.media) == []


@pytest.fixture
def w(plaque, media):
    plaque.media = media
    return plaque


def test_form_opens_without_login_for_the_plaques_estate_with_the_privacy_notice(w, client):
    response = client.get(w.form_url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "我要投诉" in html and "梅花园" in html and "山城街道" in html
    assert "个人信息处理说明" in html and "个人信息保护法" in html
    # The honeypot is in the form, out of sight (CSS) and out of the tab order.
    assert 'class="hp-field" aria-hidden="true"' in html and 'name="website"' in html and 'tabindex="-1"' in html
    # Only active categories are offered.
    Category.objects.filter(code="group_rental").update(active=False)
    html = client.get(w.form_url).content.decode()
    assert "环境卫生" in html and "群租" not in html


def test_anonymous_complaint_lands_in_the_streets_queue_as_online_with_its_photos(w, client):
    response = client.post(w.form_url, form_data(photos=[jpeg("楼道1.jpg"), jpeg("楼道2.jpg")], confidential="on"))
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.source == Source.ONLINE and complaint.status == Status.RECEIVED
    assert (complaint.street, complaint.estate, complaint.firm) == (w.shancheng, w.estate_a1, w.firm1)
    assert complaint.created_by is None and complaint.category.code == "sanitation"
    assert complaint.complainant_name == "业主甲" and complaint.complainant_phone == "13812345678"
    assert complaint.confidential is True
    assert complaint.content == "3号楼2单元楼道内堆放垃圾一周无人清理，气味很大。"
    assert complaint.title and len(complaint.title) <= 40
    [event] = complaint.events.all()
    assert (event.action, event.actor, event.to_status) == (Action.RECEIVE, None, Status.RECEIVED)
    photos = list(complaint.attachments.order_by("original_name"))
    assert [(a.original_name, a.kind, a.content_type) for a in photos] == [
        ("楼道1.jpg", AttachmentKind.COMPLAINT, "image/jpeg"), ("楼道2.jpg", AttachmentKind.COMPLAINT, "image/jpeg")]
    assert all(a.uploaded_by is None and a.event == event for a in photos)
    assert len(_saved_files(w.media)) == 2
    # The street is told; the other street and the firm are not (the firm hears of it when it is assigned).
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"street_staff"}

    # The thank-you page shows the tracking code and leads to the tracking page.
    done = client.get(response.url)
    assert done.status_code == 200
    html = done.content.decode()
    assert complaint.tracking_code in html and 'data-testid="tracking-code"' in html
    assert f"{reverse('complaints:public_track')}?code={complaint.tracking_code}" in html
    assert "13812345678" not in html and "业主甲" not in html


def test_phone_numbers_are_checked_and_normalised(w, client):
    for bad in ("12345", "23812345678", "138123456789", "0371-0666888", "电话13812345678"):
        response = client.post(w.form_url, form_data(phone=bad))
        assert response.status_code == 200
        assert "请填写正确的联系电话" in response.content.decode(), bad
    assert Complaint.objects.count() == 0
    for typed, kept in (("+86 139-0000-1234", "13900001234"), ("（0371）66668888", "0371-66668888"),
                        ("010 62345678", "010-62345678")):
        assert client.post(w.form_url, form_data(phone=typed)).status_code == 302
        assert Complaint.objects.latest("pk").complainant_phone == kept


def test_a_20_mb_photo_gets_a_chinese_message_and_nothing_is_saved(w, client):
    big = blob("大照片.jpg", jpeg().read() + b"\0" * (20 * 1024 * 1024))
    response = client.post(w.form_url, form_data(photos=[jpeg("小照片.jpg"), big]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "大照片.jpg" in html and "超过 10 MB 的上限" in html
    assert "提交未成功" in html
    _nothing_saved(w)


def test_a_file_that_is_not_a_photo_is_refused(w, client):
    pdf = blob("材料.pdf", b"%PDF-1.4 evidence of the case")
    fake = blob("假照片.jpg", b"MZ\x90\x00 this is a program, not a picture")
    response = client.post(w.form_url, form_data(photos=[pdf]))
    assert response.status_code == 200
    assert "文件“材料.pdf”不是照片" in response.content.decode()
    response = client.post(w.form_url, form_data(photos=[fake]))
    assert "假照片.jpg" in response.content.decode() and "不是 JPG、PNG、WebP 图片" in response.content.decode()
    _nothing_saved(w)


def test_at_most_three_photos(w, client):
    response = client.post(w.form_url, form_data(photos=[jpeg(f"{i}.jpg") for i in range(4)]))
    assert response.status_code == 200
    assert "最多上传 3 张照片" in response.content.decode()
    _nothing_saved(w)


def test_a_description_over_2000_characters_is_refused(w, client):
    response = client.post(w.form_url, form_data(description="垃" * 2001))
    assert response.status_code == 200
    assert "投诉内容最多 2000 字（您填写了 2001 字）" in response.content.decode()
    _nothing_saved(w)
    assert client.post(w.form_url, form_data(description="垃" * 2000)).status_code == 302
    assert len(Complaint.objects.get().content) == 2000


@pytest.mark.parametrize("missing, message", [
    ("category", "请选择投诉类别"), ("description", "请填写投诉内容"), ("name", "请填写您的姓名"),
    ("phone", "请填写联系电话"), ("consent", "请阅读个人信息处理说明并勾选同意"),
])
def test_each_required_field_says_what_is_missing(w, client, missing, message):
    data = form_data()
    data.pop(missing)
    response = client.post(w.form_url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    _nothing_saved(w)


def test_an_inactive_or_unknown_category_is_refused(w, client):
    Category.objects.filter(code="sanitation").update(active=False)
    response = client.post(w.form_url, form_data(category=Category.objects.get(code="sanitation").pk))
    assert "请选择有效的投诉类别" in response.content.decode()
    response = client.post(w.form_url, form_data(category=999999))
    assert "请选择有效的投诉类别" in response.content.decode()
    _nothing_saved(w)


def test_a_bot_filling_the_honeypot_gets_the_same_thank_you_page_and_nothing_is_saved(w, client):
    response = client.post(w.form_url, form_data(website="http://spam.example", photos=[jpeg()]))
    assert response.status_code == 302
    done = client.get(response.url)
    assert done.status_code == 200
    code = re.search(r'data-testid="tracking-code">(\w+)<', done.content.decode()).group(1)
    assert len(code) == 10
    assert not Complaint.objects.filter(tracking_code=code).exists()
    _nothing_saved(w)


def test_a_post_above_the_size_cap_is_refused_in_chinese_before_it_is_read(w, client, settings):
    settings.COMPLAINT_PUBLIC_MAX_BYTES = 1024 * 1024
    photo = blob("现场.jpg", jpeg().read() + b"\0" * (1024 * 1024))
    response = client.post(w.form_url, form_data(photos=[photo]))
    assert response.status_code == 413
    html = response.content.decode()
    assert "提交的内容超过 1 MB，未能接收" in html and 'data-testid="too-large"' in html
    _nothing_saved(w)


@pytest.mark.parametrize("how", ["unknown rating", "forged token", "token of another rating"])
def test_an_estate_the_plaque_does_not_name_is_not_found(w, client, how):
    pk, token = w.rating.pk, plaque_token(w.rating.pk)
    if how == "unknown rating":
        pk, token = pk + 100, plaque_token(pk + 100)
    elif how == "forged token":
        token = token[:-2] + "xx"
    else:
        token = plaque_token(pk + 1)
    url = reverse("complaints:public_new", args=[pk, token])
    assert client.get(url).status_code == 404
    assert client.post(url, form_data()).status_code == 404
    _nothing_saved(w)


def test_the_form_is_protected_against_cross_site_posts(w):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(w.form_url, form_data()).status_code == 403
    assert Complaint.objects.count() == 0
    page = browser.get(w.form_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    assert browser.post(w.form_url, form_data(csrfmiddlewaretoken=token)).status_code == 302
    assert Complaint.objects.count() == 1


def test_the_thank_you_page_needs_its_signed_link(w, client):
    assert client.get(reverse("complaints:public_done", args=["forged"])).status_code == 404
    signed = signing.dumps("ABCDEFGH23", salt="another.salt", compress=True)
    assert client.get(reverse("complaints:public_done", args=[signed])).status_code == 404


def test_the_verification_page_links_to_the_form(w, client):
    html = client.get(reverse("ratings:verify", args=[w.rating.pk, plaque_token(w.rating.pk)])).content.decode()
    assert f'href="{w.form_url}"' in html and "我要投诉" in html
    forged = client.get(reverse("ratings:verify", args=[w.rating.pk, "forged"])).content.decode()
    assert "我要投诉" not in forged


def test_a_logged_in_user_may_use_the_form_too_and_it_stays_a_public_complaint(w, login):
    client = login("firm_user")
    assert client.post(w.form_url, form_data()).status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.created_by is None and complaint.source == Source.ONLINE
