"""Files chosen in a refused 申报 form are kept (issue 15): the refused POST saves them as pending uploads
of the user, the form lists them (a checked box with a signed token), and the corrected POST attaches them
without choosing them again. Tokens are the user's own, expire after 24 hours, and an expired one refuses
the submit rather than dropping the file unseen. Files the service refuses (format, size) are not kept.

The window of 山亭区 is 01-01 to 03-31; the firm applies on 2025-02-01.
"""
import datetime
import re

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ratings.models import Application, ApplicationAttachment, PendingUpload
from ratings.services.uploads import pending_upload_keep, pending_uploads_expire

from ._pages import SHANGHAI, at, media  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
SUBMIT = reverse("ratings:application_submit")
DAY = datetime.date(2025, 2, 1)
PDF = b"%PDF-1.4 the firm's service plan"


def _pdf(name="物业服务方案.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _tokens(html):
    return re.findall(r'<input class="form-check-input" type="checkbox" name="pending" value="([^"]+)"', html)


def _kept_list(html):
    return html.split('id="pending-files"')[1].split("</div>\n    \n")[0] if 'id="pending-files"' in html else ""


def test_a_form_refused_for_a_missing_estate_keeps_the_file_and_the_next_submit_attaches_it(
        rating_world, login, media, django_capture_on_commit_callbacks):
    w = rating_world
    client = login("firm_user")
    with at(DAY):
        refused = client.post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "statement": "申报五星", "files": _pdf()})
    assert refused.status_code == 200 and "请至少选择一个小区。" in refused.content.decode()
    html = refused.content.decode()
    [token] = _tokens(html)
    assert "物业服务方案.pdf" in _kept_list(html) and "无需重新选择" in html
    [kept] = PendingUpload.objects.all()
    assert (kept.owner, kept.name, kept.size) == (w.users["firm_user"], "物业服务方案.pdf", len(PDF))
    kept_path = kept.file.name
    assert default_storage.exists(kept_path)

    with at(DAY), django_capture_on_commit_callbacks(execute=True):
        done = client.post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "statement": "申报五星",
                                    "estates": [w.estate_a1.pk], "pending": [token]})
    app = Application.objects.get(estate=w.estate_a1, year=2025)
    assert done.status_code == 302 and done["Location"] == reverse("ratings:application_detail", args=[app.pk])
    [attachment] = app.attachments.all()
    assert attachment.name == "物业服务方案.pdf" and attachment.uploaded_by == w.users["firm_user"]
    with attachment.file.open("rb") as f:
        assert f.read() == PDF
    assert not PendingUpload.objects.exists() and not default_storage.exists(kept_path)


def test_a_form_refused_by_the_service_keeps_the_file_too(rating_world, login, media):
    """梅花园 already applied for 2025: the service refuses; the corrected form (another estate) attaches the
    file kept from the refused one, and a new file chosen with it."""
    w = rating_world
    Application.objects.create(firm=w.firm1, estate=w.estate_a1, year=2025, submitted_by=w.users["firm_user"])
    w.estate_a2.firm, w.estate_a2.firm_since = w.firm1, datetime.date(2020, 1, 1)
    w.estate_a2.save(update_fields=["firm", "firm_since"])
    client = login("firm_user")
    with at(DAY):
        refused = client.post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "estates": [w.estate_a1.pk],
                                       "files": _pdf()})
        html = refused.content.decode()
        assert "“梅花园”2025 年度已申报。" in html
        [token] = _tokens(html)
        done = client.post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "estates": [w.estate_a2.pk],
                                    "pending": [token], "files": _pdf("业主满意度调查.pdf", b"%PDF-1.4 survey")})
    assert done.status_code == 302
    app = Application.objects.get(estate=w.estate_a2)
    assert sorted(app.attachments.values_list("name", flat=True)) == ["业主满意度调查.pdf", "物业服务方案.pdf"]
    assert not ApplicationAttachment.objects.filter(application__estate=w.estate_a1).exists()


def test_a_file_of_a_refused_format_is_not_kept(rating_world, login, media):
    w = rating_world
    with at(DAY):
        refused = login("firm_user").post(SUBMIT, {
            "firm": w.firm1.pk, "year": 2025, "estates": [w.estate_a1.pk],
            "files": [_pdf(), SimpleUploadedFile("setup.exe", b"MZ", content_type="application/octet-stream")]})
    html = refused.content.decode()
    assert "附件“setup.exe”格式不支持" in html
    assert list(PendingUpload.objects.values_list("name", flat=True)) == ["物业服务方案.pdf"]
    assert len(_tokens(html)) == 1 and "setup.exe" not in _kept_list(html)
    assert not Application.objects.exists()


def test_an_unticked_kept_file_is_not_attached(rating_world, login, media):
    w = rating_world
    client = login("firm_user")
    with at(DAY):
        client.post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "files": _pdf()})
        done = client.post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "estates": [w.estate_a1.pk]})
    assert done.status_code == 302
    assert not Application.objects.get().attachments.exists()


def test_another_users_token_is_refused_and_attaches_nothing(rating_world, login, media):
    w = rating_world
    with at(DAY):
        token = _tokens(login("firm_user").post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "files": _pdf()}
                                                ).content.decode())[0]
        refused = login("firm_user2").post(SUBMIT, {"firm": w.firm2.pk, "year": 2025,
                                                    "estates": [w.estate_b1.pk], "pending": [token]})
    assert refused.status_code == 200
    assert "有 1 个上次保留的附件已过期（保留 24 小时），请重新选择后提交。" in refused.content.decode()
    assert not Application.objects.exists() and PendingUpload.objects.count() == 1


def test_a_token_older_than_a_day_refuses_the_submit_instead_of_dropping_the_file(rating_world, login, media):
    w = rating_world
    client = login("firm_user")
    with at(DAY, hour=9):
        token = _tokens(client.post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "files": _pdf()}).content.decode())[0]
    with at(DAY + datetime.timedelta(days=1), hour=10):  # 25 hours later (a new session: the old one expired)
        refused = login("firm_user").post(SUBMIT, {"firm": w.firm1.pk, "year": 2025, "estates": [w.estate_a1.pk],
                                       "pending": [token]})
    assert "有 1 个上次保留的附件已过期" in refused.content.decode()
    assert not Application.objects.exists()


def test_expired_uploads_are_removed_with_their_files(rating_world, media, django_capture_on_commit_callbacks):
    w = rating_world
    user = w.users["firm_user"]
    at_9 = datetime.datetime(2025, 2, 1, 9, tzinfo=SHANGHAI)
    [old] = pending_upload_keep(actor=user, files=[_pdf("旧.pdf")], now=at_9)
    [new] = pending_upload_keep(actor=user, files=[_pdf("新.pdf")], now=at_9 + datetime.timedelta(hours=20))
    with django_capture_on_commit_callbacks(execute=True):
        assert pending_uploads_expire(now=at_9 + datetime.timedelta(hours=24)) == 1
    assert list(PendingUpload.objects.values_list("name", flat=True)) == ["新.pdf"]
    assert not default_storage.exists(old.file.name) and default_storage.exists(new.file.name)


def test_the_expiry_task_reads_the_clock_once_and_removes_stale_uploads(rating_world, media):
    from ratings.tasks import expire_pending_uploads_task

    w = rating_world
    pending_upload_keep(actor=w.users["firm_user"], files=[_pdf()],
                        now=datetime.datetime(2025, 2, 1, 9, tzinfo=SHANGHAI))
    with time_machine.travel(datetime.datetime(2025, 2, 2, 8, tzinfo=SHANGHAI), tick=False):
        assert expire_pending_uploads_task() == 0  # 23 hours: still kept
    with time_machine.travel(datetime.datetime(2025, 2, 2, 10, tzinfo=SHANGHAI), tick=False):
        assert expire_pending_uploads_task() == 1
    assert not PendingUpload.objects.exists()
